"""The printable sheets of the paper fallback: ballot sheets (表决票, one page per issued serial)
and the roll-call sheet (点名签到表). Drawn with the minutes' machinery (appliance/meetings/
minutes.py: reportlab, the embedded CJK TrueType font), so they print the same everywhere and
`pdftotext` reads them back.
"""

import io
import time

from appliance.errors import Conflict
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, minutes, polls, scrutiny

MARGIN = 56


def _canvas(title, font):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    # The initial font too is ours: reportlab's default Helvetica would be a font not embedded.
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)
    c.setTitle(title)
    return buf, c, A4


def _text(c, font, size, x, y, text, max_width=None, centre=False):
    """Draw wrapped text from (x, y) downwards; returns the y below it."""
    for line in minutes._wrap(text, font, size, max_width) if max_width else [text]:
        c.setFont(font, size)
        if centre:
            c.drawCentredString(x, y, line)
        else:
            c.drawString(x, y, line)
        y -= size * 1.6
    return y


def ballot_sheets_pdf(store, poll_id):
    """Every issued sheet of the poll, one per page, in serial order."""
    p = polls.get(store, poll_id)
    issued = scrutiny.sheets(store, poll_id)
    if not issued:
        raise Conflict("no_sheets", _l("No ballot sheets have been issued for this vote yet. Issue them first."))
    m = core.get(store, p["meeting_id"])
    it = core.item(store, p["item_id"])
    spec = scrutiny.sheet(store, p)
    font = minutes._font()
    buf, c, (width, height) = _canvas(f"{m['title']} {spec.heading} {p['title']}", font)
    usable = width - 2 * MARGIN
    for s in issued:
        y = height - MARGIN
        c.setFont(font, 10)
        c.drawRightString(width - MARGIN, y, f"编号：{s['serial']}")
        y -= 28
        y = _text(c, font, 14, width / 2, y, m["title"], centre=True)
        y = _text(c, font, 24, width / 2, y - 6, spec.heading, centre=True) - 6
        y = _text(c, font, 12, MARGIN, y, f"议程 {it['position']}：{it['title']}", usable)
        y = _text(c, font, 12, MARGIN, y, f"表决事项：{p['title']}", usable)
        y = _text(c, font, 11, MARGIN, y, f"通过规则：{minutes.RULE_TEXT[p['rule']]}通过　表决方式：{minutes.MODE_TEXT[p['mode']]}",
                  usable)
        if spec.seats:
            y = _text(c, font, 12, MARGIN, y, f"应选 {spec.seats} 名", usable)
        y -= 10
        for line in spec.lines:
            box = 22
            label_w = usable * 0.45
            c.setLineWidth(0.8)
            c.rect(MARGIN, y - 46, usable, 58)
            lines = minutes._wrap(line.label, font, 12, label_w - 12)[:3]
            ly = y - 8
            for t in lines:
                c.setFont(font, 12)
                c.drawString(MARGIN + 8, ly, t)
                ly -= 16
            step = (usable - label_w) / max(len(line.choices), 1)
            for n, choice in enumerate(line.choices):
                cx = MARGIN + label_w + step * n + step / 2
                c.setFont(font, 12)
                c.drawCentredString(cx, y - 6, choice)
                c.rect(cx - box / 2, y - 40, box, box)
            y -= 70
        y -= 6
        y = _text(c, font, 11, MARGIN, y, "填写说明：", usable)
        for t in spec.instructions:
            y = _text(c, font, 11, MARGIN + 12, y, t, usable - 12)
        c.setFont(font, 10)
        c.drawString(MARGIN, MARGIN, f"表决票编号 {s['serial']}（第 {s['number']} 张，共 {len(issued)} 张）　本票由监票人清点、计票")
        c.showPage()
    c.save()
    return buf.getvalue()


def roll_call_pdf(store, meeting_id):
    """点名签到表: every member expected, by seat, with a column to sign; 应到/实到/请假 to fill in."""
    m = core.get(store, meeting_id)
    att = core.attendance(store, meeting_id)
    members = [r for r in core.roster(store, meeting_id) if r["capacity"] == "member"]
    font = minutes._font()
    buf, c, (width, height) = _canvas(f"{m['title']} 点名签到表", font)
    usable = width - 2 * MARGIN
    cols = (MARGIN, MARGIN + 50, MARGIN + 170, MARGIN + usable - 110, MARGIN + usable)  # seat | name | signature | note
    row_h = 20

    def header(first):
        y = height - MARGIN
        y = _text(c, font, 16, width / 2, y, m["title"], centre=True)
        y = _text(c, font, 20, width / 2, y - 4, "点名签到表" + ("" if first else "（续）"), centre=True)
        y = _text(c, font, 11, MARGIN, y, f"{minutes.KIND_TEXT[m['kind']]}　时间：{time.strftime('%Y-%m-%d %H:%M', time.localtime(m['starts_at']))}"
                                          f"　地点：{m['room'] or '—'}", usable)
        y -= 4
        c.setFont(font, 11)
        for x, t in zip(cols, ("座位", "姓名", "签名", "备注")):
            c.drawString(x + 6, y - 14, t)
        c.line(MARGIN, y, MARGIN + usable, y)
        c.line(MARGIN, y - row_h, MARGIN + usable, y - row_h)
        return y - row_h

    y = header(True)
    top = y + row_h
    for r in members:
        if y - row_h < MARGIN + 110:
            for x in cols:
                c.line(x, top, x, y)
            c.showPage()
            y = header(False)
            top = y + row_h
        c.setFont(font, 11)
        c.drawString(cols[0] + 6, y - 14, str(r["seat"]) if r["seat"] else "")
        c.drawString(cols[1] + 6, y - 14, r["name"])
        if r["status"] == "excused":
            c.setFont(font, 9)
            c.drawString(cols[3] + 6, y - 14, ("请假：" + (r["reason"] or ""))[:12])
        y -= row_h
        c.line(MARGIN, y, MARGIN + usable, y)
    for x in cols:
        c.line(x, top, x, y)
    y -= 26
    y = _text(c, font, 12, MARGIN, y, f"应到 {att.membership} 人　　实到 ______ 人　　请假 ______ 人　　缺席 ______ 人", usable)
    y = _text(c, font, 11, MARGIN, y, f"法定人数：全体组成人员的过半数，需 {att.quorum_needed} 人。"
                                      f"（系统记录：实到 {att.present} 人，请假 {att.excused} 人，打印于 {time.strftime('%Y-%m-%d %H:%M')}）", usable)
    y -= 10
    _text(c, font, 12, MARGIN, y, "监票人签名：____________　____________　　会务人员签名：____________", usable)
    c.showPage()
    c.save()
    return buf.getvalue()
