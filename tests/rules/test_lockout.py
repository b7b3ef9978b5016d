from appliance.rules.lockout import AttemptState, LockoutPolicy, after_failure, is_locked, remaining_attempts


def test_fifth_failure_locks_for_the_policy_time():
    policy = LockoutPolicy(attempts=5, seconds=900)
    state = AttemptState(0, None)
    for i in range(4):
        state = after_failure(state, 1000.0, policy)
        assert not is_locked(state, 1000.0)
        assert remaining_attempts(state, policy) == 4 - i
    state = after_failure(state, 1000.0, policy)
    assert is_locked(state, 1000.0) and is_locked(state, 1899.0)
    assert not is_locked(state, 1900.0)
