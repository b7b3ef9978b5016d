"""Satisfaction assessment (满意度测评) of a report, or of how deliberation opinions were handled.

A secret ballot with one choice of three: satisfied, basically satisfied, unsatisfied (满意 /
基本满意 / 不满意). This module owns what a ballot is (refused on the tablet, void on paper: 作废),
the outcome rule (a setting of the committee; LAW.md's default is satisfied when satisfied +
basically satisfied reach a majority of all members), and the result with every count as a share
of the membership N. Pure: no store, no clock; refusals are codes the caller words.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from appliance.rules import law
from appliance.rules.ballots import BallotRefused
from appliance.rules.elections import Base

SATISFIED, BASICALLY, UNSATISFIED = "satisfied", "basically", "unsatisfied"
CHOICES = (SATISFIED, BASICALLY, UNSATISFIED)
SHARES = ("satisfied", "basically", "unsatisfied", "void", "not_voted", "absent")


@dataclass(frozen=True)
class AssessmentRule:
    """The outcome rule: the result is satisfied when the `counted` choices reach `threshold` of `base`.

    The default is LAW.md's: satisfied + basically satisfied >= N // 2 + 1 of all members.
    `base` TOOK_PART counts against the ballots cast (void ones included) instead of N.
    """

    counted: tuple = (SATISFIED, BASICALLY)
    base: Base = Base.ALL_MEMBERS
    threshold: law.Rule = law.Rule.MAJORITY

    def __post_init__(self):
        if not self.counted or not set(self.counted) <= set(CHOICES):
            raise ValueError(f"counted choices must be a non-empty subset of {CHOICES}, got {self.counted!r}")
        Base(self.base)  # an unknown setting fails here, when the rule is made, not when counting
        law.Rule(self.threshold)


DEFAULT_RULE = AssessmentRule()


def check_choice(choice):
    """The tablet path: exactly one of the three choices, else BallotRefused."""
    if choice not in CHOICES:
        raise BallotRefused("bad_assessment_choice")
    return choice


def read_paper_ballot(marks):
    """The paper path: the one choice marked, or None when none or several are (the ballot is void)."""
    marks = set(marks)
    if not marks <= set(CHOICES):
        raise ValueError(f"marks must be among {CHOICES}, got {sorted(marks)!r}")
    return marks.pop() if len(marks) == 1 else None


@dataclass(frozen=True)
class Result:
    """A counted assessment. `outcome` is SATISFIED or UNSATISFIED; `needed` is what `counted` had to reach.

    not_voted are members present who cast no ballot; absent are the rest of N.
    """

    n: int
    satisfied: int
    basically: int
    unsatisfied: int
    void: int
    not_voted: int
    absent: int
    counted: int
    needed: int
    outcome: str

    def share(self, name):
        """A count as a share of N, exact."""
        if name not in SHARES:
            raise ValueError(f"no count named {name!r}; counts are {SHARES}")
        return Fraction(getattr(self, name), self.n)

    @property
    def shares(self):
        return {name: self.share(name) for name in SHARES}


def assess(n, satisfied, basically, unsatisfied, void=0, present=None, rule=DEFAULT_RULE):
    """Count an assessment of a committee of `n` members, `present` of them there (default all)."""
    present = n if present is None else present
    if n <= 0:
        raise ValueError(f"membership must be positive, got {n}")
    for name, v in (("satisfied", satisfied), ("basically", basically), ("unsatisfied", unsatisfied),
                    ("void", void), ("present", present)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a whole number of zero or more, got {v!r}")
    if present > n:
        raise ValueError(f"{present} present but the membership is {n}")
    cast = satisfied + basically + unsatisfied + void
    if cast > present:
        raise ValueError(f"{cast} ballots cast but only {present} members are present")
    by_choice = {SATISFIED: satisfied, BASICALLY: basically, UNSATISFIED: unsatisfied}
    counted = sum(by_choice[c] for c in set(rule.counted))
    base = n if Base(rule.base) is Base.ALL_MEMBERS else cast
    needed = law.votes_needed(base, rule.threshold) if base else 1
    return Result(n, satisfied, basically, unsatisfied, void, present - cast, n - present, counted, needed,
                  SATISFIED if counted >= needed else UNSATISFIED)


def count_ballots(n, ballots, present=None, rule=DEFAULT_RULE):
    """Count ballots given as choices, None for a void one."""
    ballots = list(ballots)
    for b in ballots:
        if b is not None and b not in CHOICES:
            raise ValueError(f"a ballot must be one of {CHOICES} or None, got {b!r}")
    return assess(n, ballots.count(SATISFIED), ballots.count(BASICALLY), ballots.count(UNSATISFIED),
                  ballots.count(None), present, rule)


def percent(share):
    """A share as a percentage to one decimal, half rounded up: Fraction(1, 3) -> "33.3%"."""
    share = Fraction(share)
    if share < 0:
        raise ValueError(f"a share must not be negative, got {share}")
    tenths = math.floor(share * 1000 + Fraction(1, 2))  # exact: no float rounding at .x5
    return f"{tenths // 10}.{tenths % 10}%"
