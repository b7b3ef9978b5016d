"""The API and pages of 请假 and the attendance ledger (履职档案). Registered on the meeting
room's blueprints (imported at the end of appliance/meetings/api.py and views.py)."""

import datetime
from urllib.parse import quote

from flask import Response, g, jsonify, redirect, render_template, request, url_for

from appliance.i18n import lazy_gettext as _l
from appliance.meetings import ledger, ledger_pdf, leave, notify
from appliance.meetings.api import bp
from appliance.meetings.views import bp as pages
from appliance.web import auth
from appliance.web.apispec import api_route, json_body
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS
from appliance.web.params import to_int

APPROVERS = leave.APPROVER_ROLES
YEAR_QUERY = {"year": {"type": "integer"}}
REQUEST = {"type": "object", "properties": {k: {"type": t} for k, t in (
    ("id", "integer"), ("person", "integer"), ("name", "string"), ("status", "string"), ("status_label", "string"),
    ("reason", "string"), ("meeting", ["integer", "null"]), ("meeting_title", ["string", "null"]),
    ("from_day", ["string", "null"]), ("to_day", ["string", "null"]), ("note", ["string", "null"]))}}
TALLY = {"type": "object", "properties": {k: {"type": "integer"} for k in ("held", *ledger.OUTCOMES)}}

HOME_LINKS.append((None, "meetings.leave_page", _l("Leave of absence")))
HOME_LINKS.append((APPROVERS, "meetings.leave_review_page", _l("Leave requests to decide")))
HOME_LINKS.append((None, "meetings.attendance_page", _l("Attendance record")))


def _year():
    y = g.query.get("year") if g.get("query") else None
    return ledger.check_year(datetime.date.today().year if y is None else y)


def _rows_for(person, year):
    if person.has(*ledger.VIEW_ALL_ROLES):
        return ledger.ledger(auth.store(), year)
    return ledger.ledger(auth.store(), year, only=person.id)


def _download(data, mime, filename):
    return Response(data, mimetype=mime, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}", "Cache-Control": "no-store"})


# -- 请假 -------------------------------------------------------------------------------------

@api_route(bp, "/leave", "GET", "My leave requests, and the meetings I may still ask leave for",
           response={"type": "object", "properties": {"requests": {"type": "array", "items": REQUEST}, "meetings": {"type": "array"}}})
def my_leave():
    st = auth.store()
    return jsonify({"requests": [leave.to_json(r) for r in leave.mine(st, g.person.id)],
                    "meetings": [{"id": m["id"], "title": m["title"], "starts_at": m["starts_at"], "status": m["status"]}
                                 for m in leave.open_meetings_for(st, g.person.id)]})


@api_route(bp, "/leave", "POST", "Ask for leave (请假): a reason, and one meeting or the first and last day",
           body={"type": "object", "required": ["reason"], "properties": {
               "reason": {"type": "string", "maxLength": 1000}, "meeting": {"type": "integer", "minimum": 1},
               "from_day": {"type": "string", "maxLength": 20}, "to_day": {"type": "string", "maxLength": 20}}},
           response={"type": "object", "properties": {"id": {"type": "integer"}, "request": REQUEST}})
def ask_leave():
    data = json_body()
    st = auth.store()
    rid = leave.ask(st, g.person, data.get("reason"), meeting_id=data.get("meeting"),
                    from_day=data.get("from_day"), to_day=data.get("to_day"))
    notify.leave(st, g.person.id, rid, "pending")
    return jsonify({"id": rid, "request": leave.to_json(leave.get(st, rid))})


@api_route(bp, "/leave/<int:request_id>/withdraw", "POST", "Withdraw my leave request while it is undecided", response=REQUEST)
def withdraw_leave(request_id):
    st = auth.store()
    leave.withdraw(st, g.person, request_id)
    notify.leave(st, g.person.id, request_id, "withdrawn")
    return jsonify(leave.to_json(leave.get(st, request_id)))


@api_route(bp, "/leave/review", "GET", "Leave requests for the director (主任) or the secretary to decide", roles=APPROVERS,
           query={"status": {"enum": list(leave.STATUSES)}, "meeting": {"type": "integer", "minimum": 1}},
           response={"type": "object", "properties": {"requests": {"type": "array", "items": REQUEST}}})
def review_leave():
    rows = leave.for_review(auth.store(), g.query.get("status"), g.query.get("meeting"))
    return jsonify({"requests": [{**leave.to_json(r), "mine": r["person_id"] == g.person.id} for r in rows]})


@api_route(bp, "/leave/<int:request_id>/decide", "POST", "Approve or decline a leave request, with an optional note", roles=APPROVERS,
           body={"type": "object", "required": ["decision"], "properties": {
               "decision": {"enum": ["approve", "decline"]}, "note": {"type": "string", "maxLength": 1000}}},
           response={"type": "object", "properties": {"request": REQUEST, "meetings": {"type": "array", "items": {"type": "integer"}}}})
def decide_leave(request_id):
    data = json_body()
    st = auth.store()
    meetings = leave.decide(st, g.person, request_id, data["decision"] == "approve", data.get("note"))
    row = leave.get(st, request_id)
    notify.leave(st, row["person_id"], request_id, row["status"], meetings)
    return jsonify({"request": leave.to_json(row), "meetings": meetings})


