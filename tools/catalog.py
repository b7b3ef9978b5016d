"""Keep an area's zh_CN catalogue in step with the source: extract, merge, report untranslated.

    python tools/catalog.py AREA [PATHS...]    # e.g. core appliance/devices webui/templates/devices

Writes webui/translations/AREA/zh/LC_MESSAGES/messages.po (keeping existing translations)
and compiles the .mo beside it. Translations are added by editing the .po file.
"""

import os
import subprocess
import sys
import tempfile

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def po_path(area):
    return os.path.join(ROOT, "webui", "translations", area, "zh", "LC_MESSAGES", "messages.po")


def compile_area(area):
    po = po_path(area)
    with open(po, "rb") as f:
        cat = read_po(f, locale="zh_CN")
    with open(po[:-3] + ".mo", "wb") as f:
        write_mo(f, cat, use_fuzzy=False)
    return cat


def extract(area, paths):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "babel.cfg")
        with open(cfg, "w") as f:
            f.write("[python: **.py]\n[jinja2: **.html]\n")
        pot = os.path.join(tmp, "messages.pot")
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", cfg, "-k", "_l", "-k", "lazy_gettext",
             "--no-location", "--omit-header", "-o", pot, *paths],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )
        with open(pot, "rb") as f:
            template = read_po(f)
    po = po_path(area)
    if os.path.exists(po):
        with open(po, "rb") as f:
            cat = read_po(f, locale="zh_CN")
        cat.update(template, no_fuzzy_matching=True)
    else:
        os.makedirs(os.path.dirname(po), exist_ok=True)
        cat = template
        cat.locale = "zh_CN"
    with open(po, "wb") as f:
        write_po(f, cat, omit_header=False, sort_output=True, include_previous=False, width=0, no_location=True)
    missing = [m.id for m in cat if m.id and not m.string]
    compile_area(area)
    return missing


if __name__ == "__main__":
    area, *paths = sys.argv[1:]
    missing = extract(area, paths) if paths else []
    if not paths:
        compile_area(area)
    for m in missing:
        print("untranslated:", m)
    sys.exit(1 if missing else 0)
