"""Poll kinds with a ballot sheet: 满意度测评 (assessment), 任免 (appointment) and 选举 (election).

A motion poll (赞成/反对/弃权 on one question) stays in polls.py. This module owns the other kinds:
their lines (nominees, candidates), the roll of people who may be written in (另选他人), what a
tablet's ballot must look like, how a closed poll is counted by appliance/rules (assessment.py,
elections.py), the rounds of an election (a new round among people tied at the last seat, a
further round for unfilled seats: 另行选举), 先免后任 (an appointment cannot open before the removal
from the same post has closed), and a hand count (counters per kind, a close from such counts).

Ballots are secret and kept like a motion's (see migrations 0004 and 0009): poll_participation
says who took part, sheet_ballots holds the marks as canonical JSON under a random key, and the
table is rewritten in key order at close. The counted result is stored as JSON in polls.outcome.
"""

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field

from appliance import clock
from appliance.errors import Conflict, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import result_words
from appliance.rules import assessment as assess_rules
from appliance.rules import elections, law
from appliance.rules.ballots import CHOICES, BallotRefused, Voter, check_ballot, check_voter
from appliance.store import audit

KINDS = ("motion", "assessment", "appointment", "election")
SHEET_KINDS = KINDS[1:]
MAX_LINES = 60
LINE_KEY = re.compile(r"^[0-9]{1,18}$")  # a line id as a JSON object key
ASSESSMENT_LABELS = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
CHOICE_TEXT = {"yes": "赞成", "no": "反对", "abstain": "弃权"}
ACTION_TEXT = {"appoint": "任命", "remove": "免去"}
BASE_TEXT = {"all_members": "全体组成人员", "took_part": "参加投票的人"}

REFUSALS = {
    "bad_assessment_choice": (_l("Choose Satisfied, Basically satisfied or Unsatisfied."), "choice"),
    "bad_marks": (_l("The ballot sheet is malformed: give one mark (yes, no or abstain) per line."), "marks"),
    "unknown_line": (_l("The ballot marks a line that is not on this sheet. Reload the page and vote again."), "marks"),
    "unknown_nominee": (_l("The ballot marks a line that is not on this sheet. Reload the page and vote again."), "marks"),
    "unknown_candidate": (_l("The ballot marks a line that is not on this sheet. Reload the page and vote again."), "marks"),
    "nominee_unmarked": (_l("Mark every nominee: Yes, No or Abstain."), "marks"),
    "bad_choice": (_l("Mark every line with Yes, No or Abstain."), "marks"),
    elections.TOO_MANY_YES: (_l("Too many Yes marks: at most %(seats)d (write-ins included) on this ballot."), "marks"),
    elections.WRITE_IN_NOT_ELIGIBLE: (_l("A write-in must be chosen from the roll of eligible people."), "write_ins"),
    elections.WRITE_IN_IS_CANDIDATE: (_l("That person is already a candidate: mark Yes on their line instead."), "write_ins"),
    elections.WRITE_INS_NOT_ALLOWED: (_l("This round is between the tied candidates only: no write-ins."), "write_ins"),
    "write_in_twice": (_l("The same person is written in twice."), "write_ins"),
    "bad_write_ins": (_l("A write-in must be chosen from the roll of eligible people."), "write_ins"),
}


def _refuse(code, seats=0):
    message, fld = REFUSALS[code]
    if code == elections.TOO_MANY_YES:
        message = _l("Too many Yes marks: at most %(seats)d (write-ins included) on this ballot.", seats=seats)
    return UserError(code, message, field=fld)


def _settings_snapshot(settings, kind):
    from appliance.config import Settings

    s = settings or Settings()
    try:
        if kind == "assessment":
            rule = assess_rules.AssessmentRule(tuple(s.assessment_counted), elections.Base(s.assessment_base),
                                               law.Rule(s.assessment_threshold))
            return {"counted": list(rule.counted), "base": rule.base.value, "threshold": rule.threshold.value}
        if kind == "election":
            return {"base": elections.Base(s.election_base).value, "runoff_needs_threshold": bool(s.runoff_needs_threshold)}
    except (TypeError, ValueError) as e:
        # config.json was edited by hand: say which setting, and what it may be
        raise Conflict("bad_settings", _l("The counting settings in config.json are not valid (%(detail)s); the defaults are "
                                          "assessment_counted [\"satisfied\", \"basically\"], assessment_base and election_base "
                                          "\"all_members\" or \"took_part\", assessment_threshold \"majority\".", detail=str(e))) from None
    return {}


def check_kind(kind, mode):
    if kind not in KINDS:
        raise UserError("bad_kind", _l("Choose the kind of vote from the list."), field="kind")
    if kind != "motion" and mode != "secret":
        raise UserError("sheet_is_secret", _l("Assessments, appointment sheets and elections are always secret ballots."), field="mode")


