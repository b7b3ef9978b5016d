"""Drafts for comment (征求意见稿) and the opinion summary sheet (意见汇总表).

Staff publish a draft as numbered paragraphs to chosen people with a deadline. Each person
comments on a paragraph or on the whole, or proposes replacement text for a paragraph; the
comments gather themselves by paragraph in time order, so nobody merges them by hand. Staff
record the drafter's response to each (adopted / partly / not adopted, with the reason), see
who has not responded, export the sheet, and reissue the draft as a new version.
"""

import logging
import re
import time

from appliance.documents import files, library
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, access, archive, export
from appliance.office.common import clean_text, notify, parse_deadline, publish, resolve_recipients
from appliance.store import audit

log = logging.getLogger("yishi.office")

MAX_TEXT = 100_000
MAX_PARAGRAPHS = 500
MAX_COMMENT = 5000
# A draft from a PDF is published with its paragraphs, so publishing waits for the PDF's text
# (an upload elsewhere does not: its text follows). Drafts are rare and the staff expect to see
# the paragraphs at once; the wait is as long as pdftotext itself may take, plus a margin.
PDF_TEXT_WAIT = files.TEXT_LIMITS.wall + 10
DISPOSITIONS = {
    "adopted": _l("Adopted"),
    "partly": _l("Partly adopted"),
    "not_adopted": _l("Not adopted"),
}
KINDS = {"comment": _l("Comment"), "replace": _l("Proposed text")}
_BLANK = re.compile(r"\n\s*\n")
_CJK_BREAK = re.compile(r"(?<=[\u3400-\u9fff，。；、：！？])\s*\n\s*(?=[\u3400-\u9fff])")


def split_paragraphs(text):
    """Numbered paragraphs from typed or extracted text: blank lines separate paragraphs when
    there are any (PDF text), else each line is one (pasted text)."""
    text = (text or "").replace("\r\n", "\n").replace("\f", "\n\n").strip()
    if _BLANK.search(text):
        parts = [_CJK_BREAK.sub("", p) for p in _BLANK.split(text)]
        parts = [" ".join(line.strip() for line in p.splitlines()) for p in parts]
    else:
        parts = text.splitlines()
    return [p.strip() for p in parts if p.strip()]


def publish_draft(store, person, title, deadline, recipients=(), groups=(), text=None, filename=None, data=None,
                  note="", now=None):
    """Create a consultation; the text is typed, or comes from an uploaded PDF."""
    cid, people_ids = _insert(store, person, title, deadline, recipients, groups, text, filename, data, note, now)
    notify(store, people_ids, "office.inbox", {"kind": "consultation", "id": cid})
    return cid


def _insert(store, person, title, deadline, recipients=(), groups=(), text=None, filename=None, data=None,
            note="", now=None, previous=None):
    now = time.time() if now is None else now
    title = clean_text(title, "title", 200)
    note = clean_text(note, "note", 1000, required=False)
    deadline = parse_deadline(deadline, now)
    people_ids = resolve_recipients(store, recipients, groups, exclude=person.id)
    document_id = None
    if data is not None:
        document_id = library.create(store, person.id, title, filename, data, now=now)
        text = library.text(store, document_id, wait=PDF_TEXT_WAIT)
        if not (text or "").strip():
            if library.text_state(store, document_id) == "pending":
                log.warning("draft PDF (document %s): its text was not read within %d s", document_id, PDF_TEXT_WAIT)
            raise UserError("no_text", _l("No text could be read from this file. Paste the text instead."), field="text")
    if not isinstance(text, str) or not text.strip():
        raise UserError("missing_field", _l("Paste the draft's text or choose its PDF."), field="text")
    if len(text) > MAX_TEXT:
        raise UserError("too_long", _l("The text is too long (at most %(n)d characters).", n=MAX_TEXT), field="text")
    paragraphs = split_paragraphs(text)
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise UserError("too_many_paragraphs", _l("The draft has more than %(n)d paragraphs.", n=MAX_PARAGRAPHS), field="text")
    with store.write() as db:
        version = 1 if previous is None else previous["version"] + 1
        cid = db.execute(
            "INSERT INTO consultations (series_id, version, previous_id, title, note, document_id, deadline, created_by, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (previous["series_id"] if previous else None, version, previous["id"] if previous else None, title, note,
             document_id, deadline, person.id, now),
        ).lastrowid
        if previous is None:
            db.execute("UPDATE consultations SET series_id = id WHERE id = ?", (cid,))
        db.executemany("INSERT INTO consultation_paragraphs VALUES (?,?,?)",
                       [(cid, i, p) for i, p in enumerate(paragraphs, start=1)])
        db.executemany("INSERT INTO consultation_people (consultation_id, person_id) VALUES (?, ?)",
                       [(cid, p) for p in people_ids])
        if document_id:
            library.grant(db, document_id, people_ids)
        audit.record(db, person.id, "consultation.publish",
                     {"consultation": cid, "version": version, "paragraphs": len(paragraphs), "people": len(people_ids)}, now)
    return cid, people_ids


