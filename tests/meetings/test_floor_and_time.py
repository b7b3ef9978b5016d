"""The floor (requests to speak, service calls) and the countdown that ends a vote's time."""

import time

from appliance.demo import MEMBERS, member_pin
from appliance.meetings import polls
from tests.meetings.helpers import ballot, member_tablets, new_meeting, secretary


def test_speak_queue_and_service_calls(demo_app):
    sec = secretary(demo_app)
    mid, _ = new_meeting(demo_app, sec)
    tablets = member_tablets(demo_app, [(MEMBERS[1], member_pin(2)), (MEMBERS[2], member_pin(3))])
    a, b = tablets.values()
    r = a.post(f"/api/v1/meetings/{mid}/speak")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "meeting_not_open"
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    assert a.post(f"/api/v1/meetings/{mid}/speak").status_code == 200
    assert b.post(f"/api/v1/meetings/{mid}/speak").status_code == 200
    assert a.post(f"/api/v1/meetings/{mid}/speak").status_code == 200  # asking twice keeps one place
    queue = sec.get(f"/api/v1/meetings/{mid}/console").get_json()["speak"]
    assert [q["name"] for q in queue] == [MEMBERS[1], MEMBERS[2]]
    sec.post(f"/api/v1/meetings/{mid}/speak/{queue[0]['id']}", json={"status": "speaking"})
    sec.post(f"/api/v1/meetings/{mid}/speak/{queue[0]['id']}", json={"status": "done"})
    b.post(f"/api/v1/meetings/{mid}/speak/withdraw")
    assert sec.get(f"/api/v1/meetings/{mid}/console").get_json()["speak"] == []
    assert sec.post(f"/api/v1/meetings/{mid}/speak/999", json={"status": "done"}).status_code == 404
    r = a.post(f"/api/v1/meetings/{mid}/service", json={"kind": "coffee"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_field" and r.get_json()["error"]["field"] == "kind"
    assert a.post(f"/api/v1/meetings/{mid}/service", json={"kind": "tea"}).status_code == 200
    calls = sec.get(f"/api/v1/meetings/{mid}/console").get_json()["calls"]
    assert [(c["name"], c["kind"]) for c in calls] == [(MEMBERS[1], "tea")]
    sec.post(f"/api/v1/meetings/{mid}/service/{calls[0]['id']}/handled")
    assert sec.get(f"/api/v1/meetings/{mid}/console").get_json()["calls"] == []


def test_ballot_after_the_countdown_is_refused(demo_app):
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec)
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:8], start=1)])
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    for t in tablets.values():
        t.post(f"/api/v1/meetings/{mid}/signin")
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json={"countdown": 5}).get_json()["error"]["field"] == "countdown"
    assert sec.post(f"/api/v1/polls/{pid}/open", json={"countdown": 10}).status_code == 200
    st = demo_app.extensions["yishi"].store
    with st.write() as db:  # let the ten seconds pass without waiting for them
        db.execute("UPDATE polls SET closes_at = ?, closes_boot = closes_boot - 11 WHERE id = ?", (time.time() - 1, pid))
    r = tablets[MEMBERS[0]].post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "time_over"
    assert polls.progress(st, pid)[0] == 0
    second = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    r = sec.post(f"/api/v1/polls/{second}/open", json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "other_poll_open"
    r = sec.post(f"/api/v1/meetings/{mid}/close")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "poll_open"
