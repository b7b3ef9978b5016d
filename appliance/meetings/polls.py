"""Polls (表决): open, cast, close, show-of-hands fallback, and the published tracker list.

A ballot is acknowledged only after its COMMIT returns. For a secret poll the same transaction
writes two unlinkable rows: poll_participation (member, hash of the tablet's ballot id) and
ballots (random key, tracker, choice). The primary key of poll_participation makes a second
ballot from the same member impossible; the same ballot id again is recognised as a retry.

Ballots go through one group-commit writer (appliance/store/group_commit.py): ballots that arrive
together share one COMMIT, and each is acknowledged only when that COMMIT has returned.
"""

import hashlib
import secrets
import time
from dataclasses import asdict, dataclass

from appliance import clock
from appliance.errors import Conflict, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, sheets
from appliance.rules import law
from appliance.rules.ballots import CHOICES, MODES, BallotRefused, Voter, check_ballot, check_voter
from appliance.store import audit
from appliance.store.group_commit import GroupCommitter

RULES = tuple(r.value for r in law.Rule)
RULE_LABELS = {
    "majority": _l("More than half of all members"),  # 全体组成人员的过半数
    "two_thirds_or_more": _l("Two thirds or more of all members"),  # 三分之二以上
    "more_than_two_thirds": _l("More than two thirds of all members"),  # 超过三分之二
}
MODE_LABELS = {"secret": _l("Secret ballot"), "named": _l("Named vote")}
CHOICE_LABELS = {"yes": _l("Yes"), "no": _l("No"), "abstain": _l("Abstain")}
REFUSALS = {
    "bad_choice": (_l("Choose Yes, No or Abstain."), 400),
    "bad_ballot_id": (_l("The ballot is malformed. Reload the page and vote again."), 400),
    "bad_tracker": (_l("The ballot is malformed. Reload the page and vote again."), 400),
    "poll_not_open": (_l("This vote is not open. Your ballot was not counted."), 409),
    "not_a_member": (_l("Only members of the committee vote. Non-voting attendees do not."), 403),
    "not_signed_in": (_l("Please sign in to the meeting (签到) before voting."), 403),
    "time_over": (_l("The time for this vote is over. Your ballot was not counted."), 409),
    "already_voted": (_l("You have already voted in this poll; a vote cannot be changed after it is submitted."), 409),
    "on_paper": (_l("This vote is now on paper ballots. Mark the paper ballot you are handed; nothing was counted here."), 409),
    "tracker_taken": (_l("Your ballot was not counted yet: its check code is in use. Press Submit again."), 409),
}


def _refuse(code):
    message, status = REFUSALS[code]
    return UserError(code, message, status=status)


_POLL = "SELECT p.*, i.meeting_id FROM polls p JOIN agenda_items i ON i.id = p.item_id WHERE p.id = ?"
_PRESENT = "SELECT count(*) FROM meeting_people WHERE meeting_id = ? AND capacity = 'member' AND status = 'present'"


def _poll_row(db, poll_id):
    return db.execute(_POLL, (poll_id,)).fetchone()


def _present_members(db, meeting_id):
    return db.execute(_PRESENT, (meeting_id,)).fetchone()[0]


def get(store, poll_id):
    p = store.one(_POLL, (poll_id,))
    if p is None:
        raise NotFound("no_poll", _l("No such vote."))
    return p


def for_meeting(store, meeting_id):
    return store.all(
        "SELECT p.*, i.meeting_id, i.position, i.title AS item_title FROM polls p JOIN agenda_items i ON i.id = p.item_id "
        "WHERE i.meeting_id = ? ORDER BY i.position, p.id", (meeting_id,))


def open_poll_of(store, meeting_id):
    return store.one(
        "SELECT p.*, i.meeting_id FROM polls p JOIN agenda_items i ON i.id = p.item_id WHERE i.meeting_id = ? AND p.status = 'open'",
        (meeting_id,))


