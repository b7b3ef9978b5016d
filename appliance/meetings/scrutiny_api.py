"""The paper fallback's JSON API: switch a poll to paper, designate the scrutineers (监票人),
issue and print the sheets, and the scrutineers' double entry of the tally. Thin: the rules are
in appliance/meetings/scrutiny.py."""

from flask import Blueprint, Response, g, jsonify

from appliance.errors import Forbidden
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import confidential, core, notify, polls, result_words, scrutiny, scrutiny_pdf
from appliance.rules.lockout import LockoutPolicy
from appliance.web import auth
from appliance.web.apispec import ID_SCHEMA, api_route, json_body

bp = Blueprint("scrutiny_api", __name__, url_prefix="/api/v1")
STAFF = core.STAFF_ROLES
CONSOLE = core.CONSOLE_ROLES

COUNTS = {"type": "object", "maxProperties": 200, "propertyNames": {"pattern": "^[a-z0-9_:.-]{1,60}$"},
          "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100000}}
PEOPLE = {"type": "array", "items": ID_SCHEMA, "maxItems": 100}
STATE = {"type": "object", "properties": {
    "poll": {"type": "integer"}, "on_paper": {"type": "boolean"}, "accepted": {"type": "boolean"}, "round": {"type": ["integer", "null"]},
    "mismatch": {"type": "array", "items": {"type": "string"}}, "present": {"type": "integer"}, "sheets": {"type": "integer"},
    "scrutineers": {"type": "array"}, "entries": {"type": "array"}, "counters": {"type": "array"}}}
PDF = {"type": "string", "format": "binary"}


def _follow(meeting_id):
    st = auth.store()
    if not core.may_follow(st, g.person, meeting_id):
        raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))


def _state(poll_id):
    st = auth.store()
    out = scrutiny.state(st, poll_id, g.person)
    r = polls.result(st, poll_id)
    out["result"] = {**r.to_json(), **result_words.payload(r)} if r else None
    labels = {c["name"]: c["label"] for c in out["counters"]}
    out["mismatch_labels"] = [labels.get(n, n) for n in out["mismatch"]]
    return out


def _changed(poll_id, meeting_id):
    """Every page of the meeting hears that the paper count moved on (never the counts)."""
    s = scrutiny.state(auth.store(), poll_id)
    data = {"poll": poll_id, "round": s["round"], "entries": len(s["entries"]), "mismatch": s["mismatch"], "accepted": s["accepted"]}
    item = auth.store().scalar("SELECT item_id FROM polls WHERE id = ?", (poll_id,))
    notify._pub(notify.item_topic(auth.store(), item, meeting_id), "paper.changed", data)  # a confidential item's: members only


def _pdf(blob, name):
    from urllib.parse import quote

    return Response(blob, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name, safe='')}", "Cache-Control": "no-store"})


@api_route(bp, "/polls/<int:poll_id>/paper", "GET", "The paper fallback of a poll: scrutineers, sheets, entries (never their counts)",
           response=STATE)
def paper_state(poll_id):
    p = confidential.poll_for(auth.store(), g.person, poll_id)  # a hidden item's poll does not exist for an attendee
    _follow(p["meeting_id"])
    return jsonify(_state(poll_id))


@api_route(bp, "/polls/<int:poll_id>/to-paper", "POST", "Switch a poll to paper ballots counted by the scrutineers, with a reason",
           roles=CONSOLE, response=STATE,
           body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "maxLength": 200}}})
def switch_to_paper(poll_id):
    st = auth.store()
    p, opened = scrutiny.switch_to_paper(st, g.person.id, poll_id, json_body().get("reason"))
    if opened:
        notify.poll_opened(st, p)
    notify.poll_progress(st, poll_id, p["meeting_id"])
    _changed(poll_id, p["meeting_id"])
    return jsonify(_state(poll_id))


@api_route(bp, "/meetings/<int:meeting_id>/scrutineers", "GET", "The scrutineers designated for the meeting and for single polls",
           roles=STAFF, response={"type": "object", "properties": {"meeting": {"type": "array"}, "polls": {"type": "object"}}})
def list_scrutineers(meeting_id):
    st = auth.store()
    core.get(st, meeting_id)
    rows = scrutiny.meeting_scrutineers(st, meeting_id)
    person = lambda r: {"id": r["id"], "name": r["name"], "seat": r["seat"]}  # noqa: E731
    by_poll = {}
    for r in rows:
        if r["poll_id"]:
            by_poll.setdefault(str(r["poll_id"]), []).append(person(r))
    return jsonify({"meeting": [person(r) for r in rows if not r["poll_id"]], "polls": by_poll})


