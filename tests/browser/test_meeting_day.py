"""The seed's meeting day in real Chromium: 15 member tablets, the secretary's console and the
big screen. Sign-in to quorum, six items voted one by one (secret and named, one two-thirds
rule, one show-of-hands fallback), each result checked on the screen and on the tablets."""

import io
import re

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import confirm_dialog, submit_ballot
from tests.conftest import artifact_path
from tests.meetings.helpers import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.server]

ITEMS = [  # title, kind, mode, rule, how the 15 members vote (y, n, a) or "hands"
    ("关于修改人事任免办法等制度的决定（草案）", "regulation", "secret", "majority", (12, 2, 1)),
    ("关于人事任免办法第十二条的修正案", "amendment", "secret", "majority", (7, 5, 3)),
    ("关于区级预算调整方案的决议（草案）", "bill", "named", "majority", (14, 0, 1)),
    ("关于修改议事规则的决定（草案）", "regulation", "secret", "two_thirds_or_more", (9, 4, 2)),
    ("关于某某同志职务任免的议案", "appointment", "secret", "majority", "hands"),
    ("关于执法检查报告的审议意见", "report", "named", "majority", (15, 0, 0)),
]


def votes_for(pattern):
    y, n, a = pattern
    return ["yes"] * y + ["no"] * n + ["abstain"] * a


def expected_line(yes, no, abstain, not_voted, needed):
    return f"赞成 {yes}，反对 {no}，弃权 {abstain}，未表决 {not_voted} — 需 {needed} 票 — {'通过' if yes >= needed else '未通过'}"


def pair_context(ctx, server, admin, name, pin):
    """Pair a browser context as a tablet through the API (the UI flow has its own test) and sign in."""
    token = admin.post("/api/v1/admin/invites").json()["url"].split("#t=")[1]
    r = ctx.request.post(server.url + "/api/v1/pair/start", data={"token": token, "device_name": f"座位 {name}"},
                         headers={"Origin": server.url})
    code = r.json()["short_code"]
    req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
    admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={})
    assert ctx.request.get(server.url + "/api/v1/pair/status").json()["status"] == "approved"
    people = ctx.request.get(server.url + "/api/v1/signin/people").json()["people"]
    pid = next(p["id"] for p in people if p["name"] == name)
    assert ctx.request.post(server.url + "/api/v1/signin", data={"person_id": pid, "pin": pin}, headers={"Origin": server.url}).ok


