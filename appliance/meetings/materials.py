"""Meeting materials: uploaded by staff, published to every attendee's account, replaced in
seconds (the old version stays in history), recalled when the meeting closes."""

import time

from appliance.documents import annotations, library
from appliance.errors import Conflict, NotFound
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core
from appliance.store import audit


def add(store, actor_id, meeting_id, title, filename, data, item_id=None, classified=False, keep_after_close=False, publish=False):
    m = core.get(store, meeting_id)
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    if item_id is not None and core.item(store, item_id)["meeting_id"] != meeting_id:
        raise NotFound("no_item", _l("No such agenda item."))
    doc_id = library.create(store, actor_id, title, filename, data, classified=classified)
    with store.write() as db:
        mid = db.execute("INSERT INTO materials (meeting_id, item_id, document_id, keep_after_close) VALUES (?,?,?,?)",
                         (meeting_id, item_id, doc_id, 1 if keep_after_close else 0)).lastrowid
        audit.record(db, actor_id, "material.add", {"meeting": meeting_id, "material": mid, "document": doc_id})
    if publish:
        publish_all(store, actor_id, meeting_id)
    return mid


def publish_all(store, actor_id, meeting_id, now=None):
    """发送到每个组成人员的账号: grant every expected person every unpublished material."""
    now = time.time() if now is None else now
    with store.write() as db:
        people_ids = [r[0] for r in db.execute("SELECT person_id FROM meeting_people WHERE meeting_id = ?", (meeting_id,))]
        members = [r[0] for r in db.execute("SELECT person_id FROM meeting_people WHERE meeting_id = ? AND capacity = 'member'", (meeting_id,))]
        rows = db.execute("SELECT ma.id, ma.document_id, coalesce(i.confidential, 0) AS confidential FROM materials ma "
                          "LEFT JOIN agenda_items i ON i.id = ma.item_id WHERE ma.meeting_id = ? AND ma.recalled_at IS NULL",
                          (meeting_id,)).fetchall()
        fresh = 0
        for r in rows:  # a confidential item's materials go to members only (appliance/meetings/confidential.py)
            library.grant(db, r["document_id"], members if r["confidential"] else people_ids)
        fresh = db.execute("UPDATE materials SET published_at = ? WHERE meeting_id = ? AND published_at IS NULL AND recalled_at IS NULL",
                           (now, meeting_id)).rowcount
        audit.record(db, actor_id, "material.publish", {"meeting": meeting_id, "count": fresh}, now)
    return fresh


def replace(store, actor_id, material_id, filename, data, note=""):
    row = get(store, material_id)
    version = library.replace(store, actor_id, row["document_id"], filename, data, note=note)
    return row["document_id"], version


def get(store, material_id):
    row = store.one("SELECT * FROM materials WHERE id = ?", (material_id,))
    if row is None:
        raise NotFound("no_material", _l("No such material."))
    return row


def for_meeting(store, meeting_id, person=None):
    """Materials with their current version; for a non-staff person only those they may read."""
    rows = store.all(
        "SELECT ma.*, d.title, d.classified, v.version, v.mime, v.size, v.created_at AS version_at, i.position AS item_position "
        "FROM materials ma JOIN documents d ON d.id = ma.document_id JOIN document_versions v ON v.id = d.current_version "
        "LEFT JOIN agenda_items i ON i.id = ma.item_id WHERE ma.meeting_id = ? ORDER BY i.position IS NOT NULL, i.position, ma.id",
        (meeting_id,))
    if person is None or person.has(*core.STAFF_ROLES):
        return rows
    return [r for r in rows if r["published_at"] and not r["recalled_at"] and library.can_read(store, person, r["document_id"])]


def recall(store, actor_id, meeting_id, now=None):
    """After the meeting: attendees lose access to materials not marked to be kept. Returns the recalled documents."""
    now = time.time() if now is None else now
    with store.write() as db:
        people_ids = [r[0] for r in db.execute("SELECT person_id FROM meeting_people WHERE meeting_id = ?", (meeting_id,))]
        rows = db.execute("SELECT id, document_id FROM materials WHERE meeting_id = ? AND keep_after_close = 0 AND recalled_at IS NULL",
                          (meeting_id,)).fetchall()
        for r in rows:
            library.revoke(db, r["document_id"], people_ids)
        annotations.recall(db, actor_id, [r["document_id"] for r in rows], people_ids, now)  # their 批注 go with them
        db.execute("UPDATE materials SET recalled_at = ? WHERE meeting_id = ? AND keep_after_close = 0 AND recalled_at IS NULL", (now, meeting_id))
        audit.record(db, actor_id, "material.recall", {"meeting": meeting_id, "count": len(rows)}, now)
    return [r["document_id"] for r in rows]
