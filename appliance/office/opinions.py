"""审议意见 (deliberation opinions) and the supervision loop the office runs from them.

During or after an agenda item the members give their opinions on it: typed on the tablet, or
entered by the staff from the floor on a member's behalf (then marked so, with who). The office
compiles an item's opinions, in time order and by member, into the committee's 审议意见书 (the
sheet of appliance/office/export.py, which the 意见汇总表 of drafts for comment also uses), and
that closes the item for opinions. The 审议意见书 becomes an outgoing document and goes through
the ordinary sign-off (appliance/office/outgoing.py); once issued, the office sends it (交办) to
the body concerned with a deadline, records the handling report (办理情况报告) when it comes back
(uploaded here; `import_report` is the door for the USB import), and can put that report to a
满意度测评 at a later meeting: an agenda item there, with the report as its material and an
assessment poll (appliance/meetings/sheets.py). Where a loop stands is appliance/rules/opinion_loop.py.

Who sees what: the office staff see every loop and every opinion; a member sees their own
opinions and, for each, every step of the item's loop (and may read the 审议意见书 once sent and
the report once received: they are granted). Confidential items keep their rules
(appliance/meetings/confidential.py): an item hidden from a person is, here too, an item that
does not exist for them.

Opinions are closed on an item when the office has compiled them, and before the meeting is in
session. Once the meeting is closed a member can no longer type one, but the staff can still
enter what a member hands in on paper, until the compilation.
"""

import datetime
import time

from flask_babel import force_locale

from appliance.devices import people
from appliance.documents import library
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.i18n import select_locale
from appliance.meetings import confidential, core, polls, sheets
from appliance.office import OFFICE_ROLES, export, outgoing
from appliance.office.common import parse_deadline, publish
from appliance.rules import opinion_loop
from appliance.store import audit

MAX_OPINION = 3000
MAX_ORGAN = 100
MAX_DEADLINE_DAYS = 3 * 366  # a handling deadline is months, not years; a typo of 2206 for 2026 is caught
# The bodies an opinion is usually sent to (交办); any other can be typed.
ORGANS = ("区人民政府", "区监察委员会", "区人民法院", "区人民检察院")
KIND = "chang"  # 常委会发文: the 审议意见书 is the committee's document
SOURCE_LABELS = {"tablet": _l("Typed on the tablet"), "staff": _l("Entered by staff")}
STATE_LABELS = {
    "open": _l("Collecting opinions"),
    "compiled": _l("In sign-off"),
    "signed": _l("Signed off, to be sent"),
    "sent": _l("Sent, awaiting the report"),
    "overdue": _l("Overdue: no report"),
    "reported": _l("Report received"),
    "assessing": _l("Satisfaction assessment scheduled"),
    "assessed": _l("Assessed"),
}
STEP_LABELS = {
    "compiled": _l("Compiled into the deliberation opinions"),
    "signed": _l("Signed off"),
    "sent": _l("Sent to the body concerned"),
    "reported": _l("Handling report received"),
    "assessing": _l("Put to a satisfaction assessment"),
    "assessed": _l("Assessment result"),
}

_ITEM = ("SELECT i.*, m.title AS meeting_title, m.status AS meeting_status, m.starts_at AS meeting_starts_at "
         "FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id WHERE i.id = ?")


def _office_only(person):
    if not person.has(*OFFICE_ROLES):
        raise Forbidden("office_only", _l("Only the office staff can do this."))


def _item(store, person, item_id, meeting_id=None):
    """The item with its meeting, as `person` may see it: a confidential item hidden from them,
    like an item of another meeting than the one named, is not there."""
    confidential.item_for(store, person, item_id)
    it = store.one(_ITEM, (item_id,))
    if meeting_id is not None and it["meeting_id"] != meeting_id:
        raise NotFound("no_item", _l("This item is not on the agenda of this meeting."))
    return it


