"""会议通知 / 回执: the office's notice of a meeting to everyone expected, and their replies.

The office (staff) sends a notice for a meeting that has not started: its date and time are the
meeting's, the place is the meeting's room unless the office writes a better one, the agenda is
the meeting's items as they stand, and a free text carries the rest (报到 time, dress). It goes to
everyone on the meeting's list (meeting_people: members and non-voting attendees), each of whom
replies 出席 (attend) or 请假 (leave, with a reason) until the meeting starts (its sign-in opened,
or its start time passed). A 请假 reply asks for leave through appliance/meetings/leave.py in the
same transaction (or links the request the person already made), so the office's leave list,
the approval and the attendance ledger follow without a second path; changing to 出席 withdraws
that request while it is undecided (leave.withdraw).

Sending again is only for a changed notice, and makes the next version. A secretary who moves
the time or the place needs every answer again (who could come at 9 on Tuesday may not at 2 on
Wednesday), so such a version asks everyone again; one that only corrects the agenda or the
extra text keeps the replies (nobody wants fifteen members to answer twice for a typo) and is
shown to those who replied as "updated" until they confirm. The same notice sent twice is
refused: reminding is a separate, rate-limited action (REMIND_GAP per person).
"""

import datetime
import json
import time

from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, leave
from appliance.store import audit

CHOICES = ("attend", "leave")
CHOICE_LABELS = {"attend": _l("Will attend"), "leave": _l("Asks for leave")}  # 出席 / 请假
CAPACITY_LABELS = {"member": _l("Committee member"), "attendee": _l("Attending, without a vote")}
MAX_PLACE = 100
MAX_EXTRA = 1000
MAX_REASON = leave.MAX_REASON
REMIND_GAP = 300  # seconds: a second 提醒 to the same person within this is skipped (a double tap)
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"), _l("Sunday"))


def when_text(ts):
    """The meeting's date and time as a notice writes it (2026年12月3日（星期四）09:00)."""
    d = datetime.datetime.fromtimestamp(ts)
    return _("%(year)d-%(month)02d-%(day)02d (%(weekday)s) %(hour)02d:%(minute)02d", year=d.year, month=d.month, day=d.day,
             weekday=str(WEEKDAYS[d.weekday()]), hour=d.hour, minute=d.minute)


def started(meeting, now=None):
    """Replies, notices and reminders stop when the meeting starts: sign-in opened, or its time came."""
    now = time.time() if now is None else now
    return meeting["status"] != "planned" or now >= meeting["starts_at"]


def _started_error(meeting):
    if meeting["status"] == "closed":
        return Conflict("meeting_held", _l("“%(title)s” has already been held: its notice can no longer be answered or changed.",
                                           title=meeting["title"]))
    return Conflict("meeting_started", _l("“%(title)s” has already started: replies can no longer be given or changed. "
                                          "Please tell the staff in person.", title=meeting["title"]))


def _meeting(db, meeting_id):
    m = db.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if m is None:
        raise NotFound("no_meeting", _l("No such meeting."))
    return m


def _current(db, meeting_id):
    return db.execute("SELECT * FROM notice_versions WHERE meeting_id = ? ORDER BY version DESC LIMIT 1", (meeting_id,)).fetchone()


def current(store, meeting_id):
    """The latest version of the meeting's notice, or None if none was sent."""
    return _current(store.conn, meeting_id)


def _agenda(db, meeting_id):
    return [{"id": r["id"], "position": r["position"], "title": r["title"], "kind": r["kind"], "confidential": bool(r["confidential"])}
            for r in db.execute("SELECT id, position, title, kind, confidential FROM agenda_items WHERE meeting_id = ? ORDER BY position",
                                (meeting_id,))]


def draft(store, meeting_id):
    """What the office's form starts from: the last version's place and text, or the meeting's."""
    m = core.get(store, meeting_id)
    cur = current(store, meeting_id)
    return {"starts_at": m["starts_at"], "place": cur["place"] if cur else m["room"], "extra": cur["extra"] if cur else "",
            "agenda": _agenda(store.conn, meeting_id)}