# -- the ledger and the 履职档案 -------------------------------------------------------------

@api_route(bp, "/attendance", "GET", "The attendance ledger of a year (staff: every member; a member: their own)",
           query=YEAR_QUERY, response={"type": "object", "properties": {
               "year": {"type": "integer"}, "late_grace_minutes": {"type": "integer"},
               "members": {"type": "array", "items": {"type": "object", "properties": {
                   "id": {"type": "integer"}, "name": {"type": "string"}, "tally": TALLY}}}}})
def attendance_ledger():
    year = _year()
    rows = _rows_for(g.person, year)
    return jsonify({"year": year, "late_grace_minutes": ledger.grace_minutes(auth.store()),
                    "members": [{"id": p["id"], "name": p["name"], "seat": p["seat"], "tally": t.to_json()} for p, t in rows]})


@api_route(bp, "/attendance.csv", "GET", "The attendance ledger as CSV (UTF-8 with BOM, for WPS and Excel)", query=YEAR_QUERY,
           response={"type": "string"}, media_type="text/csv")
def attendance_csv():
    year = _year()
    return _download(ledger.ledger_csv(_rows_for(g.person, year), year), "text/csv; charset=utf-8", f"出席情况-{year}.csv")


@api_route(bp, "/attendance.pdf", "GET", "The attendance ledger as PDF", query=YEAR_QUERY,
           response={"type": "string", "format": "binary"}, media_type="application/pdf")
def attendance_pdf():
    year = _year()
    pdf = ledger_pdf.ledger_pdf(auth.store(), year, _rows_for(g.person, year), auth.appliance().settings.committee)
    return _download(pdf, "application/pdf", f"出席情况-{year}.pdf")


@api_route(bp, "/attendance/settings", "POST", "Set the grace after a meeting's start before a sign-in counts as late",
           roles=("secretary", "admin"),
           body={"type": "object", "required": ["late_grace_minutes"], "properties": {"late_grace_minutes": {"type": "integer"}}},
           response={"type": "object", "properties": {"late_grace_minutes": {"type": "integer"}}})
def attendance_settings():
    ledger.set_grace_minutes(auth.store(), g.person.id, json_body().get("late_grace_minutes"))
    return jsonify({"late_grace_minutes": ledger.grace_minutes(auth.store())})


def _record_person(person_id):
    ledger.may_see(g.person, person_id)
    if auth.store().one("SELECT 1 FROM people WHERE id = ?", (person_id,)) is None:
        from appliance.errors import NotFound

        raise NotFound("no_person", _l("No such person."))


@api_route(bp, "/people/<int:person_id>/record", "GET", "A member's record of duties (履职档案) for a year: never a secret poll's choice",
           query=YEAR_QUERY, response={"type": "object", "properties": {
               "year": {"type": "integer"}, "tally": TALLY, "meetings": {"type": "array"}, "polls": {"type": "array"},
               "speeches": {"type": "array"}}})
def member_record(person_id):
    _record_person(person_id)
    return jsonify(ledger.record(auth.store(), person_id, _year()))


@api_route(bp, "/people/<int:person_id>/record.pdf", "GET", "A member's 履职档案 as PDF", query=YEAR_QUERY,
           response={"type": "string", "format": "binary"}, media_type="application/pdf")
def member_record_pdf(person_id):
    _record_person(person_id)
    year = _year()
    pdf = ledger_pdf.record_pdf(auth.store(), person_id, year, auth.appliance().settings.committee)
    return _download(pdf, "application/pdf", f"履职档案-{person_id}-{year}.pdf")


# -- pages ------------------------------------------------------------------------------------

def _page_year():
    y = to_int(request.args.get("year"))
    return ledger.check_year(datetime.date.today().year if y is None else y)


@pages.get("/leave")
@page_login_required()
def leave_page():
    st = auth.store()
    return render_template("meetings/leave.html", requests=leave.mine(st, g.person.id), meetings=leave.open_meetings_for(st, g.person.id),
                           chosen=to_int(request.args.get("meeting")), statuses=leave.STATUS_LABELS,
                           approver=g.person.has(*APPROVERS))


@pages.get("/leave/review")
@page_login_required(*APPROVERS)
def leave_review_page():
    st = auth.store()
    return render_template("meetings/leave_review.html", requests=leave.for_review(st), statuses=leave.STATUS_LABELS)


@pages.get("/attendance")
@page_login_required()
def attendance_page():
    if not g.person.has(*ledger.VIEW_ALL_ROLES):
        return redirect(url_for("meetings.record_page", person_id=g.person.id, year=request.args.get("year")))
    year = _page_year()
    return render_template("meetings/attendance.html", year=year, rows=_rows_for(g.person, year),
                           grace=ledger.grace_minutes(auth.store()), can_set=g.person.has("secretary", "admin"))


@pages.get("/attendance/<int:person_id>")
@page_login_required()
def record_page(person_id):
    _record_person(person_id)
    year = _page_year()
    return render_template("meetings/record.html", year=year, record=ledger.record(auth.store(), person_id, year),
                           outcomes=ledger.OUTCOME_LABELS, staff=g.person.has(*ledger.VIEW_ALL_ROLES))