def check_show_of_hands(p):
    if p["kind"] != "motion":
        raise Conflict("not_a_motion", _l("A ballot sheet cannot be voted by show of hands: count the paper ballots by hand."))


# -- creating ------------------------------------------------------------------------------

def _clean_lines(db, item, kind, lines):
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        what = _l("Give 1 to %(n)d nominees.", n=MAX_LINES) if kind == "appointment" else _l("Give 1 to %(n)d candidates.", n=MAX_LINES)
        raise UserError("bad_lines", what, field="lines")
    out, seen = [], set()
    for ln in lines:
        if not isinstance(ln, dict):
            raise UserError("bad_lines", _l("Each line needs a name or a person from the roll."), field="lines")
        person = ln.get("person")
        name = ln.get("name")
        if person is not None:
            if isinstance(person, bool) or not isinstance(person, int):
                raise UserError("bad_lines", _l("Each line needs a name or a person from the roll."), field="lines")
            row = db.execute("SELECT name FROM people WHERE id = ? AND active = 1", (person,)).fetchone()
            if row is None:
                raise UserError("unknown_person", _l("A line names a person who is not on the roll."), field="lines")
            name = name if isinstance(name, str) and name.strip() else row[0]
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            raise UserError("bad_lines", _l("Each line needs a name or a person from the roll."), field="lines")
        key = ("p", person) if person is not None else ("n", name.strip())
        if key in seen:
            raise UserError("duplicate_line", _l("The same person is on the sheet twice."), field="lines")
        seen.add(key)
        post = action = None
        if kind == "appointment":
            post = ln.get("post", item["post"])
            action = ln.get("action", item["action"] or "appoint")
            if not isinstance(post, str) or not 1 <= len(post.strip()) <= 100:
                raise UserError("bad_post", _l("Each nominee needs the post concerned."), field="lines")
            if action not in (elections.APPOINT, elections.REMOVE):
                raise UserError("bad_action", _l("Each nominee is either appointed or removed."), field="lines")
            post = post.strip()
        out.append((person, name.strip(), post, action))
    if kind == "appointment":
        posts = {}
        for _p, _n, post, action in out:
            posts.setdefault(post, set()).add(action)
        both = [p for p, acts in posts.items() if len(acts) == 2]
        if both:
            raise UserError("removal_on_same_sheet",
                            _l("先免后任: the removal from %(post)s must be voted before the appointment, on its own sheet.", post=both[0]),
                            field="lines")
    return out


def create(store, actor_id, item, kind, title, lines=None, seats=None, eligible=None, by_election=False, settings=None):
    """A draft poll of a sheet kind on agenda item `item` (a row); returns its id."""
    snapshot = _settings_snapshot(settings, kind)
    if kind == "election":
        if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= MAX_LINES:
            raise UserError("bad_seats", _l("Enter the number of seats, 1 or more."), field="seats")
    else:
        seats = None
    if eligible is not None and (not isinstance(eligible, list) or any(isinstance(e, bool) or not isinstance(e, int) for e in eligible)):
        raise UserError("bad_eligible", _l("The roll of eligible people is a list of people."), field="eligible")
    with store.write() as db:
        rows = [] if kind == "assessment" else _clean_lines(db, item, kind, lines)
        if kind == "election" and len(rows) < seats:
            raise UserError("too_few_candidates", _l("%(c)d candidates for %(s)d seats: give at least as many candidates as seats.",
                                                     c=len(rows), s=seats), field="lines")
        roll = []
        if kind == "election":
            if eligible is None:
                roll = [r[0] for r in db.execute("SELECT p.id FROM people p JOIN person_roles r ON r.person_id = p.id "
                                                 "WHERE r.role = 'member' AND p.active = 1 ORDER BY p.id")]
            else:
                for e in eligible:
                    if db.execute("SELECT 1 FROM people WHERE id = ? AND active = 1", (e,)).fetchone() is None:
                        raise UserError("unknown_person", _l("The roll names a person who is not on the list of people."),
                                        field="eligible")
                roll = sorted(set(eligible))
            roll = [e for e in roll if e not in {r[0] for r in rows}]
        pid = db.execute(
            "INSERT INTO polls (item_id, title, mode, rule, kind, seats, round, round_kind, by_election, settings) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (item["id"], title, "secret", "majority", kind, seats, 1, "first" if kind == "election" else None,
             1 if by_election else 0, json.dumps(snapshot, sort_keys=True))).lastrowid
        _insert_lines(db, pid, rows, roll)
        audit.record(db, actor_id, "poll.create", {"poll": pid, "item": item["id"], "kind": kind, "lines": len(rows), "seats": seats})
    return pid


def _insert_lines(db, pid, rows, roll):
    db.executemany("INSERT INTO poll_lines (poll_id, position, person_id, name, post, action) VALUES (?,?,?,?,?,?)",
                   [(pid, n, *r) for n, r in enumerate(rows, start=1)])
    db.executemany("INSERT INTO poll_eligible (poll_id, person_id) VALUES (?,?)", [(pid, e) for e in roll])


