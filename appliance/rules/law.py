"""Quorum and pass thresholds, as ../shared/LAW.md states them.

N is the committee's full membership (全体组成人员), never those present. 过半数 is strictly more
than half; "三分之二以上" includes two thirds, "超过三分之二" excludes it (Civil Code art. 1259).
"""

from dataclasses import dataclass
from enum import Enum


class Rule(str, Enum):
    MAJORITY = "majority"  # 全体组成人员的过半数
    TWO_THIRDS_OR_MORE = "two_thirds_or_more"  # 三分之二以上
    MORE_THAN_TWO_THIRDS = "more_than_two_thirds"  # 超过三分之二


def quorum_needed(n):
    if n <= 0:
        raise ValueError(f"membership must be positive, got {n}")
    return n // 2 + 1


def quorum_met(n, present):
    return present >= quorum_needed(n)


def votes_needed(n, rule=Rule.MAJORITY):
    if n <= 0:
        raise ValueError(f"membership must be positive, got {n}")
    rule = Rule(rule)
    if rule is Rule.MAJORITY:
        return n // 2 + 1
    if rule is Rule.TWO_THIRDS_OR_MORE:
        return -(-2 * n // 3)  # ceil(2n/3) in integers
    return 2 * n // 3 + 1  # the least integer strictly above 2n/3


@dataclass(frozen=True)
class Outcome:
    yes: int
    no: int
    abstain: int
    not_voted: int
    needed: int
    passed: bool


def outcome(n, yes, no, abstain, rule=Rule.MAJORITY, eligible=None):
    """Count a poll. `eligible` (members who could vote) defaults to N; the rest did not vote."""
    for name, v in (("yes", yes), ("no", no), ("abstain", abstain)):
        if v < 0:
            raise ValueError(f"{name} must not be negative, got {v}")
    eligible = n if eligible is None else eligible
    if yes + no + abstain > eligible:
        raise ValueError(f"{yes + no + abstain} votes cast but only {eligible} could vote")
    needed = votes_needed(n, rule)
    return Outcome(yes, no, abstain, eligible - yes - no - abstain, needed, yes >= needed)
