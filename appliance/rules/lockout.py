"""When wrong PINs and passwords lock a person out (and for how long)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    seconds: int = 15 * 60


@dataclass(frozen=True)
class AttemptState:
    failures: int
    locked_until: float | None


def is_locked(state, now):
    return state.locked_until is not None and now < state.locked_until


def after_failure(state, now, policy=LockoutPolicy()):
    """One more wrong secret. The lock starts on the `attempts`-th failure in a row."""
    failures = state.failures + 1
    if failures >= policy.attempts:
        return AttemptState(0, now + policy.seconds)
    return AttemptState(failures, None)


def after_success():
    return AttemptState(0, None)


def remaining_attempts(state, policy=LockoutPolicy()):
    return max(policy.attempts - state.failures, 0)
