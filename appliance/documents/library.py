"""Storing, replacing, granting and streaming documents.

A PDF is stored without active content (files.clean_pdf: as uploaded if it had none and is
well-formed, else as qpdf rewrote it), and what was taken out is noted in the audit log; its
search text follows from a text job (text_jobs). Images are stored as uploaded.
"""

import hashlib
import json
import time

from appliance.documents import annotations, files, text_jobs
from appliance.errors import Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

CHUNK = 256 * 1024
READ_ALL_ROLES = ("staff", "secretary", "admin")
# fn(store, person, document_id) -> True when the document must look to `person` as if it did
# not exist (a material of a confidential agenda item: appliance/meetings/confidential.py).
HIDDEN = []


def _hidden(store, person, document_id):
    return any(hide(store, person, document_id) for hide in HIDDEN)
# How long an upload waits for its text when this process has a text worker: not at all. The
# text follows; what indexes it hears of it through `text_jobs.on_text` (office.archive), and a
# caller that needs it at once waits for it with `text(…, wait=…)` (a draft for comment's
# paragraphs). Above 0, each upload would be held up to that long for its text.
TEXT_GRACE = 0.0


def _prepare(filename, data, max_bytes):
    """(bytes to store, mime, pages, what was removed): the checks that run before the write."""
    mime = files.check_upload(filename, data, max_bytes)
    if mime != "application/pdf":
        return data, mime, 1, {}
    clean = files.clean_pdf(data)
    return clean.data, mime, clean.pages, clean.removed


def _write_version(db, document_id, actor_id, filename, data, mime, pages, note, now):
    version = db.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM document_versions WHERE document_id = ?", (document_id,)
    ).fetchone()[0]
    cur = db.execute(
        "INSERT INTO document_versions (document_id, version, filename, mime, size, sha256, pages, text, note, created_by, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (document_id, version, (filename or "file")[:200], mime, len(data), hashlib.sha256(data).hexdigest(),
         pages, "", note or "", actor_id, now),
    )
    vid = cur.lastrowid
    db.executemany(
        "INSERT INTO document_chunks (version_id, seq, data) VALUES (?,?,?)",
        ((vid, i, data[off:off + CHUNK]) for i, off in enumerate(range(0, len(data), CHUNK))),
    )
    db.execute("UPDATE documents SET current_version = ? WHERE id = ?", (vid, document_id))
    if mime == "application/pdf":
        text_jobs.enqueue(db, vid, now)
    return vid, version


def _hashes(uploaded, stored):
    """The audit's hashes: of what is stored, and of what was uploaded when that differs (a PDF
    qpdf rewrote), so a sender's own checksum can still be found."""
    out = {"sha256": hashlib.sha256(stored).hexdigest()}
    if stored != uploaded:
        out["uploaded_sha256"] = hashlib.sha256(uploaded).hexdigest()
    return out


def _note_removed(db, actor_id, document_id, version, removed, now):
    """The audit note for the staff: what the upload carried that the appliance took out."""
    if removed:
        audit.record(db, actor_id or "system", "document.neutralise",
                     {"document": document_id, "version": version, "removed": removed}, now)


def _text_follows(store, version_id):
    # Inside a caller's transaction the job is not committed yet: no worker could see it.
    if text_jobs.kick(store) and not store.conn.in_transaction:
        text_jobs.wait(store, version_id, TEXT_GRACE)


