"""请假 in real Chromium: a member asks on a phone-sized page, the secretary approves on the console's
请假 panel, the member's page shows it approved and the roster shows 请假, both live; the review
page lists it as approved."""

import time

import pytest
from playwright.sync_api import expect

from appliance.demo import member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}


def test_leave_asked_on_a_phone_and_approved(demo_server, new_context):
    url = demo_server.url
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "请假流程测试会议",
                                                 "starts_at": time.time() + 7200}).json()["id"]
        phone_ctx = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        pair_context(phone_ctx, demo_server, admin, "李秀英", member_pin(2))

    phone = phone_ctx.new_page()
    phone.goto(f"{url}/meetings/{mid}")
    phone.locator("#ask-leave").click()
    expect(phone.locator("#leave-meeting")).to_have_value(str(mid))
    phone.locator("#leave-reason").fill("赴市里参加培训")
    phone.locator("#leave-submit").click()
    row = phone.locator("#leave-list tr[data-request]").first
    expect(row).to_contain_text("待审批")
    expect(row).to_contain_text("请假流程测试会议")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the leave page scrolls sideways on a phone"
    phone.screenshot(path=artifact_path("leave-phone-asked.png"), full_page=True)

    desk = new_context(viewport={"width": 1366, "height": 1000})
    console = desk.new_page()
    console.goto(url + "/login")
    console.fill("#username", "secretary")
    console.fill("#password", "yishi-secretary")
    console.click("button.primary")
    console.goto(f"{url}/meetings/{mid}/console")
    roster_row = console.locator("#roster tr", has_text="李秀英")
    expect(roster_row).to_contain_text("未签到")
    # The console's 请假 panel lists the request; the secretary approves it there.
    pending = console.locator("#leave-pending li", has_text="赴市里参加培训")
    expect(pending).to_contain_text("李秀英")
    pending.locator("input[name=note]").fill("同意")
    pending.locator("button[value=approve]").click()
    expect(console.locator("#leave-pending li")).to_have_count(0)

    # Live: neither the member's page nor the console was reloaded by hand.
    expect(phone.locator("#leave-list tr[data-request]").first).to_contain_text("已批准")
    expect(phone.locator("#leave-list tr[data-request]").first).to_contain_text("同意")
    expect(roster_row).to_contain_text("请假：赴市里参加培训")
    expect(console.locator("#attendance")).to_contain_text("请假 1")
    phone.screenshot(path=artifact_path("leave-phone-approved.png"), full_page=True)
    console.screenshot(path=artifact_path("leave-console-roster.png"), full_page=True)
    review = desk.new_page()
    review.goto(f"{url}/leave/review")
    expect(review.locator("#review-list tr", has_text="赴市里参加培训")).to_contain_text("已批准")