def lines(store, poll_id):
    return store.all("SELECT id, position, person_id, name, post, action FROM poll_lines WHERE poll_id = ? ORDER BY position", (poll_id,))


def roll(store, poll_id):
    """Who may be written in (另选他人) on this poll: id, name, seat."""
    return store.all("SELECT p.id, p.name, p.seat FROM poll_eligible e JOIN people p ON p.id = e.person_id WHERE e.poll_id = ? "
                     "ORDER BY p.seat IS NULL, p.seat, p.id", (poll_id,))


def poll_json(store, p):
    """What a tablet and the console need to draw a sheet poll."""
    out = {"kind": p["kind"], "seats": p["seats"], "round": p["round"], "round_kind": p["round_kind"],
           "parent_poll": p["parent_poll"], "by_election": bool(p["by_election"])}
    if p["kind"] == "assessment":
        out["choices"] = [{"value": k, "label": v} for k, v in ASSESSMENT_LABELS.items()]
    else:
        out["lines"] = [{"id": r["id"], "name": r["name"], "person": r["person_id"], "post": r["post"], "action": r["action"]}
                        for r in lines(store, p["id"])]
    if p["kind"] == "election" and p["round_kind"] != "runoff":
        out["roll"] = [{"id": r["id"], "name": r["name"]} for r in roll(store, p["id"])]
    if p["status"] == "closed" and p["kind"] == "election":
        out["next_round"] = next_round_offer(store, p)
    return out


# -- 先免后任 --------------------------------------------------------------------------------

def check_may_open(db, p):
    """Refuse (409) to open `p` while a removal from a post it appoints to has not closed.

    The lines of the meeting are the appointment sheets' lines and the motion polls on agenda
    items that carry a post and an action; a removal item with no closed poll counts as not closed."""
    mid = p["meeting_id"]
    post_lines = [elections.PostPoll(r[0], r[1], r[2], r[3]) for r in db.execute(
        "SELECT q.id, l.post, l.action, q.status FROM poll_lines l JOIN polls q ON q.id = l.poll_id "
        "JOIN agenda_items i ON i.id = q.item_id WHERE i.meeting_id = ? AND q.kind = 'appointment'", (mid,))]
    for iid, post, action in db.execute("SELECT id, post, action FROM agenda_items WHERE meeting_id = ? AND post IS NOT NULL "
                                        "AND action IS NOT NULL", (mid,)).fetchall():
        statuses = [r[0] for r in db.execute("SELECT status FROM polls WHERE item_id = ?", (iid,))]
        if action == elections.APPOINT:
            if p["kind"] == "motion" and p["item_id"] == iid:
                post_lines.append(elections.PostPoll(p["id"], post, action, p["status"]))
            continue
        status = "closed" if "closed" in statuses else ("open" if "open" in statuses else "draft")
        post_lines.append(elections.PostPoll(("item", iid), post, action, status))
    try:
        elections.check_may_open(p["id"], post_lines)
    except elections.ElectionError as e:
        post = e.detail.split(":")[0]
        raise Conflict(e.code, _l("先免后任: the removal from %(post)s has not been voted and closed yet. Close that vote first, "
                                  "then open this appointment.", post=post)) from None


# -- casting -------------------------------------------------------------------------------

def _canonical(p, choice, marks, write_ins, line_rows):
    """The ballot as canonical JSON (every line present, sorted keys), or a refusal worded for the member.

    An election's ballot is only checked for shape here and its write-ins returned: the roll it is
    checked against is read in the ballot's transaction (_election_canonical)."""
    kind = p["kind"]
    if kind == "assessment":
        try:
            assess_rules.check_choice(choice)
        except BallotRefused as e:
            raise _refuse(e.code) from None
        return json.dumps({"choice": choice}, sort_keys=True, separators=(",", ":"))
    if not isinstance(marks, dict) or any(not isinstance(k, str) or not LINE_KEY.match(k) for k in marks):
        raise _refuse("bad_marks")
    by_id = {str(r["id"]): r for r in line_rows}
    if any(k not in by_id for k in marks):
        raise _refuse("unknown_line")
    if any(m not in CHOICES for m in marks.values()):
        raise _refuse("bad_marks")
    if kind == "appointment":
        nominees = [elections.Nominee(str(r["id"]), r["post"], r["action"]) for r in line_rows]
        if write_ins:
            raise _refuse(elections.WRITE_INS_NOT_ALLOWED)
        try:
            chosen = elections.check_appointment_ballot(nominees, marks)
        except BallotRefused as e:
            raise _refuse(e.code) from None
        full = {n.person: c for n, c in zip(nominees, chosen)}
        return json.dumps({"marks": full}, sort_keys=True, separators=(",", ":"))
    write_ins = [] if write_ins is None else write_ins
    if not isinstance(write_ins, list) or any(isinstance(w, bool) or not isinstance(w, int) for w in write_ins):
        raise _refuse("bad_write_ins")
    return write_ins  # checked against the sheet in the transaction (the roll is read there)