def _loop_row(db, item_id):
    return db.execute("SELECT * FROM opinion_loops WHERE item_id = ?", (item_id,)).fetchone()


def _text(value, name, max_len, empty, too_long, wrong=None):
    """Typed text, stripped: `empty` and `too_long` are (code, message) for those mistakes."""
    if value is not None and not isinstance(value, str):
        raise UserError(*(wrong or empty), field=name)
    value = (value or "").strip()
    if not value:
        raise UserError(*empty, field=name)
    if len(value) > max_len:
        raise UserError(*too_long, field=name)
    return value


def _clean_body(body):
    return _text(body, "body", MAX_OPINION, ("empty_opinion", _l("Write your opinion before sending it.")),
                 ("opinion_too_long", _l("The opinion is too long: at most %(n)d characters. Split it in two.", n=MAX_OPINION)),
                 ("bad_field", _l("The opinion must be text.")))


# -- giving ----------------------------------------------------------------------------------

def give(store, actor, item_id, body, meeting_id=None, on_behalf_of=None, now=None):
    """One opinion on an item: the actor's own (typed on the tablet), or, by staff, a member's
    given from the floor (`on_behalf_of`: that member's id). Returns the opinion's id."""
    now = time.time() if now is None else now
    it = _item(store, actor, item_id, meeting_id)
    body = _clean_body(body)
    if on_behalf_of is None:
        giver, source, entered_by = actor, "tablet", None
    else:
        if not actor.has(*OFFICE_ROLES):
            raise Forbidden("office_only", _l("Only the staff can enter an opinion on a member's behalf."))
        if isinstance(on_behalf_of, bool) or not isinstance(on_behalf_of, int):
            raise UserError("bad_person", _l("Choose the member from the list."), field="person")
        giver = people.get(store, on_behalf_of)
        source, entered_by = "staff", actor.id
        if giver is None:
            raise UserError("bad_person", _l("Choose the member from the list."), field="person")
    if core.participant(store, it["meeting_id"], giver.id) is None or \
            (it["confidential"] and not confidential.sees_all(store, giver, it["meeting_id"])):
        if on_behalf_of is None:
            raise Forbidden("not_on_list", _l("Only the members and attendees of this meeting can give opinions on its items."))
        raise UserError("not_on_list", _l("%(name)s is not on the list of this meeting (or may not see this item).",
                                          name=giver.name), field="person")
    with store.write() as db:
        status = db.execute("SELECT status FROM meetings WHERE id = ?", (it["meeting_id"],)).fetchone()[0]
        if _loop_row(db, item_id) is not None:
            raise Conflict("opinions_closed", _l("The office has compiled the opinions on this item: it is closed for opinions."))
        if status == "planned":
            raise Conflict("not_in_session", _l("The meeting is not in session yet: opinions open when it begins."))
        if status == "closed" and source == "tablet":
            raise Conflict("meeting_closed", _l("The meeting is closed. Hand your opinion to the office in writing: the staff "
                                                "can enter it until the opinions are compiled."))
        oid = db.execute("INSERT INTO opinions (item_id, person_id, body, source, entered_by, created_at) VALUES (?,?,?,?,?,?)",
                         (item_id, giver.id, body, source, entered_by, now)).lastrowid
        audit.record(db, actor.id, "opinion.give", {"opinion": oid, "item": item_id, "meeting": it["meeting_id"],
                                                    "person": giver.id, "source": source, "length": len(body)}, now)
    publish("staff", "opinions.new", {"item": item_id, "opinion": oid})
    return oid


def opinions(store, person, item_id):
    """The item's opinions `person` may see, in time order: every one for the office staff, their
    own for anyone else (the chair included: a member like the others here)."""
    mine = "" if person.has(*OFFICE_ROLES) else "AND o.person_id = ?"
    return store.all(
        "SELECT o.*, p.name, p.seat, e.name AS entered_by_name FROM opinions o JOIN people p ON p.id = o.person_id "
        f"LEFT JOIN people e ON e.id = o.entered_by WHERE o.item_id = ? {mine} ORDER BY o.created_at, o.id",
        (item_id, person.id) if mine else (item_id,))