def create(store, actor_id, item_id, title=None, mode="secret", rule="majority", kind="motion", **sheet):
    """A draft poll on an item. `kind` other than a motion (and its `sheet` arguments) is sheets.py's."""
    it = core.item(store, item_id)
    sheets.check_kind(kind, mode)
    if mode not in MODES:
        raise UserError("bad_mode", _l("Choose secret or named."), field="mode")
    if rule not in RULES:
        raise UserError("bad_rule", _l("Choose a rule from the list."), field="rule")
    title = (title or "").strip() or it["title"]
    if len(title) > 200:
        raise UserError("bad_title", _l("Enter a title of 1 to 200 characters."), field="title")
    if kind != "motion":
        return sheets.create(store, actor_id, it, kind, title, **sheet)
    with store.write() as db:
        pid = db.execute("INSERT INTO polls (item_id, title, mode, rule) VALUES (?,?,?,?)", (item_id, title, mode, rule)).lastrowid
        audit.record(db, actor_id, "poll.create", {"poll": pid, "item": item_id, "mode": mode, "rule": rule})
    return pid


def open_(store, actor_id, poll_id, countdown=None, now=None):
    """Open a poll: the meeting must be open, have a quorum, and no other poll open."""
    now = clock.wall() if now is None else now
    if countdown is not None and (not isinstance(countdown, int) or isinstance(countdown, bool) or not 10 <= countdown <= 3600):
        raise UserError("bad_countdown", _l("The countdown must be between 10 and 3600 seconds."), field="countdown")
    with store.write() as db:
        p = _poll_row(db, poll_id)
        if p is None:
            raise NotFound("no_poll", _l("No such vote."))
        if p["status"] != "draft":
            raise Conflict("poll_not_draft", _l("This vote has already been opened."))
        sheets.check_may_open(db, p)  # 先免后任
        m = db.execute("SELECT * FROM meetings WHERE id = ?", (p["meeting_id"],)).fetchone()
        if m["status"] != "open":
            raise Conflict("meeting_not_open", _l("Open the meeting (sign-in) before voting."))
        other = db.execute(
            "SELECT 1 FROM polls q JOIN agenda_items i ON i.id = q.item_id WHERE i.meeting_id = ? AND q.status = 'open'",
            (p["meeting_id"],)).fetchone()
        if other:
            raise Conflict("other_poll_open", _l("Another vote is still open. Close it first."))
        present = _present_members(db, p["meeting_id"])
        if not law.quorum_met(m["membership"], present):
            raise Conflict(
                "no_quorum",
                _l("No quorum: %(present)d of %(n)d members are present, %(need)d are needed. The vote cannot be opened.",
                   present=present, n=m["membership"], need=law.quorum_needed(m["membership"])),
            )
        d = clock.deadline(countdown, now) if countdown else {"wall": None, "boot_id": None, "boot": None}
        db.execute("UPDATE polls SET status = 'open', opened_at = ?, closes_at = ?, closes_boot_id = ?, closes_boot = ?, "
                   "membership = ? WHERE id = ?", (now, d["wall"], d["boot_id"], d["boot"], m["membership"], poll_id))
        db.execute("UPDATE meetings SET current_item = ? WHERE id = ?", (p["item_id"], p["meeting_id"]))
        audit.record(db, actor_id, "poll.open", {"poll": poll_id, "present": present, "countdown": countdown}, now)
    return get(store, poll_id)


def _hash_ballot_id(ballot_id):
    """How ballots were recorded before the choice was bound in (still recognised as retries)."""
    return hashlib.sha256(ballot_id.encode("ascii")).hexdigest()


def _hash_ballot(ballot_id, choice):
    """The participation row's proof of the ballot: the tablet's secret ballot id bound to its
    choice, so a resend with another choice is told apart from a retry. Only the holder of the
    128-bit ballot id can test a choice against it; the store alone links nothing."""
    return hashlib.sha256(f"yishi-ballot-v2:{ballot_id}:{choice}".encode("ascii")).hexdigest()