def _text(value, field, limit, code, message):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f=field), field=field)
    value = value.strip()
    if len(value) > limit:
        raise UserError(code, message, field=field)
    return value


def send(store, actor, meeting_id, place=None, extra=None, now=None):
    """Send (or send again, changed) the notice. Returns (version, [person ids it went to], asked_again)."""
    now = time.time() if now is None else now
    if not actor.has(*core.STAFF_ROLES):
        raise Forbidden("not_staff", _l("Only the office sends meeting notices."))
    extra = _text(extra, "extra", MAX_EXTRA, "extra_too_long", _l("The further details may have at most %(n)d characters.", n=MAX_EXTRA))
    with store.write() as db:
        m = _meeting(db, meeting_id)
        if m["status"] != "planned":
            raise _started_error(m)
        if not m["starts_at"] or m["starts_at"] <= 0:
            raise UserError("no_date", _l("The meeting has no date and time yet: set them on the meeting first, then send the notice."),
                            field="starts_at")
        if now >= m["starts_at"]:
            raise Conflict("start_passed", _l("The start time of “%(title)s” has passed: a notice can only be sent before a meeting.",
                                              title=m["title"]))
        place = _text(m["room"] if place is None else place, "place", MAX_PLACE, "place_too_long",
                      _l("The place may have at most %(n)d characters.", n=MAX_PLACE))
        if not place:
            raise UserError("no_place", _l("Enter where the meeting is held: a notice without a place cannot be sent."), field="place")
        people = db.execute("SELECT person_id, capacity FROM meeting_people WHERE meeting_id = ? ORDER BY person_id", (meeting_id,)).fetchall()
        if not people:
            raise UserError("no_one", _l("Nobody is expected at this meeting, so there is no one to send the notice to."))
        agenda = json.dumps(_agenda(db, meeting_id), ensure_ascii=False, sort_keys=True)
        cur = _current(db, meeting_id)
        if cur is not None and (cur["starts_at"], cur["place"], cur["extra"], cur["agenda"]) == (m["starts_at"], place, extra, agenda):
            raise Conflict("already_sent", _l(
                "This notice was already sent (version %(n)d, %(when)s). To remind those who have not replied, use "
                "“Remind those who have not replied”; to change it, edit it and send again.",
                n=cur["version"], when=datetime.datetime.fromtimestamp(cur["sent_at"]).strftime("%Y-%m-%d %H:%M")))
        version = 1 if cur is None else cur["version"] + 1
        asked_again = cur is not None and (cur["starts_at"] != m["starts_at"] or cur["place"] != place)
        asks_from = version if cur is None or asked_again else cur["asks_from"]
        db.execute("INSERT INTO notice_versions (meeting_id, version, asks_from, starts_at, place, extra, agenda, sent_by, sent_at, recipients) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)", (meeting_id, version, asks_from, m["starts_at"], place, extra, agenda, actor.id, now, len(people)))
        db.executemany(
            "INSERT INTO notice_recipients (meeting_id, person_id, capacity, version, sent_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (meeting_id, person_id) DO UPDATE SET version = excluded.version, sent_at = excluded.sent_at, capacity = excluded.capacity",
            [(meeting_id, p["person_id"], p["capacity"], version, now) for p in people])
        audit.record(db, actor.id, "notice.send", {"meeting": meeting_id, "version": version, "recipients": len(people),
                                                   "asked_again": asked_again, "place": place}, now)
    return version, [p["person_id"] for p in people], asked_again


def _covering_requests(db, person_id, meeting):
    """The person's leave requests (pending or approved) that cover this meeting: for it, or a range of days holding its start."""
    day = datetime.date.fromtimestamp(meeting["starts_at"]).isoformat()
    return db.execute("SELECT * FROM leave_requests WHERE person_id = ? AND status IN ('pending', 'approved') AND "
                      "(meeting_id = ? OR (from_day <= ? AND to_day >= ?)) ORDER BY meeting_id IS NULL, id DESC",
                      (person_id, meeting["id"], day, day)).fetchall()


