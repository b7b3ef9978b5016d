"""Elections with candidates and appointment sheets, as the second part of ../shared/LAW.md states them.

An election (选举; a by-election is 补选) fills S seats from C candidates: 等额 when C = S, 差额
when C > S. Per candidate the voter marks yes, no or abstain (赞成 / 反对 / 弃权) and may write in
another eligible person (另选他人). This module owns what a valid ballot is (on the tablet, where a
bad ballot is refused, and on paper, where it is void: 作废), how a round is counted (who is
elected, who goes to a new round because of a tie at the last seat, how many seats go to a further
round: 另行选举), how an appointment and removal sheet (任免) is counted, and the order removal
before appointment (先免后任). Pure: no store, no clock; refusals are codes the caller words.
"""

from collections import Counter
from dataclasses import dataclass
from enum import Enum

from appliance.rules import law
from appliance.rules.ballots import CHOICES, BallotRefused

YES, NO, ABSTAIN = CHOICES


class Base(str, Enum):
    """What "more than half" is counted against."""

    ALL_MEMBERS = "all_members"  # 全体组成人员 / 全体代表的过半数: LAW.md's default
    TOOK_PART = "took_part"  # those who took part in the round: a setting


class Kind(str, Enum):
    """Which round a sheet is for; only a first or further round takes write-ins."""

    FIRST = "first"
    RUNOFF = "runoff"  # the tied people only, for the seats left (再次投票)
    FURTHER = "further"  # a further round, candidates chosen by the presidium or chair


# Why a round ended as it did.
SEATS_FILLED = "seats_filled"
TIE_AT_LAST_SEAT = "tie_at_last_seat"
TOO_FEW_ABOVE_THRESHOLD = "too_few_above_threshold"
MORE_BALLOTS_THAN_VOTERS = "more_ballots_than_voters"

# Why a paper ballot is void.
TOO_MANY_YES = "too_many_yes"
WRITE_IN_NOT_ELIGIBLE = "write_in_not_eligible"
WRITE_IN_IS_CANDIDATE = "write_in_is_candidate"
WRITE_INS_NOT_ALLOWED = "write_ins_not_allowed"


