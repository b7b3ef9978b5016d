"""The meeting room's JSON API: what a tablet does, and what the secretary's console does."""

import datetime

from flask import Blueprint, g, jsonify, request

from appliance import clock
from appliance.errors import Forbidden, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import confidential, core, floor, materials, minutes, notify, polls, result_words, scrutiny, sheets  # noqa: F401 (notify registers topics)
from appliance.web import auth
from appliance.web.apispec import ID_SCHEMA, api_route, field, json_body
from appliance.web.params import to_id

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1")
STAFF = core.STAFF_ROLES
CONSOLE = core.CONSOLE_ROLES

RESULT = {"type": "object", "properties": {k: {"type": t} for k, t in (
    ("poll", "integer"), ("title", "string"), ("mode", "string"), ("rule", "string"), ("method", "string"),
    ("yes", "integer"), ("no", "integer"), ("abstain", "integer"), ("not_voted", "integer"), ("needed", "integer"),
    ("passed", "boolean"), ("line", "string"))}}
ID_BODY = {"type": "object", "properties": {"id": {"type": "integer"}}}


def _follow(meeting_id):
    core.get(auth.store(), meeting_id)
    if not core.may_follow(auth.store(), g.person, meeting_id):
        raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))


def _closes_in(p):
    """Seconds left on the countdown by the server's boot clock: tablets count down from this,
    never from their own clock (which may disagree with the server's by hours)."""
    left = clock.poll_left(p)
    return None if left is None else max(0.0, round(left, 1))


def _poll_json(p, person=None):
    st = auth.store()
    out = {"id": p["id"], "item": p["item_id"], "title": p["title"], "mode": p["mode"], "rule": p["rule"],
           "status": p["status"], "method": p["method"], "closes_at": p["closes_at"],
           "closes_in": _closes_in(p)}
    if p["kind"] != "motion":
        out.update(sheets.poll_json(st, p))
    if person is not None:
        out["voted"] = polls.has_voted(st, p["id"], person.id)
    out["paper"] = p["status"] == "open" and scrutiny.paper(st, p["id"]) is not None  # counted by hand (scrutiny.py)
    r = polls.result(st, p["id"])
    if r is not None:
        out["result"] = {**r.to_json(), **result_words.payload(r)}
        out["method"] = r.method
    return out


def meeting_state(meeting_id, person):
    st = auth.store()
    m = core.get(st, meeting_id)
    me = core.participant(st, meeting_id, person.id)
    return confidential.for_person(st, person, meeting_id, {
        "meeting": {"id": m["id"], "title": m["title"], "kind": m["kind"], "starts_at": m["starts_at"], "room": m["room"],
                    "status": m["status"], "signin_open": bool(m["signin_open"]), "current_item": m["current_item"],
                    "minutes_document": m["minutes_document"]},
        "me": {"capacity": me["capacity"], "status": me["status"]} if me else None,
        "attendance": core.attendance(st, meeting_id).to_json(),
        "items": [{"id": i["id"], "position": i["position"], "title": i["title"], "kind": i["kind"], "confidential": bool(i["confidential"]),
                   "revealed": bool(i["screen_revealed_at"])} for i in core.items(st, meeting_id)],
        "materials": [{"id": r["id"], "document": r["document_id"], "title": r["title"], "item": r["item_id"], "version": r["version"],
                       "updated": r["version"] > 1, "classified": bool(r["classified"]), "published": bool(r["published_at"])}
                      for r in materials.for_meeting(st, meeting_id, person)],
        "polls": [_poll_json(p, person) for p in polls.for_meeting(st, meeting_id)],
    })


# -- tablet ----------------------------------------------------------------------------------

@api_route(bp, "/meetings", "GET", "My meetings (all meetings for staff)")
def list_meetings():
    return jsonify({"meetings": [{"id": m["id"], "title": m["title"], "kind": m["kind"], "starts_at": m["starts_at"], "status": m["status"]}
                                 for m in core.my_meetings(auth.store(), g.person)]})


