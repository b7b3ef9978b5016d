"""A poll's countdown runs on the server's boot clock: a stepped wall clock neither ends nor
extends it, and the payload tells tablets the seconds left (never a time to compare with theirs)."""

from appliance import clock
from appliance.demo import MEMBERS, member_pin
from appliance.meetings import polls
from tests.meetings.helpers import ballot, member_tablets, new_meeting, secretary


def _open_poll(demo_app, countdown):
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec)
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:8], start=1)])
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    for t in tablets.values():
        t.post(f"/api/v1/meetings/{mid}/signin")
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json=countdown).status_code == 200
    return sec, mid, pid, tablets


def _poll(client, mid, pid):
    return next(p for p in client.get(f"/api/v1/meetings/{mid}").get_json()["polls"] if p["id"] == pid)


def test_a_wall_clock_step_of_an_hour_does_not_end_an_open_poll(demo_app):
    sec, mid, pid, tablets = _open_poll(demo_app, {"countdown": 300})
    first, second, *_ = tablets.values()
    assert 295 <= _poll(first, mid, pid)["closes_in"] <= 300
    clock.shift_wall(3600)  # the admin confirms the time, fake-hwclock restores it, an RTC is fitted
    try:
        assert 295 <= _poll(first, mid, pid)["closes_in"] <= 300  # still five minutes, not "over"
        r = first.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
        assert r.status_code == 200, r.get_json()
        clock.shift_wall(-7200)  # and an hour back: the time does not grow either
        assert 295 <= _poll(second, mid, pid)["closes_in"] <= 300
    finally:
        clock.shift_wall(3600)
    assert polls.progress(demo_app.extensions["yishi"].store, pid)[0] == 1


def test_the_boot_clock_ends_the_poll_and_a_reboot_falls_back_to_the_wall_clock(demo_app):
    sec, mid, pid, tablets = _open_poll(demo_app, {"countdown": 60})
    first, second, third, *_ = tablets.values()
    st = demo_app.extensions["yishi"].store
    with st.write() as db:  # the minute has passed on the boot clock (the wall clock says nothing)
        db.execute("UPDATE polls SET closes_boot = closes_boot - 61 WHERE id = ?", (pid,))
    assert _poll(first, mid, pid)["closes_in"] == 0
    r = first.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "time_over"
    with st.write() as db:  # made in another boot: only the wall-clock deadline links the two
        db.execute("UPDATE polls SET closes_boot_id = 'an-earlier-boot', closes_boot = 0 WHERE id = ?", (pid,))
    assert 55 <= _poll(second, mid, pid)["closes_in"] <= 60
    assert second.post(f"/api/v1/polls/{pid}/ballots", json=ballot("no", 2)).status_code == 200
    assert polls.progress(st, pid)[0] == 1


def test_a_poll_without_countdown_has_no_time_left(demo_app):
    sec, mid, pid, tablets = _open_poll(demo_app, {})
    p = _poll(next(iter(tablets.values())), mid, pid)
    assert p["closes_in"] is None and p["closes_at"] is None
