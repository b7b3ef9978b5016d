"""Sign-off of outgoing documents (发文审签): steps, decisions, versions and the document number.

The state machine is appliance/rules/signoff.py; this module loads and stores it. Every
decision runs inside one BEGIN IMMEDIATE transaction that re-reads the state, so two taps on
"approve" record one decision: the second either replays the same request key (and gets the
first answer back) or finds the step already passed (409). The number is allocated in that
same transaction, so a number exists exactly when the numbering step was approved.
"""

import json
import time
import uuid

from appliance.devices import people
from appliance.documents import library
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, access, archive, circulation
from appliance.office.common import clean_text, notify, publish, resolve_recipients, year_of
from appliance.rules import numbering, signoff
from appliance.rules.lockout import LockoutPolicy
from appliance.store import audit

STEP_LABELS = {
    "draft": _l("Drafting"),
    "check": _l("Checking"),
    "sign": _l("Leader sign-off"),
    "number": _l("Numbering"),
    "issue": _l("Issue"),
}
DECISION_LABELS = {"approve": _l("Approved"), "return": _l("Returned")}
RULE_MESSAGES = {
    "no_steps": _l("Choose the people for the steps."),
    "unknown_step": _l("Unknown step."),
    "no_step_person": _l("Choose a person for every step."),
    "duplicate_step": _l("Each step can appear only once."),
    "step_order": _l("The steps must keep the order drafting, checking, sign-off, numbering, issue."),
    "issue_last": _l("The last step must be the issue."),
    "sign_required": _l("An outgoing document needs a leader's sign-off step."),
    "finished": _l("This document has already been issued."),
    "not_your_step": _l("This step is not yours: only the person named for it can decide."),
    "remark_too_long": _l("The remark is too long (at most %(n)d characters).", n=signoff.MAX_REMARK),
    "reason_required": _l("Give the reason for returning the document."),
    "bad_return_target": _l("A document can only be returned to an earlier step."),
    "numbered": _l("The document already has its number and cannot go back before numbering."),
    "bad_decision": _l("Choose approve or return."),
}
NUMBER_MESSAGES = {
    "bad_kind": _l("The kind code must be lowercase letters or digits, e.g. ban."),
    "bad_pattern": _l("The pattern must contain {year} and {n} once each, e.g. 大安人大办〔{year}〕{n}号."),
}


def _rule_error(e):
    status = {"not_your_step": 403, "finished": 409}.get(e.code, 400)
    return UserError(e.code, RULE_MESSAGES.get(e.code, _l("This decision is not possible.")), status=status)


# The kinds of document the appliance is delivered with (0005_office.sql), in the reader's
# language while their label is still the delivered one; a label the office typed stays as typed.
DELIVERED_KINDS = {"ban": ("办公室发文", _l("Office document")), "chang": ("常委会发文", _l("Standing committee document"))}


def kind_label(kind, label):
    delivered = DELIVERED_KINDS.get(kind)
    return str(delivered[1]) if delivered and label == delivered[0] else label


def _labelled(row, label_key="kind_label"):
    return None if row is None else {**dict(row), label_key: kind_label(row["kind"], row[label_key])}


def kinds(store):
    return [_labelled(r, "label") for r in store.all("SELECT * FROM number_kinds ORDER BY kind")]


def save_kind(store, person, kind, label, pattern):
    try:
        numbering.validate_kind(kind)
        pattern = numbering.validate_pattern(pattern)
    except numbering.NumberingError as e:
        raise UserError(e.code, NUMBER_MESSAGES[e.code], field="pattern" if e.code == "bad_pattern" else "kind") from e
    label = clean_text(label, "label", 40)
    with store.write() as db:
        db.execute("INSERT INTO number_kinds (kind, label, pattern) VALUES (?,?,?) "
                   "ON CONFLICT (kind) DO UPDATE SET label = excluded.label, pattern = excluded.pattern", (kind, label, pattern))
        audit.record(db, person.id, "numbering.kind", {"kind": kind, "label": label, "pattern": pattern})
    return store.one("SELECT * FROM number_kinds WHERE kind = ?", (kind,))


def default_steps(store, drafter):
    """Who does what by default: the drafter drafts, the secretary checks, the first leader
    signs, office staff number and issue."""
    def first(*roles):
        for r in roles:
            found = people.everyone(store, r)
            if found:
                return found[0].id
        return None

    return [("draft", drafter.id), ("check", first("secretary", "staff")), ("sign", first("leader")),
            ("number", first("staff", "secretary")), ("issue", first("staff", "secretary"))]


def _steps_from(store, raw):
    if not isinstance(raw, list) or not raw:
        raise _rule_error(signoff.SignOffError("no_steps"))
    steps = []
    active = {p.id for p in people.everyone(store)}
    for item in raw:
        kind, pid = (item.get("step"), item.get("person_id")) if isinstance(item, dict) else item
        if pid not in active:
            raise UserError("no_step_person", RULE_MESSAGES["no_step_person"], field="steps")
        steps.append(signoff.Step(kind, pid))
    try:
        return signoff.validate_steps(steps)
    except signoff.SignOffError as e:
        raise _rule_error(e) from e