@api_route(bp, "/meetings/<int:meeting_id>", "GET", "A meeting as this person sees it: agenda, materials, attendance, polls")
def meeting(meeting_id):
    _follow(meeting_id)
    return jsonify(meeting_state(meeting_id, g.person))


@api_route(bp, "/meetings/<int:meeting_id>/signin", "POST", "签到: sign in to the meeting")
def signin(meeting_id):
    st = auth.store()
    core.sign_in(st, g.person.id, meeting_id)
    return jsonify({"status": "present", "attendance": notify.attendance(st, meeting_id)})


@api_route(bp, "/polls/<int:poll_id>", "GET", "A poll, and its result once closed")
def poll(poll_id):
    p = confidential.poll_for(auth.store(), g.person, poll_id)
    _follow(p["meeting_id"])
    return jsonify(_poll_json(p, g.person))


@api_route(bp, "/polls/<int:poll_id>/ballots", "POST", "Cast a ballot (idempotent by the tablet's ballot id)",
           body={"type": "object", "required": ["ballot_id"], "properties": {
               "choice": {"enum": ["yes", "no", "abstain", "satisfied", "basically", "unsatisfied"]},
               "ballot_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
               "tracker": {"type": "string", "pattern": "^[2-9A-HJ-NP-Z]{8}$"},
               "marks": {"type": "object", "maxProperties": sheets.MAX_LINES},  # sheets: {"<line id>": "yes"|"no"|"abstain"}
               "write_ins": {"type": "array", "maxItems": sheets.MAX_LINES, "items": ID_SCHEMA}}},
           response={"type": "object", "properties": {"recorded": {"type": "boolean"}, "retry": {"type": "boolean"}}})
def cast(poll_id):
    data = json_body()
    st = auth.store()
    p = confidential.poll_for(st, g.person, poll_id)
    new = polls.cast(st, g.person, poll_id, data.get("choice"), data.get("ballot_id"), data.get("tracker"),
                     marks=data.get("marks"), write_ins=data.get("write_ins"))
    if new:
        notify.poll_progress(st, poll_id, p["meeting_id"])
    return jsonify({"recorded": True, "retry": not new})


@api_route(bp, "/polls/<int:poll_id>/trackers", "GET", "After a secret poll closes: every (tracker, choice), for verification")
def trackers(poll_id):
    st = auth.store()
    p = confidential.poll_for(st, g.person, poll_id)
    _follow(p["meeting_id"])
    return jsonify({"poll": poll_id, "ballots": [{"tracker": r["tracker"], "choice": r["choice"]} for r in polls.trackers(st, poll_id)]})


@api_route(bp, "/meetings/<int:meeting_id>/speak", "POST", "Ask to speak (发言申请)")
def speak(meeting_id):
    floor.request_to_speak(auth.store(), meeting_id, g.person)
    notify.floor(meeting_id)
    return jsonify({"ok": True})


@api_route(bp, "/meetings/<int:meeting_id>/speak/withdraw", "POST", "Withdraw my request to speak")
def speak_withdraw(meeting_id):
    floor.withdraw(auth.store(), meeting_id, g.person)
    notify.floor(meeting_id)
    return jsonify({"ok": True})


@api_route(bp, "/meetings/<int:meeting_id>/service", "POST", "Call the staff (茶水 / 技术支持)",
           body={"type": "object", "required": ["kind"], "properties": {"kind": {"enum": list(floor.SERVICE_KINDS)}}})
def service(meeting_id):
    floor.call_service(auth.store(), meeting_id, g.person, json_body().get("kind"))
    notify.floor(meeting_id)
    return jsonify({"ok": True})


# -- console ---------------------------------------------------------------------------------

