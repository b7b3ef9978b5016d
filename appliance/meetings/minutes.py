"""Minutes (会议记录) as a PDF: attendance with names, every item and poll with its mode, rule,
counts and outcome, fallback notes, the head hash of the audit chain at closing, and the
fingerprint of the key that signs USB exports.

Drawn with reportlab in a TrueType CJK font from Debian (fonts-wqy-zenhei), embedded, so the
PDF reads the same on any machine and `pdftotext` gets the Chinese text back.
"""

import io
import os
import time

from appliance import timekeeping
from appliance.meetings import core, ordering, polls, result_words, sheets
from appliance.store import audit
from appliance.usb import signing

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT = "YishiCJK"

RULE_TEXT = {"majority": "全体组成人员的过半数", "two_thirds_or_more": "全体组成人员的三分之二以上", "more_than_two_thirds": "超过全体组成人员的三分之二"}
MODE_TEXT = {"secret": "无记名", "named": "记名"}
KIND_TEXT = {"standing": "常委会会议", "directors": "主任会议", "party_group": "党组会议", "other": "会议"}
ITEM_TEXT = {"bill": "议案", "regulation": "法规案", "amendment": "修正案", "appointment": "任免案", "report": "报告", "other": "其他"}
CHOICE_TEXT = {"yes": "赞成", "no": "反对", "abstain": "弃权"}


def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path in FONT_PATHS:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return FONT
    raise RuntimeError(f"no CJK TrueType font found (looked for {', '.join(FONT_PATHS)}); install fonts-wqy-zenhei")


def result_line(r):
    """赞成 X，反对 Y，弃权 Z，未表决 W — 需 K 票 — 通过 / 未通过 (a sheet poll: its lines, one per row)"""
    if getattr(r, "kind", "motion") != "motion":
        return "\n".join(r.lines)
    return result_words.motion_line(r, "zh_CN")  # the minutes are in Chinese whoever reads them


def lines(store, meeting_id):
    m = core.get(store, meeting_id)
    att = core.attendance(store, meeting_id)
    roster = core.roster(store, meeting_id)
    out = [("h1", m["title"]),
           ("p", f"{KIND_TEXT[m['kind']]}　时间：{time.strftime('%Y-%m-%d %H:%M', time.localtime(m['starts_at']))}　地点：{m['room'] or '—'}"),
           ("h2", "出席情况"),
           ("p", f"应到 {att.membership} 人，实到 {att.present} 人，请假 {att.excused} 人，缺席 {att.absent} 人；"
                 f"{'符合' if att.quorum_met else '不符合'}法定人数（需 {att.quorum_needed} 人）。")]

    def names(capacity, status):
        return "、".join(r["name"] for r in roster if r["capacity"] == capacity and r["status"] == status) or "无"

    out.append(("p", f"出席：{names('member', 'present')}"))
    excused = "、".join(f"{r['name']}（{r['reason']}）" if r["reason"] else r["name"]
                        for r in roster if r["capacity"] == "member" and r["status"] == "excused") or "无"
    out.append(("p", f"请假：{excused}"))
    out.append(("p", f"缺席：{names('member', 'expected')}"))
    out.append(("p", f"列席：{names('attendee', 'present')}"))
    proxies = [r for r in roster if r["signed_by"] and r["status"] == "present"]
    for r in proxies:
        out.append(("p", f"代签到：{r['name']}，由 {r['signed_by_name']} 代为签到，原因：{r['reason']}"))
    out.append(("h2", "议程与表决"))
    all_polls = polls.for_meeting(store, meeting_id)
    for it in core.items(store, meeting_id):
        out.append(("h3", f"{it['position']}. {it['title']}（{ITEM_TEXT[it['kind']]}）" + ("（不对列席人员公开）" if it["confidential"] else "")))
        mine = [p for p in all_polls if p["item_id"] == it["id"]]
        if not mine:
            out.append(("p", "未付表决。"))
        for p in mine:
            r = polls.result(store, p["id"])
            if r is None:
                out.append(("p", f"表决“{p['title']}”未完成（{p['status']}）。"))
                continue
            if p["kind"] != "motion":
                out.extend(sheets.minutes_lines(store, r))
                continue
            method = {"electronic": "按表决器", "hand_count": "纸质表决票"}.get(r.method, "举手表决")
            out.append(("p", f"表决：{p['title']}　方式：{MODE_TEXT[r.mode]}{method}　规则：{RULE_TEXT[r.rule]}通过"))
            out.append(("b", result_line(r)))
            if r.method == "show_of_hands":
                out.append(("p", f"注：因“{r.fallback_reason}”，本项改为举手表决，由会务人员录入结果。"))
            if r.method == "hand_count":
                from appliance.meetings import scrutiny

                out.append(("p", scrutiny.minutes_note(store, p["id"])))
            if r.mode == "named" and r.method == "electronic":
                for choice in ("yes", "no", "abstain"):
                    who = "、".join(v["name"] for v in polls.named_list(store, p["id"]) if v["choice"] == choice) or "无"
                    out.append(("p", f"{CHOICE_TEXT[choice]}：{who}"))
    out.extend(ordering.minutes_lines(store, meeting_id))
    out.append(("h2", "记录核验"))
    out.append(("p", f"审计日志链头哈希：{audit.head(store)}"))
    # The key that signs USB exports (appliance/usb/signing.py): a reader of an export compares
    # the fingerprint its verifier prints with this one, so it gets a line of its own (never wrapped).
    out.append(("p", "导出签名公钥指纹（用于核验U盘导出）："))
    out.append(("p", signing.for_store(store).fingerprint))
    out.append(("p", f"生成时间：{time.strftime('%Y-%m-%d %H:%M:%S')}（议事系统自动生成）"))
    note = timekeeping.record_note(store)
    if note:
        out.append(("b", note))
    return out


