"""The tablet's ballot after the appliance fails to save it: 提交 stays usable, and the retry
sends the same ballot id (so it can never count twice). The full disk itself is real in
tests/web/test_storage.py; here Chromium meets the 507 that it produces."""

import json

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients, submit_ballot
from tests.browser.test_meeting_day import pair_context

pytestmark = [pytest.mark.browser, pytest.mark.server]
STORAGE_FULL = {"error": {"code": "storage_full",
                          "message": "本机存储空间已满，此次操作未能保存。管理页面和会务控制台已显示此情况；腾出空间后请重试。"}}


def test_a_ballot_refused_by_a_full_disk_can_be_sent_again_with_the_same_id(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "重试测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "议题", "kind": "bill"}).json()["id"]
        ctx = new_context()
        pair_context(ctx, demo_server, admin, MEMBERS[0], member_pin(1))
        page = ctx.new_page()
        sent = []

        def ballots(route):
            sent.append(json.loads(route.request.post_data))
            if len(sent) == 1:
                route.fulfill(status=507, content_type="application/json", body=json.dumps(STORAGE_FULL))
            else:
                route.continue_()

        page.route("**/api/v1/polls/*/ballots", ballots)
        page.goto(f"{demo_server.url}/meetings/{mid}")
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        page.locator("#signin-meeting").click()
        page.locator("#signin-state").wait_for(state="visible")
        for name in MEMBERS[1:8]:  # quorum: 8 of 15, the others signed in by the staff
            r = sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"})
            assert r.status_code == 200, r.text
        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200

        page.locator("#ballot").wait_for(state="visible")
        submit_ballot(page, "yes")
        expect(page.locator("#ballot-status")).to_contain_text("存储空间已满")
        expect(page.locator("#submit-ballot")).to_be_enabled()  # back on the sheet, the choice kept
        submit_ballot(page)
        expect(page.locator("#ballot-status")).to_contain_text("已提交")
        assert len(sent) == 2 and sent[0] == sent[1]  # the same ballot id, choice and tracker
        assert sec.post(f"/api/v1/polls/{poll}/close").json()["yes"] == 1
