"""Attendance snapshots out of order (issue 11): with several workers, the push of an older count
can reach a page after a newer one (each worker publishes from its own sender thread). Every
snapshot carries `at`, read on the server's monotonic clock, and the big screen keeps the newest
it has seen. A MutationObserver records every text #attendance ever showed, so even a flash of
the old count fails the test.

Bad inputs tried: a snapshot older than the one shown (pushed late, as a slow worker would), and
one with no stamp at all (an old worker's event): neither is ever shown. Stamps past 2^53 ns (a
Pi up for more than 104 days) still compare exactly."""

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS
from tests.browser.conftest import staff_clients
from tests.edge.helpers import publish

pytestmark = [pytest.mark.browser, pytest.mark.server]

RECORD = """() => {
  window.seen = [];
  const node = document.getElementById('attendance');
  new MutationObserver(() => window.seen.push(node.textContent)).observe(node, { childList: true, characterData: true, subtree: true });
}"""


def test_an_old_attendance_snapshot_arriving_late_never_shows(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "签到顺序", "starts_at": "2026-06-29T09:00"}).json()["id"]
        ctx = new_context()
        ctx.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                         headers={"Origin": demo_server.url})
        screen = ctx.new_page()
        screen.goto(f"{demo_server.url}/screen/{mid}")
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        snapshots = []
        for name in MEMBERS[:3]:
            r = sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"})
            assert r.status_code == 200, r.text
            snapshots.append(r.json()["attendance"])
        # Each snapshot is stamped on the monotonic clock, later ones later.
        stamps = [int(s["at"]) for s in snapshots]
        assert stamps == sorted(stamps) and len(set(stamps)) == 3, stamps
        assert [s["present"] for s in snapshots] == [1, 2, 3]
        expect(screen.locator("#attendance")).to_contain_text("实到 3 ·")
        screen.evaluate(RECORD)

        # A slow worker's push of the first count arrives now, after the page shows 3; then one
        # with no stamp. Then a real sign-in: its push (in order on the same channel) is the
        # marker that the two before it were delivered and handled.
        publish(demo_server, f"meeting:{mid}", "attendance", snapshots[0])
        unstamped = {k: v for k, v in snapshots[1].items() if k != "at"}
        publish(demo_server, f"meeting:{mid}", "attendance", unstamped)
        assert sec.post(f"/api/v1/meetings/{mid}/people/{people[MEMBERS[3]]}/signin", json={"reason": "代签"}).status_code == 200
        expect(screen.locator("#attendance")).to_contain_text("实到 4 ·")
        seen = screen.evaluate("window.seen")
        assert seen and not [t for t in seen if "实到 1 ·" in t or "实到 2 ·" in t], seen

        # A reload (the state fetch) shows the true count, and the comparison is exact on
        # stamps too large for a JavaScript number.
        screen.reload()
        expect(screen.locator("#attendance")).to_contain_text("实到 4 ·")
        assert screen.evaluate("Yishi.fresher({at: '9007199254740993'}, {at: '9007199254740992'})") is True
        assert screen.evaluate("Yishi.fresher({at: '9007199254740992'}, {at: '9007199254740993'})") is False
        assert screen.evaluate("Yishi.fresher({at: '10000000000000000'}, {at: '9999999999999999'})") is True
        assert screen.evaluate("Yishi.fresher({at: '9999999999999999'}, {at: '10000000000000000'})") is False