def meeting_items(store, person, meeting_id, now=None):
    """The items of a meeting `person` may see, each with their own opinions and whether it takes
    more: the page with a 发表审议意见 action per item."""
    m = core.get(store, meeting_id)
    if not core.may_follow(store, person, meeting_id):
        raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))
    hidden = confidential.hidden_items(store, person, meeting_id)
    closed = {r[0] for r in store.all("SELECT l.item_id FROM opinion_loops l JOIN agenda_items i ON i.id = l.item_id "
                                      "WHERE i.meeting_id = ?", (meeting_id,))}
    mine = {}
    for r in store.all("SELECT o.* FROM opinions o JOIN agenda_items i ON i.id = o.item_id WHERE i.meeting_id = ? AND o.person_id = ? "
                       "ORDER BY o.created_at, o.id", (meeting_id, person.id)):
        mine.setdefault(r["item_id"], []).append(r)
    out = []
    for n, it in enumerate([i for i in core.items(store, meeting_id) if i["id"] not in hidden], start=1):
        out.append({"item": it, "number": n, "mine": mine.get(it["id"], []),
                    "open": m["status"] == "open" and it["id"] not in closed})
    return m, out


# -- the loop --------------------------------------------------------------------------------

def _document_tables(rows):
    """The two tables of the 审议意见书: every opinion in time order, then by member (in seat
    order), each member's in time order."""
    def when(r):
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(r["created_at"]))

    def how(r):
        return str(SOURCE_LABELS["tablet"]) if r["source"] == "tablet" else \
            _("Entered by staff (%(name)s)", name=r["entered_by_name"])

    by_time = [[str(n), r["name"], when(r), r["body"], how(r)] for n, r in enumerate(rows, start=1)]
    by_member = []
    for r in sorted(rows, key=lambda r: (r["seat"] is None, r["seat"] or 0, r["person_id"], r["created_at"], r["id"])):
        by_member.append([r["name"], when(r), r["body"]])
    return [
        export.Table(_("In time order"), [_("No."), _("Member"), _("Time"), _("Opinion"), _("How it was given")], by_time,
                     (1.2, 2.6, 3.2, 15.9, 3.8)),
        export.Table(_("By member"), [_("Member"), _("Time"), _("Opinion")], by_member, (3.0, 3.2, 20.5)),
    ]


def _document_text(it, rows):
    givers = len({r["person_id"] for r in rows})
    heading = _("Deliberation opinions on %(item)s", item=it["title"])
    facts = _("%(meeting)s, %(date)s. %(people)d members gave %(n)d opinions.", meeting=it["meeting_title"],
              date=time.strftime("%Y-%m-%d", time.localtime(it["meeting_starts_at"])), people=givers, n=len(rows))
    return heading, facts


def document(store, item_id, fmt):
    """The 审议意见书 of an item as DOCX or PDF bytes, always in Chinese (the office files it so)."""
    it = store.one(_ITEM, (item_id,))
    if it is None:
        raise NotFound("no_item", _l("No such agenda item."))
    rows = store.all("SELECT o.*, p.name, p.seat, e.name AS entered_by_name FROM opinions o JOIN people p ON p.id = o.person_id "
                     "LEFT JOIN people e ON e.id = o.entered_by WHERE o.item_id = ? ORDER BY o.created_at, o.id", (item_id,))
    with force_locale("zh_CN"):
        heading, facts = _document_text(it, rows)
        tables = _document_tables(rows)
        return (export.sheet_docx if fmt == "docx" else export.sheet_pdf)(heading, facts, tables), heading, len(rows)