def _sheet(p, line_rows, roll_ids):
    cands = tuple(f"c{r['id']}" for r in line_rows)
    return elections.make_sheet(p["seats"], cands, {f"p{e}" for e in roll_ids}, p["round_kind"] or "first", bool(p["by_election"]))


def _election_canonical(db, p, marks, write_ins, line_rows):
    roll_ids = [r[0] for r in db.execute("SELECT person_id FROM poll_eligible WHERE poll_id = ?", (p["id"],))]
    sheet = _sheet(p, line_rows, roll_ids)
    cand_people = {r["person_id"]: f"c{r['id']}" for r in line_rows if r["person_id"] is not None}
    wkeys = [cand_people.get(w, f"p{w}") for w in write_ins]
    try:
        b = elections.check_ballot(sheet, {f"c{k}": m for k, m in marks.items()}, wkeys)
    except BallotRefused as e:
        raise _refuse(e.code, p["seats"]) from None
    full = {c[1:]: m for c, m in b.marks}
    return json.dumps({"marks": full, "write_ins": sorted(int(w[1:]) for w in b.write_ins)}, sort_keys=True, separators=(",", ":"))


def cast(store, person, p, choice, marks, write_ins, ballot_id, tracker, now):
    """Record one member's sheet ballot (called by polls.cast, inside its group commit)."""
    from appliance.meetings import polls

    try:
        check_ballot("yes", ballot_id, tracker, "secret")  # the ids' shape; the marks are checked below
    except BallotRefused as e:
        raise polls._refuse(e.code) from None
    line_rows = lines(store, p["id"])
    canon = _canonical(p, choice, marks, write_ins, line_rows)
    with store.write() as db:
        p = db.execute(polls._POLL, (p["id"],)).fetchone()
        if p["kind"] == "election":
            canon = _election_canonical(db, p, marks, canon, line_rows)  # `canon` was the checked write-ins
        h = polls._hash_ballot(ballot_id, canon)
        mp = db.execute("SELECT capacity, status FROM meeting_people WHERE meeting_id = ? AND person_id = ?",
                        (p["meeting_id"], person.id)).fetchone()
        previous = db.execute("SELECT ballot_hash FROM poll_participation WHERE poll_id = ? AND person_id = ?",
                              (p["id"], person.id)).fetchone()
        if previous is not None:
            if previous[0] == h:
                return False  # the same ballot again (a retry): already counted once
            raise polls._refuse("already_voted")
        try:
            check_voter(Voter(is_member=bool(mp) and mp["capacity"] == "member" and person.is_member,
                              present=bool(mp) and mp["status"] == "present"), p["status"])
        except BallotRefused as e:
            raise polls._refuse(e.code) from None
        left = clock.poll_left(p, now)
        if left is not None and left < 0:
            raise polls._refuse("time_over")
        if db.execute("SELECT 1 FROM paper_polls WHERE poll_id = ?", (p["id"],)).fetchone():
            raise polls._refuse("on_paper")
        if db.execute("SELECT 1 FROM sheet_ballots WHERE poll_id = ? AND tracker = ?", (p["id"], tracker)).fetchone():
            raise polls._refuse("tracker_taken")
        db.execute("INSERT INTO poll_participation (poll_id, person_id, ballot_hash) VALUES (?,?,?)", (p["id"], person.id, h))
        db.execute("INSERT INTO sheet_ballots (poll_id, id, tracker, marks) VALUES (?,?,?,?)",
                   (p["id"], secrets.token_hex(16), tracker, canon))
    return True


# -- counting ------------------------------------------------------------------------------

def _pct(k, n):
    return assess_rules.percent(assess_rules.Fraction(k, n)) if n else "—"


def _count_assessment(p, counts, present):
    s = json.loads(p["settings"] or "{}")
    rule = assess_rules.AssessmentRule(tuple(s.get("counted", assess_rules.DEFAULT_RULE.counted)),
                                       elections.Base(s.get("base", "all_members")), law.Rule(s.get("threshold", "majority")))
    cast_ = sum(counts.values())
    r = assess_rules.assess(p["membership"], counts["satisfied"], counts["basically"], counts["unsatisfied"], counts["void"],
                            max(present, cast_), rule)
    out = {k: getattr(r, k) for k in ("n", "satisfied", "basically", "unsatisfied", "void", "not_voted", "absent", "counted", "needed",
                                      "outcome")}
    out["shares"] = {k: _pct(getattr(r, k), r.n) for k in assess_rules.SHARES}
    out["counted_choices"] = list(rule.counted)
    return out, r.outcome == assess_rules.SATISFIED, r.needed, r.not_voted, max(present, cast_)