def cast(store, person, poll_id, choice, ballot_id, tracker=None, now=None, marks=None, write_ins=None):
    """Record one member's ballot. Returns True when new, False when this was a retry of it.

    Returns (or raises the refusal) only after the COMMIT holding the ballot has returned."""
    now = clock.wall() if now is None else now  # judged on arrival, not when the batch runs
    committer = getattr(store, "ballot_committer", None)
    if committer is None:
        committer = store.__dict__.setdefault("ballot_committer", GroupCommitter(store))
    return committer.submit(_cast, store, person, poll_id, choice, ballot_id, tracker, now, marks, write_ins)


def _cast(store, person, poll_id, choice, ballot_id, tracker, now, marks=None, write_ins=None):
    p = get(store, poll_id)
    if p["kind"] != "motion":
        return sheets.cast(store, person, p, choice, marks, write_ins, ballot_id, tracker, now)
    try:
        check_ballot(choice, ballot_id, tracker, p["mode"])
    except BallotRefused as e:
        raise _refuse(e.code) from None
    h = _hash_ballot(ballot_id, choice)
    with store.write() as db:
        p = _poll_row(db, poll_id)
        mp = db.execute("SELECT capacity, status FROM meeting_people WHERE meeting_id = ? AND person_id = ?",
                        (p["meeting_id"], person.id)).fetchone()
        previous = db.execute("SELECT ballot_hash FROM poll_participation WHERE poll_id = ? AND person_id = ?",
                              (poll_id, person.id)).fetchone()
        if previous is not None:
            if previous[0] in (h, _hash_ballot_id(ballot_id)):
                return False  # the same ballot again (a retry): already counted once
            stands = next((c for c in CHOICES if previous[0] == _hash_ballot(ballot_id, c)), None)
            if stands is not None:
                # The tablet resent its ballot with another choice: the first one stands, and the
                # tablet that holds the ballot id (nobody else) is told which it was.
                raise Conflict("ballot_stands", _l("Your first ballot (%(choice)s) stands; a vote cannot be changed after it is submitted.",
                                                   choice=CHOICE_LABELS[stands]), stands=stands)
            raise _refuse("already_voted")
        try:
            check_voter(Voter(is_member=bool(mp) and mp["capacity"] == "member" and person.is_member,
                              present=bool(mp) and mp["status"] == "present"), p["status"])
        except BallotRefused as e:
            raise _refuse(e.code) from None
        left = clock.poll_left(p, now)
        if left is not None and left < 0:
            raise _refuse("time_over")
        if db.execute("SELECT 1 FROM paper_polls WHERE poll_id = ?", (poll_id,)).fetchone():
            raise _refuse("on_paper")
        db.execute("INSERT INTO poll_participation (poll_id, person_id, ballot_hash) VALUES (?,?,?)", (poll_id, person.id, h))
        if p["mode"] == "secret":
            if tracker is not None and db.execute("SELECT 1 FROM ballots WHERE poll_id = ? AND tracker = ?",
                                                  (poll_id, tracker)).fetchone():
                raise _refuse("tracker_taken")  # nothing written: the tablet draws a new code and sends again
            db.execute("INSERT INTO ballots (poll_id, id, tracker, choice) VALUES (?,?,?,?)",
                       (poll_id, secrets.token_hex(16), tracker, choice))
        else:
            db.execute("INSERT INTO named_votes (poll_id, person_id, choice) VALUES (?,?,?)", (poll_id, person.id, choice))
    return True


def progress(store, poll_id):
    """(votes cast, members who may vote now): never the choices."""
    p = get(store, poll_id)
    cast_ = store.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (poll_id,))
    eligible = _present_members(store.conn, p["meeting_id"])
    return cast_, eligible


def not_voted(store, poll_id):
    """Names of present members who have not voted yet: for the chair's console, never choices."""
    p = get(store, poll_id)
    return store.all(
        "SELECT p.id, p.name, p.seat FROM meeting_people mp JOIN people p ON p.id = mp.person_id "
        "WHERE mp.meeting_id = ? AND mp.capacity = 'member' AND mp.status = 'present' "
        "AND NOT EXISTS (SELECT 1 FROM poll_participation pp WHERE pp.poll_id = ? AND pp.person_id = mp.person_id) "
        "ORDER BY p.seat IS NULL, p.seat, p.id", (p["meeting_id"], poll_id))


