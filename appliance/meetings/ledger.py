"""The attendance ledger (出席情况) and a member's record of duties (履职档案), per calendar year.

Per member: the meetings they were on the list of as a member, each one attended, attended late
(signed in after the meeting's start plus a grace, a setting of the committee, default 15
minutes), excused (请假) or absent; only closed meetings count, one still open is "in progress".
The record adds the polls the member took part in (from poll_participation: that they took
part, never what they chose in a secret poll; the choice is shown for named polls only, from
named_votes) and the requests to speak that were given the floor.
"""

import csv
import datetime
import io
import time
from dataclasses import asdict, dataclass

from appliance.errors import Forbidden, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

GRACE_KEY = "attendance.late_grace_minutes"
GRACE_DEFAULT = 15
GRACE_MAX = 240
FIRST_YEAR = 2000
VIEW_ALL_ROLES = ("secretary", "staff", "chair", "admin")  # core.STAFF_ROLES
OUTCOMES = ("attended", "late", "excused", "absent", "in_progress", "upcoming")
OUTCOME_LABELS = {
    "attended": _l("Attended"), "late": _l("Attended, late"), "excused": _l("Excused"), "absent": _l("Absent"),
    "in_progress": _l("In progress"), "upcoming": _l("Upcoming"),
}
OUTCOME_TEXT = {"attended": "出席", "late": "出席（迟到）", "excused": "请假", "absent": "缺席", "in_progress": "进行中", "upcoming": "未举行"}


# -- the setting ------------------------------------------------------------------------------

def grace_minutes(store):
    v = store.scalar("SELECT value FROM settings WHERE key = ?", (GRACE_KEY,))
    try:
        return int(v) if v is not None else GRACE_DEFAULT
    except ValueError:
        return GRACE_DEFAULT


def set_grace_minutes(store, actor_id, minutes):
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= GRACE_MAX:
        raise UserError("bad_grace", _l("The grace for lateness must be 0 to %(n)d minutes.", n=GRACE_MAX), field="late_grace_minutes")
    with store.write() as db:
        old = db.execute("SELECT value FROM settings WHERE key = ?", (GRACE_KEY,)).fetchone()
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (GRACE_KEY, str(minutes)))
        audit.record(db, actor_id, "setting.change", {"key": GRACE_KEY, "from": old[0] if old else None, "to": minutes})


# -- who may see what -------------------------------------------------------------------------

