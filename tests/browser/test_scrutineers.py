"""The scrutineers' double entry (监票人) in real Chromium: the secretary switches a vote to paper
on the console; two scrutineers, each on their own tablet (two browser contexts), enter the hand
count. First they disagree (both told which counts differ, nothing counted), then they agree and
the console and the big screen show the result as a hand count."""

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]

A, B = "张伟", "刘芳"  # seats 3 and 4


def enter(page, yes, no, abstain, pin):
    form = page.locator("#tally-form")
    form.locator("input[name=yes]").fill(str(yes))
    form.locator("input[name=no]").fill(str(no))
    form.locator("input[name=abstain]").fill(str(abstain))
    page.locator("#tally-pin").fill(pin)
    page.locator("#tally-submit").click()


def test_two_scrutineers_enter_the_hand_count(demo_server, api, new_context):
    admin, sec = api
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区人大常委会纸质表决测试会议",
                                             "starts_at": "2026-06-29T09:00"}).json()["id"]
    item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于区级预算调整方案的决议（草案）", "kind": "bill"}).json()["id"]
    pid = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    people = {p["name"]: p["id"] for p in sec.get(f"/api/v1/meetings/{mid}/console").json()["roster"]}
    for name in MEMBERS[:13]:
        assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "设备故障，人工点名"}).status_code == 200

    console_ctx = new_context(viewport={"width": 1366, "height": 1000})
    console = console_ctx.new_page()
    console.goto(demo_server.url + "/login")
    console.fill("#username", "secretary")
    console.fill("#password", "yishi-secretary")
    console.click("button.primary")
    console.goto(f"{demo_server.url}/meetings/{mid}/console")
    screen = console_ctx.new_page()
    screen.goto(f"{demo_server.url}/screen/{mid}")

    # The secretary designates the two scrutineers on the console, then switches the vote to paper.
    console.locator("#designate summary").click()
    for name in (A, B):
        console.locator("#designate label", has_text=name).locator("input").check()
    console.locator("#designate button.primary").click()
    expect(console.locator("#scrutineer-names")).to_contain_text(f"{A}、{B}")
    row = console.locator(f'div[data-poll="{pid}"]')
    row.locator("button.to-paper").click()
    row.locator("input[name=reason]").fill("表决器故障")
    row.locator("form.inline button.primary").click()
    expect(console.locator(f'div[data-paper="{pid}"] .paper-reason')).to_contain_text("表决器故障")
    expect(screen.locator("#poll-count")).to_contain_text("监票人正在计票")

    pages = {}
    for name in (A, B):
        ctx = new_context()
        pair_context(ctx, demo_server, admin, name, member_pin(MEMBERS.index(name) + 1))
        tablet = ctx.new_page()
        tablet.goto(f"{demo_server.url}/meetings/{mid}")
        expect(tablet.locator("#paper-notice")).to_be_visible()
        tablet.locator("#paper-tally").click()
        expect(tablet.locator("#tally-state")).to_contain_text("两名监票人")
        pages[name] = tablet
    a, b = pages[A], pages[B]

    # Round 1: they disagree on 反对 and 弃权. Nothing is counted; both are told which counts.
    enter(a, 9, 3, 1, member_pin(3))
    expect(a.locator("#tally-answer")).to_contain_text("已保存")
    expect(b.locator("#tally-entries")).to_contain_text(f"{A} 已录入")
    expect(console.locator(f'div[data-paper="{pid}"] .paper-entries')).to_contain_text(f"{A} 已录入")
    enter(b, 9, 2, 2, member_pin(4))
    expect(b.locator("#tally-answer")).to_contain_text("不一致：反对、弃权")
    expect(a.locator("#tally-state")).to_contain_text("不一致：反对、弃权")
    expect(console.locator(f'div[data-paper="{pid}"] .paper-state')).to_contain_text("反对、弃权")
    b.screenshot(path=artifact_path("scrutineer-mismatch.png"), full_page=True)
    assert sec.get(f"/api/v1/polls/{pid}").json().get("result") is None
    expect(console.locator(f'div[data-poll="{pid}"] .result-line')).to_have_count(0)

    # Round 2: they agree; the vote closes as a hand count, on the console and the big screen.
    enter(b, 9, 3, 1, member_pin(4))
    expect(a.locator("#tally-entries")).to_contain_text(f"{B} 已录入")
    enter(a, 9, 3, 1, member_pin(3))
    line = "赞成 9，反对 3，弃权 1，未表决 0 — 需 8 票 — 通过"
    expect(a.locator("#tally-answer")).to_contain_text("两次录入一致")
    expect(b.locator("#tally-state")).to_contain_text("计票结果已确认")
    expect(console.locator(f'div[data-poll="{pid}"] .result-line')).to_have_text(f"{line}（纸质表决票，监票人计票）")
    expect(screen.locator("#result-line")).to_have_text(line)
    expect(screen.locator("#result-title")).to_contain_text("纸质表决票，监票人计票")
    console.screenshot(path=artifact_path("scrutineer-console.png"), full_page=True)
    assert sec.get(f"/api/v1/polls/{pid}").json()["result"]["method"] == "hand_count"
