"""Circulation (传阅) with read receipts (已阅).

Staff send a document to people or groups; it lands in each recipient's inbox. Opening it is
recorded, and the recipient confirms it as read, optionally with a remark (a leader's 阅示 or
批示). The sender sees per recipient opened / read with times and who has not, and can nudge
those who have not. A closed circulation goes to the archive with its receipts.
"""

import time

from appliance.documents import library
from appliance.errors import Conflict, Forbidden, NotFound
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, access, archive
from appliance.office.common import clean_text, notify, publish, resolve_recipients
from appliance.store import audit

MAX_NOTE = 1000
MAX_REMARK = 500


def insert(db, sender_id, document_id, title, note, recipients, now, outgoing_id=None):
    """The rows of a new circulation, inside the caller's transaction; returns its id."""
    cid = db.execute(
        "INSERT INTO circulations (document_id, title, note, sender_id, sent_at, outgoing_id) VALUES (?,?,?,?,?,?)",
        (document_id, title, note, sender_id, now, outgoing_id),
    ).lastrowid
    db.executemany("INSERT INTO circulation_recipients (circulation_id, person_id) VALUES (?, ?)",
                   [(cid, p) for p in recipients])
    library.grant(db, document_id, recipients)
    audit.record(db, sender_id, "circulation.send",
                 {"circulation": cid, "document": document_id, "recipients": len(recipients)}, now)
    return cid


def announce(store, cid, recipients):
    notify(store, recipients, "office.inbox", {"kind": "circulation", "id": cid})


def send(store, sender, title, recipients=(), groups=(), note="", filename=None, data=None, document_id=None,
         classified=False, now=None):
    title = clean_text(title, "title", 200)
    note = clean_text(note, "note", MAX_NOTE, required=False)
    people_ids = resolve_recipients(store, recipients, groups, exclude=sender.id)
    if document_id is None:
        document_id = library.create(store, sender.id, title, filename, data, classified=classified, now=now)
    elif not library.can_read(store, sender, document_id):
        raise NotFound("no_document", _l("No such document."))
    now = time.time() if now is None else now
    with store.write() as db:
        cid = insert(db, sender.id, document_id, title, note, people_ids, now)
    announce(store, cid, people_ids)
    return cid


def get(store, cid):
    row = store.one("SELECT c.*, p.name AS sender_name FROM circulations c JOIN people p ON p.id = c.sender_id "
                    "WHERE c.id = ?", (cid,))
    if row is None:
        raise NotFound("no_circulation", _l("No such circulation."))
    return row


def receipt(store, cid, person_id):
    return store.one("SELECT * FROM circulation_recipients WHERE circulation_id = ? AND person_id = ?", (cid, person_id))


def may_manage(person, circ):
    return access.manages(person, circ["sender_id"])


def view(store, person, cid):
    """The circulation as `person` may see it (appliance/office/access.py): recipients see their
    own receipt, the sender and office staff see everyone's and who has not read it."""
    circ = get(store, cid)
    mine = receipt(store, cid, person.id)
    manage = may_manage(person, circ)
    if mine is None and not manage:
        raise NotFound("no_circulation", _l("No such circulation."))
    receipts = access.visible_receipts(store, person, circ)
    return {"circulation": circ, "mine": mine, "manage": manage, "receipts": receipts,
            "pending": [r for r in receipts if r["read_at"] is None] if manage else []}


def mark_opened(store, person, cid, now=None):
    now = time.time() if now is None else now
    with store.write() as db:
        cur = db.execute("UPDATE circulation_recipients SET opened_at = ? WHERE circulation_id = ? AND person_id = ? "
                         "AND opened_at IS NULL", (now, cid, person.id))
    if cur.rowcount:
        circ = get(store, cid)
        publish(f"person:{circ['sender_id']}", "office.receipt", {"circulation": cid, "person": person.id, "state": "opened"})
    return receipt(store, cid, person.id)