class ElectionError(Exception):
    """A sheet or an opening the rules refuse; `code` names why (the caller words it for people)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ElectionRules:
    """The committee's settings for counting; the defaults are LAW.md's.

    `runoff_needs_threshold`: whether a person elected in a new round between tied people must
    again pass the threshold (LAW.md's "elected: yes votes exceed half of the base" read for every
    round), or whether most yes votes are enough (the Electoral Law's "以得票多的当选").
    """

    base: Base = Base.ALL_MEMBERS
    runoff_needs_threshold: bool = True


@dataclass(frozen=True)
class Sheet:
    """A ballot sheet (选票) for one round: the candidates in printed order and the seats (S)."""

    seats: int
    candidates: tuple
    eligible: frozenset = frozenset()  # who may be written in, besides the candidates
    kind: Kind = Kind.FIRST
    by_election: bool = False  # counted the same way, named so in the minutes

    @property
    def contested(self):
        """More candidates than seats, rather than as many."""
        return len(self.candidates) > self.seats

    @property
    def takes_write_ins(self):
        return self.kind is not Kind.RUNOFF


def make_sheet(seats, candidates, eligible=(), kind=Kind.FIRST, by_election=False):
    """A checked Sheet; `eligible` are those who may be written in (candidates are removed from it)."""
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ElectionError("no_seats", f"seats must be a positive integer, got {seats!r}")
    candidates = tuple(candidates)
    if len(set(candidates)) != len(candidates):
        raise ElectionError("duplicate_candidate", repr(candidates))
    if len(candidates) < seats:
        raise ElectionError("too_few_candidates", f"{len(candidates)} candidates for {seats} seats")
    kind = Kind(kind)
    eligible = frozenset(eligible) - set(candidates) if kind is not Kind.RUNOFF else frozenset()
    return Sheet(seats, candidates, eligible, kind, bool(by_election))


@dataclass(frozen=True)
class Ballot:
    """One ballot as counted: a choice per candidate in sheet order, and the write-ins.

    `void` is None for a valid ballot, else the code of why the paper ballot is void.
    """

    marks: tuple  # ((candidate, choice), ...)
    write_ins: tuple = ()
    void: str | None = None

    @property
    def yes(self):
        """Everyone this ballot says yes to: candidates marked yes, then the write-ins."""
        return tuple(c for c, m in self.marks if m == YES) + self.write_ins


def check_ballot(sheet, marks, write_ins=()):
    """The tablet path: a Ballot, or BallotRefused so that the member can correct it.

    `marks` maps candidates to "yes", "no" or "abstain"; an unmarked candidate is an abstention,
    so a blank ballot is valid. More yes marks (write-ins included) than seats is refused, not
    taken as void: the tablet can say so before the ballot is cast.
    """
    for c, m in marks.items():
        if c not in sheet.candidates:
            raise BallotRefused("unknown_candidate")
        if m not in CHOICES:
            raise BallotRefused("bad_choice")
    write_ins = tuple(write_ins)
    if write_ins and not sheet.takes_write_ins:
        raise BallotRefused(WRITE_INS_NOT_ALLOWED)
    if len(set(write_ins)) != len(write_ins):
        raise BallotRefused("write_in_twice")
    if any(w in sheet.candidates for w in write_ins):
        raise BallotRefused(WRITE_IN_IS_CANDIDATE)
    if any(w not in sheet.eligible for w in write_ins):
        raise BallotRefused(WRITE_IN_NOT_ELIGIBLE)
    ballot = Ballot(tuple((c, marks.get(c, ABSTAIN)) for c in sheet.candidates), _sorted(write_ins))
    if len(ballot.yes) > sheet.seats:
        raise BallotRefused(TOO_MANY_YES)
    return ballot


def read_paper_ballot(sheet, marks, write_ins=()):
    """The paper path: a Ballot as the tellers read it, void (with the reason) rather than refused.

    `marks` maps candidates to the marks seen in their row: none is an abstention, several cannot
    be read and count as an abstention for that candidate only. A name written in twice counts
    once. A write-in of someone not eligible, of a candidate, or on a runoff sheet voids the ballot,
    as do more yes marks (write-ins included) than seats.
    """
    row = {}
    for c, seen in marks.items():
        if c not in sheet.candidates:
            raise ValueError(f"{c!r} is not a candidate on this sheet {sheet.candidates!r}")
        row[c] = _read_row(seen, c)
    write_ins = _sorted(set(write_ins))
    ballot = Ballot(tuple((c, row.get(c, ABSTAIN)) for c in sheet.candidates), write_ins)
    void = None
    if write_ins and not sheet.takes_write_ins:
        void = WRITE_INS_NOT_ALLOWED
    elif any(w in sheet.candidates for w in write_ins):
        void = WRITE_IN_IS_CANDIDATE
    elif any(w not in sheet.eligible for w in write_ins):
        void = WRITE_IN_NOT_ELIGIBLE
    elif len(ballot.yes) > sheet.seats:
        void = TOO_MANY_YES
    return Ballot(ballot.marks, ballot.write_ins, void)


def _read_row(seen, who):
    """The choice in one row of a paper sheet: the mark if there is exactly one, else abstain."""
    seen = set(seen)
    if not seen <= set(CHOICES):
        raise ValueError(f"marks must be among {CHOICES}, got {sorted(seen)!r} for {who!r}")
    return seen.pop() if len(seen) == 1 else ABSTAIN


def _sorted(people):
    return tuple(sorted(people, key=lambda p: (type(p).__name__, p)))


@dataclass(frozen=True)
class Tally:
    """One person's votes in a round; a write-in has only yes votes."""

    person: object
    yes: int
    no: int = 0
    abstain: int = 0
    written_in: bool = False


@dataclass(frozen=True)
class Runoff:
    """A new round between tied people only, for the seats they tie for."""

    people: tuple
    seats: int


@dataclass(frozen=True)
class RoundResult:
    """A counted round. At most one of `runoff` and `further_round` (the seats left to a further
    round) is set; `reason` says which, or that the seats are filled, or that the round is void."""

    seats: int
    base: int
    needed: int  # the least yes votes that exceed half of the base
    took_part: int
    cast: int
    valid: int
    void: int
    tallies: tuple  # Tally, most yes first
    elected: tuple  # most yes first
    runoff: Runoff | None
    further_round: int
    reason: str

    @property
    def void_round(self):
        return self.reason == MORE_BALLOTS_THAN_VOTERS


def threshold(base):
    """The least yes votes that exceed half of `base`: the same integer as a decision's majority."""
    if base < 0:
        raise ValueError(f"the base must not be negative, got {base}")
    return law.votes_needed(base, law.Rule.MAJORITY) if base else 1


def count_round(sheet, ballots, members, took_part, rules=ElectionRules()):
    """Count one round of `ballots` (valid and void) cast by `took_part` of `members` voters."""
    if members < 1:
        raise ValueError(f"members must be positive, got {members}")
    if not 0 <= took_part <= members:
        raise ValueError(f"took_part must be between 0 and members ({members}), got {took_part}")
    ballots = list(ballots)
    base = members if Base(rules.base) is Base.ALL_MEMBERS else took_part
    runoff_without = sheet.kind is Kind.RUNOFF and not rules.runoff_needs_threshold
    needed = 0 if runoff_without else threshold(base)
    valid = [b for b in ballots if b.void is None]
    cast, n_valid = len(ballots), len(valid)
    if cast > took_part:
        return RoundResult(sheet.seats, base, needed, took_part, cast, n_valid, cast - n_valid, (), (), None, 0,
                           MORE_BALLOTS_THAN_VOTERS)
    votes = {c: Counter() for c in sheet.candidates}
    written = Counter()
    for b in valid:
        for c, m in b.marks:
            if c not in votes:
                raise ValueError(f"a ballot marks {c!r}, not a candidate on this sheet {sheet.candidates!r}")
            votes[c][m] += 1
        written.update(b.write_ins)
    position = {c: i for i, c in enumerate(sheet.candidates)}
    tallies = [Tally(c, v[YES], v[NO], v[ABSTAIN]) for c, v in votes.items()]
    tallies += [Tally(w, k, written_in=True) for w, k in written.items() if w not in position]
    tallies.sort(key=lambda t: (-t.yes, position.get(t.person, len(position)), type(t.person).__name__, t.person))
    elected, runoff, further, reason = decide(sheet.seats, [(t.person, t.yes) for t in tallies], needed)
    return RoundResult(sheet.seats, base, needed, took_part, cast, n_valid, cast - n_valid, tuple(tallies),
                       elected, runoff, further, reason)


def decide(seats, yes, needed):
    """Who is elected from `yes`, (person, yes votes) pairs most yes first, at `needed` yes votes.

    Returns (elected, runoff, further_round seats, reason). More people above the threshold than
    seats: most yes win; a tie at the last seat goes to a Runoff between the tied only, for the
    seats left. Fewer: the remaining seats go to a further round.
    """
    above = [(p, y) for p, y in yes if y >= needed]
    if any(a[1] < b[1] for a, b in zip(above, above[1:])):
        raise ValueError("yes votes must be ordered most first")
    if len(above) <= seats:
        elected = tuple(p for p, _ in above)
        left = seats - len(elected)
        return elected, None, left, TOO_FEW_ABOVE_THRESHOLD if left else SEATS_FILLED
    last = above[seats - 1][1]
    if above[seats][1] < last:
        return tuple(p for p, _ in above[:seats]), None, 0, SEATS_FILLED
    elected = tuple(p for p, y in above if y > last)
    tied = tuple(p for p, y in above if y == last)
    return elected, Runoff(tied, seats - len(elected)), 0, TIE_AT_LAST_SEAT


def runoff_sheet(result, by_election=False):
    """The sheet for the new round between the tied people of `result`; it takes no write-ins."""
    if result.runoff is None:
        raise ElectionError("no_runoff", result.reason)
    return make_sheet(result.runoff.seats, result.runoff.people, kind=Kind.RUNOFF, by_election=by_election)


def further_sheet(sheet, result, candidates, eligible=None):
    """The sheet for the further round of the seats `result` left, from `candidates` chosen among those not
    elected. `eligible` (who may be written in) defaults to the earlier sheet's, less the elected."""
    if not result.further_round:
        raise ElectionError("no_further_round", result.reason)
    chosen = tuple(candidates)
    for c in chosen:
        if c in result.elected:
            raise ElectionError("already_elected", repr(c))
    eligible = (sheet.eligible | set(sheet.candidates)) if eligible is None else frozenset(eligible)
    return make_sheet(result.further_round, chosen, eligible - set(result.elected), Kind.FURTHER, sheet.by_election)


# Appointment (任命) and removal (免职) by the standing committee.

APPOINT, REMOVE = "appoint", "remove"


@dataclass(frozen=True)
class Nominee:
    """One line of an appointment and removal sheet: a person, a post, and which of the two."""

    person: object
    post: str
    action: str = APPOINT


def check_appointment_ballot(nominees, marks):
    """The tablet path for an appointment sheet: a choice for every nominee, as a tuple in sheet order.

    Each nominee is a decision of its own, so the tablet asks for an explicit choice on each line
    (unlike an election, there is no seat limit and no write-in).
    """
    people = [n.person for n in nominees]
    for p, m in marks.items():
        if p not in people:
            raise BallotRefused("unknown_nominee")
        if m not in CHOICES:
            raise BallotRefused("bad_choice")
    if any(p not in marks for p in people):
        raise BallotRefused("nominee_unmarked")
    return tuple(marks[p] for p in people)


def read_paper_appointment_ballot(nominees, marks):
    """The paper path for an appointment sheet: a line with no mark or several marks is an abstention."""
    stray = set(marks) - {n.person for n in nominees}
    if stray:
        raise ValueError(f"marks for people not on the sheet: {sorted(map(repr, stray))}")
    return tuple(_read_row(marks.get(n.person, ()), n.person) for n in nominees)


def count_appointments(nominees, ballots, members, present, rule=law.Rule.MAJORITY):
    """Each nominee counted on their own, like any decision: ((nominee, law.Outcome), ...).

    `ballots` are choice tuples in sheet order; yes is counted against all `members`.
    """
    ballots = list(ballots)
    for b in ballots:
        if len(b) != len(nominees):
            raise ValueError(f"a ballot has {len(b)} choices for {len(nominees)} nominees")
    eligible = max(present, len(ballots))
    out = []
    for i, n in enumerate(nominees):
        c = Counter(b[i] for b in ballots)
        out.append((n, law.outcome(members, c[YES], c[NO], c[ABSTAIN], rule, eligible=eligible)))
    return tuple(out)


@dataclass(frozen=True)
class PostPoll:
    """A line of an appointment poll as the order check needs it: which poll, which post, which action."""

    poll: object
    post: str
    action: str
    status: str  # "draft", "open" or "closed"


def check_may_open(poll, lines):
    """Refuse to open `poll` while a removal from a post it appoints to is not closed.

    `lines` are the PostPoll lines of the meeting. A removal on the same sheet as an appointment to
    the same post is refused too: they would be voted at once, not one before the other.
    """
    for a in lines:
        if a.poll != poll or a.action != APPOINT:
            continue
        for r in lines:
            if r.action != REMOVE or r.post != a.post:
                continue
            if r.poll == poll:
                raise ElectionError("removal_on_same_sheet", a.post)
            if r.status != "closed":
                raise ElectionError("removal_not_closed", f"{a.post}: poll {r.poll!r} is {r.status}")
