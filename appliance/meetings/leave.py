"""请假: a member's own request for leave of absence, and the decision on it.

A member (or a non-voting attendee) asks before the meeting, with a reason, for one meeting or
for every meeting starting within a range of days; the director (主任, the role 'chair') or the
secretary approves or declines it, with an optional note; the member may withdraw it while it is
undecided. Approval marks the member excused (meeting_people.status 'excused', with the reason)
in every meeting the request covers that is not closed, in the same transaction, so 应到/实到/请假
follow at once; a meeting created later inside an approved range is marked when it is created
(`excuse_new_meeting`, called from core.create). The staff's own 请假 button (core.excuse) is
untouched: it writes the same row directly.
"""

import datetime
import time

from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

APPROVER_ROLES = ("chair", "secretary")  # 主任 and the secretary
ASKER_ROLES = ("member", "attendee")
MAX_RANGE_DAYS = 92  # a quarter: longer absences are not 请假 but a matter for the committee
MAX_REASON = 200
STATUSES = ("pending", "approved", "declined", "withdrawn")
STATUS_LABELS = {
    "pending": _l("Waiting for a decision"),
    "approved": _l("Leave approved"),
    "declined": _l("Leave declined"),
    "withdrawn": _l("Withdrawn"),
}


def _day(value, field):
    if not isinstance(value, str):
        raise UserError("bad_day", _l("Enter the day as YYYY-MM-DD."), field=field)
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError("bad_day", _l("Enter the day as YYYY-MM-DD."), field=field) from None


def day_bounds(from_day, to_day):
    """Unix seconds [start of from_day, start of the day after to_day), local time."""
    start = datetime.datetime.combine(datetime.date.fromisoformat(from_day), datetime.time.min)
    end = datetime.datetime.combine(datetime.date.fromisoformat(to_day) + datetime.timedelta(days=1), datetime.time.min)
    return start.timestamp(), end.timestamp()


def _reason(reason):
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise UserError("reason_required", _l("Give a reason for the leave of absence."), field="reason")
    if len(reason) > MAX_REASON:
        raise UserError("reason_too_long", _l("The reason may have at most %(n)d characters.", n=MAX_REASON), field="reason")
    return reason


def get(store, request_id):
    row = store.one(
        "SELECT lr.*, p.name, m.title AS meeting_title, m.starts_at AS meeting_starts_at, d.name AS decided_by_name "
        "FROM leave_requests lr JOIN people p ON p.id = lr.person_id LEFT JOIN meetings m ON m.id = lr.meeting_id "
        "LEFT JOIN people d ON d.id = lr.decided_by WHERE lr.id = ?", (request_id,))
    if row is None:
        raise NotFound("no_leave_request", _l("No such leave request."))
    return row


def _covered(db, person_id, meeting_id, from_day, to_day):
    """The meetings a request covers that the person is on the list of: (id, title, status, mp status)."""
    sql = ("SELECT m.id, m.title, m.status, mp.status AS mp_status FROM meetings m "
           "JOIN meeting_people mp ON mp.meeting_id = m.id AND mp.person_id = ? ")
    if meeting_id is not None:
        return db.execute(sql + "WHERE m.id = ?", (person_id, meeting_id)).fetchall()
    start, end = day_bounds(from_day, to_day)
    return db.execute(sql + "WHERE m.starts_at >= ? AND m.starts_at < ? ORDER BY m.starts_at", (person_id, start, end)).fetchall()


def _signed_in(title):
    return Conflict("already_signed_in", _l("Already signed in to “%(title)s”: leave cannot be given for a meeting one attends.", title=title))


