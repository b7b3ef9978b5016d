"""Storing, replacing, granting and streaming documents."""

import hashlib
import time

from appliance.documents import files
from appliance.errors import Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

CHUNK = 256 * 1024
READ_ALL_ROLES = ("staff", "secretary", "admin")


def _facts(filename, data, max_bytes):
    mime = files.check_upload(filename, data, max_bytes)
    pages, text = files.pdf_facts(data) if mime == "application/pdf" else (1, "")
    return mime, pages, text


def _write_version(db, document_id, actor_id, filename, data, mime, pages, text, note, now):
    version = db.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM document_versions WHERE document_id = ?", (document_id,)
    ).fetchone()[0]
    cur = db.execute(
        "INSERT INTO document_versions (document_id, version, filename, mime, size, sha256, pages, text, note, created_by, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (document_id, version, (filename or "file")[:200], mime, len(data), hashlib.sha256(data).hexdigest(),
         pages, text, note or "", actor_id, now),
    )
    vid = cur.lastrowid
    db.executemany(
        "INSERT INTO document_chunks (version_id, seq, data) VALUES (?,?,?)",
        ((vid, i, data[off:off + CHUNK]) for i, off in enumerate(range(0, len(data), CHUNK))),
    )
    db.execute("UPDATE documents SET current_version = ? WHERE id = ?", (vid, document_id))
    return vid, version


def create(store, actor_id, title, filename, data, classified=False, max_bytes=files.MAX_BYTES, now=None):
    """Store a new document; the expensive checks (type, text extraction) run before the write."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise UserError("bad_title", _l("Enter a title of 1 to 200 characters."), field="title")
    mime, pages, text = _facts(filename, data, max_bytes)
    now = time.time() if now is None else now
    with store.write() as db:
        doc_id = db.execute(
            "INSERT INTO documents (title, classified, created_by, created_at) VALUES (?,?,?,?)",
            (title, 1 if classified else 0, actor_id, now),
        ).lastrowid
        vid, _ = _write_version(db, doc_id, actor_id, filename, data, mime, pages, text, "", now)
        if actor_id:
            db.execute("INSERT OR IGNORE INTO document_grants VALUES (?, ?)", (doc_id, actor_id))
        audit.record(db, actor_id or "system", "document.create",
                     {"document": doc_id, "title": title, "classified": bool(classified), "sha256": hashlib.sha256(data).hexdigest()}, now)
    return doc_id


def replace(store, actor_id, document_id, filename, data, note="", max_bytes=files.MAX_BYTES, now=None):
    """A new version becomes current; the old one stays in history. Returns the version number."""
    if get(store, document_id) is None:
        raise NotFound("no_document", _l("No such document."))
    mime, pages, text = _facts(filename, data, max_bytes)
    now = time.time() if now is None else now
    with store.write() as db:
        _, version = _write_version(db, document_id, actor_id, filename, data, mime, pages, text, note, now)
        audit.record(db, actor_id, "document.replace", {"document": document_id, "version": version, "note": note}, now)
    return version


def get(store, document_id):
    return store.one(
        "SELECT d.*, v.version, v.filename, v.mime, v.size, v.sha256, v.pages, v.created_at AS version_at "
        "FROM documents d LEFT JOIN document_versions v ON v.id = d.current_version WHERE d.id = ?",
        (document_id,),
    )


def versions(store, document_id):
    return store.all(
        "SELECT v.id, v.version, v.filename, v.size, v.sha256, v.note, v.created_at, p.name AS by_name "
        "FROM document_versions v LEFT JOIN people p ON p.id = v.created_by WHERE v.document_id = ? ORDER BY v.version DESC",
        (document_id,),
    )


def grant(db, document_id, person_ids):
    db.executemany("INSERT OR IGNORE INTO document_grants VALUES (?, ?)", [(document_id, p) for p in person_ids])


def revoke(db, document_id, person_ids=None):
    if person_ids is None:
        db.execute("DELETE FROM document_grants WHERE document_id = ? AND person_id NOT IN "
                   "(SELECT created_by FROM documents WHERE id = ? AND created_by IS NOT NULL)", (document_id, document_id))
    else:
        db.executemany("DELETE FROM document_grants WHERE document_id = ? AND person_id = ?", [(document_id, p) for p in person_ids])


def can_read(store, person, document_id):
    doc = store.one("SELECT classified FROM documents WHERE id = ?", (document_id,))
    if doc is None or person is None:
        return False
    if not doc["classified"] and person.has(*READ_ALL_ROLES):
        return True
    return store.one("SELECT 1 FROM document_grants WHERE document_id = ? AND person_id = ?", (document_id, person.id)) is not None


def readable_clause(person):
    """(SQL condition on `documents d`, params) for 'this person may read d' (search, lists)."""
    granted = "EXISTS (SELECT 1 FROM document_grants g WHERE g.document_id = d.id AND g.person_id = ?)"
    if person.has(*READ_ALL_ROLES):
        return f"(d.classified = 0 OR {granted})", (person.id,)
    return granted, (person.id,)


def open_for(store, person, document_id, version=None):
    """Check access and return the version row to stream; audits views of classified documents."""
    doc = get(store, document_id)
    if doc is None:
        raise NotFound("no_document", _l("No such document."))
    if not can_read(store, person, document_id):
        raise Forbidden("no_access", _l("You may not read this document."))
    if version is None:
        row = store.one("SELECT * FROM document_versions WHERE id = ?", (doc["current_version"],))
    else:
        row = store.one("SELECT * FROM document_versions WHERE document_id = ? AND version = ?", (document_id, version))
        if row is None:
            raise NotFound("no_version", _l("No such version of this document."))
    if doc["classified"]:
        with store.write() as db:
            audit.record(db, person.id, "document.view", {"document": document_id, "version": row["version"]})
    return doc, row


def stream(store, version_id):
    """Yield the bytes of a version chunk by chunk (one query per chunk; memory stays flat)."""
    seq = 0
    while True:
        row = store.one("SELECT data FROM document_chunks WHERE version_id = ? AND seq = ?", (version_id, seq))
        if row is None:
            return
        yield bytes(row[0])
        seq += 1
