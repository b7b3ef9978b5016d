"""满意度测评: LAW.md's vectors M1 and M2, the ballot rules, shares of N, and properties."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules.assessment import (
    BASICALLY,
    CHOICES,
    SATISFIED,
    SHARES,
    UNSATISFIED,
    AssessmentRule,
    assess,
    check_choice,
    count_ballots,
    percent,
    read_paper_ballot,
)
from appliance.rules.ballots import BallotRefused
from appliance.rules.elections import Base
from appliance.rules.law import Rule

# (case, N, satisfied, basically, unsatisfied, not voted, void, absent, counted, needed, outcome)
VECTORS = [
    ("M1", 29, 10, 6, 8, 3, 0, 2, 16, 15, SATISFIED),
    ("M2", 29, 8, 6, 10, 3, 2, 0, 14, 15, UNSATISFIED),
]


@pytest.mark.parametrize("case,n,sat,basic,unsat,not_voted,void,absent,counted,needed,outcome", VECTORS)
def test_law_vectors(case, n, sat, basic, unsat, not_voted, void, absent, counted, needed, outcome):
    present = n - absent
    r = assess(n, sat, basic, unsat, void=void, present=present)
    assert (r.satisfied, r.basically, r.unsatisfied, r.void, r.not_voted, r.absent) == (sat, basic, unsat, void, not_voted, absent)
    assert (r.counted, r.needed, r.outcome) == (counted, needed, outcome)
    assert r.share("satisfied") == Fraction(sat, n) and sum(r.shares.values()) == 1
    ballots = [SATISFIED] * sat + [BASICALLY] * basic + [UNSATISFIED] * unsat + [None] * void
    assert count_ballots(n, ballots, present) == r


def test_m1_shares_as_shown():
    r = assess(29, 10, 6, 8, present=27)
    assert {k: percent(v) for k, v in r.shares.items()} == {
        "satisfied": "34.5%", "basically": "20.7%", "unsatisfied": "27.6%", "void": "0.0%", "not_voted": "10.3%",
        "absent": "6.9%"}


def test_paper_ballot_with_none_or_several_marks_is_void():
    assert read_paper_ballot({BASICALLY}) == BASICALLY
    assert read_paper_ballot(set()) is None
    assert read_paper_ballot({SATISFIED, UNSATISFIED}) is None
    assert read_paper_ballot(set(CHOICES)) is None
    with pytest.raises(ValueError, match="marks must be among"):
        read_paper_ballot({"yes"})


def test_tablet_takes_exactly_one_choice():
    assert check_choice(UNSATISFIED) == UNSATISFIED
    for bad in ("yes", None, "", ("satisfied",), "满意"):
        with pytest.raises(BallotRefused) as e:
            check_choice(bad)
        assert e.value.code == "bad_assessment_choice"


def test_void_and_not_voted_count_against():
    # 14 satisfied of 29 and 15 void or silent: one short of 15.
    assert assess(29, 14, 0, 0, void=10, present=29).outcome == UNSATISFIED
    assert assess(29, 15, 0, 0, void=0, present=15).outcome == SATISFIED


def test_the_rule_is_a_setting():
    only_satisfied = AssessmentRule(counted=(SATISFIED,))
    assert assess(29, 10, 6, 8, present=27, rule=only_satisfied).outcome == UNSATISFIED
    of_ballots = AssessmentRule(base=Base.TOOK_PART)
    r = assess(29, 8, 4, 10, void=2, present=29, rule=of_ballots)  # 12 of 24 cast: exactly half
    assert (r.needed, r.outcome) == (13, UNSATISFIED)
    assert assess(29, 8, 5, 10, void=1, present=29, rule=of_ballots).outcome == SATISFIED
    two_thirds = AssessmentRule(threshold=Rule.TWO_THIRDS_OR_MORE)
    assert assess(30, 10, 10, 0, rule=two_thirds).outcome == SATISFIED
    assert assess(30, 10, 9, 0, rule=two_thirds).outcome == UNSATISFIED
    with pytest.raises(ValueError, match="counted choices"):
        AssessmentRule(counted=("yes",))
    with pytest.raises(ValueError):
        AssessmentRule(base="present")


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="ballots cast"):
        assess(29, 10, 10, 10)
    with pytest.raises(ValueError, match="present"):
        assess(29, 10, 6, 8, void=2, present=25)
    with pytest.raises(ValueError, match="membership"):
        assess(0, 0, 0, 0)
    with pytest.raises(ValueError, match="zero or more"):
        assess(29, -1, 0, 0)
    with pytest.raises(ValueError, match="no count named"):
        assess(29, 1, 1, 1).share("yes")


def test_percent_rounds_half_up_exactly():
    assert percent(Fraction(1, 3)) == "33.3%"
    assert percent(Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(1, 2000)) == "0.1%"  # 0.05% up, where float rounding could go down
    assert percent(Fraction(1, 2001)) == "0.0%"
    assert percent(Fraction(0)) == "0.0%" and percent(Fraction(1)) == "100.0%"
    with pytest.raises(ValueError):
        percent(Fraction(-1, 3))


@st.composite
def assessments(draw):
    n = draw(st.integers(min_value=1, max_value=200))
    present = draw(st.integers(min_value=0, max_value=n))
    parts = [draw(st.integers(min_value=0, max_value=present)) for _ in range(4)]
    while sum(parts) > present:
        i = parts.index(max(parts))
        parts[i] -= 1
    return n, present, parts


@given(assessments())
def test_counts_and_shares_cover_the_membership(case):
    n, present, (sat, basic, unsat, void) = case
    r = assess(n, sat, basic, unsat, void=void, present=present)
    assert sum(getattr(r, k) for k in SHARES) == n
    assert sum(r.shares.values()) == 1
    assert r.needed == n // 2 + 1
    assert (r.outcome == SATISFIED) == (sat + basic > n / 2)


@given(assessments(), st.randoms())
def test_counting_ignores_ballot_order(case, rnd):
    n, present, (sat, basic, unsat, void) = case
    ballots = [SATISFIED] * sat + [BASICALLY] * basic + [UNSATISFIED] * unsat + [None] * void
    shuffled = ballots[:]
    rnd.shuffle(shuffled)
    assert count_ballots(n, shuffled, present) == count_ballots(n, ballots, present)


@given(st.fractions(min_value=0, max_value=1))
def test_percent_is_within_half_a_tenth(share):
    shown = Fraction(percent(share)[:-1]) / 100
    assert abs(shown - share) <= Fraction(1, 2000)


@given(st.sets(st.sampled_from(CHOICES)))
def test_a_paper_ballot_counts_only_with_one_mark(marks):
    assert (read_paper_ballot(marks) is None) == (len(marks) != 1)
