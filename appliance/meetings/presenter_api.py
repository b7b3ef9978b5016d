"""The API of 同屏 (appliance/meetings/presenter.py), registered on the meeting room's blueprint
(imported at the end of appliance/meetings/api.py), and the reader's hook that tells a reader
which meeting's live events to follow.

Every change is pushed once with `publish()` as a "presenter" event to the meeting's topic (or
the members' topic for a material of a confidential item): the state itself, so a tablet needs
no second request to follow a turn.
"""

from flask import current_app, g, jsonify, request

from appliance.documents import library
from appliance.documents.views import READER_MEETING
from appliance.errors import Forbidden
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, notify, presenter
from appliance.meetings.api import CONSOLE, _follow, bp
from appliance.web import auth
from appliance.web.apispec import ID_SCHEMA, api_route, json_body
from appliance.web.events import broadcaster

STATE = {"type": "object", "properties": {
    "active": {"type": "boolean"}, "meeting": {"type": "integer"}, "material": {"type": "integer"}, "document": {"type": "integer"},
    "title": {"type": "string"}, "pages": {"type": "integer"}, "version": {"type": "integer"}, "driver": {"type": "integer"},
    "driver_name": {"type": "string"}, "page": {"type": "integer"}, "scale": {"type": ["number", "null"]}, "seq": {"type": "integer"},
    "item": {"type": ["integer", "null"]}}}
SCALE = {"type": ["number", "null"], "minimum": presenter.MIN_SCALE, "maximum": presenter.MAX_SCALE}


def _publish(store, meeting_id, p, item_id=None):
    data = p.to_json() if p is not None else presenter.stopped_json(meeting_id)
    topic = notify.item_topic(store, p.item_id if p is not None else item_id, meeting_id)
    broadcaster(current_app).publish(topic, "presenter", data)
    if topic != f"meeting:{meeting_id}" and p is None:
        broadcaster(current_app).publish(f"meeting:{meeting_id}", "presenter", data)  # a stop releases everyone
    return data


def _visible(store, person, p):
    """A presentation as this person may see it: nothing of a document they may not read."""
    if p is None or not library.can_read(store, person, p.document_id):
        return presenter.stopped_json(p.meeting_id if p else None)
    return p.to_json()


@api_route(bp, "/meetings/<int:meeting_id>/presenter", "GET", "同屏: what is presented now, on which page, by whom", response=STATE)
def presenter_state(meeting_id):
    _follow(meeting_id)
    st = auth.store()
    p = presenter.current(st, meeting_id)
    return jsonify(_visible(st, g.person, p) if p else presenter.stopped_json(meeting_id))


@api_route(bp, "/meetings/<int:meeting_id>/presenter", "POST", "同屏: present a material of this meeting (driver: who turns, default me)",
           roles=CONSOLE, response=STATE, body={"type": "object", "required": ["material"], "additionalProperties": False,
                                                  "properties": {"material": ID_SCHEMA, "driver": ID_SCHEMA}})
def presenter_start(meeting_id):
    data = json_body()
    st = auth.store()
    p = presenter.start(st, g.person, meeting_id, data["material"], data.get("driver"))
    return jsonify(_publish(st, meeting_id, p))


@api_route(bp, "/meetings/<int:meeting_id>/presenter/driver", "POST", "同屏: hand the drive to another person",
           roles=CONSOLE, response=STATE, body={"type": "object", "required": ["driver"], "additionalProperties": False,
                                                  "properties": {"driver": ID_SCHEMA}})
def presenter_hand_over(meeting_id):
    st = auth.store()
    p = presenter.hand_over(st, g.person, meeting_id, json_body()["driver"])
    return jsonify(_publish(st, meeting_id, p))


@api_route(bp, "/meetings/<int:meeting_id>/presenter/turn", "POST", "同屏: the driver turns the page or zooms (every tablet follows)",
           response=STATE, body={"type": "object", "required": ["page"], "additionalProperties": False,
                                 "properties": {"page": {"type": "integer", "minimum": 1, "maximum": 100_000}, "scale": SCALE}})
def presenter_turn(meeting_id):
    data = json_body()
    st = auth.store()
    if not core.may_follow(st, g.person, meeting_id):
        raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))
    p = presenter.turn(st, g.person, meeting_id, data["page"], data.get("scale"))
    return jsonify(_publish(st, meeting_id, p))


@api_route(bp, "/meetings/<int:meeting_id>/presenter", "DELETE", "同屏: stop; every tablet is released", roles=CONSOLE,
           response=STATE)
def presenter_stop(meeting_id):
    st = auth.store()
    core.get(st, meeting_id)
    before = presenter.current(st, meeting_id)
    presenter.stop(st, g.person, meeting_id)
    return jsonify(_publish(st, meeting_id, None, item_id=before.item_id if before else None))


def _reader_meeting(store, person, document_id):
    """The meeting a reader of this document follows: one presenting it, else the latest open
    meeting that has it as a material (so 同屏 started later still reaches the reader)."""
    asked = request.args.get("meeting", type=int)
    candidates = [p.meeting_id for p in presenter.presenting(store, document_id)]
    candidates += [r[0] for r in store.all(
        "SELECT ma.meeting_id FROM materials ma JOIN meetings m ON m.id = ma.meeting_id "
        "WHERE ma.document_id = ? AND ma.recalled_at IS NULL AND m.status != 'closed' ORDER BY m.status = 'open' DESC, m.id DESC",
        (document_id,))]
    if asked:
        candidates.insert(0, asked)
    for mid in candidates:
        if store.one("SELECT 1 FROM meetings WHERE id = ?", (mid,)) and core.may_follow(store, person, mid):
            return mid
    return None


READER_MEETING.append(_reader_meeting)