def get(store, cid):
    row = store.one("SELECT c.*, p.name AS creator_name FROM consultations c JOIN people p ON p.id = c.created_by "
                    "WHERE c.id = ?", (cid,))
    if row is None:
        raise NotFound("no_consultation", _l("No such draft for comment."))
    return row


def may_manage(person, c):
    return access.manages(person, c["created_by"])


def participant(store, cid, person_id):
    return store.one("SELECT * FROM consultation_people WHERE consultation_id = ? AND person_id = ?", (cid, person_id))


def view(store, person, cid, now=None):
    c = get(store, cid)
    manage = may_manage(person, c)
    mine = participant(store, cid, person.id)
    if not manage and mine is None:
        raise NotFound("no_consultation", _l("No such draft for comment."))
    now = time.time() if now is None else now
    paragraphs = store.all("SELECT number, text FROM consultation_paragraphs WHERE consultation_id = ? ORDER BY number", (cid,))
    comments = access.visible_comments(store, person, c)
    people_rows = store.all(
        "SELECT cp.*, p.name, p.seat FROM consultation_people cp JOIN people p ON p.id = cp.person_id "
        "WHERE cp.consultation_id = ? ORDER BY cp.responded_at IS NULL DESC, p.seat IS NULL, p.seat, p.id", (cid,)) if manage else []
    previous = None
    if c["previous_id"]:
        before = get(store, c["previous_id"])
        previous = {"consultation": before, "comments": access.visible_comments(store, person, before)}
    return {
        "consultation": c, "paragraphs": paragraphs, "comments": comments, "manage": manage, "mine": mine,
        "people": people_rows, "pending": [r for r in people_rows if r["responded_at"] is None],
        "open": c["status"] == "open" and now <= c["deadline"], "previous": previous,
    }


def _check_open(db, c, person_id, now):
    if db.execute("SELECT 1 FROM consultation_people WHERE consultation_id = ? AND person_id = ?",
                  (c["id"], person_id)).fetchone() is None:
        raise Forbidden("not_invited", _l("You were not asked for comments on this draft."))
    if c["status"] != "open":
        raise Conflict("consultation_closed", _l("Comments on this draft are closed."))
    if now > c["deadline"]:
        raise Conflict("deadline_passed", _l("The deadline for comments has passed. Please contact the office if you still want to comment."))