def compile_(store, person, item_id, steps=None, now=None):
    """Compile the item's opinions into its 审议意见书 and start that document's sign-off
    (default steps: outgoing.default_steps). Closes the item for opinions. Returns the
    outgoing document's id."""
    now = time.time() if now is None else now
    _office_only(person)
    it = _item(store, person, item_id)
    if store.one("SELECT 1 FROM opinion_loops WHERE item_id = ?", (item_id,)):
        raise Conflict("already_compiled", _l("The opinions on this item have already been compiled."))
    if not store.scalar("SELECT count(*) FROM opinions WHERE item_id = ?", (item_id,)):
        raise Conflict("no_opinions", _l("There are no opinions on this item to compile yet."))
    if steps is None:
        steps = [{"step": k, "person_id": p} for k, p in outgoing.default_steps(store, person)]
    # First close the item for opinions, then draw the document from what is now fixed and start
    # its sign-off: the PDF and its checks run outside the write lock (no ballot waits for them),
    # and no opinion can arrive between the drawing and the closing.
    with store.write() as db:
        if _loop_row(db, item_id) is not None:
            raise Conflict("already_compiled", _l("The opinions on this item have already been compiled."))
        n = db.execute("SELECT count(*) FROM opinions WHERE item_id = ?", (item_id,)).fetchone()[0]
        db.execute("INSERT INTO opinion_loops (item_id, compiled_at, compiled_by, opinions) VALUES (?,?,?,?)",
                   (item_id, now, person.id, n))
    try:
        pdf, heading, _n = document(store, item_id, "pdf")
        oid = outgoing.create(store, person, heading[:200], KIND, "审议意见书.pdf", pdf, steps,
                              classified=bool(it["confidential"]), now=now)
    except BaseException:
        with store.write() as db:  # nothing was compiled: the item takes opinions again
            db.execute("DELETE FROM opinion_loops WHERE item_id = ? AND outgoing_id IS NULL", (item_id,))
        raise
    with store.write() as db:
        db.execute("UPDATE opinion_loops SET outgoing_id = ? WHERE item_id = ?", (oid, item_id))
        audit.record(db, person.id, "opinion.compile", {"item": item_id, "outgoing": oid, "opinions": n}, now)
    _tell_givers(store, item_id, "compiled")
    return oid


def _givers(db_or_store, item_id):
    conn = getattr(db_or_store, "conn", db_or_store)
    return [r[0] for r in conn.execute("SELECT DISTINCT person_id FROM opinions WHERE item_id = ?", (item_id,)).fetchall()]


def _tell_givers(store, item_id, step):
    for p in _givers(store, item_id):
        publish(f"person:{p}", "opinions.step", {"item": item_id, "step": step})


def _loop_for_office(store, person, item_id):
    _office_only(person)
    it = _item(store, person, item_id)
    loop = store.one("SELECT * FROM opinion_loops WHERE item_id = ?", (item_id,))
    if loop is None:
        raise Conflict("not_compiled", _l("The opinions on this item have not been compiled yet."))
    return it, loop


def send(store, person, item_id, to, deadline, now=None):
    """交办: send the signed-off 审议意见书 to the body concerned, with a deadline for its report."""
    now = time.time() if now is None else now
    it, loop = _loop_for_office(store, person, item_id)
    if store.scalar("SELECT status FROM outgoing WHERE id = ?", (loop["outgoing_id"],)) != "issued":
        raise Conflict("not_signed_off", _l("The deliberation opinions must be signed off and issued before they are sent."))
    if loop["sent_at"] is not None:
        raise Conflict("already_sent", _l("These deliberation opinions have already been sent."))
    to = _text(to, "to", MAX_ORGAN, ("bad_organ", _l("Choose or type the body the opinions are sent to.")),
               ("bad_organ", _l("The name of the body is too long (at most %(n)d characters).", n=MAX_ORGAN)))
    deadline = parse_deadline(deadline, now)
    if deadline > now + MAX_DEADLINE_DAYS * 86400:
        raise UserError("deadline_too_far", _l("The deadline is too far ahead: at most %(n)d days from today.",
                                               n=MAX_DEADLINE_DAYS), field="deadline")
    doc = store.scalar("SELECT document_id FROM outgoing WHERE id = ?", (loop["outgoing_id"],))
    with store.write() as db:
        cur = db.execute("UPDATE opinion_loops SET sent_to = ?, sent_at = ?, sent_by = ?, deadline = ? "
                         "WHERE item_id = ? AND sent_at IS NULL", (to, now, person.id, deadline, item_id))
        if cur.rowcount != 1:
            raise Conflict("already_sent", _l("These deliberation opinions have already been sent."))
        library.grant(db, doc, _givers(db, item_id))
        audit.record(db, person.id, "opinion.send", {"item": item_id, "to": to, "deadline": deadline}, now)
    _tell_givers(store, item_id, "sent")
    return store.one("SELECT * FROM opinion_loops WHERE item_id = ?", (item_id,))