@api_route(bp, "/meetings/<int:meeting_id>/scrutineers/designate", "POST",
           "Designate the scrutineers (at least two, from the meeting's list) for the meeting, or for one poll", roles=CONSOLE,
           body={"type": "object", "required": ["people"], "properties": {"people": PEOPLE, "poll": ID_SCHEMA}},
           response={"type": "object", "properties": {"people": PEOPLE}})
def designate(meeting_id):
    data = json_body()
    st = auth.store()
    ids = scrutiny.designate(st, g.person.id, meeting_id, data.get("people"), data.get("poll"))
    for p in polls.for_meeting(st, meeting_id):
        if scrutiny.paper(st, p["id"]) is not None and p["status"] != "closed":
            _changed(p["id"], meeting_id)
    return jsonify({"people": ids})


@api_route(bp, "/polls/<int:poll_id>/sheets", "POST", "Issue ballot sheets, each with its own serial (default: one per member present)",
           roles=STAFF, body={"type": "object", "properties": {"count": {"type": "integer", "minimum": 1, "maximum": scrutiny.MAX_SHEETS}}},
           response={"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "url": {"type": "string"}}})
def issue_sheets(poll_id):
    st = auth.store()
    first, last = scrutiny.issue_sheets(st, g.person.id, poll_id, json_body().get("count"))
    p = polls.get(st, poll_id)
    if scrutiny.paper(st, poll_id) is not None:
        _changed(poll_id, p["meeting_id"])
    return jsonify({"from": first, "to": last, "sheets": last, "url": f"/api/v1/polls/{poll_id}/sheets.pdf"})


@api_route(bp, "/polls/<int:poll_id>/sheets.pdf", "GET", "The issued ballot sheets as a PDF, one page per serial", roles=STAFF,
           response=PDF, media_type="application/pdf")
def sheets_pdf(poll_id):
    st = auth.store()
    p = polls.get(st, poll_id)
    return _pdf(scrutiny_pdf.ballot_sheets_pdf(st, poll_id), f"{p['title']}-表决票.pdf")


@api_route(bp, "/meetings/<int:meeting_id>/roll-call.pdf", "GET", "The roll-call sheet (点名签到表) as a PDF", roles=STAFF,
           response=PDF, media_type="application/pdf")
def roll_call_pdf(meeting_id):
    st = auth.store()
    m = core.get(st, meeting_id)
    return _pdf(scrutiny_pdf.roll_call_pdf(st, meeting_id), f"{m['title']}-点名签到表.pdf")


@api_route(bp, "/polls/<int:poll_id>/tally", "POST",
           "A scrutineer's entry of the hand count, with their PIN; accepted when two scrutineers' entries agree",
           body={"type": "object", "required": ["counts", "pin"], "properties": {
               "counts": COUNTS, "pin": {"type": "string", "maxLength": 64}, "scrutineer": ID_SCHEMA}},
           response={"type": "object", "properties": {"status": {"enum": ["waiting", "mismatch", "accepted"]},
                                                      "differ": {"type": "array", "items": {"type": "string"}},
                                                      "round": {"type": "integer"}, "message": {"type": "string"}}})
def enter_tally(poll_id):
    data = json_body()
    st = auth.store()
    p = confidential.poll_for(st, g.person, poll_id)
    cfg = auth.appliance().config
    out = scrutiny.enter(st, g.person, poll_id, data.get("counts"), data.get("pin"), data.get("scrutineer"),
                         LockoutPolicy(cfg.pin_attempts, cfg.lockout_seconds), g.device["id"] if g.device else None)
    labels = {c.name: str(c.label) for c in scrutiny.counters(st, p)}
    body = {"status": out.status, "differ": list(out.differ), "round": out.round}
    if out.status == "waiting":
        body["message"] = _("Your count is entered. It is accepted when another scrutineer's entry agrees with it.")
    elif out.status == "mismatch":
        body["message"] = _("The two entries differ in: %(counts)s. Nothing was counted. Count the sheets again; both scrutineers enter again.",
                            counts="、".join(labels[n] for n in out.differ))
    else:
        body["message"] = _("The two entries agree. The count is accepted and the vote is closed.")
        body["result"] = {**out.result.to_json(), **result_words.payload(out.result)}
        notify.poll_closed(st, out.result, p["meeting_id"])
    _changed(poll_id, p["meeting_id"])
    return jsonify(body)
