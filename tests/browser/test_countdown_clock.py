"""The tablet's countdown comes from the server's remaining seconds: a tablet whose clock is an
hour ahead or behind the server's still shows the two minutes the server will hold to (it
showed 61:57 for a 120 s poll, or 0:00, when it subtracted its own clock from the server's)."""

import re

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_meeting_day import pair_context

pytestmark = [pytest.mark.browser, pytest.mark.server]

SHIFTED_DATE = """(() => {
  const shift = %d * 1000, RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...a) { if (a.length === 0) { super(RealDate.now() + shift); } else { super(...a); } }
    static now() { return RealDate.now() + shift; }
  }
  window.Date = ShiftedDate;
})();"""


def test_the_countdown_ignores_the_tablets_own_clock(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "倒计时测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "议题", "kind": "bill"}).json()["id"]
        pages = []
        for seat, shift in ((1, 3600), (2, -3600)):
            ctx = new_context()
            pair_context(ctx, demo_server, admin, MEMBERS[seat - 1], member_pin(seat))
            ctx.add_init_script(SHIFTED_DATE % shift)
            page = ctx.new_page()
            page.goto(f"{demo_server.url}/meetings/{mid}")
            assert page.evaluate("Math.round((Date.now() - performance.timeOrigin - performance.now()) / 1000)") == shift
            pages.append(page)
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[:8]:  # quorum: 8 of 15
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={"countdown": 120}).status_code == 200
        for page in pages:
            page.reload()  # signed in by the staff meanwhile: the page shows the ballot on load
            expect(page.locator("#ballot-countdown")).to_be_visible()
            expect(page.locator("#ballot-countdown")).to_have_text(re.compile(r"^(2:00|1:[0-5]\d)$"))
        sec.post(f"/api/v1/polls/{poll}/close")