def comment(store, person, cid, body, paragraph=None, kind="comment", now=None):
    now = time.time() if now is None else now
    c = get(store, cid)
    body = clean_text(body, "body", MAX_COMMENT)
    if kind not in KINDS:
        raise UserError("bad_kind", _l("Choose a comment or a proposed text."), field="kind")
    if paragraph is not None and (isinstance(paragraph, bool) or not isinstance(paragraph, int)):
        raise UserError("bad_paragraph", _l("No such paragraph."), field="paragraph")
    if kind == "replace" and paragraph is None:
        raise UserError("paragraph_required", _l("Choose the paragraph the proposed text replaces."), field="paragraph")
    with store.write() as db:
        _check_open(db, c, person.id, now)
        if paragraph is not None and db.execute("SELECT 1 FROM consultation_paragraphs WHERE consultation_id = ? AND number = ?",
                                                (cid, paragraph)).fetchone() is None:
            raise UserError("bad_paragraph", _l("No such paragraph."), field="paragraph")
        kid = db.execute("INSERT INTO consultation_comments (consultation_id, paragraph, kind, body, author_id, created_at) "
                         "VALUES (?,?,?,?,?,?)", (cid, paragraph, kind, body, person.id, now)).lastrowid
        db.execute("UPDATE consultation_people SET responded_at = coalesce(responded_at, ?), no_comment = 0 "
                   "WHERE consultation_id = ? AND person_id = ?", (now, cid, person.id))
        audit.record(db, person.id, "consultation.comment", {"consultation": cid, "comment": kid, "paragraph": paragraph}, now)
    publish(f"person:{c['created_by']}", "office.comment", {"consultation": cid, "comment": kid})
    return kid


def no_comment(store, person, cid, now=None):
    """无意见: responding without a comment counts as a response."""
    now = time.time() if now is None else now
    c = get(store, cid)
    with store.write() as db:
        _check_open(db, c, person.id, now)
        db.execute("UPDATE consultation_people SET responded_at = coalesce(responded_at, ?), "
                   "no_comment = CASE WHEN EXISTS (SELECT 1 FROM consultation_comments WHERE consultation_id = ? AND author_id = ?) "
                   "THEN 0 ELSE 1 END WHERE consultation_id = ? AND person_id = ?", (now, cid, person.id, cid, person.id))
        audit.record(db, person.id, "consultation.no_comment", {"consultation": cid}, now)
    return participant(store, cid, person.id)