def create(store, person, title, kind, filename, data, steps, distribution=(), groups=(), classified=False, now=None):
    now = time.time() if now is None else now
    title = clean_text(title, "title", 200)
    if store.one("SELECT 1 FROM number_kinds WHERE kind = ?", (kind,)) is None:
        raise UserError("bad_kind", _l("Choose the kind of document from the list."), field="kind")
    steps = _steps_from(store, steps)
    dist = resolve_recipients(store, distribution, groups) if (distribution or groups) else []
    doc_id = library.create(store, person.id, title, filename, data, classified=classified, now=now)
    with store.write() as db:
        oid = db.execute("INSERT INTO outgoing (title, kind, document_id, created_by, created_at, distribution) "
                         "VALUES (?,?,?,?,?,?)", (title, kind, doc_id, person.id, now, json.dumps(dist))).lastrowid
        db.executemany("INSERT INTO outgoing_steps VALUES (?,?,?,?)",
                       [(oid, i, s.kind, s.person_id) for i, s in enumerate(steps)])
        library.grant(db, doc_id, [s.person_id for s in steps])
        audit.record(db, person.id, "outgoing.create",
                     {"outgoing": oid, "document": doc_id, "steps": [[s.kind, s.person_id] for s in steps]}, now)
    _announce(store, oid)
    return oid


def _workflow(db_or_store, row):
    steps = tuple(signoff.Step(s["kind"], s["person_id"]) for s in db_or_store.execute(
        "SELECT kind, person_id FROM outgoing_steps WHERE outgoing_id = ? ORDER BY position", (row["id"],)).fetchall())
    return signoff.Workflow(steps, row["position"], row["status"])


def get(store, oid):
    row = store.one("SELECT o.*, p.name AS creator_name, k.label AS kind_label FROM outgoing o "
                    "JOIN people p ON p.id = o.created_by JOIN number_kinds k ON k.kind = o.kind WHERE o.id = ?", (oid,))
    row = _labelled(row)
    if row is None:
        raise NotFound("no_outgoing", _l("No such outgoing document."))
    return row


def view(store, person, oid):
    """The document with its steps and sign-off trail, for those who may see the trail
    (appliance/office/access.py); to anyone else, including the distribution list, 404."""
    row = get(store, oid)
    if not access.may_see_trail(store, person, row):
        raise NotFound("no_outgoing", _l("No such outgoing document."))
    wf = _workflow(store.conn, row)
    steps = store.all("SELECT s.*, p.name FROM outgoing_steps s JOIN people p ON p.id = s.person_id "
                      "WHERE s.outgoing_id = ? ORDER BY s.position", (oid,))
    decisions = access.visible_trail(store, person, row)
    current = wf.current
    return {
        "outgoing": row, "steps": steps, "decisions": decisions, "current": current,
        "my_turn": current is not None and current.person_id == person.id,
        "needs_pin": signoff.needs_pin(current),
        "versions": library.versions(store, row["document_id"]),
        "distribution": json.loads(row["distribution"]),
        "request_key": uuid.uuid4().hex,
    }


def _check_pin(store, person, pin, cfg_policy):
    if not isinstance(pin, str) or not pin:
        raise UserError("pin_required", _l("Enter your PIN to confirm the sign-off."), field="pin", status=400)
    kind = "pin" if person.has_pin else "password"
    people.check_secret(store, person.id, pin, kind, cfg_policy)


def decide(store, person, oid, decision, remark="", to_position=None, request_key=None, position=None, pin=None,
           policy=LockoutPolicy(), now=None):
    """Approve or return the document at its current step. Idempotent per request key."""
    now = time.time() if now is None else now
    if request_key is not None and (not isinstance(request_key, str) or not 8 <= len(request_key) <= 64):
        raise UserError("bad_request_key", _l("The field %(f)s has the wrong type.", f="request_key"), field="request_key")
    request_key = request_key or uuid.uuid4().hex
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f="position"), field="position")
    row = get(store, oid)
    replay = store.one("SELECT * FROM outgoing_decisions WHERE outgoing_id = ? AND request_key = ?", (oid, request_key))
    if replay is not None:
        return dict(replay), False
    wf = _workflow(store.conn, row)
    if wf.current is not None and wf.current.person_id == person.id and decision == signoff.APPROVE \
            and signoff.needs_pin(wf.current) and (position is None or position == wf.position):
        _check_pin(store, person, pin, policy)  # before the write: a wrong PIN counts even if we then refuse
    with store.write() as db:
        replay = db.execute("SELECT * FROM outgoing_decisions WHERE outgoing_id = ? AND request_key = ?",
                            (oid, request_key)).fetchone()
        if replay is not None:
            return dict(replay), False
        row = db.execute("SELECT * FROM outgoing WHERE id = ?", (oid,)).fetchone()
        wf = _workflow(db, row)
        if position is not None and (position != wf.position or wf.status != signoff.IN_PROGRESS):
            raise Conflict("already_decided", _l("This step has already been decided; the page shows the current state."))
        try:
            out = signoff.decide(wf, person.id, decision, remark, to_position)
        except signoff.SignOffError as e:
            raise _rule_error(e) from e
        version = db.execute("SELECT v.version FROM documents d JOIN document_versions v ON v.id = d.current_version "
                             "WHERE d.id = ?", (row["document_id"],)).fetchone()[0]
        number = row["number"]
        if out.allocate_number:
            number = _allocate(db, row, now)
        did = db.execute(
            "INSERT INTO outgoing_decisions (outgoing_id, position, step, person_id, decision, to_position, remark, doc_version, at, request_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (oid, out.from_position, wf.current.kind, person.id, decision, out.to_position, (remark or "").strip(), version, now, request_key),
        ).lastrowid
        new = out.workflow
        db.execute("UPDATE outgoing SET position = ?, status = ?, issued_at = ? WHERE id = ?",
                   (new.position, new.status, now if out.issued else None, oid))
        audit.record(db, person.id, f"outgoing.{decision}",
                     {"outgoing": oid, "step": wf.current.kind, "to": out.to_position, "version": version,
                      "number": number if out.allocate_number else None, "remark": (remark or "").strip()}, now)
        circ_id = None
        if out.issued:
            circ_id = _issue(db, person, row, number, now)
        decision_row = dict(db.execute("SELECT * FROM outgoing_decisions WHERE id = ?", (did,)).fetchone())
    _announce(store, oid)
    if circ_id:
        circulation.announce(store, circ_id, json.loads(row["distribution"]))
    return decision_row, True


