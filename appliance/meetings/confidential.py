"""Confidential agenda items (typically 人事, personnel): who sees them, and the big screen.

The secretary marks an item confidential. From then on it does not exist for a non-voting
attendee (列席) of the meeting, nor do its materials (and their documents), its polls, their
results and trackers, or the live events about any of them: asked for by id, each answers the
same 404 as an id that was never issued, and the attendee's agenda is numbered as if the item
were not there. Members (组成人员) and staff see it in full. The big screen shows it only as a
generic "personnel matter", with no materials and no names, until the chair reveals it there.

Live events about a confidential item go to the topic `members:<meeting>` (members and staff
of the meeting) instead of `meeting:<meeting>` (everyone on the list): `topic_for_item`.
"""

import time

from appliance.documents import library
from appliance.errors import Conflict, NotFound
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, polls
from appliance.store import audit

GENERIC_TITLE = _l("Personnel matter")  # 人事事项: what the big screen shows before the reveal


def sees_all(store, person, meeting_id):
    """Members of this meeting and staff see confidential items; everyone else does not."""
    if person is None:
        return False
    if person.has(*core.STAFF_ROLES):
        return True
    p = core.participant(store, meeting_id, person.id)
    return p is not None and p["capacity"] == "member"


def hidden_items(store, person, meeting_id):
    """Ids of the meeting's items that do not exist for this person."""
    if sees_all(store, person, meeting_id):
        return set()
    return {r[0] for r in store.all("SELECT id FROM agenda_items WHERE meeting_id = ? AND confidential = 1", (meeting_id,))}


def item_for(store, person, item_id):
    """The item row, or the 404 of an item that does not exist when it is hidden from `person`."""
    row = store.one("SELECT * FROM agenda_items WHERE id = ?", (item_id,))
    if row is None or (row["confidential"] and not sees_all(store, person, row["meeting_id"])):
        raise NotFound("no_item", _l("No such agenda item."))
    return row


def poll_for(store, person, poll_id):
    """polls.get, but a poll on a hidden item is a poll that does not exist."""
    p = store.one("SELECT p.*, i.meeting_id, i.confidential AS item_confidential FROM polls p "
                  "JOIN agenda_items i ON i.id = p.item_id WHERE p.id = ?", (poll_id,))
    if p is None or (p["item_confidential"] and not sees_all(store, person, p["meeting_id"])):
        raise NotFound("no_poll", _l("No such vote."))
    return polls.get(store, poll_id)


def material_hidden(store, person, material_row):
    if material_row["item_id"] is None:
        return False
    conf = store.scalar("SELECT confidential FROM agenda_items WHERE id = ?", (material_row["item_id"],))
    return bool(conf) and not sees_all(store, person, material_row["meeting_id"])


def document_hidden(store, person, document_id):
    """A document that is a material of a confidential item is hidden from whoever does not see
    that item (registered with appliance.documents.library, so every document route obeys)."""
    if person is None or person.has(*core.STAFF_ROLES):
        return False
    rows = store.all("SELECT DISTINCT ma.meeting_id FROM materials ma JOIN agenda_items i ON i.id = ma.item_id "
                     "WHERE ma.document_id = ? AND i.confidential = 1", (document_id,))
    return any(not sees_all(store, person, r[0]) for r in rows)


library.HIDDEN.append(document_hidden)


def for_person(store, person, meeting_id, state):
    """A meeting state (appliance.meetings.api.meeting_state) with what `person` may not see taken
    out, and the agenda renumbered so that no gap betrays a hidden item."""
    hidden = hidden_items(store, person, meeting_id)
    if not hidden:
        return state
    items = [i for i in state["items"] if i["id"] not in hidden]
    for n, i in enumerate(items, start=1):
        i["position"] = n
    state["items"] = items
    state["materials"] = [m for m in state["materials"] if m.get("item") not in hidden]
    state["polls"] = [p for p in state["polls"] if p.get("item") not in hidden]
    if state["meeting"].get("current_item") in hidden:
        state["meeting"]["current_item"] = None
    return state


def for_screen(store, state):
    """The big screen's view of a meeting: no materials, no roster, and a confidential item not
    yet revealed only as a generic title (its polls too; the counts stay, they carry no names)."""
    masked = {r[0] for r in store.all("SELECT id FROM agenda_items WHERE meeting_id = ? AND confidential = 1 AND screen_revealed_at IS NULL",
                                      (state["meeting"]["id"],))}
    title = str(GENERIC_TITLE)
    items = [{**i, "title": title} if i["id"] in masked else i for i in state["items"]]
    out_polls = []
    for p in state["polls"]:
        if p["item"] in masked:
            p = {**p, "title": title}
            if p.get("result"):
                p["result"] = {**p["result"], "title": title}
        out_polls.append(p)
    return {"meeting": state["meeting"], "attendance": state["attendance"], "items": items, "polls": out_polls,
            "progress": state.get("progress")}


def _people(db, meeting_id, capacity):
    return [r[0] for r in db.execute("SELECT person_id FROM meeting_people WHERE meeting_id = ? AND capacity = ?", (meeting_id, capacity))]


def set_confidential(store, actor_id, item_id, confidential):
    """Mark or unmark. Marking takes the item's published materials back from the attendees at
    once; unmarking gives them what the other attendees of the meeting were sent."""
    it = core.item(store, item_id)
    m = core.get(store, it["meeting_id"])
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    flag = 1 if confidential else 0
    with store.write() as db:
        if db.execute("SELECT confidential FROM agenda_items WHERE id = ?", (item_id,)).fetchone()[0] == flag:
            return False
        db.execute("UPDATE agenda_items SET confidential = ?, screen_revealed_at = NULL WHERE id = ?", (flag, item_id))
        attendees = _people(db, it["meeting_id"], "attendee")
        for r in db.execute("SELECT document_id FROM materials WHERE item_id = ? AND published_at IS NOT NULL AND recalled_at IS NULL",
                            (item_id,)).fetchall():
            if flag:
                library.revoke(db, r[0], attendees)
            else:
                library.grant(db, r[0], attendees)
        audit.record(db, actor_id, "agenda.confidential", {"meeting": it["meeting_id"], "item": item_id, "confidential": bool(flag)})
    return True


def reveal(store, actor_id, item_id, shown=True, now=None):
    """The chair shows a confidential item on the big screen (or hides it there again)."""
    now = time.time() if now is None else now
    it = core.item(store, item_id)
    if not it["confidential"]:
        raise Conflict("not_confidential", _l("This item is not confidential; the big screen shows it already."))
    with store.write() as db:
        db.execute("UPDATE agenda_items SET screen_revealed_at = ? WHERE id = ?", (now if shown else None, item_id))
        audit.record(db, actor_id, "agenda.reveal", {"meeting": it["meeting_id"], "item": item_id, "shown": bool(shown)}, now)
    return it["meeting_id"]