def _parse_when(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    raise UserError("bad_date", _l("Enter the date and time of the meeting."), field="starts_at")


@api_route(bp, "/meetings", "POST", "Create a meeting (every member is expected)", roles=STAFF,
           body={"type": "object", "required": ["kind", "title", "starts_at"], "properties": {
               "kind": {"enum": list(core.KINDS)}, "title": {"type": "string"}, "starts_at": {"type": ["string", "number"]},
               "room": {"type": "string"}, "membership": {"type": "integer"}}},
           response=ID_BODY)
def create_meeting():
    data = json_body()
    mid = core.create(auth.store(), g.person.id, data.get("kind"), field(data, "title", max_len=200), _parse_when(data.get("starts_at")),
                      field(data, "room", required=False, max_len=100) or auth.appliance().settings.room,
                      membership=field(data, "membership", int, required=False))
    return jsonify({"id": mid})


@api_route(bp, "/meetings/<int:meeting_id>/items", "POST", "Add an agenda item", roles=STAFF,
           body={"type": "object", "required": ["title", "kind"], "properties": {
               "title": {"type": "string"}, "kind": {"enum": list(core.ITEM_KINDS)}, "amends": {"type": "integer"},
               "post": {"type": "string"}, "action": {"enum": ["appoint", "remove"]}, "confidential": {"type": "boolean"}}},
           response=ID_BODY)
def add_item(meeting_id):
    data = json_body()
    iid = core.add_item(auth.store(), g.person.id, meeting_id, field(data, "title", max_len=200), data.get("kind"),
                        field(data, "amends", int, required=False), field(data, "post", required=False, max_len=100), data.get("action"))
    if data.get("confidential"):
        confidential.set_confidential(auth.store(), g.person.id, iid, True)
    return jsonify({"id": iid})


def _upload():
    f = request.files.get("file")
    if f is None:
        raise UserError("no_file", _l("Choose a file to upload."), field="file")
    return f.filename, f.read()


@api_route(bp, "/meetings/<int:meeting_id>/materials", "POST", "Upload a material (multipart: file, title, item, classified, keep, publish)",
           roles=STAFF, response=ID_BODY)
def upload_material(meeting_id):
    filename, data = _upload()
    form = request.form
    item_id = to_id(form.get("item"))
    st = auth.store()
    mid = materials.add(st, g.person.id, meeting_id, form.get("title") or filename, filename, data, item_id=item_id,
                        classified=form.get("classified") in ("1", "on", "true"), keep_after_close=form.get("keep") in ("1", "on", "true"),
                        publish=form.get("publish") in ("1", "on", "true"))
    notify.materials(meeting_id, item_id=item_id)
    return jsonify({"id": mid})


@api_route(bp, "/meetings/<int:meeting_id>/materials/publish", "POST", "Send every material to every attendee's account", roles=STAFF)
def publish(meeting_id):
    n = materials.publish_all(auth.store(), g.person.id, meeting_id)
    notify.materials(meeting_id)
    return jsonify({"published": n})


@api_route(bp, "/materials/<int:material_id>/replace", "POST", "Replace a wrong file (multipart: file, note); open tablets switch at once",
           roles=STAFF, response={"type": "object", "properties": {"version": {"type": "integer"}}})
def replace_material(material_id):
    filename, data = _upload()
    st = auth.store()
    m = materials.get(st, material_id)
    doc_id, version = materials.replace(st, g.person.id, material_id, filename, data, note=request.form.get("note", ""))
    notify.materials(m["meeting_id"], doc_id, version, item_id=m["item_id"])
    return jsonify({"version": version})


@api_route(bp, "/meetings/<int:meeting_id>/signin/open", "POST", "Open sign-in (the meeting is in session)", roles=STAFF)
def open_signin(meeting_id):
    st = auth.store()
    core.open_signin(st, g.person.id, meeting_id)
    notify.meeting_changed(meeting_id)
    notify.attendance(st, meeting_id)
    return jsonify({"ok": True})


@api_route(bp, "/meetings/<int:meeting_id>/people/<int:person_id>/excuse", "POST", "Mark a member excused (请假) with a reason",
           roles=STAFF, body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}})
def excuse(meeting_id, person_id):
    st = auth.store()
    core.excuse(st, g.person.id, meeting_id, person_id, field(json_body(), "reason", max_len=200))
    notify.person_changed(meeting_id, person_id)
    return jsonify({"attendance": notify.attendance(st, meeting_id)})


