"""Annotations (批注): a reader's own pen strokes, highlights and notes on a document's pages.

They live only in the encrypted store (the tablet keeps nothing), one row per finished stroke
or note, shown on the document's current version. Private by default: only their author sees
them. A note the author shares is seen by everyone who may read the document and is on the
list of a meeting the document is a material of, with the author (not every reader of the
document: a circulated document has no meeting to share with, so sharing there is refused).

Their life follows the document's: when staff replace it, `carry` moves them onto the new
version (same page, or its last page if the new one is shorter) and they keep the number of the
version they were written on; when a meeting's materials are recalled, `recall` deletes the
annotations of those who lost access (a material kept readable after the meeting is not
recalled, so its annotations stay). No export contains them except the author's own annotated
copy (annotated_pdf), which is audited. Other writes are audited where a material's reads are:
on classified documents; sharing always, since it changes who sees a note.
"""

import json
import time

from appliance.documents import annotation_shapes as shapes
from appliance.documents import library
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

MAX_PER_DOCUMENT = 3000  # one member's annotations on one document (a long bill read closely)

_SHARED_WITH = (
    # the viewer and the author are on the list of one meeting this document is a live material of
    "EXISTS (SELECT 1 FROM materials ma "
    "JOIN meeting_people pa ON pa.meeting_id = ma.meeting_id AND pa.person_id = a.person_id "
    "JOIN meeting_people pv ON pv.meeting_id = ma.meeting_id AND pv.person_id = ? "
    "WHERE ma.document_id = a.document_id AND ma.recalled_at IS NULL)"
)


def document_for(store, person, document_id):
    """The document with its current version (version_id, version, pages), if `person` may read
    it: the same refusals as opening it (404 when it must look absent, 403 when not granted),
    without the audit entry of a view (the reader page that asks has made that entry)."""
    doc = store.one(
        "SELECT d.id, d.title, d.classified, d.current_version AS version_id, v.version, v.pages, v.mime "
        "FROM documents d JOIN document_versions v ON v.id = d.current_version WHERE d.id = ?", (document_id,))
    if doc is None or library._hidden(store, person, document_id):
        raise NotFound("no_document", _l("No such document."))
    if not library.can_read(store, person, document_id):
        raise Forbidden("no_access", _l("You may not read this document."))
    return doc


def _pages(doc):
    return doc["pages"] or 1


def _check_page(doc, page):
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= _pages(doc):
        raise UserError("no_page", _l("This document has %(n)d pages; there is no page %(p)s.", n=_pages(doc), p=page),
                        field="page")
    return page


def visible(store, person, document_id):
    """Rows of `person`'s annotations on the document's current version, and the notes others
    shared with them; the caller has checked that `person` may read the document."""
    return store.all(
        "SELECT a.*, p.name AS author FROM annotations a JOIN documents d ON d.id = a.document_id "
        "JOIN people p ON p.id = a.person_id "
        f"WHERE a.document_id = ? AND a.version_id = d.current_version AND (a.person_id = ? OR (a.shared = 1 AND {_SHARED_WITH})) "
        "ORDER BY a.page, a.id", (document_id, person.id, person.id))


def own(store, person_id, document_id):
    """The author's own annotations on the current version: what their annotated copy draws."""
    return store.all(
        "SELECT a.* FROM annotations a JOIN documents d ON d.id = a.document_id "
        "WHERE a.document_id = ? AND a.version_id = d.current_version AND a.person_id = ? ORDER BY a.page, a.id",
        (document_id, person_id))


def _may_share(db, person_id, document_id):
    return db.execute(
        "SELECT 1 FROM materials ma JOIN meeting_people mp ON mp.meeting_id = ma.meeting_id AND mp.person_id = ? "
        "WHERE ma.document_id = ? AND ma.recalled_at IS NULL LIMIT 1", (person_id, document_id)).fetchone() is not None


def shareable(store, person_id, document_id):
    """Whether `person_id` could share a note on the document (the reader offers the toggle)."""
    return _may_share(store, person_id, document_id)


def _refuse_share():
    raise Conflict("not_shareable", _l("This document is not a material of a meeting you are on the list of, "
                                       "so there is no one to share the note with. It stays private."), field="shared")


def create(store, person, document_id, data, now=None):
    """Store one finished stroke or note from the reader; returns its row. Nothing is stored
    when anything is wrong, and the page is checked against the version the reader shows."""
    doc = document_for(store, person, document_id)
    kind = data.get("kind")
    geometry, text = shapes.shape(kind, data)
    colour = shapes.colour(data.get("colour"), kind)
    shared = bool(data.get("shared"))
    now = time.time() if now is None else now
    with store.write() as db:
        cur = db.execute("SELECT d.current_version, v.version, v.pages FROM documents d JOIN document_versions v "
                         "ON v.id = d.current_version WHERE d.id = ?", (document_id,)).fetchone()
        if data.get("version") is not None and data["version"] > cur["version"]:
            raise UserError("no_version", _l("No such version of this document."), field="version")
        if data.get("version") is not None and data["version"] != cur["version"]:
            raise Conflict("replaced", _l("The document was replaced with version %(v)d while you were writing. "
                                          "The reader shows the new version; write it again there.", v=cur["version"]),
                           version=cur["version"])
        page = _check_page(cur, data.get("page"))
        n = db.execute("SELECT count(*) FROM annotations WHERE document_id = ? AND person_id = ?", (document_id, person.id)).fetchone()[0]
        if n >= MAX_PER_DOCUMENT:
            raise Conflict("too_many_annotations", _l("You have %(n)d annotations on this document, as many as it can hold. "
                                                      "Delete some before writing more.", n=n))
        if shared and not _may_share(db, person.id, document_id):
            _refuse_share()
        aid = db.execute(
            "INSERT INTO annotations (document_id, version_id, written_on, person_id, page, kind, colour, geometry, note, shared, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (document_id, cur["current_version"], cur["version"], person.id, page, kind, colour,
             json.dumps(geometry, separators=(",", ":")), text, 1 if shared else 0, now, now)).lastrowid
        if doc["classified"]:
            audit.record(db, person.id, "annotation.create", {"document": document_id, "annotation": aid, "page": page, "kind": kind}, now)
        if shared:
            audit.record(db, person.id, "annotation.share", {"document": document_id, "annotation": aid, "shared": True}, now)
    return get(store, person, aid)