def render_pdf(store, meeting_id):
    return draw_pdf(core.get(store, meeting_id)["title"] + " 会议记录", lines(store, meeting_id))


SIZES = {"h1": 18, "h2": 14, "h3": 12, "b": 12, "p": 11, "row": 10, "head": 10}


def draw_pdf(title, lines, columns=()):
    """`lines`: (kind, text) or ("row"/"head", [cells]) drawn at `columns` (fractions of the width)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)  # no unembedded Helvetica
    width, height = A4
    margin = 56
    usable = width - 2 * margin
    y = height - margin
    c.setTitle(title)
    for kind, text in lines:
        size = SIZES[kind]
        if y < margin + size:
            c.showPage()
            y = height - margin
        c.setFont(font, size)
        if kind in ("row", "head"):
            for x, cell in zip(columns, text):
                c.drawString(margin + x * usable, y, str(cell))
            if kind == "head":
                c.line(margin, y - 3, width - margin, y - 3)
            y -= size * 1.7
            continue
        for line in _wrap(text, font, size, usable):
            if y < margin + size:
                c.showPage()
                y = height - margin
                c.setFont(font, size)
            if kind == "h1":
                c.drawCentredString(width / 2, y, line)
            else:
                c.drawString(margin, y, line)
            y -= size * 1.6
        if kind in ("h1", "h2"):
            y -= 4
    c.save()
    return buf.getvalue()


def _wrap(text, font, size, max_width):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line, out = "", []
    for ch in text:
        if stringWidth(line + ch, font, size) > max_width:
            out.append(line)
            line = ch
        else:
            line += ch
    out.append(line)
    return out


def close_meeting(store, actor_id, meeting_id, now=None):
    """Close the meeting: no poll may be open; minutes are generated and stored; materials recalled."""
    from appliance.documents import library
    from appliance.errors import Conflict
    from appliance.i18n import lazy_gettext as _l
    from appliance.meetings import materials

    now = time.time() if now is None else now
    m = core.get(store, meeting_id)
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    if polls.open_poll_of(store, meeting_id):
        raise Conflict("poll_open", _l("A vote is still open. Close it before closing the meeting."))
    with store.write() as db:
        db.execute("UPDATE meetings SET status = 'closed', signin_open = 0, closed_at = ? WHERE id = ?", (now, meeting_id))
        audit.record(db, actor_id, "meeting.close", {"meeting": meeting_id}, now)
    pdf = render_pdf(store, meeting_id)
    doc_id = library.create(store, actor_id, f"{m['title']} 会议记录", "minutes.pdf", pdf)
    with store.write() as db:
        db.execute("UPDATE meetings SET minutes_document = ? WHERE id = ?", (doc_id, meeting_id))
        audit.record(db, actor_id, "meeting.minutes", {"meeting": meeting_id, "document": doc_id}, now)
    recalled = materials.recall(store, actor_id, meeting_id, now)
    return doc_id, recalled