@api_route(bp, "/meetings/<int:meeting_id>/people/<int:person_id>/signin", "POST", "Sign a member in on their behalf, with a reason",
           roles=STAFF, body={"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}})
def proxy_signin(meeting_id, person_id):
    st = auth.store()
    core.sign_in(st, person_id, meeting_id, reason=field(json_body(), "reason", max_len=200), actor_id=g.person.id)
    notify.person_changed(meeting_id, person_id)
    return jsonify({"attendance": notify.attendance(st, meeting_id)})


LINE = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 100}, "person": ID_SCHEMA,
                                         "post": {"type": "string", "maxLength": 100}, "action": {"enum": ["appoint", "remove"]}}}


@api_route(bp, "/items/<int:item_id>/polls", "POST", "Create a poll on an item: a motion, an assessment, an appointment sheet or an election",
           roles=CONSOLE,
           body={"type": "object", "properties": {"title": {"type": "string"}, "mode": {"enum": ["secret", "named"]},
                                                  "rule": {"enum": list(polls.RULES)}, "kind": {"enum": list(sheets.KINDS)},
                                                  "seats": {"type": "integer", "minimum": 1, "maximum": sheets.MAX_LINES}, "by_election": {"type": "boolean"},
                                                  "lines": {"type": "array", "maxItems": sheets.MAX_LINES, "items": LINE},
                                                  "eligible": {"type": "array", "maxItems": 1000, "items": ID_SCHEMA}}},
           response=ID_BODY)
def create_poll(item_id):
    data = json_body()
    kind = data.get("kind", "motion")
    sheet = {} if kind == "motion" else {"lines": data.get("lines"), "seats": data.get("seats"), "eligible": data.get("eligible"),
                                         "by_election": bool(data.get("by_election")), "settings": auth.appliance().settings}
    pid = polls.create(auth.store(), g.person.id, item_id, field(data, "title", required=False, max_len=200),
                       data.get("mode", "secret"), data.get("rule", "majority"), kind, **sheet)
    return jsonify({"id": pid})


@api_route(bp, "/polls/<int:poll_id>/next-round", "POST", "After an election round: create the round the rules call for "
           "(a new round among the tied, or a further round for unfilled seats)", roles=CONSOLE, response=ID_BODY,
           body={"type": "object", "properties": {"candidates": {"type": "array", "maxItems": sheets.MAX_LINES,
                                                                 "items": {"type": "string", "maxLength": 24}}}})
def next_round(poll_id):
    pid = sheets.next_round(auth.store(), g.person.id, poll_id, json_body().get("candidates"))
    return jsonify({"id": pid})


@api_route(bp, "/polls/<int:poll_id>/open", "POST", "Open a poll (needs a quorum); every tablet switches to the ballot", roles=CONSOLE,
           body={"type": "object", "properties": {"countdown": {"type": "integer", "minimum": 10, "maximum": 3600}}})
def open_poll(poll_id):
    data = json_body()
    st = auth.store()
    p = polls.open_(st, g.person.id, poll_id, field(data, "countdown", int, required=False))
    notify.poll_opened(st, p)
    notify.poll_progress(st, poll_id, p["meeting_id"])
    return jsonify(_poll_json(p))


@api_route(bp, "/polls/<int:poll_id>/close", "POST", "Close a poll: count by the law and push the result everywhere", roles=CONSOLE,
           response=RESULT)
def close_poll(poll_id):
    st = auth.store()
    p = polls.get(st, poll_id)
    r = polls.close(st, g.person.id, poll_id)
    notify.poll_closed(st, r, p["meeting_id"])
    return jsonify({**r.to_json(), **result_words.payload(r)})


@api_route(bp, "/polls/<int:poll_id>/show-of-hands", "POST", "Enter a show-of-hands result (equipment failure), with a reason",
           roles=CONSOLE, response=RESULT,
           body={"type": "object", "required": ["yes", "no", "abstain", "reason"], "properties": {
               "yes": {"type": "integer"}, "no": {"type": "integer"}, "abstain": {"type": "integer"}, "reason": {"type": "string"}}})
