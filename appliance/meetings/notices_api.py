"""The API and pages of 会议通知 / 回执 (appliance/meetings/notices.py). Registered on the meeting
room's blueprints (imported at the end of appliance/meetings/api.py).

Live events, all through `publish()`: `notice` to `person:<id>` when a notice (or a reminder)
reaches someone or their reply changed on another device; `notice.reply` to the office's roles
when anyone replied, so the office's list redraws itself.
"""

import json
import time
from urllib.parse import quote

from flask import Response, current_app, g, jsonify, redirect, render_template, url_for

from appliance.errors import NotFound
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, leave, minutes, notices, notify
from appliance.meetings.api import bp
from appliance.meetings.views import bp as pages
from appliance.web import auth
from appliance.web.apispec import api_route, json_body
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS
from appliance.web.events import broadcaster

OFFICE = core.STAFF_ROLES
HOME_LINKS.append((OFFICE, "meetings.notices_page", _l("Meeting notices")))

NOTICE = {"type": "object", "properties": {
    "meeting": {"type": "integer"}, "title": {"type": "string"}, "version": {"type": "integer"}, "asks_from": {"type": "integer"},
    "starts_at": {"type": "number"}, "when": {"type": "string"}, "place": {"type": "string"}, "extra": {"type": "string"},
    "agenda": {"type": "array", "items": {"type": "object", "properties": {"position": {"type": "integer"}, "title": {"type": "string"}}}},
    "sent_at": {"type": "number"}}}
REPLY_ROW = {"type": "object", "properties": {
    "person": {"type": "integer"}, "name": {"type": "string"}, "capacity": {"enum": ["member", "attendee"]},
    "choice": {"enum": ["attend", "leave", None]}, "reason": {"type": ["string", "null"]}, "replied_at": {"type": ["number", "null"]},
    "leave_request": {"type": ["integer", "null"]}, "leave_status": {"type": ["string", "null"]},
    "reminded_at": {"type": ["number", "null"]}, "reminders": {"type": "integer"}}}
COUNTS = {"type": "object", "properties": {k: {"type": "integer"} for k in ("recipients", "replied", "attend", "leave", "none")}}


def _pub(topic, event, data):
    return broadcaster(current_app).publish(topic, event, data)


def _to_office(meeting_id, data):
    for role in OFFICE:
        _pub(f"role:{role}", "notice.reply", {"meeting": meeting_id, **data})


def _notice_json(version_row, meeting, agenda):
    return {"meeting": meeting["id"], "title": meeting["title"], "version": version_row["version"], "asks_from": version_row["asks_from"],
            "starts_at": version_row["starts_at"], "when": notices.when_text(version_row["starts_at"]), "place": version_row["place"],
            "extra": version_row["extra"], "agenda": [{"position": i["position"], "title": i["title"]} for i in agenda],
            "sent_at": version_row["sent_at"]}


def _office_state(meeting_id):
    st = auth.store()
    m = core.get(st, meeting_id)
    cur = notices.current(st, meeting_id)
    rows = notices.replies(st, meeting_id)
    return {"notice": _notice_json(cur, m, json.loads(cur["agenda"])) if cur else None, "replies": rows, "counts": notices.counts(rows)}


def _may_read(meeting_id):
    """A notice is read by its recipients and by the office; to anyone else it does not exist."""
    st = auth.store()
    core.get(st, meeting_id)
    n = notices.for_person(st, g.person, meeting_id)
    if n is None and not g.person.has(*OFFICE):
        raise NotFound("no_notice", _l("There is no notice of this meeting for you."))
    return n


# -- the office ------------------------------------------------------------------------------

@api_route(bp, "/meetings/<int:meeting_id>/notice", "GET", "The meeting's notice (会议通知): as the office sees it, with every reply; "
           "as a recipient, their own notice and reply",
           response={"type": "object", "properties": {"notice": NOTICE, "replies": {"type": "array", "items": REPLY_ROW}, "counts": COUNTS,
                                                      "reply": {"type": ["object", "null"]}}})
def get_notice(meeting_id):
    n = _may_read(meeting_id)
    if g.person.has(*OFFICE):
        return jsonify(_office_state(meeting_id))
    rep = n["reply"]
    return jsonify({"notice": _notice_json(n["version"], n["meeting"], n["agenda"]), "capacity": n["capacity"],
                    "reply": None if rep is None else {"choice": rep["choice"], "reason": rep["reason"], "version": rep["version"],
                                                       "replied_at": rep["replied_at"], "leave_request": rep["leave_request_id"],
                                                       "leave_status": rep["leave_status"]},
                    "replied": n["replied"], "asked_again": n["asked_again"], "updated": n["updated"], "open": n["open"]})


@api_route(bp, "/meetings/<int:meeting_id>/notice/send", "POST", "Send the notice to everyone expected (members and non-voting attendees); "
           "sent again only when changed, as a new version (a new time or place asks everyone again)", roles=OFFICE,
           body={"type": "object", "properties": {"place": {"type": "string", "maxLength": 2000}, "extra": {"type": "string", "maxLength": 20000}}},
           response={"type": "object", "properties": {"version": {"type": "integer"}, "recipients": {"type": "integer"},
                                                      "asked_again": {"type": "boolean"}, "message": {"type": "string"}}})
