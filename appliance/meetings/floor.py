"""The floor: requests to speak (发言申请) in order, and service calls (茶水 / 技术支持)."""

import time

from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core

SERVICE_KINDS = ("tea", "tech", "other")
SERVICE_LABELS = {"tea": _l("Tea"), "tech": _l("Technical help"), "other": _l("Staff, please")}


def _participant(store, meeting_id, person):
    if core.participant(store, meeting_id, person.id) is None:
        raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))
    if core.get(store, meeting_id)["status"] != "open":
        raise Conflict("meeting_not_open", _l("The meeting is not in session."))


def request_to_speak(store, meeting_id, person, now=None):
    _participant(store, meeting_id, person)
    now = time.time() if now is None else now
    with store.write() as db:
        if db.execute("SELECT 1 FROM speak_requests WHERE meeting_id = ? AND person_id = ? AND status IN ('waiting', 'speaking')",
                      (meeting_id, person.id)).fetchone():
            return False
        cur_item = db.execute("SELECT current_item FROM meetings WHERE id = ?", (meeting_id,)).fetchone()[0]
        db.execute("INSERT INTO speak_requests (meeting_id, person_id, item_id, requested_at) VALUES (?,?,?,?)",
                   (meeting_id, person.id, cur_item, now))
    return True


def withdraw(store, meeting_id, person):
    with store.write() as db:
        db.execute("UPDATE speak_requests SET status = 'withdrawn' WHERE meeting_id = ? AND person_id = ? AND status = 'waiting'",
                   (meeting_id, person.id))


def queue(store, meeting_id):
    return store.all(
        "SELECT s.*, p.name, p.seat FROM speak_requests s JOIN people p ON p.id = s.person_id "
        "WHERE s.meeting_id = ? AND s.status IN ('waiting', 'speaking') ORDER BY s.status = 'waiting', s.requested_at, s.id",
        (meeting_id,))


def advance(store, meeting_id, request_id, status):
    if status not in ("speaking", "done"):
        raise UserError("bad_status", _l("Choose speaking or done."))
    with store.write() as db:
        if status == "speaking":
            db.execute("UPDATE speak_requests SET status = 'done' WHERE meeting_id = ? AND status = 'speaking'", (meeting_id,))
        n = db.execute("UPDATE speak_requests SET status = ? WHERE id = ? AND meeting_id = ?", (status, request_id, meeting_id)).rowcount
        if n == 0:
            raise NotFound("no_request", _l("No such request to speak."))


def call_service(store, meeting_id, person, kind, now=None):
    if kind not in SERVICE_KINDS:
        raise UserError("bad_kind", _l("Choose tea, technical help or staff."), field="kind")
    _participant(store, meeting_id, person)
    now = time.time() if now is None else now
    with store.write() as db:
        return db.execute("INSERT INTO service_calls (meeting_id, person_id, kind, requested_at) VALUES (?,?,?,?)",
                          (meeting_id, person.id, kind, now)).lastrowid


def open_calls(store, meeting_id):
    return store.all(
        "SELECT c.*, p.name, p.seat FROM service_calls c JOIN people p ON p.id = c.person_id "
        "WHERE c.meeting_id = ? AND c.handled_at IS NULL ORDER BY c.requested_at", (meeting_id,))


def handle_call(store, actor_id, meeting_id, call_id, now=None):
    now = time.time() if now is None else now
    with store.write() as db:
        n = db.execute("UPDATE service_calls SET handled_at = ?, handled_by = ? WHERE id = ? AND meeting_id = ? AND handled_at IS NULL",
                       (now, actor_id, call_id, meeting_id)).rowcount
    return n == 1