def dispose(store, person, comment_id, disposition, reason="", now=None):
    """The drafter's response to one comment (采纳 / 部分采纳 / 不采纳 and why)."""
    now = time.time() if now is None else now
    k = store.one("SELECT * FROM consultation_comments WHERE id = ?", (comment_id,))
    if k is None:
        raise NotFound("no_comment", _l("No such comment."))
    c = get(store, k["consultation_id"])
    if not may_manage(person, c):
        raise Forbidden("not_drafter", _l("Only the office staff can record the response to a comment."))
    if disposition not in DISPOSITIONS:
        raise UserError("bad_disposition", _l("Choose adopted, partly adopted or not adopted."), field="disposition")
    reason = clean_text(reason, "reason", 1000, required=False)
    if disposition != "adopted" and not reason:
        raise UserError("reason_required", _l("Give the reason when a comment is not (fully) adopted."), field="reason")
    with store.write() as db:
        db.execute("UPDATE consultation_comments SET disposition = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                   (disposition, reason, person.id, now, comment_id))
        audit.record(db, person.id, "consultation.dispose", {"comment": comment_id, "disposition": disposition}, now)
    return store.one("SELECT * FROM consultation_comments WHERE id = ?", (comment_id,))


def summary(store, cid):
    """The rows of the 意见汇总表, as plain values for the exports (appliance/office/export.py),
    labels included: the exports know nothing of this module. Every comment is in it, so only
    the drafter and the office staff get it."""
    c = get(store, cid)
    rows = []
    for i, k in enumerate(access.all_comments(store, cid), start=1):
        rows.append({
            "no": i, "paragraph": k["paragraph"], "original": k["original"] or "", "kind": k["kind"],
            "body": k["body"], "author": k["author_name"], "at": k["created_at"],
            "disposition": k["disposition"], "reason": k["reason"] or "",
            "disposition_label": DISPOSITIONS[k["disposition"]] if k["disposition"] else None,
        })
    invited = store.scalar("SELECT count(*) FROM consultation_people WHERE consultation_id = ?", (cid,))
    responded = store.scalar("SELECT count(*) FROM consultation_people WHERE consultation_id = ? AND responded_at IS NOT NULL", (cid,))
    return {"title": c["title"], "version": c["version"], "deadline": c["deadline"], "rows": rows,
            "invited": invited, "responded": responded}


def _file_summary(store, person, c, status, now):
    """Close a version: keep its summary sheet as a PDF document and file it in the archive."""
    pdf = export.summary_pdf(summary(store, c["id"]))
    doc_title = f"{c['title']}（第{c['version']}稿）意见汇总表"[:200]
    doc_id = library.create(store, person.id, doc_title, "summary.pdf", pdf, now=now)
    with store.write() as db:
        cur = db.execute("UPDATE consultations SET status = ?, closed_at = ?, summary_document_id = ? WHERE id = ? AND status = 'open'",
                         (status, now, doc_id, c["id"]))
        if cur.rowcount != 1:
            raise Conflict("consultation_closed", _l("Comments on this draft are closed."))
        text = " ".join(r[0] for r in db.execute("SELECT text FROM consultation_paragraphs WHERE consultation_id = ? "
                                                 "ORDER BY number", (c["id"],)))
        archive.file(db, person.id, "consultation", c["id"], doc_id, doc_title, body=text, category="consultation", now=now)
        audit.record(db, person.id, f"consultation.{status}", {"consultation": c["id"], "summary": doc_id}, now)
    return doc_id


def _open_for_drafter(store, person, cid):
    """The version, if it is still open and `person` may close or reissue it."""
    c = get(store, cid)
    if not may_manage(person, c):
        raise Forbidden("not_drafter", _l("Only the office staff can do this."))
    if c["status"] != "open":
        raise Conflict("consultation_closed", _l("Comments on this draft are closed."))
    return c


def close(store, person, cid, now=None):
    now = time.time() if now is None else now
    return _file_summary(store, person, _open_for_drafter(store, person, cid), "closed", now)


def reissue(store, person, cid, text, deadline, now=None):
    """A new version with the revised text, to the same people; the old one is filed with the
    dispositions of its comments, which the new version shows."""
    now = time.time() if now is None else now
    c = _open_for_drafter(store, person, cid)
    undecided = store.scalar("SELECT count(*) FROM consultation_comments WHERE consultation_id = ? AND disposition IS NULL", (cid,))
    if undecided:
        raise Conflict("undecided_comments", _l("Record the response to every comment before reissuing (%(n)d left).", n=undecided))
    recipients = [r[0] for r in store.all("SELECT person_id FROM consultation_people WHERE consultation_id = ?", (cid,))]
    new_id, people_ids = _insert(store, person, c["title"], deadline, recipients=recipients, text=text, note=c["note"],
                                 now=now, previous=c)
    _file_summary(store, person, c, "superseded", now)
    # Told once the old version is filed, so the count they are pushed no longer includes it.
    notify(store, people_ids, "office.inbox", {"kind": "consultation", "id": new_id})
    return new_id


def listing(store, person):
    if person.has(*OFFICE_ROLES):
        return store.all(
            "SELECT c.*, (SELECT count(*) FROM consultation_people x WHERE x.consultation_id = c.id) AS invited, "
            "(SELECT count(*) FROM consultation_people x WHERE x.consultation_id = c.id AND x.responded_at IS NOT NULL) AS responded, "
            "(SELECT count(*) FROM consultation_comments k WHERE k.consultation_id = c.id) AS comments "
            "FROM consultations c ORDER BY c.created_at DESC LIMIT 200")
    return store.all(
        "SELECT c.*, cp.responded_at FROM consultation_people cp JOIN consultations c ON c.id = cp.consultation_id "
        "WHERE cp.person_id = ? ORDER BY c.status = 'open' DESC, c.created_at DESC LIMIT 200", (person.id,))


def waiting_for(store, person, now=None):
    now = time.time() if now is None else now
    return store.all(
        "SELECT c.id, c.title, c.deadline, c.version FROM consultation_people cp JOIN consultations c ON c.id = cp.consultation_id "
        "WHERE cp.person_id = ? AND cp.responded_at IS NULL AND c.status = 'open' AND c.deadline >= ? ORDER BY c.deadline",
        (person.id, now))