@dataclass(frozen=True)
class Result:
    poll: int
    title: str
    mode: str
    rule: str
    method: str
    yes: int
    no: int
    abstain: int
    not_voted: int
    needed: int
    passed: bool
    membership: int
    fallback_reason: str | None

    def to_json(self):
        return asdict(self)


def method_of(store, p):
    """'hand_count' for a poll counted on paper by the scrutineers (migration 0010: the column
    cannot say it), else polls.method."""
    if p["method"] == "show_of_hands" and store.one("SELECT 1 FROM paper_polls WHERE poll_id = ? AND accepted_at IS NOT NULL", (p["id"],)):
        return "hand_count"
    return p["method"]


def result(store, poll_id):
    p = get(store, poll_id)
    if p["status"] != "closed":
        return None
    if p["kind"] != "motion":
        return sheets.result(store, poll_id)
    return Result(p["id"], p["title"], p["mode"], p["rule"], method_of(store, p), p["yes"], p["no"], p["abstain"], p["not_voted"],
                  p["needed"], bool(p["passed"]), p["membership"], p["fallback_reason"])


def close(store, actor_id, poll_id, now=None):
    """Count, decide by the law, and make the ballot table forget the order of casting."""
    now = time.time() if now is None else now
    if get(store, poll_id)["kind"] != "motion":
        if store.one("SELECT 1 FROM paper_polls WHERE poll_id = ?", (poll_id,)):
            raise Conflict("poll_on_paper", _l("This vote is on paper: it closes when the scrutineers' two entries of the count agree."))
        return sheets.close(store, actor_id, get(store, poll_id), now)
    with store.write() as db:
        p = _poll_row(db, poll_id)
        if p is None:
            raise NotFound("no_poll", _l("No such vote."))
        if p["status"] != "open":
            raise Conflict("poll_not_open", _l("This vote is not open."))
        if db.execute("SELECT 1 FROM paper_polls WHERE poll_id = ?", (poll_id,)).fetchone():
            raise Conflict("poll_on_paper", _l("This vote is on paper: it closes when the scrutineers' two entries of the count agree."))
        table = "ballots" if p["mode"] == "secret" else "named_votes"
        counts = dict(db.execute(f"SELECT choice, count(*) FROM {table} WHERE poll_id = ? GROUP BY choice", (poll_id,)).fetchall())
        present = _present_members(db, p["meeting_id"])
        cast_ = sum(counts.values())
        out = law.outcome(p["membership"], counts.get("yes", 0), counts.get("no", 0), counts.get("abstain", 0),
                          p["rule"], eligible=max(present, cast_))
        db.execute(
            "UPDATE polls SET status = 'closed', closed_at = ?, eligible = ?, yes = ?, no = ?, abstain = ?, not_voted = ?, needed = ?, passed = ? WHERE id = ?",
            (now, max(present, cast_), out.yes, out.no, out.abstain, out.not_voted, out.needed, 1 if out.passed else 0, poll_id))
        if p["mode"] == "secret":
            _rewrite_in_key_order(db, poll_id)
        audit.record(db, actor_id, "poll.close",
                     {"poll": poll_id, "yes": out.yes, "no": out.no, "abstain": out.abstain, "not_voted": out.not_voted,
                      "needed": out.needed, "passed": out.passed}, now)
    # Push the pages of this poll's history out of the WAL: the file keeps no trace of casting order.
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return result(store, poll_id)


def _rewrite_in_key_order(db, poll_id):
    """Re-insert the ballots sorted by their random key, with secure_delete on, so that even the
    physical layout of the pages holds nothing of the order in which they were cast."""
    rows = db.execute("SELECT id, tracker, choice FROM ballots WHERE poll_id = ? ORDER BY id", (poll_id,)).fetchall()
    db.execute("DELETE FROM ballots WHERE poll_id = ?", (poll_id,))
    db.executemany("INSERT INTO ballots (poll_id, id, tracker, choice) VALUES (?,?,?,?)", [(poll_id, *r) for r in rows])