def _count_appointment(p, line_rows, per_line, present, cast_):
    """`per_line`: {line id: Counter of yes/no/abstain}."""
    eligible = max(present, cast_)
    out = []
    for r in line_rows:
        c = per_line.get(r["id"], {})
        o = law.outcome(p["membership"], c.get("yes", 0), c.get("no", 0), c.get("abstain", 0), law.Rule.MAJORITY, eligible=eligible)
        out.append({"line": r["id"], "name": r["name"], "person": r["person_id"], "post": r["post"], "action": r["action"],
                    **asdict(o)})
    return {"nominees": out, "cast": cast_, "eligible": eligible}, eligible - cast_


def _names(db, keys, line_rows):
    by_line = {f"c{r['id']}": (r["name"], r["id"], r["person_id"]) for r in line_rows}
    out = {}
    for k in keys:
        if k in by_line:
            out[k] = by_line[k]
        else:
            row = db.execute("SELECT name FROM people WHERE id = ?", (int(k[1:]),)).fetchone()
            out[k] = (row[0] if row else k, None, int(k[1:]))
    return out


def _election_json(db, p, line_rows, res):
    keys = [t.person for t in res.tallies] + list(res.runoff.people if res.runoff else ())
    names = _names(db, keys, line_rows)

    def who(k):
        n, line, person = names[k]
        return {"key": k, "name": n, "line": line, "person": person}

    return {
        "seats": res.seats, "base": res.base, "base_kind": json.loads(p["settings"] or "{}").get("base", "all_members"),
        "needed": res.needed, "took_part": res.took_part, "cast": res.cast, "valid": res.valid, "void": res.void,
        "tallies": [{**who(t.person), "yes": t.yes, "no": t.no, "abstain": t.abstain, "written_in": t.written_in} for t in res.tallies],
        "elected": [who(k) for k in res.elected],
        "runoff": {"people": [who(k) for k in res.runoff.people], "seats": res.runoff.seats} if res.runoff else None,
        "further_round": res.further_round, "reason": res.reason,
    }


def _rules_of(p):
    s = json.loads(p["settings"] or "{}")
    return elections.ElectionRules(elections.Base(s.get("base", "all_members")), bool(s.get("runoff_needs_threshold", True)))


