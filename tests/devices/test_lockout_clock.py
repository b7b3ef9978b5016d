"""A sign-in lockout runs on the boot clock: stepping the wall clock an hour forward does not
lift it, and it ends when its minutes have passed on the boot clock."""

import pytest

from appliance import clock
from appliance.devices import people
from appliance.errors import UserError
from appliance.rules.lockout import LockoutPolicy
from tests.conftest import make_store

POLICY = LockoutPolicy(attempts=3, seconds=900)


@pytest.fixture
def store(tmp_path):
    st, _ = make_store(str(tmp_path / "data"))
    yield st
    st.close()


def _try(store, pid, pin):
    try:
        return people.check_secret(store, pid, pin, "pin", POLICY)
    except UserError as e:
        return e.code


def test_a_wall_clock_step_does_not_lift_a_lockout(store):
    pid = people.create(store, "test", "委员", ["member"], seat=1, pin="123456").id
    assert [_try(store, pid, "000000") for _ in range(3)] == ["bad_credentials", "bad_credentials", "locked"]
    assert _try(store, pid, "123456") == "locked"
    clock.shift_wall(3600)
    try:
        assert _try(store, pid, "123456") == "locked"  # an hour "later" by the wall clock: still locked
    finally:
        clock.shift_wall(-3600)
    with store.write() as db:  # the quarter of an hour passes on the boot clock
        db.execute("UPDATE people SET locked_boot = locked_boot - 901 WHERE id = ?", (pid,))
    assert _try(store, pid, "123456").id == pid


def test_a_lock_from_an_earlier_boot_is_judged_by_the_wall_clock(store):
    pid = people.create(store, "test", "委员", ["member"], seat=1, pin="123456").id
    for _ in range(3):
        _try(store, pid, "000000")
    with store.write() as db:
        db.execute("UPDATE people SET locked_boot_id = 'an-earlier-boot', locked_boot = 0 WHERE id = ?", (pid,))
    assert _try(store, pid, "123456") == "locked"  # the wall clock says 15 minutes are not over
    with store.write() as db:
        db.execute("UPDATE people SET locked_until = locked_until - 901 WHERE id = ?", (pid,))
    assert _try(store, pid, "123456").id == pid
