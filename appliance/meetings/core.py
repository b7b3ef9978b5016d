"""Meetings, agenda items, who is expected, and sign-in (签到) with attendance and quorum."""

import time
from dataclasses import asdict, dataclass, field

from appliance.devices import people
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules import law
from appliance.rules.agenda import Item, order_warnings
from appliance.store import audit

KINDS = ("standing", "directors", "party_group", "other")
KIND_LABELS = {
    "standing": _l("Standing committee meeting"),  # 常委会会议
    "directors": _l("Council of chairpersons meeting"),  # 主任会议
    "party_group": _l("Party group meeting"),  # 党组会议
    "other": _l("Other meeting"),
}
ITEM_KINDS = ("bill", "regulation", "amendment", "appointment", "report", "other")
ITEM_LABELS = {
    "bill": _l("Bill"),
    "regulation": _l("Regulation"),
    "amendment": _l("Amendment"),
    "appointment": _l("Appointment or removal"),
    "report": _l("Report"),
    "other": _l("Other item"),
}
STAFF_ROLES = ("secretary", "staff", "chair", "admin")
CONSOLE_ROLES = ("secretary", "chair", "admin")


def get(store, meeting_id):
    m = store.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if m is None:
        raise NotFound("no_meeting", _l("No such meeting."))
    return m


def create(store, actor_id, kind, title, starts_at, room="", attendee_ids=(), membership=None, now=None):
    """A meeting expecting every active member (and the given non-voting attendees)."""
    now = time.time() if now is None else now
    title = (title or "").strip()
    if kind not in KINDS:
        raise UserError("bad_kind", _l("Choose a kind of meeting from the list."), field="kind")
    if not title or len(title) > 200:
        raise UserError("bad_title", _l("Enter a title of 1 to 200 characters."), field="title")
    if not isinstance(starts_at, (int, float)):
        raise UserError("bad_date", _l("Enter the date and time of the meeting."), field="starts_at")
    members = people.everyone(store, role="member")
    n = membership if membership is not None else len(members)
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise UserError("bad_membership", _l("The committee's membership must be a positive number."), field="membership")
    attendees = [p for p in people.everyone(store, role="attendee") if p.id in set(attendee_ids)] if attendee_ids else people.everyone(store, role="attendee")
    with store.write() as db:
        mid = db.execute(
            "INSERT INTO meetings (kind, title, starts_at, room, membership, created_by, created_at) VALUES (?,?,?,?,?,?,?)",
            (kind, title, starts_at, room or "", n, actor_id, now),
        ).lastrowid
        db.executemany("INSERT INTO meeting_people (meeting_id, person_id, capacity) VALUES (?,?,?)",
                       [(mid, p.id, "member") for p in members] + [(mid, p.id, "attendee") for p in attendees if not p.is_member])
        from appliance.meetings import leave  # approved leave covering this day (请假 by range)

        leave.excuse_new_meeting(db, mid, starts_at, now)
        audit.record(db, actor_id, "meeting.create", {"meeting": mid, "title": title, "membership": n}, now)
    return mid