def _report_date(value, sent_at, now):
    if not isinstance(value, str):
        raise UserError("bad_report_date", _l("Enter the date on the report, e.g. 2026-12-31."), field="report_date")
    try:
        d = datetime.datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise UserError("bad_report_date", _l("Enter the date on the report, e.g. 2026-12-31."), field="report_date") from None
    if d > datetime.date.fromtimestamp(now):
        raise UserError("report_date_future", _l("The date on the report cannot be in the future."), field="report_date")
    if d < datetime.date.fromtimestamp(sent_at):
        raise UserError("report_date_early", _l("The report cannot be dated before the opinions were sent (%(d)s).",
                                                d=datetime.date.fromtimestamp(sent_at).isoformat()), field="report_date")
    return d.isoformat()


def receive_report(store, person, item_id, filename, data, report_date, source="upload", now=None):
    """The handling report (办理情况报告) is back: file it (checked by content like every upload,
    inside the encrypted store) with the date it bears. Returns its document id."""
    now = time.time() if now is None else now
    it, loop = _loop_for_office(store, person, item_id)
    if source not in ("upload", "usb"):
        raise ValueError(f"report source must be 'upload' or 'usb', got {source!r}")
    if loop["sent_at"] is None:
        raise Conflict("not_sent", _l("The deliberation opinions have not been sent yet: there is no report to record."))
    if loop["report_at"] is not None:
        raise Conflict("report_received", _l("The handling report has already been recorded."))
    day = _report_date(report_date, loop["sent_at"], now)
    if not data:
        raise UserError("missing_file", _l("Choose the report's file (PDF, PNG or JPEG)."), field="file")
    title = f"{loop['sent_to']}关于《{it['title']}》审议意见办理情况的报告"[:200]
    doc = library.create(store, person.id, title, filename, data, classified=bool(it["confidential"]), now=now)
    with store.write() as db:
        cur = db.execute("UPDATE opinion_loops SET report_document_id = ?, report_date = ?, report_at = ?, report_by = ?, "
                         "report_source = ? WHERE item_id = ? AND report_at IS NULL", (doc, day, now, person.id, source, item_id))
        if cur.rowcount != 1:
            raise Conflict("report_received", _l("The handling report has already been recorded."))
        library.grant(db, doc, _givers(db, item_id))
        audit.record(db, person.id, "opinion.report", {"item": item_id, "document": doc, "date": day, "source": source}, now)
    _tell_givers(store, item_id, "reported")
    return doc


def import_report(store, person, item_id, filename, data, report_date, now=None):
    """The hook for the USB import (appliance/usb, another issue): a report read from a stick is
    recorded exactly as an upload is, marked as imported."""
    return receive_report(store, person, item_id, filename, data, report_date, source="usb", now=now)


