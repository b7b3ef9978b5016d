"""The agenda's routes: order (move one item, set the whole order), confidential items and the
big screen's reveal, an item / material by id as this person sees it, the big screen's state,
and the named list of a closed named poll. Registered on the meeting API's blueprint."""

from flask import g, jsonify

from appliance.errors import NotFound
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import confidential, core, materials, named, notify, ordering, polls, result_words
from appliance.meetings.api import CONSOLE, STAFF, _follow, bp, meeting_state
from appliance.web import auth
from appliance.web.apispec import api_route, json_body

ORDER = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "integer"}}}}
ITEM = {"type": "object", "properties": {
    "id": {"type": "integer"}, "meeting": {"type": "integer"}, "position": {"type": "integer"}, "title": {"type": "string"},
    "kind": {"type": "string"}, "confidential": {"type": "boolean"},
    "materials": {"type": "array", "items": {"type": "object"}}, "polls": {"type": "array", "items": {"type": "object"}}}}
NAMED = {"type": "object", "required": ["poll", "people"], "properties": {
    "poll": {"type": "integer"}, "title": {"type": "string"}, "line": {"type": "string"},
    "people": {"type": "array", "items": {"type": "object", "required": ["id", "name", "choice"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "seat": {"type": ["integer", "null"]},
        "choice": {"enum": list(polls.CHOICES)}}}}}}


def _order_changed(meeting_id, order):
    notify.agenda(meeting_id)
    return jsonify({"items": order})


@api_route(bp, "/meetings/<int:meeting_id>/items/<int:item_id>/move", "POST", "Move one agenda item to a position (1 = first)",
           roles=STAFF, body={"type": "object", "required": ["position"], "properties": {"position": {"type": "integer"}}},
           response=ORDER)
def move_item(meeting_id, item_id):
    return _order_changed(meeting_id, ordering.move(auth.store(), g.person.id, meeting_id, item_id, json_body().get("position")))


@api_route(bp, "/meetings/<int:meeting_id>/agenda/order", "POST", "Set the whole agenda order (every item's id exactly once)",
           roles=STAFF, body={"type": "object", "required": ["items"], "properties": {
               "items": {"type": "array", "maxItems": 1000, "items": {"type": "integer"}}}},
           response=ORDER)
def set_order(meeting_id):
    return _order_changed(meeting_id, ordering.set_order(auth.store(), g.person.id, meeting_id, json_body().get("items")))


@api_route(bp, "/items/<int:item_id>/confidential", "POST", "Mark an item confidential (hidden from non-voting attendees) or not",
           roles=STAFF, body={"type": "object", "required": ["confidential"], "properties": {"confidential": {"type": "boolean"}}},
           response={"type": "object", "properties": {"id": {"type": "integer"}, "confidential": {"type": "boolean"}}})
def mark_confidential(item_id):
    st = auth.store()
    flag = json_body().get("confidential")
    if confidential.set_confidential(st, g.person.id, item_id, flag):
        notify.agenda(core.item(st, item_id)["meeting_id"])
    return jsonify({"id": item_id, "confidential": bool(flag)})


@api_route(bp, "/items/<int:item_id>/reveal", "POST", "Show a confidential item on the big screen (shown: false hides it again)",
           roles=CONSOLE, body={"type": "object", "properties": {"shown": {"type": "boolean"}}},
           response={"type": "object", "properties": {"id": {"type": "integer"}, "shown": {"type": "boolean"}}})
def reveal(item_id):
    shown = json_body().get("shown", True)
    meeting_id = confidential.reveal(auth.store(), g.person.id, item_id, shown)
    notify.screen(meeting_id)
    return jsonify({"id": item_id, "shown": bool(shown)})


@api_route(bp, "/items/<int:item_id>", "GET", "An agenda item with its materials and polls, as this person sees it", response=ITEM)
def item(item_id):
    st = auth.store()
    it = confidential.item_for(st, g.person, item_id)
    _follow(it["meeting_id"])
    state = meeting_state(it["meeting_id"], g.person)
    mine = next(i for i in state["items"] if i["id"] == item_id)
    return jsonify({"id": item_id, "meeting": it["meeting_id"], "position": mine["position"], "title": it["title"], "kind": it["kind"],
                    "confidential": bool(it["confidential"]),
                    "materials": [m for m in state["materials"] if m["item"] == item_id],
                    "polls": [p for p in state["polls"] if p["item"] == item_id]})


@api_route(bp, "/materials/<int:material_id>", "GET", "A material of a meeting, as this person sees it",
           response={"type": "object", "properties": {"id": {"type": "integer"}, "document": {"type": "integer"}, "title": {"type": "string"},
                                                      "item": {"type": ["integer", "null"]}, "version": {"type": "integer"}}})
def material(material_id):
    st = auth.store()
    row = materials.get(st, material_id)
    if not core.may_follow(st, g.person, row["meeting_id"]) or confidential.material_hidden(st, g.person, row):
        raise NotFound("no_material", _l("No such material."))
    seen = next((m for m in materials.for_meeting(st, row["meeting_id"], g.person) if m["id"] == material_id), None)
    if seen is None:  # not sent yet, recalled, or not for this person: as if it did not exist
        raise NotFound("no_material", _l("No such material."))
    return jsonify({"id": material_id, "document": seen["document_id"], "title": seen["title"], "item": seen["item_id"], "version": seen["version"]})


@api_route(bp, "/meetings/<int:meeting_id>/screen", "GET", "What the big screen shows: agenda, attendance, polls and results (no names)",
           roles=STAFF, response={"type": "object", "required": ["meeting", "items", "polls"], "properties": {
               "meeting": {"type": "object"}, "attendance": {"type": "object"}, "items": {"type": "array"}, "polls": {"type": "array"},
               "progress": {"type": ["object", "null"]}}})
def screen_state(meeting_id):
    st = auth.store()
    state = meeting_state(meeting_id, g.person)
    open_row = polls.open_poll_of(st, meeting_id)
    state["progress"] = dict(zip(("cast", "eligible"), polls.progress(st, open_row["id"]))) if open_row else None
    closed_at = {r["id"]: r["closed_at"] for r in polls.for_meeting(st, meeting_id)}
    for p in state["polls"]:
        p["closed_at"] = closed_at.get(p["id"])
    return jsonify(confidential.for_screen(st, state))


@api_route(bp, "/polls/<int:poll_id>/named", "GET", "Who voted what in a closed named poll (staff; never for a secret poll)",
           roles=STAFF, response=NAMED)
def named_list(poll_id):
    st = auth.store()
    p, voters = named.named_list(st, poll_id)
    r = polls.result(st, poll_id)
    return jsonify({"poll": poll_id, "title": p["title"], **(result_words.payload(r) if r else {"line": ""}),
                    "people": [{"id": v["id"], "name": v["name"], "seat": v["seat"], "choice": v["choice"]} for v in voters]})

