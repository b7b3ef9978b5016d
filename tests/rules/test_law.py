"""LAW.md's test vectors, and properties of the thresholds for every committee size."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules.law import Rule, outcome, quorum_met, quorum_needed, votes_needed

# (N, rule, P present, quorum needs, quorum met, Y yes or None, pass needs, passes or None)
VECTORS = [
    (15, Rule.MAJORITY, 8, 8, True, 8, 8, True),
    (15, Rule.MAJORITY, 7, 8, False, None, 8, None),
    (16, Rule.MAJORITY, 9, 9, True, 8, 9, False),
    (16, Rule.MAJORITY, 16, 9, True, 9, 9, True),
    (29, Rule.MAJORITY, 15, 15, True, 15, 15, True),
    (35, Rule.TWO_THIRDS_OR_MORE, 35, 18, True, 24, 24, True),
    (35, Rule.TWO_THIRDS_OR_MORE, 35, 18, True, 23, 24, False),
    (33, Rule.MORE_THAN_TWO_THIRDS, 33, 17, True, 22, 23, False),
]


@pytest.mark.parametrize("n,rule,present,q_need,q_met,yes,need,passes", VECTORS)
def test_law_vectors(n, rule, present, q_need, q_met, yes, need, passes):
    assert quorum_needed(n) == q_need
    assert quorum_met(n, present) is q_met
    assert votes_needed(n, rule) == need
    if yes is not None:
        result = outcome(n, yes, 0, present - yes, rule, eligible=present)
        assert result.passed is passes
        assert result.needed == need


@given(st.integers(min_value=1, max_value=500))
def test_majority_is_strictly_more_than_half(n):
    k = votes_needed(n)
    assert k > n / 2 and k - 1 <= n / 2


@given(st.integers(min_value=1, max_value=500))
def test_two_thirds_inclusive_and_exclusive(n):
    incl, excl = votes_needed(n, Rule.TWO_THIRDS_OR_MORE), votes_needed(n, Rule.MORE_THAN_TWO_THIRDS)
    assert incl == math.ceil(2 * n / 3)
    assert 3 * incl >= 2 * n and 3 * (incl - 1) < 2 * n
    assert 3 * excl > 2 * n and 3 * (excl - 1) <= 2 * n
    assert excl - incl in (0, 1) and (excl == incl + 1) == (2 * n % 3 == 0)


def test_not_voted_counts_against():
    r = outcome(15, 7, 0, 0, eligible=15)
    assert r.not_voted == 8 and not r.passed


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="votes cast"):
        outcome(15, 10, 5, 1)
    with pytest.raises(ValueError, match="negative"):
        outcome(15, -1, 0, 0)
    with pytest.raises(ValueError, match="membership"):
        quorum_needed(0)