def assess(store, person, item_id, meeting_id, settings=None, now=None):
    """满意度测评: put the received report to an assessment at a later meeting. Creates there an
    agenda item with the report as its material (kept after the meeting) and an assessment poll
    on it, in one transaction. Returns (item id, poll id)."""
    now = time.time() if now is None else now
    it, loop = _loop_for_office(store, person, item_id)
    if loop["report_at"] is None:
        raise Conflict("no_report", _l("The handling report has not been received yet: there is nothing to assess."))
    if loop["assessment_poll_id"] is not None:
        raise Conflict("already_assessed", _l("This report has already been put to a satisfaction assessment."))
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int):
        raise UserError("bad_meeting", _l("Choose the meeting from the list."), field="meeting")
    later = store.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if later is None or later["id"] == it["meeting_id"] or later["starts_at"] <= it["meeting_starts_at"] \
            or later["status"] == "closed":
        raise UserError("not_later_meeting", _l("Choose a later meeting that is not closed: the report is assessed at a "
                                                "meeting after the one that deliberated the item."), field="meeting")
    title = f"对{loop['sent_to']}关于《{it['title']}》审议意见办理情况报告的满意度测评"[:200]
    with store.write() as db:
        if _loop_row(db, item_id)["assessment_poll_id"] is not None:
            raise Conflict("already_assessed", _l("This report has already been put to a satisfaction assessment."))
        new_item = core.add_item(store, person.id, meeting_id, title, "report")
        if it["confidential"]:
            confidential.set_confidential(store, person.id, new_item, True)
        # The report is the item's material, kept readable after that meeting closes.
        mat = db.execute("INSERT INTO materials (meeting_id, item_id, document_id, keep_after_close) VALUES (?,?,?,1)",
                         (meeting_id, new_item, loop["report_document_id"])).lastrowid
        audit.record(db, person.id, "material.add", {"meeting": meeting_id, "material": mat, "document": loop["report_document_id"]}, now)
        poll = polls.create(store, person.id, new_item, title, kind="assessment", settings=settings)
        db.execute("UPDATE opinion_loops SET assessment_item_id = ?, assessment_poll_id = ?, assessed_at = ?, assessed_by = ? "
                   "WHERE item_id = ?", (new_item, poll, now, person.id, item_id))
        audit.record(db, person.id, "opinion.assess", {"item": item_id, "meeting": meeting_id, "assessment_item": new_item,
                                                       "poll": poll}, now)
    _tell_givers(store, item_id, "assessing")
    return new_item, poll


# -- where each loop stands --------------------------------------------------------------------

_LOOPS = (
    "SELECT i.id AS item_id, i.title AS item_title, i.confidential, i.meeting_id, m.title AS meeting_title, m.starts_at AS meeting_starts_at, "
    "(SELECT count(*) FROM opinions o WHERE o.item_id = i.id) AS opinion_count, "
    "(SELECT count(DISTINCT o.person_id) FROM opinions o WHERE o.item_id = i.id) AS giver_count, "
    "l.compiled_at, l.outgoing_id, l.sent_to, l.sent_at, l.deadline, l.report_document_id, l.report_date, l.report_at, l.report_source, "
    "l.assessment_item_id, l.assessment_poll_id, l.assessed_at, "
    "og.status AS outgoing_status, og.number AS outgoing_number, og.issued_at, og.document_id AS outgoing_document_id, "
    "p.status AS poll_status, p.closed_at AS poll_closed_at, am.title AS assessment_meeting_title, am.id AS assessment_meeting_id "
    "FROM agenda_items i JOIN meetings m ON m.id = i.meeting_id "
    "LEFT JOIN opinion_loops l ON l.item_id = i.id LEFT JOIN outgoing og ON og.id = l.outgoing_id "
    "LEFT JOIN polls p ON p.id = l.assessment_poll_id LEFT JOIN agenda_items ai ON ai.id = l.assessment_item_id "
    "LEFT JOIN meetings am ON am.id = ai.meeting_id "
)