def check_year(year, now=None):
    last = datetime.date.fromtimestamp(time.time() if now is None else now).year + 1
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise UserError("bad_year", _l("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR, last=last), field="year")
    return year


def may_see(person, person_id):
    """Staff see everyone's ledger; a member their own."""
    if person.id != person_id and not person.has(*VIEW_ALL_ROLES):
        raise Forbidden("not_your_record", _l("You may only see your own attendance record."))


def _year_bounds(year):
    return (datetime.datetime(year, 1, 1).timestamp(), datetime.datetime(year + 1, 1, 1).timestamp())


# -- the ledger -------------------------------------------------------------------------------

@dataclass
class Tally:
    attended: int = 0  # late ones included
    late: int = 0
    excused: int = 0
    absent: int = 0
    in_progress: int = 0
    upcoming: int = 0

    @property
    def held(self):
        """Closed meetings the member was expected at (应出席)."""
        return self.attended + self.excused + self.absent

    def to_json(self):
        return {**asdict(self), "held": self.held}


def outcome(meeting_status, mp_status, signed_in_at, starts_at, grace):
    if meeting_status == "open":
        return "in_progress"
    if meeting_status == "planned":
        return "upcoming"
    if mp_status == "present":
        return "late" if signed_in_at is not None and signed_in_at > starts_at + grace * 60 else "attended"
    return "excused" if mp_status == "excused" else "absent"


def _count(tally, what):
    if what == "late":
        tally.late += 1
        tally.attended += 1
    else:
        setattr(tally, what, getattr(tally, what) + 1)


def meetings_of(store, person_id, year, grace=None):
    """Every meeting of the year the person was on the list of as a member, with its outcome."""
    grace = grace_minutes(store) if grace is None else grace
    start, end = _year_bounds(year)
    rows = store.all(
        "SELECT m.id, m.title, m.kind, m.starts_at, m.status AS meeting_status, mp.status, mp.signed_in_at, mp.reason "
        "FROM meetings m JOIN meeting_people mp ON mp.meeting_id = m.id "
        "WHERE mp.person_id = ? AND mp.capacity = 'member' AND m.starts_at >= ? AND m.starts_at < ? ORDER BY m.starts_at, m.id",
        (person_id, start, end))
    return [{"meeting": r["id"], "title": r["title"], "kind": r["kind"], "starts_at": r["starts_at"],
             "outcome": outcome(r["meeting_status"], r["status"], r["signed_in_at"], r["starts_at"], grace),
             "signed_in_at": r["signed_in_at"], "reason": r["reason"] if r["status"] == "excused" else None} for r in rows]


def tally_of(meetings):
    t = Tally()
    for m in meetings:
        _count(t, m["outcome"])
    return t


def ledger(store, year, only=None):
    """[(person row, Tally)] for every member of the year (or only the person `only`)."""
    start, end = _year_bounds(year)
    grace = grace_minutes(store)
    people = store.all(
        "SELECT p.id, p.name, p.seat FROM people p WHERE (? IS NULL OR p.id = ?) AND ("
        " (p.active = 1 AND EXISTS (SELECT 1 FROM person_roles r WHERE r.person_id = p.id AND r.role = 'member'))"
        " OR EXISTS (SELECT 1 FROM meeting_people mp JOIN meetings m ON m.id = mp.meeting_id WHERE mp.person_id = p.id"
        "   AND mp.capacity = 'member' AND m.starts_at >= ? AND m.starts_at < ?)) "
        "ORDER BY p.seat IS NULL, p.seat, p.id", (only, only, start, end))
    return [(p, tally_of(meetings_of(store, p["id"], year, grace))) for p in people]


CSV_HEADER = ["座位号", "姓名", "应出席", "出席", "其中迟到", "请假", "缺席", "进行中"]


def ledger_csv(rows, year):
    """UTF-8 with a BOM, so that WPS and Excel open the Chinese text as such."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for p, t in rows:
        w.writerow([p["seat"] or "", p["name"], t.held, t.attended, t.late, t.excused, t.absent, t.in_progress])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# -- 履职档案 ---------------------------------------------------------------------------------

def record(store, person_id, year):
    """A member's record of duties for the year. Secret polls: taken part, nothing more."""
    start, end = _year_bounds(year)
    person = store.one("SELECT id, name, seat FROM people WHERE id = ?", (person_id,))
    meetings = meetings_of(store, person_id, year)
    # Deliberately no join on `ballots`: a secret poll's choice is not ours to show.
    polls = store.all(
        "SELECT pl.id, pl.title, pl.mode, pl.method, pl.closed_at, m.id AS meeting_id, m.title AS meeting_title, m.starts_at, "
        "CASE WHEN pl.mode = 'named' THEN nv.choice END AS named_choice "
        "FROM poll_participation pp JOIN polls pl ON pl.id = pp.poll_id JOIN agenda_items ai ON ai.id = pl.item_id "
        "JOIN meetings m ON m.id = ai.meeting_id "
        "LEFT JOIN named_votes nv ON pl.mode = 'named' AND nv.poll_id = pl.id AND nv.person_id = pp.person_id "
        "WHERE pp.person_id = ? AND m.starts_at >= ? AND m.starts_at < ? ORDER BY m.starts_at, ai.position, pl.id",
        (person_id, start, end))
    speeches = store.all(
        "SELECT sr.id, sr.requested_at, sr.status, m.id AS meeting_id, m.title AS meeting_title, m.starts_at, ai.title AS item_title "
        "FROM speak_requests sr JOIN meetings m ON m.id = sr.meeting_id LEFT JOIN agenda_items ai ON ai.id = sr.item_id "
        "WHERE sr.person_id = ? AND sr.status IN ('speaking', 'done') AND m.starts_at >= ? AND m.starts_at < ? "
        "ORDER BY sr.requested_at, sr.id", (person_id, start, end))

    def poll_json(r):
        out = {"poll": r["id"], "title": r["title"], "mode": r["mode"], "meeting": r["meeting_id"],
               "meeting_title": r["meeting_title"], "starts_at": r["starts_at"], "took_part": True}
        if r["mode"] == "named" and r["named_choice"] is not None:
            out["choice"] = r["named_choice"]
        return out

    return {
        "person": {"id": person["id"], "name": person["name"], "seat": person["seat"]} if person else None,
        "year": year,
        "late_grace_minutes": grace_minutes(store),
        "tally": tally_of(meetings).to_json(),
        "meetings": meetings,
        "polls": [poll_json(r) for r in polls],
        "speeches": [{"id": r["id"], "meeting": r["meeting_id"], "meeting_title": r["meeting_title"], "starts_at": r["starts_at"],
                      "item": r["item_title"], "requested_at": r["requested_at"]} for r in speeches],
    }