def set_membership(store, actor_id, meeting_id, n):
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise UserError("bad_membership", _l("The committee's membership must be a positive number."), field="membership")
    with store.write() as db:
        old = db.execute("SELECT membership FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        if old is None:
            raise NotFound("no_meeting", _l("No such meeting."))
        db.execute("UPDATE meetings SET membership = ? WHERE id = ?", (n, meeting_id))
        audit.record(db, actor_id, "meeting.membership", {"meeting": meeting_id, "from": old[0], "to": n})


def add_item(store, actor_id, meeting_id, title, kind, amends=None, post=None, action=None):
    title = (title or "").strip()
    if kind not in ITEM_KINDS:
        raise UserError("bad_kind", _l("Choose a kind of item from the list."), field="kind")
    if not title or len(title) > 200:
        raise UserError("bad_title", _l("Enter a title of 1 to 200 characters."), field="title")
    if action not in (None, "appoint", "remove"):
        raise UserError("bad_action", _l("Choose appointment or removal."), field="action")
    m = get(store, meeting_id)
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    with store.write() as db:
        if amends is not None and not db.execute("SELECT 1 FROM agenda_items WHERE id = ? AND meeting_id = ?", (amends, meeting_id)).fetchone():
            raise NotFound("no_item", _l("No such agenda item."))
        pos = db.execute("SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = ?", (meeting_id,)).fetchone()[0]
        iid = db.execute(
            "INSERT INTO agenda_items (meeting_id, position, title, kind, amends, post, action) VALUES (?,?,?,?,?,?,?)",
            (meeting_id, pos, title, kind, amends, (post or None), action if kind == "appointment" else None),
        ).lastrowid
        audit.record(db, actor_id, "agenda.add", {"meeting": meeting_id, "item": iid, "title": title})
    return iid


def items(store, meeting_id):
    return store.all("SELECT * FROM agenda_items WHERE meeting_id = ? ORDER BY position", (meeting_id,))


def item(store, item_id):
    row = store.one("SELECT * FROM agenda_items WHERE id = ?", (item_id,))
    if row is None:
        raise NotFound("no_item", _l("No such agenda item."))
    return row


def warnings(store, meeting_id):
    from appliance.meetings.ordering import held_at

    rows = items(store, meeting_id)
    held = held_at(store.conn, meeting_id)  # by the order polls were actually held, where they were
    return order_warnings([Item(r["id"], r["position"], r["kind"], r["amends"], r["post"], r["action"], held.get(r["id"])) for r in rows])


# -- attendance ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attendance:
    membership: int  # 应到 (N)
    present: int  # 实到
    excused: int  # 请假
    absent: int  # 缺席
    attendees_present: int  # 列席 present
    quorum_needed: int
    quorum_met: bool
    # When the figures were read (just before), on CLOCK_MONOTONIC in nanoseconds: one clock
    # for every worker of the machine, so a page that gets two snapshots from two workers (a
    # push and a state fetch, or two pushes) keeps the later reading whatever order they arrive
    # in (webui/static/js/meeting-common.js fresher). A decimal string: JSON numbers lose the
    # nanoseconds past 2**53 (104 days of uptime).
    at: str = field(default_factory=lambda: str(time.monotonic_ns()))

    def to_json(self):
        return asdict(self)


def attendance(store, meeting_id):
    # Stamped before the read: a 签到 whose COMMIT returned before this moment is in these
    # figures, and every later one triggers a read with a later stamp, so the snapshot with the
    # largest stamp is always the true count (a stamp taken after the read could belong to a
    # slow reader that missed a commit).
    at = str(time.monotonic_ns())
    m = get(store, meeting_id)
    counts = {(r[0], r[1]): r[2] for r in store.all(
        "SELECT capacity, status, count(*) FROM meeting_people WHERE meeting_id = ? GROUP BY capacity, status", (meeting_id,))}
    n = m["membership"]
    present = counts.get(("member", "present"), 0)
    excused = counts.get(("member", "excused"), 0)
    return Attendance(n, present, excused, max(n - present - excused, 0), counts.get(("attendee", "present"), 0),
                      law.quorum_needed(n), law.quorum_met(n, present), at)


def roster(store, meeting_id):
    return store.all(
        "SELECT mp.*, p.name, p.seat, s.name AS signed_by_name FROM meeting_people mp JOIN people p ON p.id = mp.person_id "
        "LEFT JOIN people s ON s.id = mp.signed_by WHERE mp.meeting_id = ? "
        "ORDER BY mp.capacity DESC, p.seat IS NULL, p.seat, p.id", (meeting_id,))


def participant(store, meeting_id, person_id):
    return store.one("SELECT * FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (meeting_id, person_id))


def may_follow(store, person, meeting_id):
    return person.has(*STAFF_ROLES) or participant(store, meeting_id, person.id) is not None


def open_signin(store, actor_id, meeting_id, now=None):
    now = time.time() if now is None else now
    with store.write() as db:
        m = db.execute("SELECT status FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        if m is None:
            raise NotFound("no_meeting", _l("No such meeting."))
        if m[0] == "closed":
            raise Conflict("meeting_closed", _l("This meeting is closed."))
        db.execute("UPDATE meetings SET status = 'open', signin_open = 1 WHERE id = ?", (meeting_id,))
        audit.record(db, actor_id, "meeting.signin_open", {"meeting": meeting_id}, now)


def sign_in(store, person_id, meeting_id, on_behalf_of=None, reason=None, actor_id=None, now=None):
    """签到. `on_behalf_of`: staff signing someone in (needs a reason)."""
    now = time.time() if now is None else now
    with store.write() as db:
        m = db.execute("SELECT status, signin_open FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        if m is None:
            raise NotFound("no_meeting", _l("No such meeting."))
        if m["status"] != "open" or not m["signin_open"]:
            raise Conflict("signin_closed", _l("Sign-in has not been opened yet. Please wait for the secretary."))
        row = db.execute("SELECT status FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (meeting_id, person_id)).fetchone()
        if row is None:
            raise Forbidden("not_expected", _l("You are not on the list of this meeting. Please ask the staff."))
        if row[0] == "present":
            return False
        if actor_id is not None and not (reason or "").strip():
            raise UserError("reason_required", _l("Give a reason for signing in on someone's behalf."), field="reason")
        db.execute(
            "UPDATE meeting_people SET status = 'present', signed_in_at = ?, signed_by = ?, reason = ? WHERE meeting_id = ? AND person_id = ?",
            (now, actor_id, (reason or "").strip() or None, meeting_id, person_id),
        )
        audit.record(db, actor_id or person_id, "meeting.signin",
                     {"meeting": meeting_id, "person": person_id, "proxy": actor_id is not None}, now)
    return True


def excuse(store, actor_id, meeting_id, person_id, reason):
    """请假: marked by staff, with a reason."""
    if not (reason or "").strip():
        raise UserError("reason_required", _l("Give a reason for the leave of absence."), field="reason")
    with store.write() as db:
        row = db.execute("SELECT status FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (meeting_id, person_id)).fetchone()
        if row is None:
            raise NotFound("not_expected", _l("This person is not on the list of this meeting."))
        db.execute("UPDATE meeting_people SET status = 'excused', signed_in_at = NULL, reason = ?, signed_by = ? WHERE meeting_id = ? AND person_id = ?",
                   (reason.strip(), actor_id, meeting_id, person_id))
        audit.record(db, actor_id, "meeting.excuse", {"meeting": meeting_id, "person": person_id, "reason": reason.strip()})


def set_current_item(store, actor_id, meeting_id, item_id):
    item(store, item_id)
    with store.write() as db:
        db.execute("UPDATE meetings SET current_item = ? WHERE id = ? AND EXISTS (SELECT 1 FROM agenda_items WHERE id = ? AND meeting_id = ?)",
                   (item_id, meeting_id, item_id, meeting_id))


def my_meetings(store, person):
    if person.has(*STAFF_ROLES):
        return store.all("SELECT * FROM meetings ORDER BY status = 'closed', starts_at DESC")
    return store.all(
        "SELECT m.* FROM meetings m JOIN meeting_people mp ON mp.meeting_id = m.id WHERE mp.person_id = ? "
        "ORDER BY m.status = 'closed', m.starts_at DESC", (person.id,))