def show_of_hands(store, actor_id, poll_id, yes, no, abstain, reason, now=None):
    """举手表决: the secretary enters the counts when the equipment fails; marked as such everywhere."""
    now = time.time() if now is None else now
    if not (reason or "").strip():
        raise UserError("reason_required", _l("Give the reason for voting by show of hands."), field="reason")
    for name, v in (("yes", yes), ("no", no), ("abstain", abstain)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise UserError("bad_count", _l("Enter whole numbers of zero or more for each count."), field=name)
    with store.write() as db:
        p = _poll_row(db, poll_id)
        if p is None:
            raise NotFound("no_poll", _l("No such vote."))
        if p["status"] == "closed":
            raise Conflict("poll_closed", _l("This vote is already closed."))
        sheets.check_show_of_hands(p)
        m = db.execute("SELECT membership, status FROM meetings WHERE id = ?", (p["meeting_id"],)).fetchone()
        present = _present_members(db, p["meeting_id"])
        if not law.quorum_met(m["membership"], present):
            raise Conflict("no_quorum", _l("No quorum: %(present)d of %(n)d members are present, %(need)d are needed. The vote cannot be opened.",
                                           present=present, n=m["membership"], need=law.quorum_needed(m["membership"])))
        if yes + no + abstain > present:
            raise UserError("too_many", _l("%(total)d hands counted but only %(present)d members are present.",
                                           total=yes + no + abstain, present=present), field="yes")
        out = law.outcome(m["membership"], yes, no, abstain, p["rule"], eligible=present)
        # Electronic ballots cast before the failure are discarded: the show of hands replaces them.
        db.execute("DELETE FROM ballots WHERE poll_id = ?", (poll_id,))
        db.execute("DELETE FROM named_votes WHERE poll_id = ?", (poll_id,))
        db.execute("DELETE FROM poll_participation WHERE poll_id = ?", (poll_id,))
        db.execute(
            "UPDATE polls SET status = 'closed', method = 'show_of_hands', fallback_reason = ?, opened_at = coalesce(opened_at, ?), "
            "closed_at = ?, membership = ?, eligible = ?, yes = ?, no = ?, abstain = ?, not_voted = ?, needed = ?, passed = ? WHERE id = ?",
            (reason.strip(), now, now, m["membership"], present, yes, no, abstain, out.not_voted, out.needed, 1 if out.passed else 0, poll_id))
        audit.record(db, actor_id, "poll.show_of_hands",
                     {"poll": poll_id, "yes": yes, "no": no, "abstain": abstain, "reason": reason.strip(), "passed": out.passed}, now)
    return result(store, poll_id)


def trackers(store, poll_id):
    """After a secret poll closes: every (tracker, choice), sorted by tracker, for verification."""
    p = get(store, poll_id)
    if p["status"] != "closed" or p["mode"] != "secret":
        raise Conflict("not_published", _l("The list of ballots is published when a secret vote closes."))
    if p["kind"] != "motion":
        return sheets.trackers(store, poll_id)
    return store.all("SELECT tracker, choice FROM ballots WHERE poll_id = ? ORDER BY tracker", (poll_id,))


def named_list(store, poll_id):
    return store.all("SELECT p.name, p.seat, v.choice FROM named_votes v JOIN people p ON p.id = v.person_id WHERE v.poll_id = ? "
                     "ORDER BY p.seat IS NULL, p.seat, p.id", (poll_id,))


def has_voted(store, poll_id, person_id):
    return store.one("SELECT 1 FROM poll_participation WHERE poll_id = ? AND person_id = ?", (poll_id, person_id)) is not None


__all__ = ["CHOICES", "cast", "close", "create", "open_", "result", "show_of_hands", "trackers"]
