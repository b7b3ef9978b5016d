"""The sign-off state machine, with no server and no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules.signoff import Step, SignOffError, decide, needs_pin, start, validate_steps

DRAFTER, CHECKER, LEADER, CLERK = 1, 2, 3, 4
STEPS = [Step("draft", DRAFTER), Step("check", CHECKER), Step("sign", LEADER), Step("number", CLERK), Step("issue", CLERK)]


def test_default_path_numbers_then_issues():
    wf = start(STEPS)
    seen = []
    for actor in (DRAFTER, CHECKER, LEADER, CLERK, CLERK):
        out = decide(wf, actor, "approve")
        seen.append((out.allocate_number, out.issued))
        wf = out.workflow
    assert seen == [(False, False)] * 3 + [(True, False), (False, True)]
    assert wf.status == "issued" and wf.current is None
    with pytest.raises(SignOffError, match="finished"):
        decide(wf, CLERK, "approve")


def test_only_the_step_person_decides():
    wf = start(STEPS)
    with pytest.raises(SignOffError) as e:
        decide(wf, LEADER, "approve")
    assert e.value.code == "not_your_step"


def test_return_needs_a_reason_and_an_earlier_step():
    wf = decide(decide(start(STEPS), DRAFTER, "approve").workflow, CHECKER, "approve").workflow
    assert wf.position == 2 and needs_pin(wf.current)
    for kwargs, code in [({}, "reason_required"), ({"remark": "x", "to_position": 2}, "bad_return_target"),
                         ({"remark": "x", "to_position": -1}, "bad_return_target"),
                         ({"remark": "x", "to_position": True}, "bad_return_target")]:
        with pytest.raises(SignOffError) as e:
            decide(wf, LEADER, "return", **kwargs)
        assert e.value.code == code
    out = decide(wf, LEADER, "return", remark="请补充依据", to_position=0)
    assert out.workflow.position == 0 and out.to_position == 0
    assert decide(wf, LEADER, "return", remark="再核").workflow.position == 1


def test_no_return_past_numbering():
    wf = start(STEPS)
    for actor in (DRAFTER, CHECKER, LEADER, CLERK):
        wf = decide(wf, actor, "approve").workflow
    with pytest.raises(SignOffError, match="numbered"):
        decide(wf, CLERK, "return", remark="x", to_position=2)


@pytest.mark.parametrize("steps, code", [
    ([], "no_steps"),
    ([Step("sign", 1), Step("draft", 2), Step("issue", 3)], "step_order"),
    ([Step("draft", 1), Step("sign", 2)], "issue_last"),
    ([Step("draft", 1), Step("issue", 2)], "sign_required"),
    ([Step("draft", 1), Step("draft", 2), Step("sign", 3), Step("issue", 4)], "duplicate_step"),
    ([Step("stamp", 1), Step("sign", 3), Step("issue", 4)], "unknown_step"),
    ([Step("sign", 0), Step("issue", 4)], "no_step_person"),
])
def test_bad_workflows(steps, code):
    with pytest.raises(SignOffError) as e:
        validate_steps(steps)
    assert e.value.code == code


@given(st.lists(st.tuples(st.sampled_from([DRAFTER, CHECKER, LEADER, CLERK, 9]), st.sampled_from(["approve", "return", "x"]),
                          st.integers(-1, 5)), max_size=40))
def test_any_sequence_keeps_the_invariants(moves):
    """Whatever is tried, the position stays in range, at most one number is given, and
    only an approve by the step's own person moves the document forward."""
    wf = start(STEPS)
    numbers = 0
    for actor, decision, target in moves:
        try:
            out = decide(wf, actor, decision, remark="r", to_position=target)
        except SignOffError:
            continue
        assert actor == wf.current.person_id
        numbers += out.allocate_number
        if decision == "approve":
            assert out.workflow.position == wf.position + 1 or out.issued
        else:
            assert out.workflow.position < wf.position
        wf = out.workflow
        if wf.status == "issued":
            break
        assert 0 <= wf.position < len(STEPS)
    assert numbers <= 1