def show_of_hands(poll_id):
    data = json_body()
    st = auth.store()
    p = polls.get(st, poll_id)
    r = polls.show_of_hands(st, g.person.id, poll_id, data.get("yes"), data.get("no"), data.get("abstain"),
                            field(data, "reason", max_len=200))
    notify.poll_closed(st, r, p["meeting_id"])
    return jsonify({**r.to_json(), **result_words.payload(r)})


@api_route(bp, "/polls/<int:poll_id>/not-voted", "GET", "Members present who have not voted yet (names only, never choices)", roles=STAFF)
def not_voted(poll_id):
    return jsonify({"people": [{"id": r["id"], "name": r["name"], "seat": r["seat"]} for r in polls.not_voted(auth.store(), poll_id)]})


@api_route(bp, "/meetings/<int:meeting_id>/console", "GET", "The secretary's view: roster, polls, order warnings, floor", roles=STAFF)
def console_state(meeting_id):
    st = auth.store()
    state = meeting_state(meeting_id, g.person)
    open_poll_row = polls.open_poll_of(st, meeting_id)
    state.update({
        "roster": [{"id": r["person_id"], "name": r["name"], "seat": r["seat"], "capacity": r["capacity"], "status": r["status"],
                    "reason": r["reason"], "proxy": r["signed_by_name"]} for r in core.roster(st, meeting_id)],
        "warnings": [{"code": w.code, "item": w.item, "other": w.other, "held": w.held} for w in core.warnings(st, meeting_id)],
        "speak": [{"id": r["id"], "name": r["name"], "seat": r["seat"], "status": r["status"]} for r in floor.queue(st, meeting_id)],
        "calls": [{"id": r["id"], "name": r["name"], "seat": r["seat"], "kind": r["kind"]} for r in floor.open_calls(st, meeting_id)],
        "not_voted": [r["name"] for r in polls.not_voted(st, open_poll_row["id"])] if open_poll_row else [],
        "progress": dict(zip(("cast", "eligible"), polls.progress(st, open_poll_row["id"]))) if open_poll_row else None,
    })
    return jsonify(state)


@api_route(bp, "/meetings/<int:meeting_id>/speak/<int:request_id>", "POST", "Give the floor to a request, or mark it done", roles=CONSOLE,
           body={"type": "object", "required": ["status"], "properties": {"status": {"enum": ["speaking", "done"]}}})
def speak_advance(meeting_id, request_id):
    floor.advance(auth.store(), meeting_id, request_id, json_body().get("status"))
    notify.floor(meeting_id)
    return jsonify({"ok": True})


@api_route(bp, "/meetings/<int:meeting_id>/service/<int:call_id>/handled", "POST", "Mark a service call handled", roles=STAFF)
def service_handled(meeting_id, call_id):
    floor.handle_call(auth.store(), g.person.id, meeting_id, call_id)
    notify.floor(meeting_id)
    return jsonify({"ok": True})


@api_route(bp, "/meetings/<int:meeting_id>/close", "POST", "Close the meeting: minutes are generated, materials recalled", roles=CONSOLE,
           response={"type": "object", "properties": {"minutes_document": {"type": "integer"}}})
def close_meeting(meeting_id):
    st = auth.store()
    doc_id, recalled = minutes.close_meeting(st, g.person.id, meeting_id)
    notify.recalled(meeting_id, recalled)
    notify.meeting_closed(meeting_id, doc_id)
    return jsonify({"minutes_document": doc_id, "recalled": recalled})


from appliance.meetings import leave_api  # noqa: E402,F401  (请假 and the attendance ledger register their routes here)
from appliance.meetings import agenda_api  # noqa: E402,F401 (its routes go on this blueprint)
from appliance.meetings import presenter_api  # noqa: E402,F401 (同屏: its routes go on this blueprint)
from appliance.meetings import notices_api  # noqa: E402,F401 (会议通知 / 回执: its routes go on this blueprint and the pages)