def close(store, actor_id, p, now):
    """Count a sheet poll's ballots by the rules and store the outcome (called by polls.close)."""
    from appliance.meetings import polls

    line_rows = lines(store, p["id"])
    with store.write() as db:
        p = db.execute(polls._POLL, (p["id"],)).fetchone()
        if p["status"] != "open":
            raise Conflict("poll_not_open", _l("This vote is not open."))
        ballots = [json.loads(r[0]) for r in db.execute("SELECT marks FROM sheet_ballots WHERE poll_id = ? ORDER BY id", (p["id"],))]
        took_part = db.execute("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (p["id"],)).fetchone()[0]
        present = polls._present_members(db, p["meeting_id"])
        cast_ = len(ballots)
        passed = needed = None
        if p["kind"] == "assessment":
            counts = {c: 0 for c in (*assess_rules.CHOICES, "void")}
            for b in ballots:
                counts[b["choice"]] += 1
            outcome, passed, needed, not_voted, eligible = _count_assessment(p, counts, present)
        elif p["kind"] == "appointment":
            per = {}
            for b in ballots:
                for k, m in b["marks"].items():
                    per.setdefault(int(k), {}).setdefault(m, 0)
                    per[int(k)][m] += 1
            outcome, not_voted = _count_appointment(p, line_rows, per, present, cast_)
            eligible = outcome["eligible"]
        else:
            roll_ids = [r[0] for r in db.execute("SELECT person_id FROM poll_eligible WHERE poll_id = ?", (p["id"],))]
            sheet = _sheet(p, line_rows, roll_ids)
            counted = [elections.check_ballot(sheet, {f"c{k}": m for k, m in b["marks"].items()}, [f"p{w}" for w in b["write_ins"]])
                       for b in ballots]
            res = elections.count_round(sheet, counted, p["membership"], min(p["membership"], max(took_part, cast_)), _rules_of(p))
            outcome = _election_json(db, p, line_rows, res)
            needed, eligible, not_voted = res.needed, max(present, cast_), max(present, cast_) - cast_
        outcome["method"] = "electronic"
        db.execute("UPDATE polls SET status = 'closed', closed_at = ?, eligible = ?, not_voted = ?, needed = ?, passed = ?, outcome = ? "
                   "WHERE id = ?", (now, eligible, not_voted, needed, None if passed is None else int(passed),
                                    json.dumps(outcome, sort_keys=True, ensure_ascii=False), p["id"]))
        rows = db.execute("SELECT id, tracker, marks FROM sheet_ballots WHERE poll_id = ? ORDER BY id", (p["id"],)).fetchall()
        db.execute("DELETE FROM sheet_ballots WHERE poll_id = ?", (p["id"],))
        db.executemany("INSERT INTO sheet_ballots (poll_id, id, tracker, marks) VALUES (?,?,?,?)", [(p["id"], *r) for r in rows])
        audit.record(db, actor_id, "poll.close", {"poll": p["id"], "kind": p["kind"], "cast": cast_, "not_voted": not_voted}, now)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return result(store, p["id"])


@dataclass(frozen=True)
class SheetResult:
    poll: int
    title: str
    kind: str
    mode: str
    method: str  # "electronic" or "hand_count"
    membership: int
    round: int
    outcome: dict = field(default_factory=dict)
    lines: tuple = ()
    fallback_reason: str | None = None
    words: dict = field(default_factory=dict)  # {locale: [line, ...]}: the lines for pages (result_words)

    @property
    def passed(self):
        """Satisfied (an assessment), every nominee passed (an appointment), every seat filled (an election)."""
        if self.kind == "assessment":
            return self.outcome.get("outcome") == assess_rules.SATISFIED
        if self.kind == "appointment":
            return all(n["passed"] for n in self.outcome.get("nominees", ()))
        return self.outcome.get("reason") == elections.SEATS_FILLED

    def to_json(self):
        out = {**asdict(self), "lines": list(self.lines), "passed": self.passed}
        out.pop("words")  # pages get them as `line`/`words` from result_words.payload
        return out


def result(store, poll_id):
    p = store.one("SELECT * FROM polls WHERE id = ?", (poll_id,))
    if p is None or p["status"] != "closed" or p["outcome"] is None:
        return None
    o = json.loads(p["outcome"])
    method = "hand_count" if p["counted_by"] == "hand" else "electronic"
    return SheetResult(p["id"], p["title"], p["kind"], p["mode"], method, p["membership"], p["round"], o,
                       tuple(result_lines(p, o)), p["fallback_reason"],
                       {loc: result_words.sheet_lines(p, o, loc) for loc in result_words.LOCALES})


def result_lines(p, o):
    """The result in words, one line each, in Chinese as the minutes print them (the words are
    the catalogue's: appliance/meetings/result_words.py)."""
    return result_words.sheet_lines(p, o, "zh_CN")


# -- rounds ---------------------------------------------------------------------------------

def next_round_offer(store, p):
    """What round the rules call for after closed election poll `p`: None, or kind, seats, people."""
    if p["status"] != "closed" or p["kind"] != "election" or p["outcome"] is None:
        return None
    if store.one("SELECT 1 FROM polls WHERE parent_poll = ?", (p["id"],)):
        return None
    o = json.loads(p["outcome"])
    if o["runoff"]:
        return {"kind": "runoff", "seats": o["runoff"]["seats"], "people": o["runoff"]["people"]}
    if o["further_round"]:
        elected = {e["key"] for e in o["elected"]}
        people = [{k: t[k] for k in ("key", "name", "line", "person")} for t in o["tallies"] if t["key"] not in elected]
        return {"kind": "further", "seats": o["further_round"], "people": people}
    if o["reason"] == elections.MORE_BALLOTS_THAN_VOTERS:
        people = [{"key": f"c{r['id']}", "name": r["name"], "line": r["id"], "person": r["person_id"]} for r in lines(store, p["id"])]
        return {"kind": "again", "seats": p["seats"], "people": people}
    return None


def next_round(store, actor_id, poll_id, candidates=None):
    """Create the next round the rules call for after closed election poll `poll_id`; returns its id.

    A runoff is between the tied people only; a further round (另行选举) is among `candidates`
    (keys from the offer, chosen by the chair), by default everyone not elected."""
    from appliance.meetings import polls

    p = polls.get(store, poll_id)
    if p["kind"] != "election":
        raise Conflict("not_an_election", _l("Only an election has further rounds."))
    offer = next_round_offer(store, p)
    if offer is None:
        raise Conflict("no_next_round", _l("This election needs no further round (or it has been created already)."))
    people = offer["people"]
    if candidates is not None:
        if not isinstance(candidates, list) or any(not isinstance(c, str) for c in candidates):
            raise UserError("bad_candidates", _l("Choose the candidates of the next round from the list offered."), field="candidates")
        if offer["kind"] == "runoff" and set(candidates) != {x["key"] for x in people}:
            raise UserError("bad_candidates", _l("A new round after a tie is between the tied people only."), field="candidates")
        by_key = {x["key"]: x for x in people}
        if any(c not in by_key for c in candidates) or len(set(candidates)) != len(candidates):
            raise UserError("bad_candidates", _l("Choose the candidates of the next round from the list offered."), field="candidates")
        people = [by_key[c] for c in candidates]
    if len(people) < offer["seats"]:
        raise UserError("too_few_candidates", _l("%(c)d candidates for %(s)d seats: give at least as many candidates as seats.",
                                                 c=len(people), s=offer["seats"]), field="candidates")
    round_kind = {"runoff": "runoff", "further": "further", "again": p["round_kind"] or "first"}[offer["kind"]]
    with store.write() as db:
        if db.execute("SELECT 1 FROM polls WHERE parent_poll = ?", (poll_id,)).fetchone():
            raise Conflict("no_next_round", _l("This election needs no further round (or it has been created already)."))
        o = json.loads(p["outcome"])
        elected = {e["person"] for e in o["elected"] if e["person"] is not None}
        roll = []
        if round_kind != "runoff":
            before = {r[0] for r in db.execute("SELECT person_id FROM poll_eligible WHERE poll_id = ?", (poll_id,))}
            before |= {r["person_id"] for r in lines(store, poll_id) if r["person_id"] is not None}
            roll = sorted(before - elected - {x["person"] for x in people if x["person"] is not None})
        title = f"{p['title'].split('（第')[0]}（第{p['round'] + 1}轮）"
        pid = db.execute(
            "INSERT INTO polls (item_id, title, mode, rule, kind, seats, round, round_kind, parent_poll, by_election, settings) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (p["item_id"], title, "secret", "majority", "election", offer["seats"], p["round"] + 1, round_kind, poll_id,
             p["by_election"], p["settings"])).lastrowid
        _insert_lines(db, pid, [(x["person"], x["name"], None, None) for x in people], roll)
        audit.record(db, actor_id, "poll.next_round", {"poll": pid, "after": poll_id, "kind": offer["kind"], "seats": offer["seats"],
                                                       "lines": len(people)})
    return pid