def create(store, actor_id, title, filename, data, classified=False, max_bytes=files.MAX_BYTES, now=None):
    """Store a new document; the checks (type, active content, bombs) run before the write, the
    text extraction after it."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise UserError("bad_title", _l("Enter a title of 1 to 200 characters."), field="title")
    stored, mime, pages, removed = _prepare(filename, data, max_bytes)
    now = time.time() if now is None else now
    with store.write() as db:
        doc_id = db.execute(
            "INSERT INTO documents (title, classified, created_by, created_at) VALUES (?,?,?,?)",
            (title, 1 if classified else 0, actor_id, now),
        ).lastrowid
        vid, version = _write_version(db, doc_id, actor_id, filename, stored, mime, pages, "", now)
        if actor_id:
            db.execute("INSERT OR IGNORE INTO document_grants VALUES (?, ?)", (doc_id, actor_id))
        audit.record(db, actor_id or "system", "document.create",
                     {"document": doc_id, "title": title, "classified": bool(classified), **_hashes(data, stored)}, now)
        _note_removed(db, actor_id, doc_id, version, removed, now)
    if mime == "application/pdf":
        _text_follows(store, vid)
    return doc_id


def replace(store, actor_id, document_id, filename, data, note="", max_bytes=files.MAX_BYTES, now=None):
    """A new version becomes current; the old one stays in history. Returns the version number."""
    if get(store, document_id) is None:
        raise NotFound("no_document", _l("No such document."))
    stored, mime, pages, removed = _prepare(filename, data, max_bytes)
    now = time.time() if now is None else now
    with store.write() as db:
        old_vid = db.execute("SELECT current_version FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
        vid, version = _write_version(db, document_id, actor_id, filename, stored, mime, pages, note, now)
        annotations.carry(db, actor_id, document_id, old_vid, vid, pages, now)  # 批注 follow onto the new version
        audit.record(db, actor_id, "document.replace",
                     {"document": document_id, "version": version, "note": note, **_hashes(data, stored)}, now)
        _note_removed(db, actor_id, document_id, version, removed, now)
    if mime == "application/pdf":
        _text_follows(store, vid)
    return version


def text(store, document_id, wait=0.0):
    """The current version's search text ('' while it is still being read), waiting up to `wait`
    seconds for this process's worker: for a caller that needs the text now, e.g. to split a
    draft into paragraphs. (Where no worker runs, as in a command-line tool, it does not wait.)"""
    vid = store.scalar("SELECT current_version FROM documents WHERE id = ?", (document_id,))
    if vid is None:
        raise NotFound("no_document", _l("No such document."))
    if wait and text_jobs.kick(store):
        text_jobs.wait(store, vid, wait)
    return store.scalar("SELECT text FROM document_versions WHERE id = ?", (vid,))


def text_state(store, document_id):
    """'ready', 'pending' or 'failed' for the current version's search text."""
    vid = store.scalar("SELECT current_version FROM documents WHERE id = ?", (document_id,))
    return text_jobs.state(store, vid)


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
    if doc is None or person is None or _hidden(store, person, document_id):
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


def open_for(store, person, document_id, version=None, part=False):
    """Check access and return the version row to stream; audits views of classified documents.
    part: a range request (pdf.js makes dozens per opening), audited only when this person's
    view of this version is not among the recent entries already."""
    doc = get(store, document_id)
    if doc is None or _hidden(store, person, document_id):
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
        detail = {"document": document_id, "version": row["version"]}
        if not (part and _viewed_recently(store, person.id, detail)):
            with store.write() as db:
                audit.record(db, person.id, "document.view", detail)
    return doc, row


RECENT_VIEWS = 2000  # audit entries looked back over for a range request's view


def _viewed_recently(store, person_id, detail):
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    return store.one(
        "SELECT 1 FROM audit WHERE seq > (SELECT coalesce(max(seq), 0) - ? FROM audit) AND action = 'document.view' "
        "AND actor = ? AND detail = ?", (RECENT_VIEWS, str(person_id), text)) is not None


def stream(store, version_id):
    """Yield the bytes of a version chunk by chunk (one query per chunk; memory stays flat)."""
    seq = 0
    while True:
        row = store.one("SELECT data FROM document_chunks WHERE version_id = ? AND seq = ?", (version_id, seq))
        if row is None:
            return
        yield bytes(row[0])
        seq += 1


def stream_range(store, version_id, first, last):
    """Yield bytes first..last (inclusive) of a version, reading only the chunks that hold them."""
    size = store.scalar("SELECT length(data) FROM document_chunks WHERE version_id = ? AND seq = 0", (version_id,))
    if not size:
        return
    seq, skip = divmod(first, size)  # every chunk but the last has the first one's size
    left = last - first + 1
    while left > 0:
        row = store.one("SELECT data FROM document_chunks WHERE version_id = ? AND seq = ?", (version_id, seq))
        if row is None:
            return
        part = bytes(row[0])[skip:skip + left]
        if not part:
            return
        yield part
        left -= len(part)
        skip = 0
        seq += 1
