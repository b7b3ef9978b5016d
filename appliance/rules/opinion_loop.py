"""Where a 审议意见 loop stands, from the times of its steps. Pure: plain values in and out.

The loop of one agenda item runs: opinions given (open) -> compiled into a 审议意见书, which goes
through sign-off (compiled) -> signed off and issued (signed) -> sent (交办) to the body
concerned with a deadline (sent; overdue once the deadline has passed with no report) -> the
handling report (办理情况报告) received (reported) -> put to a 满意度测评 at a later meeting
(assessing) -> that poll closed (assessed, with its outcome).
"""

from dataclasses import dataclass

STATES = ("open", "compiled", "signed", "sent", "overdue", "reported", "assessing", "assessed")
STEPS = ("compiled", "signed", "sent", "reported", "assessing", "assessed")


@dataclass(frozen=True)
class Loop:
    """The times of the steps (None: not yet) and the deadline, as epoch seconds."""

    compiled_at: float | None = None
    signed_at: float | None = None  # the 审议意见书 issued: its sign-off finished
    sent_at: float | None = None
    deadline: float | None = None
    report_at: float | None = None
    assessing_at: float | None = None  # the assessment poll created
    assessed_at: float | None = None  # that poll closed

    def __post_init__(self):
        order = [self.compiled_at, self.signed_at, self.sent_at, self.report_at, self.assessing_at, self.assessed_at]
        seen_gap = False
        for t in order:
            if t is None:
                seen_gap = True
            elif seen_gap:
                raise ValueError(f"a step is done after one that is not: {order!r}")
        if (self.sent_at is None) != (self.deadline is None):
            raise ValueError("a loop is sent exactly when it has a deadline")


def overdue(loop, now):
    """Sent, the deadline passed, and no report yet."""
    return loop.sent_at is not None and loop.report_at is None and now > loop.deadline


def state(loop, now):
    if loop.assessed_at is not None:
        return "assessed"
    if loop.assessing_at is not None:
        return "assessing"
    if loop.report_at is not None:
        return "reported"
    if loop.sent_at is not None:
        return "overdue" if overdue(loop, now) else "sent"
    if loop.signed_at is not None:
        return "signed"
    if loop.compiled_at is not None:
        return "compiled"
    return "open"


def steps(loop):
    """[(step, time or None)] in order, for a timeline."""
    times = (loop.compiled_at, loop.signed_at, loop.sent_at, loop.report_at, loop.assessing_at, loop.assessed_at)
    return list(zip(STEPS, times))


def urgency(loop, now):
    """A sort key for the office's list: overdue first (longest overdue first), then loops that
    wait for the office (open, signed, reported), then the rest; later deadlines after."""
    s = state(loop, now)
    rank = {"overdue": 0, "signed": 1, "reported": 1, "open": 2, "compiled": 3, "sent": 4, "assessing": 5, "assessed": 6}[s]
    return (rank, loop.deadline or 0.0)