def get(store, person, annotation_id):
    """The annotation if `person` may see it (their own, or shared with them), else the 404 of
    one that does not exist: someone else's private note is not confirmed to exist."""
    row = store.one("SELECT a.*, p.name AS author FROM annotations a JOIN people p ON p.id = a.person_id WHERE a.id = ?",
                    (annotation_id,))
    if row is not None and row["person_id"] != person.id:
        shared = row["shared"] and store.one(f"SELECT 1 FROM annotations a WHERE a.id = ? AND {_SHARED_WITH}",
                                             (annotation_id, person.id)) is not None
        if not shared or not library.can_read(store, person, row["document_id"]):
            row = None
    if row is None:
        raise NotFound("no_annotation", _l("No such annotation."))
    return row


def _own(store, person, annotation_id):
    row = get(store, person, annotation_id)
    if row["person_id"] != person.id:
        raise Forbidden("not_yours", _l("This note was shared with you; only the member who wrote it can change it."))
    document_for(store, person, row["document_id"])  # a recalled material's annotations cannot be touched either
    return row


def update(store, person, annotation_id, data, now=None):
    """Change a note's text or position, any annotation's colour, or whether it is shared."""
    row = _own(store, person, annotation_id)
    sets = {}
    if "text" in data:
        if row["kind"] != "note":
            raise UserError("stroke_text", _l("Only a note has text; a stroke has none."), field="text")
        sets["note"] = shapes.note_text(data["text"])
    if "at" in data:
        if row["kind"] != "note":
            raise UserError("stroke_move", _l("A stroke cannot be moved; erase it and draw it again."), field="at")
        geometry = json.loads(row["geometry"])
        geometry["at"] = shapes.anchor(data["at"])
        sets["geometry"] = json.dumps(geometry, separators=(",", ":"))
    if "colour" in data:
        sets["colour"] = shapes.colour(data["colour"], row["kind"])
    shared = data.get("shared")
    if shared is not None:
        sets["shared"] = 1 if shared else 0
    if not sets:
        return row
    now = time.time() if now is None else now
    with store.write() as db:
        if sets.get("shared") == 1 and not row["shared"] and not _may_share(db, person.id, row["document_id"]):
            _refuse_share()
        sets["updated_at"] = now
        db.execute(f"UPDATE annotations SET {', '.join(k + ' = ?' for k in sets)} WHERE id = ? AND person_id = ?",
                   (*sets.values(), annotation_id, person.id))
        if "shared" in sets and sets["shared"] != row["shared"]:
            audit.record(db, person.id, "annotation.share",
                         {"document": row["document_id"], "annotation": annotation_id, "shared": bool(sets["shared"])}, now)
    return get(store, person, annotation_id)


def delete(store, person, annotation_id, now=None):
    row = _own(store, person, annotation_id)
    classified = store.scalar("SELECT classified FROM documents WHERE id = ?", (row["document_id"],))
    with store.write() as db:
        db.execute("DELETE FROM annotations WHERE id = ? AND person_id = ?", (annotation_id, person.id))
        if classified or row["shared"]:
            audit.record(db, person.id, "annotation.delete", {"document": row["document_id"], "annotation": annotation_id}, now)
    return row["document_id"]


# -- the document's life (called inside the transactions of library.replace and materials.recall) --

def carry(db, actor_id, document_id, old_version_id, new_version_id, new_pages, now):
    """The document was replaced: its annotations move onto the new version, each on the same
    page or, past the new version's end, on its last page; `written_on` keeps where they were
    written. Inside the caller's write transaction."""
    if old_version_id is None:
        return 0
    n = db.execute("UPDATE annotations SET version_id = ?, page = min(page, ?) WHERE document_id = ? AND version_id = ?",
                   (new_version_id, max(new_pages or 1, 1), document_id, old_version_id)).rowcount
    if n:
        audit.record(db, actor_id or "system", "annotation.carry", {"document": document_id, "count": n}, now)
    return n


def recall(db, actor_id, document_ids, person_ids, now):
    """A meeting's materials were recalled from its people: their annotations on those
    documents go (secure_delete overwrites the rows). Inside the caller's write transaction."""
    if not document_ids or not person_ids:
        return 0
    docs = ",".join("?" * len(document_ids))
    people = ",".join("?" * len(person_ids))
    n = db.execute(f"DELETE FROM annotations WHERE document_id IN ({docs}) AND person_id IN ({people})",
                   (*document_ids, *person_ids)).rowcount
    if n:
        audit.record(db, actor_id or "system", "annotation.recall", {"documents": list(document_ids), "count": n}, now)
    return n


def to_json(row, person):
    geometry = json.loads(row["geometry"])
    out = {"id": row["id"], "page": row["page"], "kind": row["kind"], "colour": row["colour"], "shared": bool(row["shared"]),
           "mine": row["person_id"] == person.id, "written_on": row["written_on"],
           "created_at": row["created_at"], "updated_at": row["updated_at"], **geometry}
    if row["kind"] == "note":
        out["text"] = row["note"]
    if not out["mine"]:
        out["author"] = row["author"]
    return out