# -- hand count (the paper fallback counts into these) --------------------------------------

def hand_counters(store, poll_id):
    """The counters a hand count of this poll fills in: [{"key", "label", "group"}], for any kind."""
    from appliance.meetings import polls

    return counters_of(store.conn, polls.get(store, poll_id))


def counters_of(conn, p):
    """hand_counters for poll row `p` on connection `conn` (usable inside a transaction, as the
    scrutineers' entry is). A group is what one ballot marks at most once: 测评's choices and void
    together; each nominee or candidate (and write-in) alone; an election's void and cast alone."""
    if p["kind"] == "motion":
        return [{"key": k, "label": CHOICE_TEXT[k], "group": "choice"} for k in CHOICES]
    if p["kind"] == "assessment":
        return [{"key": k, "label": v, "group": "choice"} for k, v in ASSESSMENT_LABELS.items()] + \
            [{"key": "void", "label": "无效票", "group": "choice"}]
    rows = conn.execute("SELECT id, name FROM poll_lines WHERE poll_id = ? ORDER BY position", (p["id"],)).fetchall()
    if p["kind"] == "appointment":
        out = [{"key": f"l{r['id']}.{c}", "label": f"{r['name']} {CHOICE_TEXT[c]}", "group": f"l{r['id']}"} for r in rows for c in CHOICES]
        return out + [{"key": "void", "label": "无效票", "group": "void"}]
    roll_rows = conn.execute("SELECT p.id, p.name FROM poll_eligible e JOIN people p ON p.id = e.person_id WHERE e.poll_id = ? "
                             "ORDER BY p.seat IS NULL, p.seat, p.id", (p["id"],)).fetchall()
    out = [{"key": f"c{r['id']}", "label": f"{r['name']} 赞成", "group": f"c{r['id']}"} for r in rows]
    out += [{"key": f"p{r['id']}", "label": f"另选 {r['name']} 赞成", "group": f"p{r['id']}"} for r in roll_rows]
    return out + [{"key": "void", "label": "作废票", "group": "void"}, {"key": "cast", "label": "收回选票", "group": "cast"}]


def close_from_counts(store, actor_id, poll_id, counts, reason, now=None):
    """Close a poll from a hand count (`counts` keyed as hand_counters says; missing keys are 0),
    replacing any electronic ballots, and mark it a hand count everywhere."""
    from appliance.meetings import polls

    now = time.time() if now is None else now
    if not isinstance(reason, str) or not reason.strip():
        raise UserError("reason_required", _l("Give the reason for counting by hand."), field="reason")
    known = {c["key"] for c in hand_counters(store, poll_id)}
    if not isinstance(counts, dict) or any(k not in known for k in counts):
        raise UserError("bad_counts", _l("The counts name a line that is not on this ballot."), field="counts")
    for k, v in counts.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise UserError("bad_count", _l("Enter whole numbers of zero or more for each count."), field=k)
    c = {k: counts.get(k, 0) for k in known}
    p = polls.get(store, poll_id)
    if p["kind"] == "motion":
        r = polls.show_of_hands(store, actor_id, poll_id, c["yes"], c["no"], c["abstain"], reason, now)
        with store.write() as db:
            db.execute("UPDATE polls SET counted_by = 'hand' WHERE id = ?", (poll_id,))
        return r
    with store.write() as db:
        p = db.execute(polls._POLL, (poll_id,)).fetchone()
        if p["status"] == "closed":
            raise Conflict("poll_closed", _l("This vote is already closed."))
        present = polls._present_members(db, p["meeting_id"])
        outcome = close_counts(db, p, c, present, reason.strip(), now)
        audit.record(db, actor_id, "poll.hand_count", {"poll": poll_id, "kind": p["kind"], "counts": c, "reason": reason.strip()}, now)
    return result(store, poll_id)