class Reply:
    """What reply() did, for the caller's pushes: the leave request asked for or withdrawn."""

    def __init__(self, choice, version, asked=None, withdrawn=None, linked=None, unchanged=False):
        self.choice, self.version, self.asked, self.withdrawn, self.linked, self.unchanged = choice, version, asked, withdrawn, linked, unchanged


def reply(store, person, meeting_id, choice, reason=None, version=None, now=None):
    """回执: 出席 ('attend') or 请假 ('leave' with a reason), to the current version of the notice."""
    now = time.time() if now is None else now
    if choice not in CHOICES:
        raise UserError("bad_choice", _l("Choose “Will attend” or “Asks for leave”."), field="choice")
    if choice == "leave":
        if reason is not None and not isinstance(reason, str):
            raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f="reason"), field="reason")
        reason = (reason or "").strip()
        if not reason:
            raise UserError("reason_required", _l("Give the reason for your leave of absence."), field="reason")
        if len(reason) > MAX_REASON:
            raise UserError("reason_too_long", _l("The reason may have at most %(n)d characters; you wrote %(m)d.", n=MAX_REASON, m=len(reason)),
                            field="reason")
    else:
        reason = None
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f="version"), field="version")
    with store.write() as db:
        m = _meeting(db, meeting_id)
        cur = _current(db, meeting_id)
        if cur is None:
            raise NotFound("no_notice", _l("No notice has been sent for this meeting yet."))
        rec = db.execute("SELECT * FROM notice_recipients WHERE meeting_id = ? AND person_id = ?", (meeting_id, person.id)).fetchone()
        if rec is None:
            raise Forbidden("not_on_notice", _l("This notice was not sent to you, so you cannot reply to it. Please ask the staff."))
        if started(m, now):
            raise _started_error(m)
        if version is not None and not cur["asks_from"] <= version <= cur["version"]:
            raise Conflict("notice_changed", _l("The notice has changed since you read it (a new time or place). Read the new notice and reply again."))
        old = db.execute("SELECT * FROM notice_replies WHERE meeting_id = ? AND person_id = ?", (meeting_id, person.id)).fetchone()
        mp = db.execute("SELECT status FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (meeting_id, person.id)).fetchone()
        covering = _covering_requests(db, person.id, m)
        asked = withdrawn = None
        link = None
        if choice == "leave":
            mine = old["leave_request_id"] if old is not None and old["choice"] == "leave" else None
            found = next((r for r in covering if r["id"] == mine), None) or (covering[0] if covering else None)
            if found is not None and found["status"] == "pending" and found["id"] == mine and found["reason"] != reason \
                    and found["meeting_id"] is not None:
                # A new reason for the same undecided request: the approver decides on what is written now.
                leave.withdraw(store, person, found["id"], now=now)
                withdrawn, found = found["id"], None
            if found is not None:
                if found["status"] == "approved" and old is not None and old["choice"] == "leave" and old["reason"] != reason:
                    raise Conflict("leave_decided", _l("Your leave has already been approved; its reason can no longer be changed. "
                                                       "Please tell the staff if something changed."))
                link = found["id"]
            elif mp is not None and mp["status"] == "excused":
                link = None  # the staff marked them excused already (core.excuse): nothing to ask for
            else:
                asked = link = leave.ask(store, person, reason, meeting_id=meeting_id, now=now)
        else:
            if mp is not None and mp["status"] == "excused":
                raise Conflict("already_excused", _l("Your leave for this meeting has already been approved. If you will attend after all, "
                                                     "please tell the staff; signing in at the meeting counts you present."))
            for r in covering:
                if r["meeting_id"] == meeting_id and r["status"] == "pending":
                    leave.withdraw(store, person, r["id"], now=now)
                    withdrawn = r["id"]
        unchanged = old is not None and (old["choice"], old["reason"], old["version"], old["leave_request_id"]) == \
            (choice, reason, cur["version"], link) and asked is None and withdrawn is None
        if unchanged:
            return Reply(choice, cur["version"], linked=link, unchanged=True)
        db.execute("INSERT INTO notice_replies (meeting_id, person_id, version, choice, reason, leave_request_id, replied_at) VALUES (?,?,?,?,?,?,?) "
                   "ON CONFLICT (meeting_id, person_id) DO UPDATE SET version = excluded.version, choice = excluded.choice, "
                   "reason = excluded.reason, leave_request_id = excluded.leave_request_id, replied_at = excluded.replied_at",
                   (meeting_id, person.id, cur["version"], choice, reason, link, now))
        audit.record(db, person.id, "notice.reply", {"meeting": meeting_id, "version": cur["version"], "choice": choice,
                                                      "changed_from": old["choice"] if old is not None else None,
                                                      "leave_request": link, "withdrew": withdrawn}, now)
    return Reply(choice, cur["version"], asked=asked, withdrawn=withdrawn, linked=link)


def remind(store, actor, meeting_id, now=None):
    """提醒未回执: those without a reply that counts. Returns (reminded ids, skipped ids: reminded within REMIND_GAP)."""
    now = time.time() if now is None else now
    if not actor.has(*core.STAFF_ROLES):
        raise Forbidden("not_staff", _l("Only the office sends meeting notices."))
    with store.write() as db:
        m = _meeting(db, meeting_id)
        cur = _current(db, meeting_id)
        if cur is None:
            raise NotFound("no_notice", _l("No notice has been sent for this meeting yet."))
        if started(m, now):
            raise _started_error(m)
        rows = db.execute(
            "SELECT r.person_id, r.reminded_at FROM notice_recipients r LEFT JOIN notice_replies p "
            "ON p.meeting_id = r.meeting_id AND p.person_id = r.person_id AND p.version >= ? "
            "WHERE r.meeting_id = ? AND p.person_id IS NULL ORDER BY r.person_id", (cur["asks_from"], meeting_id)).fetchall()
        due = [r["person_id"] for r in rows if r["reminded_at"] is None or now - r["reminded_at"] >= REMIND_GAP]
        skipped = [r["person_id"] for r in rows if r["person_id"] not in set(due)]
        if due:
            db.executemany("UPDATE notice_recipients SET reminded_at = ?, reminders = reminders + 1 WHERE meeting_id = ? AND person_id = ?",
                           [(now, meeting_id, pid) for pid in due])
            audit.record(db, actor.id, "notice.remind", {"meeting": meeting_id, "version": cur["version"], "people": due, "skipped": skipped}, now)
    return due, skipped


# -- reading ---------------------------------------------------------------------------------

def _visible_agenda(store, version_row, capacity):
    """The agenda as sent, without confidential items for a non-voting attendee (renumbered, as
    appliance/meetings/confidential.py does for the meeting's own pages)."""
    items = json.loads(version_row["agenda"])
    if capacity != "member":
        secret_now = {r[0] for r in store.all("SELECT id FROM agenda_items WHERE meeting_id = ? AND confidential = 1",
                                              (version_row["meeting_id"],))}
        items = [i for i in items if not i["confidential"] and i["id"] not in secret_now]
    return [{**i, "position": n} for n, i in enumerate(items, start=1)]


def for_person(store, person, meeting_id, now=None):
    """The notice as its recipient reads it, with their reply; None if it was not sent to them."""
    m = core.get(store, meeting_id)
    cur = current(store, meeting_id)
    if cur is None:
        return None
    rec = store.one("SELECT * FROM notice_recipients WHERE meeting_id = ? AND person_id = ?", (meeting_id, person.id))
    if rec is None:
        return None
    rep = store.one("SELECT nr.*, lr.status AS leave_status FROM notice_replies nr LEFT JOIN leave_requests lr ON lr.id = nr.leave_request_id "
                    "WHERE nr.meeting_id = ? AND nr.person_id = ?", (meeting_id, person.id))
    valid = rep is not None and rep["version"] >= cur["asks_from"]
    return {
        "meeting": m, "version": cur, "capacity": rec["capacity"], "agenda": _visible_agenda(store, cur, rec["capacity"]),
        "reply": rep, "replied": valid, "asked_again": rep is not None and not valid,
        "updated": valid and rep["version"] < cur["version"], "open": not started(m, now),
        "reminded_at": rec["reminded_at"],
    }


def inbox(store, person, now=None):
    """Notices waiting for this person: not answered (or changed since), of meetings not started."""
    now = time.time() if now is None else now
    rows = store.all(
        "SELECT r.meeting_id FROM notice_recipients r JOIN meetings m ON m.id = r.meeting_id "
        "LEFT JOIN notice_replies p ON p.meeting_id = r.meeting_id AND p.person_id = r.person_id "
        "WHERE r.person_id = ? AND m.status = 'planned' AND m.starts_at > ? AND (p.person_id IS NULL OR p.version < r.version) "
        "ORDER BY m.starts_at", (person.id, now))
    return [n for n in (for_person(store, person, r[0], now) for r in rows) if n is not None]


def replies(store, meeting_id):
    """The office's list: everyone the notice went to, those without a reply first, then 请假, then 出席."""
    cur = current(store, meeting_id)
    if cur is None:
        return []
    rows = store.all(
        "SELECT r.person_id, r.capacity, r.reminded_at, r.reminders, p.name, p.seat, mp.status AS mp_status, "
        "nr.version, nr.choice, nr.reason, nr.replied_at, nr.leave_request_id, lr.status AS leave_status "
        "FROM notice_recipients r JOIN people p ON p.id = r.person_id "
        "LEFT JOIN meeting_people mp ON mp.meeting_id = r.meeting_id AND mp.person_id = r.person_id "
        "LEFT JOIN notice_replies nr ON nr.meeting_id = r.meeting_id AND nr.person_id = r.person_id "
        "LEFT JOIN leave_requests lr ON lr.id = nr.leave_request_id WHERE r.meeting_id = ?", (meeting_id,))
    out = []
    for r in rows:
        valid = r["choice"] is not None and r["version"] >= cur["asks_from"]
        out.append({"person": r["person_id"], "name": r["name"], "seat": r["seat"], "capacity": r["capacity"],
                    "choice": r["choice"] if valid else None, "reason": r["reason"] if valid else None,
                    "replied_at": r["replied_at"] if valid else None, "version": r["version"] if valid else None,
                    "earlier": r["choice"] if r["choice"] is not None and not valid else None,
                    "leave_request": r["leave_request_id"] if valid else None, "leave_status": r["leave_status"] if valid else None,
                    "reminded_at": r["reminded_at"], "reminders": r["reminders"], "attendance": r["mp_status"]})
    rank = {None: 0, "leave": 1, "attend": 2}
    out.sort(key=lambda x: (rank[x["choice"]], x["capacity"] != "member", x["seat"] is None, x["seat"] or 0, x["person"]))
    return out


def counts(rows):
    c = {"recipients": len(rows), "replied": 0, "attend": 0, "leave": 0, "none": 0}
    for r in rows:
        c[r["choice"] or "none"] += 1
        c["replied"] += r["choice"] is not None
    return c


def meetings_overview(store):
    """Meetings not yet held, with their notice's state: for the office's list of notices."""
    out = []
    for m in store.all("SELECT * FROM meetings WHERE status != 'closed' ORDER BY starts_at"):
        cur = current(store, m["id"])
        out.append({"meeting": m, "version": cur, "counts": counts(replies(store, m["id"])) if cur else None})
    return out