def ask(store, person, reason, meeting_id=None, from_day=None, to_day=None, now=None):
    """A request for leave: for `meeting_id`, or for every meeting starting from_day..to_day."""
    now = time.time() if now is None else now
    reason = _reason(reason)
    if (meeting_id is None) == (from_day is None and to_day is None):
        raise UserError("leave_what", _l("Choose one meeting, or give the first and last day of the leave."), field="meeting")
    with store.write() as db:
        if meeting_id is not None:
            m = db.execute("SELECT id, title, status FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
            if m is None:
                raise NotFound("no_meeting", _l("No such meeting."))
            mp = db.execute("SELECT status FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (meeting_id, person.id)).fetchone()
            if mp is None:
                raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))
            if m["status"] == "closed":
                raise Conflict("meeting_closed", _l("This meeting is already closed: leave can only be asked for before a meeting."))
            if mp["status"] == "present":
                raise _signed_in(m["title"])
            if mp["status"] == "excused":
                raise Conflict("already_excused", _l("You are already excused from this meeting."))
            if db.execute("SELECT 1 FROM leave_requests WHERE person_id = ? AND meeting_id = ? AND status IN ('pending', 'approved')",
                          (person.id, meeting_id)).fetchone():
                raise Conflict("leave_exists", _l("You have already asked for leave for this meeting."))
            values = (meeting_id, None, None)
        else:
            if not person.has(*ASKER_ROLES):
                raise Forbidden("not_a_member", _l("Only members and attendees of the committee ask for leave."))
            if from_day is None or to_day is None:
                raise UserError("bad_day", _l("Enter the day as YYYY-MM-DD."), field="to_day" if from_day else "from_day")
            first, last = _day(from_day, "from_day"), _day(to_day, "to_day")
            today = datetime.date.fromtimestamp(now)
            if first < today:
                raise UserError("range_past", _l("The leave cannot start before today."), field="from_day")
            if last < first:
                raise UserError("range_backwards", _l("The last day of the leave comes before its first day."), field="to_day")
            if (last - first).days + 1 > MAX_RANGE_DAYS:
                raise UserError("range_too_long", _l("Leave can be asked for at most %(n)d days at a time.", n=MAX_RANGE_DAYS), field="to_day")
            from_day, to_day = first.isoformat(), last.isoformat()
            if db.execute("SELECT 1 FROM leave_requests WHERE person_id = ? AND from_day IS NOT NULL AND status IN ('pending', 'approved') "
                          "AND from_day <= ? AND to_day >= ?", (person.id, to_day, from_day)).fetchone():
                raise Conflict("leave_exists", _l("You have already asked for leave on some of these days."))
            values = (None, from_day, to_day)
        rid = db.execute(
            "INSERT INTO leave_requests (person_id, meeting_id, from_day, to_day, reason, requested_at) VALUES (?,?,?,?,?,?)",
            (person.id, *values, reason, now)).lastrowid
        audit.record(db, person.id, "leave.ask", {"request": rid, "meeting": values[0], "from": values[1], "to": values[2], "reason": reason}, now)
    return rid


def withdraw(store, person, request_id, now=None):
    now = time.time() if now is None else now
    with store.write() as db:
        row = db.execute("SELECT person_id, status FROM leave_requests WHERE id = ?", (request_id,)).fetchone()
        if row is None or row["person_id"] != person.id:
            raise NotFound("no_leave_request", _l("No such leave request."))
        if row["status"] != "pending":
            raise Conflict("already_decided", _l("This request is no longer waiting for a decision (%(status)s).",
                                                 status=STATUS_LABELS[row["status"]]))
        db.execute("UPDATE leave_requests SET status = 'withdrawn' WHERE id = ?", (request_id,))
        audit.record(db, person.id, "leave.withdraw", {"request": request_id}, now)


def decide(store, actor, request_id, approve, note=None, now=None):
    """Approve or decline. Returns the ids of the meetings in which the member is now excused."""
    now = time.time() if now is None else now
    if not actor.has(*APPROVER_ROLES):
        raise Forbidden("not_approver", _l("Only the director or the secretary decides on leave."))
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_REASON:
        raise UserError("note_too_long", _l("The note may have at most %(n)d characters.", n=MAX_REASON), field="note")
    excused = []
    with store.write() as db:
        req = db.execute("SELECT * FROM leave_requests WHERE id = ?", (request_id,)).fetchone()
        if req is None:
            raise NotFound("no_leave_request", _l("No such leave request."))
        if req["person_id"] == actor.id:
            raise Forbidden("own_request", _l("You cannot decide on your own request; the other approver does."))
        if req["status"] != "pending":
            raise Conflict("already_decided", _l("This request is no longer waiting for a decision (%(status)s).",
                                                 status=STATUS_LABELS[req["status"]]))
        if approve:
            covered = _covered(db, req["person_id"], req["meeting_id"], req["from_day"], req["to_day"])
            for m in covered:
                if m["status"] == "closed":
                    if req["meeting_id"] is not None:
                        raise Conflict("meeting_closed", _l("The meeting is already closed: its attendance stands as recorded."))
                    continue  # a range: what was held stays as recorded
                if m["mp_status"] == "present":
                    raise _signed_in(m["title"])
                excused.append(m["id"])
            db.executemany("UPDATE meeting_people SET status = 'excused', signed_in_at = NULL, reason = ?, signed_by = ? "
                           "WHERE meeting_id = ? AND person_id = ?",
                           [(req["reason"], actor.id, mid, req["person_id"]) for mid in excused])
        status = "approved" if approve else "declined"
        db.execute("UPDATE leave_requests SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ?",
                   (status, now, actor.id, note, request_id))
        audit.record(db, actor.id, f"leave.{'approve' if approve else 'decline'}",
                     {"request": request_id, "person": req["person_id"], "meetings": excused, "note": note}, now)
    return excused


