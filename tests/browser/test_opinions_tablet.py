"""发表审议意见 in real Chromium on a 10-inch tablet: from the meeting page to the item's form,
the opinion sent and shown back; every action a 48 px target; an empty one refused with a
message; the office's loop page lists it."""

import pytest
from playwright.sync_api import expect

from appliance.demo import member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_a_member_gives_an_opinion_on_the_tablet(demo_server, new_context):
    url = demo_server.url
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "审议意见测试会议",
                                                 "starts_at": "2026-06-29T09:00"}).json()["id"]
        items = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": t, "kind": "report"}).json()["id"]
                 for t in ("关于全区水污染防治工作情况的报告", "关于全区食品安全工作情况的报告")]
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        ctx = new_context(has_touch=True)
        pair_context(ctx, demo_server, admin, "张伟", member_pin(3))

    page = ctx.new_page()
    page.goto(f"{url}/meetings/{mid}")
    page.locator("#give-opinions").click()
    card = page.locator(f"#item-{items[1]}")
    expect(card).to_contain_text("关于全区食品安全工作情况的报告")
    card.locator("summary").click()
    for target in [card.locator("summary"), card.locator("button")]:
        assert target.bounding_box()["height"] >= 48, "a tablet action smaller than 48 px"
    # An empty opinion (spaces only) gets through the browser's check and is refused by the server.
    card.locator("textarea").fill("   ")
    card.locator("button").click()
    expect(page.locator(".flash.error")).to_contain_text("请先填写审议意见")
    card = page.locator(f"#item-{items[1]}")
    card.locator("summary").click()
    card.locator("textarea").fill("建议建立食品安全追溯平台，并向社会公开抽检结果。")
    card.locator("button").click()
    expect(page.locator(".flash.ok")).to_contain_text("您的审议意见已提交。")
    expect(page.locator(f"#item-{items[1]} .opinion-mine")).to_contain_text("建议建立食品安全追溯平台")
    expect(page.locator(f"#item-{items[0]} .opinion-mine")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the opinions page scrolls sideways on a tablet"
    page.screenshot(path=artifact_path("opinions-tablet.png"), full_page=True)

    # 我的审议意见 lists it, collecting opinions.
    page.goto(f"{url}/office/opinions/mine")
    expect(page.locator(".opinion-of-mine").first).to_contain_text("征集审议意见中")

    desk = new_context(viewport={"width": 1366, "height": 1000})
    office = desk.new_page()
    office.goto(url + "/login")
    office.fill("#username", "staff")
    office.fill("#password", "yishi-staff")
    office.click("button.primary")
    office.goto(f"{url}/office/opinions")
    expect(office.locator(f'#loop-table tr[data-item="{items[1]}"]')).to_contain_text("1 人 1 条")
    office.goto(f"{url}/office/opinions/items/{items[1]}")
    expect(office.locator("#opinion-table")).to_contain_text("张伟")
    expect(office.locator("#opinion-table")).to_contain_text("本人在平板上提交")