def confirm_read(store, person, cid, remark="", now=None):
    """已阅: the first confirmation counts; a second tap changes nothing."""
    remark = clean_text(remark, "remark", MAX_REMARK, required=False)
    circ = get(store, cid)
    now = time.time() if now is None else now
    with store.write() as db:
        row = db.execute("SELECT read_at FROM circulation_recipients WHERE circulation_id = ? AND person_id = ?",
                         (cid, person.id)).fetchone()
        if row is None:
            raise NotFound("no_circulation", _l("No such circulation."))
        if row["read_at"] is not None:
            changed = False
        else:
            if circ["status"] != "open":
                raise Conflict("circulation_closed", _l("This circulation has been closed."))
            db.execute("UPDATE circulation_recipients SET opened_at = coalesce(opened_at, ?), read_at = ?, remark = ? "
                       "WHERE circulation_id = ? AND person_id = ?", (now, now, remark or None, cid, person.id))
            audit.record(db, person.id, "circulation.read", {"circulation": cid, "remark": bool(remark)}, now)
            changed = True
    if changed:
        publish(f"person:{circ['sender_id']}", "office.receipt", {"circulation": cid, "person": person.id, "state": "read"})
        notify(store, [person.id], "office.inbox", {"kind": "circulation", "id": cid})
    return receipt(store, cid, person.id)


def remind(store, person, cid, now=None):
    """Nudge everyone who has not confirmed yet (pushed to their tablets); returns their ids."""
    circ = get(store, cid)
    if not may_manage(person, circ):
        raise Forbidden("not_sender", _l("Only the sender or the office staff can do this."))
    if circ["status"] != "open":
        raise Conflict("circulation_closed", _l("This circulation has been closed."))
    now = time.time() if now is None else now
    with store.write() as db:
        ids = [r[0] for r in db.execute("SELECT person_id FROM circulation_recipients WHERE circulation_id = ? "
                                        "AND read_at IS NULL", (cid,))]
        db.execute("UPDATE circulation_recipients SET reminders = reminders + 1, reminded_at = ? "
                   "WHERE circulation_id = ? AND read_at IS NULL", (now, cid))
        audit.record(db, person.id, "circulation.remind", {"circulation": cid, "people": len(ids)}, now)
    notify(store, ids, "office.reminder", {"kind": "circulation", "id": cid, "title": circ["title"]})
    return ids


def close(store, person, cid, now=None):
    circ = get(store, cid)
    if not may_manage(person, circ):
        raise Forbidden("not_sender", _l("Only the sender or the office staff can do this."))
    now = time.time() if now is None else now
    with store.write() as db:
        cur = db.execute("UPDATE circulations SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
                         (now, cid))
        if cur.rowcount != 1:
            raise Conflict("circulation_closed", _l("This circulation has been closed."))
        # The remarks stay out of the index every reader of the document shares: the search
        # finds them in the receipts, by access.receipt_rule.
        category = "outgoing" if circ["outgoing_id"] else "circulation"
        archive.file(db, person.id, "circulation", cid, circ["document_id"], circ["title"],
                     body=circ["note"], category=category, now=now)
        audit.record(db, person.id, "circulation.close", {"circulation": cid}, now)
    return get(store, cid)


def inbox(store, person, include_read=False):
    return store.all(
        "SELECT c.id, c.title, c.note, c.sent_at, c.status, c.document_id, p.name AS sender_name, r.opened_at, r.read_at, "
        "r.reminders FROM circulation_recipients r JOIN circulations c ON c.id = r.circulation_id "
        "JOIN people p ON p.id = c.sender_id WHERE r.person_id = ? "
        + ("" if include_read else "AND r.read_at IS NULL AND c.status = 'open' ")
        + "ORDER BY r.read_at IS NOT NULL, c.sent_at DESC LIMIT 200", (person.id,))


def sent(store, person, status=None):
    where = "" if person.has(*OFFICE_ROLES) else "WHERE c.sender_id = ?"
    params = () if person.has(*OFFICE_ROLES) else (person.id,)
    if status:
        where += (" AND " if where else "WHERE ") + "c.status = ?"
        params += (status,)
    return store.all(
        "SELECT c.id, c.title, c.sent_at, c.status, p.name AS sender_name, "
        "(SELECT count(*) FROM circulation_recipients r WHERE r.circulation_id = c.id) AS total, "
        "(SELECT count(*) FROM circulation_recipients r WHERE r.circulation_id = c.id AND r.read_at IS NOT NULL) AS done "
        f"FROM circulations c JOIN people p ON p.id = c.sender_id {where} ORDER BY c.sent_at DESC LIMIT 200", params)
