"""The meeting day walked through in Chromium as the committee meets it (issue 14), one person per
screen: an elderly member on a phone with 大字 reading a long report in Chinese, a member on a
tablet in English, the secretary's console and the big screen at 1920x1080. Asserts what each of
them would trip over if it came back (the reader's title readable on a phone, the ballot over the
report, the result line in each reader's language on the tablet, the console and the screen) and
saves a screenshot of every step: test-artifacts/walk-*.png."""

import io

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients, submit_ballot
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.documents import pdfs

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}
HD = {"width": 1920, "height": 1080}


def _person(new_context, server, admin, seat, viewport, large=False, lang=None):
    ctx = new_context(viewport=viewport)
    for name, value in (("large", "1" if large else None), ("lang", lang)):
        if value:
            ctx.add_cookies([{"name": name, "value": value, "url": server.url}])
    pair_context(ctx, server, admin, MEMBERS[seat], member_pin(seat + 1))
    return ctx.new_page()


def _shot(page, name):
    page.screenshot(path=artifact_path(f"walk-{name}.png"))


def test_the_meeting_day_walked_through(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        title = "区第十八届人大常委会第八次会议"
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": title, "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于区级预算调整方案的决议（草案）", "kind": "bill"}).json()["id"]
        r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "关于2026年区级预算调整方案的报告（提请审议稿）", "publish": "1"},
                     files={"file": ("doc.pdf", io.BytesIO(pdfs.long_document(24)), "application/pdf")})
        assert r.status_code == 200, r.text
        doc = sec.get(f"/api/v1/meetings/{mid}").json()["materials"][-1]["document"]

        staff = new_context(viewport=HD)
        assert staff.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                                  headers={"Origin": demo_server.url}).ok
        console, screen = staff.new_page(), staff.new_page()
        console.goto(f"{demo_server.url}/meetings/{mid}/console")
        screen.goto(f"{demo_server.url}/screen/{mid}")
        elder = _person(new_context, demo_server, admin, 4, PHONE, large=True)
        english = _person(new_context, demo_server, admin, 5, TABLET, lang="en")
        for page in (elder, english):
            page.goto(f"{demo_server.url}/meetings/{mid}")
            expect(page.locator("#attendance")).not_to_be_empty()
        _shot(elder, "1-tablet-before-sign-in-phone-large")

        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for page in (elder, english):
            page.locator("#signin-meeting").click()
            page.locator("#signin-state").wait_for(state="visible")
        for name in MEMBERS[6:13]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        expect(screen.locator("#attendance")).to_contain_text("实到 9")
        _shot(elder, "2-tablet-signed-in-phone-large")
        _shot(english, "2-tablet-signed-in-portrait-en")
        _shot(console, "2-console-signed-in-1080")
        _shot(screen, "2-screen-signed-in-1080")

        # the elderly member reads the report on the phone: the title reads as a line, not a column
        elder.locator("#materials a.material").first.click()
        expect(elder.locator("#viewer")).to_have_attribute("data-rendered", "1", timeout=30000)
        head = elder.locator(".reader-title").bounding_box()
        assert head["width"] > 0.6 * PHONE["width"], head  # one character per line was 1 em wide
        _shot(elder, "3-reader-phone-large")

        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "named"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200
        expect(elder.locator("#ballot.sheet-open")).to_be_visible()  # over the report
        expect(english.locator("#ballot.sheet-open")).to_be_visible()  # over the meeting page
        _shot(elder, "4-ballot-over-reader-phone-large")
        _shot(english, "4-ballot-portrait-en")
        _shot(console, "4-console-voting-1080")
        _shot(screen, "4-screen-voting-1080")
        submit_ballot(elder, "yes")
        expect(elder.locator("#done-choice")).to_have_text("您的选择：赞成")
        _shot(elder, "5-ballot-done-over-reader-phone-large")
        elder.locator("#ballot-dismiss").click()
        expect(elder.locator("#ballot")).to_be_hidden()
        submit_ballot(english, "yes")
        expect(english.locator("#done-title")).to_have_text("You have voted")
        _shot(english, "5-ballot-done-portrait-en")

        assert sec.post(f"/api/v1/polls/{poll}/close").status_code == 200
        # the result in each reader's language: the tablet in English, the console and screen in Chinese
        expect(english.locator("#result-line")).to_have_text("Yes 2, No 0, Abstain 0, not voted 7 — 8 votes needed — Not passed")
        expect(console.locator("#agenda")).to_contain_text("赞成 2，反对 0，弃权 0，未表决 7 — 需 8 票 — 未通过")
        expect(screen.locator("#result-line")).to_have_text("赞成 2，反对 0，弃权 0，未表决 7 — 需 8 票 — 未通过")
        _shot(english, "6-result-portrait-en")
        _shot(console, "6-console-result-1080")
        _shot(screen, "6-screen-result-1080")
        elder.goto(f"{demo_server.url}/meetings/{mid}")
        expect(elder.locator("#result-line")).to_contain_text("赞成 2，反对 0")
        _shot(elder, "6-result-phone-large")

        assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
        expect(screen.locator("#closed")).to_be_visible()
        _shot(screen, "7-screen-closed-1080")
        expect(english.locator("#materials")).to_contain_text("recalled", ignore_case=True, timeout=15000)
        _shot(english, "7-tablet-closed-portrait-en")