def close_counts(db, p, c, present, reason, now):
    """Close sheet poll `p` (a row with meeting_id) from hand counts `c` (every key of
    hand_counters), inside the caller's transaction: by the staff's entry above, or by the two
    scrutineers' agreeing entries (scrutiny.py). Returns the outcome for the audit log."""
    poll_id = p["id"]
    line_rows = [dict(r) for r in db.execute("SELECT id, position, person_id, name, post, action FROM poll_lines WHERE poll_id = ? ORDER BY position", (poll_id,)).fetchall()]
    m = db.execute("SELECT membership FROM meetings WHERE id = ?", (p["meeting_id"],)).fetchone()
    p = {**dict(p), "membership": p["membership"] or m["membership"]}
    if p["kind"] == "assessment":
        cast_ = sum(c.values())
        if cast_ > present:
            raise UserError("too_many", _l("%(total)d ballots counted but only %(present)d members are present.",
                                           total=cast_, present=present), field="void")
        outcome, passed, needed, not_voted, eligible = _count_assessment(p, c, present)
    elif p["kind"] == "appointment":
        per = {r["id"]: {ch: c[f"l{r['id']}.{ch}"] for ch in CHOICES} for r in line_rows}
        cast_ = max([sum(v.values()) for v in per.values()] + [0]) + c["void"]
        if cast_ > present:
            raise UserError("too_many", _l("%(total)d ballots counted but only %(present)d members are present.",
                                           total=cast_, present=present), field="void")
        outcome, not_voted = _count_appointment(p, line_rows, per, present, cast_)
        passed, needed, eligible = None, None, outcome["eligible"]
    else:
        cast_ = c["cast"]
        if cast_ > present or c["void"] > cast_:
            raise UserError("too_many", _l("%(total)d ballots counted but only %(present)d members are present.",
                                           total=cast_, present=present), field="cast")
        rules = _rules_of(p)
        base = p["membership"] if rules.base is elections.Base.ALL_MEMBERS else cast_
        runoff_free = p["round_kind"] == "runoff" and not rules.runoff_needs_threshold
        needed = 0 if runoff_free else elections.threshold(base)
        position = {f"c{r['id']}": i for i, r in enumerate(line_rows)}
        yes = sorted(((k, v) for k, v in c.items() if k[0] in "cp" and k[1:].isdigit() and (k in position or v)),
                     key=lambda kv: (-kv[1], position.get(kv[0], len(position)), kv[0]))
        elected, runoff, further, reason_code = elections.decide(p["seats"], yes, needed)
        res = elections.RoundResult(p["seats"], base, needed, cast_, cast_, cast_ - c["void"], c["void"],
                                    tuple(elections.Tally(k, v, written_in=k not in position) for k, v in yes),
                                    elected, runoff, further, reason_code)
        outcome = _election_json(db, p, line_rows, res)
        passed, eligible, not_voted = None, max(present, cast_), max(present, cast_) - cast_
    outcome["method"] = "hand_count"
    db.execute("DELETE FROM sheet_ballots WHERE poll_id = ?", (poll_id,))
    db.execute("DELETE FROM poll_participation WHERE poll_id = ?", (poll_id,))
    db.execute("UPDATE polls SET status = 'closed', counted_by = 'hand', fallback_reason = ?, opened_at = coalesce(opened_at, ?), "
               "closed_at = ?, membership = ?, eligible = ?, not_voted = ?, needed = ?, passed = ?, outcome = ? WHERE id = ?",
               (reason.strip(), now, now, p["membership"], eligible, not_voted, needed, None if passed is None else int(passed),
                json.dumps(outcome, sort_keys=True, ensure_ascii=False), poll_id))
    return outcome


def trackers(store, poll_id):
    return store.all("SELECT tracker, marks AS choice FROM sheet_ballots WHERE poll_id = ? ORDER BY tracker", (poll_id,))


def minutes_lines(store, r):
    """The minutes' lines of a sheet poll's result: what was voted, how, and each result line."""
    kind_text = {"assessment": "满意度测评", "appointment": "任免表决", "election": "选举"}[r.kind]
    method = "无记名按表决器" if r.method == "electronic" else "人工计票（监票人）"
    out = [("p", f"{kind_text}：{r.title}　方式：{method}")]
    out += [("b", line) for line in r.lines]
    if r.method == "hand_count":
        from appliance.meetings import scrutiny

        if scrutiny.paper(store, r.poll) is not None:  # counted under the scrutineers' double entry
            out.append(("p", scrutiny.minutes_note(store, r.poll)))
        else:
            out.append(("p", f"注：因“{r.fallback_reason}”，本项改为人工计票，由监票人清点。"))
    return out