def excuse_new_meeting(db, meeting_id, starts_at, now=None):
    """Inside core.create's transaction: members with approved leave covering the new meeting."""
    day = datetime.date.fromtimestamp(starts_at).isoformat()
    rows = db.execute(
        "SELECT lr.id, lr.person_id, lr.reason, lr.decided_by FROM leave_requests lr "
        "JOIN meeting_people mp ON mp.meeting_id = ? AND mp.person_id = lr.person_id "
        "WHERE lr.status = 'approved' AND lr.from_day <= ? AND lr.to_day >= ?", (meeting_id, day, day)).fetchall()
    for r in rows:
        db.execute("UPDATE meeting_people SET status = 'excused', reason = ?, signed_by = ? WHERE meeting_id = ? AND person_id = ?",
                   (r["reason"], r["decided_by"], meeting_id, r["person_id"]))
        audit.record(db, "system", "leave.apply", {"request": r["id"], "meeting": meeting_id, "person": r["person_id"]}, now)
    return [r["person_id"] for r in rows]


def _listing(store, where, params):
    return store.all(
        "SELECT lr.*, p.name, p.seat, m.title AS meeting_title, m.starts_at AS meeting_starts_at, d.name AS decided_by_name "
        "FROM leave_requests lr JOIN people p ON p.id = lr.person_id LEFT JOIN meetings m ON m.id = lr.meeting_id "
        "LEFT JOIN people d ON d.id = lr.decided_by WHERE " + where + " ORDER BY lr.requested_at DESC, lr.id DESC LIMIT 500", params)


def mine(store, person_id):
    return _listing(store, "lr.person_id = ?", (person_id,))


def for_review(store, status=None, meeting_id=None):
    """Requests to decide (or decided), newest first; with `meeting_id`, those that cover it:
    for that meeting, or a range of days holding its start, of a person on its list."""
    where, params = ["1"], []
    if status:
        where.append("lr.status = ?")
        params.append(status)
    if meeting_id is not None:
        m = store.one("SELECT starts_at FROM meetings WHERE id = ?", (meeting_id,))
        if m is None:
            raise NotFound("no_meeting", _l("No such meeting."))
        day = datetime.date.fromtimestamp(m["starts_at"]).isoformat()
        where.append("(lr.meeting_id = ? OR (lr.from_day <= ? AND lr.to_day >= ? AND EXISTS ("
                     "SELECT 1 FROM meeting_people mp WHERE mp.meeting_id = ? AND mp.person_id = lr.person_id)))")
        params += [meeting_id, day, day, meeting_id]
    return _listing(store, " AND ".join(where), tuple(params))


def open_meetings_for(store, person_id, now=None):
    """Meetings the person may still ask leave for: not closed, not signed in, not excused."""
    return store.all(
        "SELECT m.id, m.title, m.starts_at, m.status FROM meetings m JOIN meeting_people mp ON mp.meeting_id = m.id "
        "WHERE mp.person_id = ? AND m.status != 'closed' AND mp.status = 'expected' ORDER BY m.starts_at", (person_id,))


def to_json(row):
    return {
        "id": row["id"], "person": row["person_id"], "name": row["name"], "status": row["status"],
        "status_label": str(STATUS_LABELS[row["status"]]), "reason": row["reason"],
        "meeting": row["meeting_id"], "meeting_title": row["meeting_title"], "meeting_starts_at": row["meeting_starts_at"],
        "from_day": row["from_day"], "to_day": row["to_day"], "requested_at": row["requested_at"],
        "decided_at": row["decided_at"], "decided_by": row["decided_by_name"], "note": row["note"],
    }


def add_demo(store, fresh):
    """Demo: one request waiting in the upcoming meeting, and one approved (so 请假 shows 1)."""
    from appliance.devices import people

    if not fresh:
        return []
    upcoming = store.one("SELECT id FROM meetings WHERE status = 'planned' ORDER BY starts_at DESC LIMIT 1")
    if upcoming is None:
        return []
    members = people.everyone(store, role="member")
    secretary = people.everyone(store, role="secretary")[0]
    waiting = ask(store, members[14], "参加市人大组织的培训", meeting_id=upcoming["id"])
    approved = ask(store, members[12], "因公出差", meeting_id=upcoming["id"])
    decide(store, secretary, approved, True, "同意")
    return [f"Demo leave: request #{waiting} waiting for a decision, #{approved} approved, in meeting #{upcoming['id']}."]