def _allocate(db, row, now):
    """The next number of this kind and year, in the caller's transaction (the schema refuses
    any other)."""
    year = year_of(now)
    kind = db.execute("SELECT pattern FROM number_kinds WHERE kind = ?", (row["kind"],)).fetchone()
    current = db.execute("SELECT max(seq) FROM document_numbers WHERE kind = ? AND year = ?", (row["kind"], year)).fetchone()[0]
    seq = numbering.next_seq(current)
    number = numbering.format_number(kind["pattern"], year, seq)
    db.execute("INSERT INTO document_numbers (kind, year, seq, number, outgoing_id, at) VALUES (?,?,?,?,?,?)",
               (row["kind"], year, seq, number, row["id"], now))
    db.execute("UPDATE outgoing SET number = ? WHERE id = ?", (number, row["id"]))
    return number


def _issue(db, person, row, number, now):
    """分发: file the document and send it to the distribution list as a circulation."""
    title = f"{number} {row['title']}" if number else row["title"]
    archive.file(db, person.id, "outgoing", row["id"], row["document_id"], row["title"], number=number or "",
                 category=row["kind"], now=now)
    dist = json.loads(row["distribution"])
    if dist:
        return circulation.insert(db, person.id, row["document_id"], title[:200], "", dist, now, outgoing_id=row["id"])
    return None


def revise(store, person, oid, filename, data, note=""):
    """A corrected version, by the person whose step it is; earlier versions stay."""
    row = get(store, oid)
    wf = _workflow(store.conn, row)
    if wf.current is None:
        raise Conflict("finished", RULE_MESSAGES["finished"])
    if wf.current.person_id != person.id:
        raise Forbidden("not_your_step", RULE_MESSAGES["not_your_step"])
    note = clean_text(note, "note", 200, required=False)
    return library.replace(store, person.id, row["document_id"], filename, data, note=note)


def _announce(store, oid):
    row = get(store, oid)
    wf = _workflow(store.conn, row)
    if wf.current is not None:
        notify(store, [wf.current.person_id], "office.inbox", {"kind": "outgoing", "id": oid})
    publish(f"person:{row['created_by']}", "office.outgoing", {"id": oid, "status": row["status"], "position": row["position"]})


def pending_for(store, person_id):
    return [_labelled(r) for r in store.all(
        "SELECT o.id, o.kind, o.title, o.created_at, s.kind AS step, k.label AS kind_label FROM outgoing o "
        "JOIN outgoing_steps s ON s.outgoing_id = o.id AND s.position = o.position "
        "JOIN number_kinds k ON k.kind = o.kind "
        "WHERE o.status = 'in_progress' AND s.person_id = ? ORDER BY o.created_at", (person_id,))]


def listing(store, person):
    if person.has(*OFFICE_ROLES):
        where, params = "", ()
    else:
        where, params = "WHERE EXISTS (SELECT 1 FROM outgoing_steps x WHERE x.outgoing_id = o.id AND x.person_id = ?)", (person.id,)
    return [_labelled(r) for r in store.all(
        "SELECT o.*, s.kind AS step, p.name AS step_person, k.label AS kind_label FROM outgoing o "
        "LEFT JOIN outgoing_steps s ON s.outgoing_id = o.id AND s.position = o.position AND o.status = 'in_progress' "
        "LEFT JOIN people p ON p.id = s.person_id JOIN number_kinds k ON k.kind = o.kind "
        f"{where} ORDER BY o.status = 'issued', o.created_at DESC LIMIT 200", params)]
