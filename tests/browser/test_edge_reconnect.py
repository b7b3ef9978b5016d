"""A tablet page in Chromium keeps its live stream through an nginx crash: nginx killed with -9,
started again by `yishi serve`, and the page sees the next poll without a reload (live.js)."""

import os
import signal
import time

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients, submit_ballot
from tests.browser.test_meeting_day import pair_context

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_a_tablet_sees_the_next_poll_after_nginx_dies_and_comes_back(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "断线重连", "starts_at": "2026-06-29T09:00"}).json()["id"]
        items = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": f"议题{i}", "kind": "bill"}).json()["id"] for i in (1, 2)]
        ctx = new_context()
        pair_context(ctx, demo_server, admin, MEMBERS[0], member_pin(1))
        page = ctx.new_page()
        page.goto(f"{demo_server.url}/meetings/{mid}")
        page.evaluate("window.__sameDocument = true")
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[:8]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        first = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{first}/open", json={}).status_code == 200
        page.locator("#ballot").wait_for(state="visible")
        assert sec.post(f"/api/v1/polls/{first}/close").status_code == 200
        page.locator("#ballot").wait_for(state="hidden")

        old = demo_server.nginx_pid()
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and demo_server.nginx_pid() in (None, old):
            time.sleep(0.1)
        assert demo_server.nginx_pid() not in (None, old)
        time.sleep(1)
        second = sec.post(f"/api/v1/items/{items[1]}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{second}/open", json={}).status_code == 200
        page.locator("#ballot").wait_for(state="visible", timeout=60_000)
        assert page.evaluate("window.__sameDocument === true")  # no reload: the stream came back by itself
        submit_ballot(page, "yes")
        expect(page.locator("#ballot-status")).to_contain_text("已提交")
