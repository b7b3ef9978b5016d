"""Sign-in sessions and pairing lifetimes run on the boot clock (issue 11): a wall clock stepped an
hour forward or back neither ends nor extends them; their time passing on the boot clock does.
A session or invitation from an earlier boot is judged by the wall clock.

Bad inputs tried: ±1 h wall-clock steps (and +3 h, past the 2 h idle timeout) against a live
session, an invitation and a pending request; an expired invitation (410 pairing_expired, and the
invitation stays unused); an expired request (410 request_expired on approval, 'expired' to the
tablet, gone from the admin's list)."""

import pytest

from appliance import clock
from appliance.devices import pairing, people, sessions
from appliance.errors import UserError
from tests.conftest import make_store

IDLE, ABSOLUTE = 2 * 3600, 12 * 3600


@pytest.fixture
def store(tmp_path):
    st, _ = make_store(str(tmp_path / "data"))
    yield st
    st.close()


@pytest.fixture
def shift():
    """Step this process's wall clock; put it back afterwards whatever the test did."""
    total = []

    def step(seconds):
        clock.shift_wall(seconds)
        total.append(seconds)

    yield step
    clock.shift_wall(-sum(total))


def _age(store, table, columns, seconds):
    """Let `seconds` pass on the boot clock for every row of `table` (the boot clock cannot be
    stepped, which is the point; the row's boot-clock times are moved back instead)."""
    with store.write() as db:
        db.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} - ?" for c in columns), (seconds,) * len(columns))


def _live(store, sid):
    return sessions.current(store, sid, None, IDLE, ABSOLUTE) is not None


def test_a_wall_clock_step_neither_ends_nor_extends_a_session(store, shift):
    pid = people.create(store, "test", "管理员", ["admin"], username="admin2", password="a long password 1").id
    sid = sessions.begin(store, pid, None, "password")
    shift(3 * 3600)  # past the idle timeout by the wall clock: the room would have been signed out
    assert _live(store, sid)
    shift(-4 * 3600)  # an hour behind where it began
    assert _live(store, sid)
    shift(3600)
    # Two idle hours pass on the boot clock: the session ends, whatever the wall clock says.
    _age(store, "sessions", ["last_seen_boot", "created_boot"], IDLE + 1)
    assert not _live(store, sid)
    row = store.one("SELECT end_reason FROM sessions")
    assert row["end_reason"] == "idle_timeout"


def test_a_session_used_all_day_ends_at_its_absolute_limit_on_the_boot_clock(store, shift):
    pid = people.create(store, "test", "管理员", ["admin"], username="admin2", password="a long password 1").id
    sid = sessions.begin(store, pid, None, "password")
    _age(store, "sessions", ["created_boot"], ABSOLUTE - 60)  # used all day (last use just now)
    shift(-3600)  # the wall clock says it began only 11 h ago
    assert _live(store, sid)
    _age(store, "sessions", ["created_boot"], 61)
    assert not _live(store, sid)
    assert store.one("SELECT end_reason FROM sessions")["end_reason"] == "absolute_timeout"


def test_a_session_from_an_earlier_boot_is_judged_by_the_wall_clock(store, shift):
    pid = people.create(store, "test", "管理员", ["admin"], username="admin2", password="a long password 1").id
    sid = sessions.begin(store, pid, None, "password")
    with store.write() as db:
        db.execute("UPDATE sessions SET boot_id = 'an-earlier-boot', created_boot = 0, last_seen_boot = 0")
    assert _live(store, sid)  # its boot-clock times mean nothing now; the wall clock says it is fresh
    shift(IDLE + 1)
    assert not _live(store, sid)


def test_a_session_touched_in_a_later_boot_moves_to_that_boot(store):
    pid = people.create(store, "test", "管理员", ["admin"], username="admin2", password="a long password 1").id
    sid = sessions.begin(store, pid, None, "password")
    with store.write() as db:
        db.execute("UPDATE sessions SET boot_id = 'an-earlier-boot', created_boot = 0, last_seen_boot = 0, "
                   "last_seen_at = last_seen_at - 120")
    assert _live(store, sid)
    row = store.one("SELECT boot_id, created_boot, last_seen_boot FROM sessions")
    assert row["boot_id"] == clock.boot_id() and row["created_boot"] is None
    assert abs(row["last_seen_boot"] - clock.boot()) < 60


def test_a_wall_clock_step_neither_expires_nor_extends_a_pairing_invitation(store, shift):
    tok, _, _ = pairing.create_invite(store, None, "https://yishi.test", 300)
    shift(3600)
    request_id, secret, code = pairing.start(store, tok, "平板", 600)  # the QR code shown a minute ago still works
    shift(-7200)
    assert [r["id"] for r in pairing.pending(store)] == [request_id]
    shift(3600)
    # An invitation whose five minutes passed on the boot clock is refused, with the wall clock
    # stepped back an hour (which once made it valid for another hour).
    tok2, _, _ = pairing.create_invite(store, None, "https://yishi.test", 300)
    with store.write() as db:
        db.execute("UPDATE pairing_invites SET expires_boot = expires_boot - 301 WHERE used_at IS NULL")
    shift(-3600)
    with pytest.raises(UserError) as e:
        pairing.start(store, tok2, "平板", 600)
    assert e.value.code == "pairing_expired" and e.value.status == 410
    assert store.one("SELECT count(*) AS n FROM pairing_invites WHERE used_at IS NULL")["n"] == 1  # nothing used up


def test_a_pairing_request_expires_on_the_boot_clock(store, shift):
    tok, _, _ = pairing.create_invite(store, None, "https://yishi.test", 300)
    request_id, secret, code = pairing.start(store, tok, "平板", 600)
    shift(-3600)
    _age(store, "pairing_requests", ["expires_boot"], 601)
    assert pairing.pending(store) == []
    assert pairing.poll(store, secret)[0] == "expired"
    with pytest.raises(UserError) as e:
        pairing.decide(store, None, request_id, True)
    assert e.value.code == "request_expired" and e.value.status == 410
    assert store.one("SELECT status FROM pairing_requests")["status"] == "pending"  # nothing decided


def test_an_invitation_from_an_earlier_boot_is_judged_by_the_wall_clock(store, shift):
    tok, _, _ = pairing.create_invite(store, None, "https://yishi.test", 300)
    with store.write() as db:
        db.execute("UPDATE pairing_invites SET expires_boot_id = 'an-earlier-boot', expires_boot = 0")
    shift(301)
    with pytest.raises(UserError) as e:
        pairing.start(store, tok, "平板", 600)
    assert e.value.code == "pairing_expired"