def _stage(row):
    return opinion_loop.Loop(
        compiled_at=row["compiled_at"],
        signed_at=row["issued_at"] if row["outgoing_status"] == "issued" else None,
        sent_at=row["sent_at"], deadline=row["deadline"], report_at=row["report_at"],
        assessing_at=row["assessed_at"],
        assessed_at=row["poll_closed_at"] if row["poll_status"] == "closed" else None)


def _describe(store, row, now):
    stage = _stage(row)
    out = dict(row)
    out["state"] = opinion_loop.state(stage, now)
    out["overdue"] = opinion_loop.overdue(stage, now)
    out["steps"] = opinion_loop.steps(stage)
    out["result"] = None
    if out["state"] == "assessed":
        r = sheets.result(store, row["assessment_poll_id"])
        if r is not None:
            out["result"] = {"outcome": r.outcome["outcome"], "lines": r.words.get(select_locale()) or list(r.lines)}
    out["_urgency"] = opinion_loop.urgency(stage, now)
    return out


def listing(store, person, now=None):
    """Every item with opinions and where its loop stands, overdue ones first (the office's page)."""
    now = time.time() if now is None else now
    _office_only(person)
    rows = store.all(_LOOPS + "WHERE EXISTS (SELECT 1 FROM opinions o WHERE o.item_id = i.id) ORDER BY m.starts_at DESC, i.position")
    loops = [_describe(store, r, now) for r in rows]
    return sorted(loops, key=lambda x: x["_urgency"])


def loop(store, person, item_id, now=None):
    """One item's loop as `person` may see it: the office, or a member who gave an opinion on it."""
    now = time.time() if now is None else now
    it = _item(store, person, item_id)
    office = person.has(*OFFICE_ROLES)
    if not office and not store.one("SELECT 1 FROM opinions WHERE item_id = ? AND person_id = ?", (item_id, person.id)):
        raise NotFound("no_loop", _l("No such deliberation opinions."))
    out = _describe(store, store.one(_LOOPS + "WHERE i.id = ?", (item_id,)), now)
    out["item"] = it
    out["opinions"] = opinions(store, person, item_id)
    out["office"] = office
    return out


def mine(store, person, now=None):
    """我的审议意见: each of the person's opinions with where its item's loop stands."""
    now = time.time() if now is None else now
    rows = store.all("SELECT * FROM opinions WHERE person_id = ? ORDER BY created_at DESC, id DESC LIMIT 500", (person.id,))
    loops = {}
    out = []
    for r in rows:
        if r["item_id"] not in loops:
            try:
                confidential.item_for(store, person, r["item_id"])
            except NotFound:
                loops[r["item_id"]] = None
            else:
                loops[r["item_id"]] = _describe(store, store.one(_LOOPS + "WHERE i.id = ?", (r["item_id"],)), now)
        if loops[r["item_id"]] is not None:
            out.append({"opinion": r, "loop": loops[r["item_id"]]})
    return out


def later_meetings(store, item_id):
    """The meetings a report on this item can be assessed at: later, and not closed."""
    it = store.one(_ITEM, (item_id,))
    return store.all("SELECT * FROM meetings WHERE starts_at > ? AND status != 'closed' AND id != ? ORDER BY starts_at",
                     (it["meeting_starts_at"], it["meeting_id"]))


def participants(store, item_id):
    """Who the staff may enter an opinion for: the meeting's list (members only on a confidential item)."""
    it = store.one(_ITEM, (item_id,))
    cap = "AND mp.capacity = 'member'" if it["confidential"] else ""
    return store.all("SELECT p.id, p.name, p.seat, mp.capacity FROM meeting_people mp JOIN people p ON p.id = mp.person_id "
                     f"WHERE mp.meeting_id = ? {cap} ORDER BY mp.capacity DESC, p.seat IS NULL, p.seat, p.id", (it["meeting_id"],))


def overdue_count(store, now=None):
    now = time.time() if now is None else now
    return store.scalar("SELECT count(*) FROM opinion_loops WHERE sent_at IS NOT NULL AND report_at IS NULL AND deadline < ?", (now,))
