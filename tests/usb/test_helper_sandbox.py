"""The helper runs under its unit's sandbox (systemd/yishi-usb@.service), which the host tests do
not reproduce (PID 1 here is not systemd). One of its rules broke the helper in the booted image
and nowhere else: RestrictSUIDSGID= answers any request for a set-user-id or set-group-id bit
with EPERM, and the helper's chmod to 02770 ended it before its first state. This test reads the
helper's source and fails on any mode with such a bit passed to chmod, mkdir or open; shared
folders get the setgid bit by inheritance from the folders tmpfiles.d makes (2770)."""

import ast
import pathlib

HELPER = pathlib.Path(__file__).resolve().parents[2] / "appliance" / "usb" / "helper.py"
UNIT = pathlib.Path(__file__).resolve().parents[2] / "systemd" / "yishi-usb@.service"
CALLS = {"chmod", "fchmod", "lchmod", "mkdir", "makedirs", "open", "mknod"}


def set_id_modes(source):
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CALLS:
            for arg in list(node.args) + [k.value for k in node.keywords if k.arg == "mode"]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, int) and arg.value & 0o6000:
                    found.append(f"line {node.lineno}: {node.func.attr}(..., {oct(arg.value)})")
    return found


def test_the_unit_still_forbids_set_id_bits():
    assert "RestrictSUIDSGID=yes" in UNIT.read_text()


def test_the_helper_never_asks_for_a_set_id_bit():
    assert not set_id_modes(HELPER.read_text())


def test_the_check_finds_what_broke_the_booted_helper():
    assert set_id_modes("import os\nos.chmod(folder, 0o2770)\n") == ["line 2: chmod(..., 0o2770)"]
    assert set_id_modes("import os\nos.fchmod(fd, 0o770)\n") == []
