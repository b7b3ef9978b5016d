"""会议通知 / 回执 in real Chromium: the office sends a notice from its page; a member's phone shows
it on the start page live (no reload) and the member replies 出席; another member replies 请假
with a reason on a tablet, which lands in the office's leave list; the office's list redraws
live with who has not replied first; 提醒未回执 reaches only those, and a second tap sends nothing."""

import time

import pytest
from playwright.sync_api import expect

from appliance.demo import member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page, what):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} scrolls sideways at {width} px"


def small_targets(page, selector):
    """Buttons and links under `selector` that are visible and less than 48 px high."""
    return page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel + ' button, ' + sel + ' a.button'))
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 48).map(e => e.textContent.trim())""", selector)


def test_notice_sent_received_live_and_replied(demo_server, new_context):
    url = demo_server.url
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区第十八届人大常委会第七次会议",
                                                 "starts_at": time.time() + 2 * 86400, "room": "区人大常委会第一会议室"}).json()["id"]
        for title in ("关于本区2026年国民经济和社会发展计划执行情况的报告", "关于修改区人大常委会议事规则的决定（草案）"):
            assert sec.post(f"/api/v1/meetings/{mid}/items", json={"title": title, "kind": "report"}).status_code == 200
        phone_ctx = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        pair_context(phone_ctx, demo_server, admin, "李秀英", member_pin(2))
        tablet_ctx = new_context()
        pair_context(tablet_ctx, demo_server, admin, "张伟", member_pin(3))
        late_ctx = new_context()
        pair_context(late_ctx, demo_server, admin, "刘芳", member_pin(4))

        # The members' start pages are open before anything is sent, their live streams connected.
        phone = phone_ctx.new_page()
        phone.goto(url + "/")
        expect(phone.locator("#notice-inbox")).to_have_attribute("data-live", "connected")
        phone.evaluate("window.__notReloaded = true")
        liu = late_ctx.new_page()
        liu.goto(url + "/")
        expect(liu.locator("#notice-inbox")).to_have_attribute("data-live", "connected")
        liu.evaluate("window.__notReloaded = true")

        # The office writes and sends it from its page.
        desk = new_context(viewport={"width": 1366, "height": 1000})
        office = desk.new_page()
        office.goto(url + "/login")
        office.fill("#username", "secretary")
        office.fill("#password", "yishi-secretary")
        office.click("button.primary")
        office.goto(f"{url}/meetings/{mid}/notice")
        expect(office.locator("#notice-place")).to_have_value("区人大常委会第一会议室")
        office.fill("#notice-extra", "请于上午8:30前到机关一楼报到，着正装。")
        office.click("#notice-send")
        expect(office.locator("#notice-form-status")).to_contain_text("第 1 版会议通知已发给 17 人。")
        expect(office.locator("#notice-sent")).to_contain_text("第 1 版")
        expect(office.locator("#notice-replies")).to_have_attribute("data-meeting", str(mid))
        expect(office.locator("#notice-office")).to_have_attribute("data-live", "connected")
        expect(office.locator("#notice-counts")).to_contain_text("未回执 17 人")

        # Live on the phone, without a reload: date, place, agenda, the extra text, the two choices.
        card = phone.locator(f".notice-card[data-meeting='{mid}']")
        expect(card).to_contain_text("区第十八届人大常委会第七次会议")
        expect(card.locator(".notice-place")).to_have_text("区人大常委会第一会议室")
        expect(card.locator(".notice-when")).to_contain_text("星期")
        expect(card.locator(".notice-agenda li")).to_have_count(2)
        expect(card).to_contain_text("请于上午8:30前到机关一楼报到，着正装。")
        assert phone.evaluate("window.__notReloaded === true"), "the phone's page was reloaded"
        no_sideways_scroll(phone, "the start page with a notice")
        assert small_targets(phone, ".notice-card") == []
        phone.screenshot(path=artifact_path("notice-phone-received.png"), full_page=True)
        card.locator("button.notice-attend").click()
        expect(phone.locator("#notice-done")).to_have_text("回执已提交：出席。")
        expect(phone.locator(".notice-card")).to_have_count(0)
        assert phone.evaluate("window.__notReloaded === true")

        # 请假 with a reason on a tablet (its notice page, reached from the meeting's page).
        tab = tablet_ctx.new_page()
        tab.goto(f"{url}/meetings/{mid}")
        tab.locator("#notice-link").click()
        expect(tab.locator("#notice-page")).to_have_attribute("data-live", "connected")
        tab.locator("button.notice-leave-open").click()
        tab.locator("input[name=reason]").fill("赴市里参加人大代表履职培训")
        tab.locator("button.notice-leave-send").click()
        expect(tab.locator(".notice-status")).to_contain_text("回执已提交：请假")
        expect(tab.locator(".notice-mine")).to_contain_text("请假")
        expect(tab.locator(".notice-mine")).to_contain_text("赴市里参加人大代表履职培训")
        expect(tab.locator(".notice-mine")).to_contain_text("待审批")
        # A 请假 without a reason is refused on the page, in Chinese.
        tab.locator("button.notice-leave-open").click()
        tab.locator("input[name=reason]").fill("")
        tab.locator("button.notice-leave-send").click()
        expect(tab.locator(".notice-status")).to_have_text("请填写请假理由。")

        # The office's list redrew itself: who has not replied first, then 请假, then 出席.
        expect(office.locator("#notice-counts")).to_contain_text("共 17 人：出席 1 人，请假 1 人，未回执 15 人。")
        rows = office.locator("#notice-list li")
        expect(rows.last).to_contain_text("李秀英")
        expect(rows.last).to_contain_text("出席")
        expect(rows.nth(15)).to_contain_text("张伟")
        expect(rows.nth(15)).to_contain_text("赴市里参加人大代表履职培训")
        expect(rows.first.locator(".notice-choice")).to_have_text("未回执")
        office.screenshot(path=artifact_path("notice-office-replies.png"), full_page=True)
        # …and the 请假 is in the office's leave list, waiting for a decision.
        review = desk.new_page()
        review.goto(f"{url}/leave/review")
        expect(review.locator("#review-list tr", has_text="赴市里参加人大代表履职培训")).to_contain_text("张伟")
        expect(review.locator("#review-list tr", has_text="赴市里参加人大代表履职培训")).to_contain_text("待审批")

        # 提醒未回执: 刘芳 (not replied) is reminded live; 李秀英 (replied) gets nothing.
        expect(liu.locator(f".notice-card[data-meeting='{mid}']")).to_have_count(1)
        expect(liu.locator(".notice-card.reminded")).to_have_count(0)
        office.click("#notice-remind")
        expect(office.locator("#notice-remind-status")).to_have_text("已提醒 15 位未回执的人员。")
        expect(liu.locator(".notice-card.reminded")).to_have_count(1)
        assert liu.evaluate("window.__notReloaded === true")
        expect(phone.locator(".notice-card")).to_have_count(0)
        expect(office.locator("#notice-list li", has_text="刘芳")).to_contain_text("已提醒 1 次")
        # A double tap sends nothing more.
        office.click("#notice-remind")
        expect(office.locator("#notice-remind-status")).to_contain_text("5 分钟内提醒过，本次未重复发送")
        expect(office.locator("#notice-list li", has_text="刘芳")).to_contain_text("已提醒 1 次")
        reminders = sec.get(f"/api/v1/meetings/{mid}/notice").json()["replies"]
        assert {r["name"]: r["reminders"] for r in reminders}["刘芳"] == 1
        assert {r["name"]: r["reminders"] for r in reminders}["李秀英"] == 0

        # The office's page and the notice page fit a phone too.
        phone_office = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        po = phone_office.new_page()
        po.goto(url + "/login")
        po.fill("#username", "secretary")
        po.fill("#password", "yishi-secretary")
        po.click("button.primary")
        po.goto(f"{url}/meetings/{mid}/notice")
        expect(po.locator("#notice-list li")).to_have_count(17)
        no_sideways_scroll(po, "the office's notice page")
        assert small_targets(po, "#notice-office") == []
        po.screenshot(path=artifact_path("notice-office-phone.png"), full_page=True)
        phone.goto(f"{url}/notices/{mid}")
        expect(phone.locator(".notice-mine")).to_contain_text("出席")
        no_sideways_scroll(phone, "the notice page")