def test_a_whole_meeting(demo_server, api, new_context):
    admin, sec = api
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区第十八届人大常委会第四次会议",
                                             "starts_at": "2026-06-29T09:00"}).json()["id"]
    item_ids = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": t, "kind": k}).json()["id"] for t, k, *_ in ITEMS]
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "会议材料汇编", "publish": "1"},
                 files={"file": ("materials.pdf", io.BytesIO(make_pdf("会议材料", 3)), "application/pdf")})
    assert r.status_code == 200

    tablets = []
    for seat, name in enumerate(MEMBERS, start=1):
        ctx = new_context()
        pair_context(ctx, demo_server, admin, name, member_pin(seat))
        page = ctx.new_page()
        page.goto(f"{demo_server.url}/meetings/{mid}")
        tablets.append(page)
    assert tablets[0].locator("#materials li").first.inner_text().startswith("会议材料汇编")

    console_ctx = new_context(viewport={"width": 1366, "height": 1000})
    console = console_ctx.new_page()
    console.goto(demo_server.url + "/login")
    console.fill("#username", "secretary")
    console.fill("#password", "yishi-secretary")
    console.click("button.primary")
    console.goto(f"{demo_server.url}/meetings/{mid}/console")
    screen = console_ctx.new_page()
    screen.set_viewport_size({"width": 1920, "height": 1080})
    screen.goto(f"{demo_server.url}/screen/{mid}")

    console.click("#open-signin")
    for page in tablets[:-1]:
        page.locator("#signin-meeting").click()
        page.locator("#signin-state").wait_for(state="visible")
    # The last member's tablet "fails": the secretary signs them in on their behalf, with a reason.
    row = console.locator("#roster tr", has_text=MEMBERS[-1])
    row.locator("button.proxy").click()
    row.locator("input[name=reason]").fill("平板无法签到")
    row.locator("button.primary").click()
    expect(console.locator("#roster tr", has_text=MEMBERS[-1])).to_contain_text("平板无法签到")
    tablets[-1].locator("#signin-state").wait_for(state="visible")
    expect(screen.locator("#attendance")).to_contain_text("实到 15")
    assert "符合法定人数" in screen.locator("#attendance").inner_text()
    expect(console.locator("#attendance")).to_contain_text("实到 15")

    for (title, kind, mode, rule, pattern), item_id in zip(ITEMS, item_ids):
        row = console.locator(f'li[data-item="{item_id}"]')
        form = row.locator("form.new-poll")
        form.locator("select[name=mode]").select_option(mode)
        form.locator("select[name=rule]").select_option(rule)
        form.locator("button").click()
        poll = row.locator("div[data-poll]").last
        poll.wait_for()
        needed = {"majority": 8, "two_thirds_or_more": 10}[rule]
        if pattern == "hands":
            poll.locator("button.hands").click()
            hands = poll.locator("form.hands-form")
            hands.locator("input[name=yes]").fill("11")
            hands.locator("input[name=no]").fill("3")
            hands.locator("input[name=abstain]").fill("1")
            hands.locator("input[name=reason]").fill("表决器故障")
            hands.locator("button").click()
            line = expected_line(11, 3, 1, 0, needed)
        else:
            poll.locator("button.open-poll").click()
            choices = votes_for(pattern)
            for page, choice in zip(tablets, choices):
                page.locator("#ballot").wait_for(state="visible")
                submit_ballot(page, choice)
            for page in tablets[: len(choices)]:
                expect(page.locator("#ballot-status")).to_contain_text("已提交")
            expect(screen.locator("#poll-count")).to_contain_text(f"已表决 {len(choices)} 人")
            if title == ITEMS[0][0]:
                screen.screenshot(path=artifact_path("meeting-screen-progress.png"))
            console.locator(f'div[data-poll] button.close-poll').click()
            confirm_dialog(console)
            y, n, a = pattern
            line = expected_line(y, n, a, 15 - y - n - a, needed)
        expect(screen.locator("#result-line")).to_have_text(line)
        for page in tablets:
            expect(page.locator("#result-line")).to_have_text(line)
        if mode == "secret" and pattern != "hands":
            verdict = tablets[3].locator("#tracker-verdict")
            verdict.wait_for(state="visible")
            assert "按您的选择计入" in verdict.inner_text()
        slug = re.sub(r"\W", "", title)[:6]
        screen.screenshot(path=artifact_path(f"meeting-screen-{item_ids.index(item_id) + 1}-{slug}.png"))

    tablets[3].screenshot(path=artifact_path("meeting-tablet-result.png"), full_page=True)
    console.screenshot(path=artifact_path("meeting-console.png"), full_page=True)
    results = [p["result"] for p in sec.get(f"/api/v1/meetings/{mid}").json()["polls"]]
    assert [r["passed"] for r in results] == [True, False, True, False, True, True]
    assert results[4]["method"] == "show_of_hands"

    console.click("#close-meeting")
    confirm_dialog(console)
    console.locator("#minutes-link").wait_for(state="visible")
    expect(tablets[5].locator("#materials")).to_contain_text("已收回")

    with open(f"{demo_server.data_dir}/server.log", encoding="utf-8", errors="replace") as f:
        log = f.read()
    for word in ("yes", "abstain", "赞成", "tracker"):
        assert word not in log, f"the server log mentions {word!r}"
