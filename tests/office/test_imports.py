"""The office package imports in one direction: no module needs one that needs it back."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "appliance" / "office"


def _imports(path):
    """appliance.office modules named anywhere in the file, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "appliance.office":
                found.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
            elif node.module.startswith("appliance.office."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("appliance.office."))
    return found - {path.stem}


def test_no_import_cycles():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}

    def walk(module, trail):
        for dep in sorted(graph.get(module, ())):
            assert dep not in trail, f"appliance/office: import cycle {' -> '.join([*trail, dep])}"
            walk(dep, [*trail, dep])

    for module in graph:
        walk(module, [module])