def send_notice(meeting_id):
    data = json_body()
    st = auth.store()
    version, people, asked_again = notices.send(st, g.person, meeting_id, data.get("place"), data.get("extra"))
    for pid in people:
        _pub(f"person:{pid}", "notice", {"meeting": meeting_id, "version": version, "asked_again": asked_again})
    _to_office(meeting_id, {"version": version})
    msg = _("Version %(v)d of the notice was sent to %(n)d people.", v=version, n=len(people))
    if asked_again:
        msg += _(" The time or the place changed, so everyone is asked to reply again.")
    return jsonify({"version": version, "recipients": len(people), "asked_again": asked_again, "message": msg})


@api_route(bp, "/meetings/<int:meeting_id>/notice/remind", "POST", "提醒未回执: send the notice again to those who have not replied "
           "(each at most once every few minutes)", roles=OFFICE,
           response={"type": "object", "properties": {"reminded": {"type": "array", "items": {"type": "integer"}},
                                                      "skipped": {"type": "array", "items": {"type": "integer"}}, "message": {"type": "string"}}})
def remind_notice(meeting_id):
    st = auth.store()
    due, skipped = notices.remind(st, g.person, meeting_id)
    version = notices.current(st, meeting_id)["version"]
    for pid in due:
        _pub(f"person:{pid}", "notice", {"meeting": meeting_id, "version": version, "reminder": True})
    if due:
        _to_office(meeting_id, {"reminded": len(due)})
    if due and skipped:
        msg = _("Reminded %(n)d people; %(m)d were reminded less than %(min)d minutes ago and were not sent it again.",
                n=len(due), m=len(skipped), min=notices.REMIND_GAP // 60)
    elif due:
        msg = _("Reminded %(n)d people who have not replied.", n=len(due))
    elif skipped:
        msg = _("Everyone who has not replied was reminded less than %(min)d minutes ago; nothing was sent again.", min=notices.REMIND_GAP // 60)
    else:
        msg = _("Everyone has replied; there is no one to remind.")
    return jsonify({"reminded": due, "skipped": skipped, "message": msg})


def _when_zh(ts):
    """The printed list is a Chinese document whatever the language of the page that asked for it."""
    t = time.localtime(ts)
    return f"{t.tm_year}年{t.tm_mon}月{t.tm_mday}日（星期{'一二三四五六日'[t.tm_wday]}）{t.tm_hour:02d}:{t.tm_min:02d}"


def _pdf_lines(meeting_id):
    st = auth.store()
    m = core.get(st, meeting_id)
    cur = notices.current(st, meeting_id)
    if cur is None:
        raise NotFound("no_notice", _l("No notice has been sent for this meeting yet."))
    rows = notices.replies(st, meeting_id)
    c = notices.counts(rows)
    committee = auth.appliance().settings.committee or ""
    lines = [("h1", f"{committee}{m['title']}"), ("h2", "会议通知回执情况"),
             ("p", f"时间：{_when_zh(cur['starts_at'])}　地点：{cur['place']}"),
             ("p", f"通知第 {cur['version']} 版，{time.strftime('%Y-%m-%d %H:%M', time.localtime(cur['sent_at']))} 发出，共 {c['recipients']} 人。")]
    agenda = json.loads(cur["agenda"])
    if agenda:
        lines.append(("p", "议程：" + "；".join(f"{i['position']}. {i['title']}" for i in agenda) + "。"))
    lines.append(("b", f"已回执 {c['replied']} 人：出席 {c['attend']} 人，请假 {c['leave']} 人；未回执 {c['none']} 人。"))
    lines.append(("head", ["序号", "姓名", "身份", "回执", "回执时间", "请假审批"]))
    for n, r in enumerate(rows, start=1):
        choice = {"attend": "出席", "leave": "请假", None: "未回执"}[r["choice"]]
        lines.append(("row", [n, r["name"], "组成人员" if r["capacity"] == "member" else "列席", choice,
                              time.strftime("%m-%d %H:%M", time.localtime(r["replied_at"])) if r["replied_at"] else "—",
                              {"pending": "待审批", "approved": "已批准", "declined": "未批准", "withdrawn": "已撤回"}.get(r["leave_status"], "")]))
        if r["reason"]:
            lines.append(("p", f"　　{r['name']}请假理由：{r['reason']}"))
    lines.append(("p", f"生成时间：{time.strftime('%Y-%m-%d %H:%M:%S')}（议事系统自动生成）"))
    return m, lines


@api_route(bp, "/meetings/<int:meeting_id>/notice/replies.pdf", "GET", "The list of replies as PDF, to print", roles=OFFICE,
           response={"type": "string", "format": "binary"}, media_type="application/pdf")
def notice_replies_pdf(meeting_id):
    m, lines = _pdf_lines(meeting_id)
    pdf = minutes.draw_pdf(f"{m['title']} 回执情况", lines, (0.0, 0.08, 0.26, 0.44, 0.58, 0.78))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(m['title'] + '-回执情况.pdf', safe='')}", "Cache-Control": "no-store"})


# -- the recipient ---------------------------------------------------------------------------

def _reply_message(r):
    if r.choice == "attend":
        msg = _("Your reply is sent: you will attend.")
        if r.withdrawn:
            msg += _(" Your leave request was withdrawn.")
        return msg
    if r.asked:
        return _("Your reply is sent: you ask for leave. The request is now with the director or the secretary.")
    return _("Your reply is sent: you ask for leave.")


@api_route(bp, "/meetings/<int:meeting_id>/notice/reply", "POST", "回执: reply 出席 (attend) or 请假 (leave, with a reason) to the notice; "
           "may be changed until the meeting starts",
           body={"type": "object", "required": ["choice"], "properties": {
               "choice": {"type": "string", "maxLength": 50}, "reason": {"type": ["string", "null"], "maxLength": 5000},
               "version": {"type": "integer", "minimum": 1}}},
           response={"type": "object", "properties": {"choice": {"type": "string"}, "version": {"type": "integer"},
                                                      "leave_request": {"type": ["integer", "null"]}, "message": {"type": "string"}}})
def reply_notice(meeting_id):
    data = json_body()
    st = auth.store()
    r = notices.reply(st, g.person, meeting_id, data.get("choice"), data.get("reason"), data.get("version"))
    if not r.unchanged:
        _pub(f"person:{g.person.id}", "notice", {"meeting": meeting_id, "version": r.version, "replied": r.choice})
        _to_office(meeting_id, {"person": g.person.id, "choice": r.choice})
    if r.withdrawn:
        notify.leave(st, g.person.id, r.withdrawn, "withdrawn")
    if r.asked:
        notify.leave(st, g.person.id, r.asked, "pending")
    return jsonify({"choice": r.choice, "version": r.version, "leave_request": r.linked, "message": _reply_message(r)})


@api_route(bp, "/notices", "GET", "Notices waiting for my reply (or changed since I replied)",
           response={"type": "object", "properties": {"notices": {"type": "array", "items": NOTICE}}})
def my_notices():
    return jsonify({"notices": [{**_notice_json(n["version"], n["meeting"], n["agenda"]), "updated": n["updated"],
                                 "asked_again": n["asked_again"]} for n in notices.inbox(auth.store(), g.person)]})


# -- pages ------------------------------------------------------------------------------------

def _labels():
    return {"choices": {k: str(v) for k, v in notices.CHOICE_LABELS.items()},
            "capacity": {k: str(v) for k, v in notices.CAPACITY_LABELS.items()},
            "leave": {k: str(v) for k, v in leave.STATUS_LABELS.items()}}


@pages.app_context_processor
def _inbox_for_templates():
    """`notice_inbox()` for the start page's include (webui/templates/notices/_inbox.html):
    computed only where a template asks for it."""
    def inbox():
        person = g.get("person")
        if person is None or auth.appliance().sealed:
            return None
        return notices.inbox(auth.store(), person)

    def notice_for(meeting_id):
        person = g.get("person")
        return None if person is None else notices.for_person(auth.store(), person, meeting_id)

    return {"notice_inbox": inbox, "notice_labels": _labels, "notice_for": notice_for, "notices_when": notices.when_text}


@pages.get("/notices")
@page_login_required(*OFFICE)
def notices_page():
    return render_template("notices/index.html", overview=notices.meetings_overview(auth.store()))


@pages.get("/meetings/<int:meeting_id>/notice")
@page_login_required(*OFFICE)
def notice_office_page(meeting_id):
    st = auth.store()
    m = core.get(st, meeting_id)
    cur = notices.current(st, meeting_id)
    rows = notices.replies(st, meeting_id)
    return render_template("notices/office.html", meeting=m, current=cur, draft=notices.draft(st, meeting_id), rows=rows,
                           counts=notices.counts(rows), open=not notices.started(m), gap_minutes=notices.REMIND_GAP // 60,
                           labels=_labels())


@pages.get("/meetings/<int:meeting_id>/notice/replies")
@page_login_required(*OFFICE)
def notice_replies_fragment(meeting_id):
    """The replies section alone: what the office page fetches when a reply arrives."""
    st = auth.store()
    m = core.get(st, meeting_id)
    rows = notices.replies(st, meeting_id)
    return render_template("notices/_replies.html", meeting=m, current=notices.current(st, meeting_id), rows=rows,
                           counts=notices.counts(rows), open=not notices.started(m), labels=_labels())


@pages.get("/notices/<int:meeting_id>")
@page_login_required()
def notice_page(meeting_id):
    n = _may_read(meeting_id)
    if n is None:  # the office, reading a notice it did not receive: its own page
        return redirect(url_for("meetings.notice_office_page", meeting_id=meeting_id))
    return render_template("notices/notice.html", n=n, labels=_labels())


@pages.get("/notices/inbox")
@page_login_required()
def notice_inbox_fragment():
    """The start page's notices alone: what it fetches when a `notice` event arrives."""
    return render_template("notices/_inbox_cards.html", inbox=notices.inbox(auth.store(), g.person), labels=_labels())
