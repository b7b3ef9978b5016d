"""The sign-off workflow for outgoing documents (发文审签), as a pure state machine.

A workflow is an ordered tuple of steps, each held by one person: by default drafting (拟稿)
-> checking (核稿) -> leader sign-off (签发) -> numbering (编号) -> issue (分发). The person of
the current step approves (the document moves on) or returns it, with a reason, to an earlier
step. Approving the numbering step allocates the document number; approving the last step
issues the document. No clock, no database: the caller persists what `decide` returns.
"""

from dataclasses import dataclass, replace

STEP_KINDS = ("draft", "check", "sign", "number", "issue")
DEFAULT_STEPS = STEP_KINDS
APPROVE, RETURN = "approve", "return"
IN_PROGRESS, ISSUED = "in_progress", "issued"
MAX_REMARK = 500


class SignOffError(Exception):
    """A decision the workflow refuses; `code` names why (the caller words it for people)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Step:
    kind: str
    person_id: int


@dataclass(frozen=True)
class Workflow:
    steps: tuple
    position: int = 0
    status: str = IN_PROGRESS

    @property
    def current(self):
        return self.steps[self.position] if self.status == IN_PROGRESS else None


@dataclass(frozen=True)
class Outcome:
    workflow: Workflow
    decision: str
    from_position: int
    to_position: int | None
    allocate_number: bool = False
    issued: bool = False


def validate_steps(steps):
    """Steps in the canonical order, each kind at most once, ending with issue; returns a tuple."""
    steps = tuple(steps)
    if not steps:
        raise SignOffError("no_steps")
    kinds = [s.kind for s in steps]
    for s in steps:
        if s.kind not in STEP_KINDS:
            raise SignOffError("unknown_step", s.kind)
        if not isinstance(s.person_id, int) or isinstance(s.person_id, bool) or s.person_id <= 0:
            raise SignOffError("no_step_person", s.kind)
    if len(set(kinds)) != len(kinds):
        raise SignOffError("duplicate_step")
    if kinds != sorted(kinds, key=STEP_KINDS.index):
        raise SignOffError("step_order")
    if kinds[-1] != "issue":
        raise SignOffError("issue_last")
    if "sign" not in kinds:
        raise SignOffError("sign_required")
    return steps


def start(steps):
    return Workflow(validate_steps(steps))


def decide(wf, actor_id, decision, remark="", to_position=None):
    """Apply one decision by `actor_id`; returns an Outcome or raises SignOffError."""
    if wf.status != IN_PROGRESS:
        raise SignOffError("finished")
    step = wf.current
    if actor_id != step.person_id:
        raise SignOffError("not_your_step", step.kind)
    remark = (remark or "").strip()
    if len(remark) > MAX_REMARK:
        raise SignOffError("remark_too_long")
    if decision == APPROVE:
        last = wf.position == len(wf.steps) - 1
        if last:
            return Outcome(replace(wf, status=ISSUED), APPROVE, wf.position, None,
                           allocate_number=step.kind == "number", issued=True)
        return Outcome(replace(wf, position=wf.position + 1), APPROVE, wf.position, wf.position + 1,
                       allocate_number=step.kind == "number")
    if decision == RETURN:
        if not remark:
            raise SignOffError("reason_required")
        if to_position is None:
            to_position = wf.position - 1
        if isinstance(to_position, bool) or not isinstance(to_position, int) or not 0 <= to_position < wf.position:
            raise SignOffError("bad_return_target")
        if any(s.kind == "number" for s in wf.steps[to_position:wf.position]):
            # A number, once given, is never taken back: returning past numbering would
            # either reuse or skip it.
            raise SignOffError("numbered")
        return Outcome(replace(wf, position=to_position), RETURN, wf.position, to_position)
    raise SignOffError("bad_decision", str(decision))


def needs_pin(step):
    """The leader's sign-off is confirmed with the PIN (one tap plus PIN, from any tablet)."""
    return step is not None and step.kind == "sign"
