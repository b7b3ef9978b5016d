"""The translation areas are merged into one catalogue (appliance/i18n.py), so a msgid that two
areas translate differently shows one area's words in the other's page (issue 14: the meetings
list's "Open" read 进行中). This fails when that happens, and checks Chinese punctuation."""

import glob
import os
import re

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def catalogues():
    for po in sorted(glob.glob(os.path.join(ROOT, "webui", "translations", "*", "zh", "LC_MESSAGES", "messages.po"))):
        area = po.split(os.sep)[-4]
        with open(po, "rb") as f:
            yield area, read_po(f, locale="zh_CN")


def _key(m):
    return (m.context or "", m.id if isinstance(m.id, str) else m.id[0])


def test_no_msgid_has_two_translations_across_areas():
    seen, clashes = {}, []
    for area, cat in catalogues():
        for m in cat:
            if not m.id or not m.string:
                continue
            text = m.string if isinstance(m.string, str) else m.string[0]
            k = _key(m)
            if k in seen and seen[k][1] != text:
                clashes.append(f"{k[1]!r}: {seen[k][0]} {seen[k][1]!r} / {area} {text!r}")
            seen.setdefault(k, (area, text))
    assert not clashes, "\n".join(clashes)


def test_every_area_is_found_and_the_check_can_fail():
    areas = [a for a, _ in catalogues()]
    assert {"core", "meetings", "office", "ux"} <= set(areas)
    # the check itself on two catalogues that disagree
    from babel.messages.catalog import Catalog
    a, b = Catalog(locale="zh_CN"), Catalog(locale="zh_CN")
    a.add("Open", "打开")
    b.add("Open", "进行中")
    assert _key(next(m for m in a if m.id)) == _key(next(m for m in b if m.id))


HALF_WIDTH_AFTER_HAN = re.compile(r"[\u4e00-\u9fff][:;?!,](?=\s|$|[\u4e00-\u9fff%])")


def test_chinese_text_uses_full_width_punctuation():
    bad = []
    for area, cat in catalogues():
        for m in cat:
            text = m.string if isinstance(m.string, str) else (m.string[0] if m.string else "")
            if text and HALF_WIDTH_AFTER_HAN.search(text):
                bad.append(f"{area}: {text!r}")
    assert not bad, "\n".join(bad)
