"""The ballot sheet over the reader (issue 14): a member deep in a long PDF when a vote opens gets
the same full-screen ballot as on the meeting page, confirm step and all, and goes back to the
document where they were; a member not signed in is told to sign in; staff reading the same
material get no ballot. In real Chromium on a phone with 大字 and a tablet in English.
Screenshots: test-artifacts/ballot-over-reader-*.png."""

import io

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_ballot_sheet import FITS
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.documents import pdfs

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}
LANDSCAPE = {"width": 1280, "height": 800}


def _member(new_context, server, admin, seat, viewport, large=False, lang=None):
    ctx = new_context(viewport=viewport)
    if large:
        ctx.add_cookies([{"name": "large", "value": "1", "url": server.url}])
    if lang:
        ctx.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    pair_context(ctx, server, admin, MEMBERS[seat], member_pin(seat + 1))
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _read_far(page, server, doc, to_page=12):
    page.goto(f"{server.url}/documents/{doc}")
    expect(page.locator("#viewer")).to_have_attribute("data-rendered", "1", timeout=30000)
    page.locator("#page-number").fill(str(to_page))
    page.locator("#page-number").press("Enter")
    page.wait_for_function(f"() => window.YishiReader.viewer.currentPageNumber === {to_page}", timeout=20000)


def test_a_vote_opens_its_ballot_over_a_long_document(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "阅读中表决", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于预算调整方案的决议（草案）", "kind": "bill"}).json()["id"]
        r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "四十页的预算报告", "publish": "1"},
                     files={"file": ("doc.pdf", io.BytesIO(pdfs.long_document(40)), "application/pdf")})
        assert r.status_code == 200, r.text
        doc = sec.get(f"/api/v1/meetings/{mid}").json()["materials"][-1]["document"]
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[2:10]:  # quorum; MEMBERS[10] stays out (not signed in)
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200

        phone, phone_errors = _member(new_context, demo_server, admin, 2, PHONE, large=True)
        english, english_errors = _member(new_context, demo_server, admin, 3, LANDSCAPE, lang="en")
        late, _ = _member(new_context, demo_server, admin, 10, PHONE, large=True)
        staff = new_context(viewport=LANDSCAPE)
        assert staff.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                                  headers={"Origin": demo_server.url}).ok
        clerk = staff.new_page()
        for page in (phone, english, late, clerk):
            _read_far(page, demo_server, doc)
        expect(phone.locator("#ballot")).to_be_hidden()  # nothing over the document before a vote
        assert clerk.locator("#ballot").count() == 0  # staff have the console, not a ballot

        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200

        # over the document, complete without scrolling with 大字 on a phone
        expect(phone.locator("#ballot.sheet-open")).to_be_visible()
        expect(phone.locator("#ballot-title")).to_have_text("关于预算调整方案的决议（草案）")
        expect(phone.locator("#submit-ballot")).to_be_disabled()
        assert phone.evaluate(FITS) == []
        phone.screenshot(path=artifact_path("ballot-over-reader-phone-large.png"))
        expect(english.locator("#ballot.sheet-open")).to_be_visible()
        # the one not signed in: told so, over the document too
        expect(late.locator("#ballot-signin.sheet-open")).to_contain_text("表决进行中，请先签到")
        late.screenshot(path=artifact_path("ballot-over-reader-sign-in-first-phone-large.png"))
        expect(clerk.locator("#viewer")).to_be_visible()

        # the same steps as on the meeting page: choose, 提交, the confirm step with its words
        yes = phone.locator('#ballot > .choices .choice[data-choice="yes"]')
        yes.click()
        expect(yes).to_have_attribute("aria-pressed", "true")
        phone.locator("#submit-ballot").click()
        expect(phone.locator("#confirm-text")).to_have_text("您选择了：赞成。确认提交？")
        expect(phone.locator("#confirm-back")).to_have_text("返回修改")  # a back button with words, not a blank one
        assert phone.evaluate(FITS) == []
        phone.screenshot(path=artifact_path("ballot-over-reader-confirm-phone-large.png"))
        phone.locator("#confirm-ballot").click()
        expect(phone.locator("#ballot-done")).to_contain_text("您已投票")
        expect(phone.locator("#done-choice")).to_have_text("您的选择：赞成")
        phone.reload()  # the submitted state survives a reload of the reader
        expect(phone.locator("#ballot.sheet-open #ballot-done")).to_be_visible()
        expect(phone.locator("#done-choice")).to_have_text("您的选择：赞成")
        expect(phone.locator("#ballot-dismiss")).to_have_text("返回文件")
        phone.locator("#ballot-dismiss").click()
        expect(phone.locator("#ballot")).to_be_hidden()  # gone: the document again, not a card over it
        expect(phone.locator("#viewer")).to_have_attribute("data-rendered", "1")

        # in English, in English; the member goes back to the page they were reading
        english.locator('#ballot > .choices .choice[data-choice="no"]').click()
        english.locator("#submit-ballot").click()
        expect(english.locator("#confirm-text")).to_have_text("You chose: No. Submit this vote?")
        expect(english.locator("#confirm-back")).to_have_text("Back: change my choice")
        english.locator("#confirm-ballot").click()
        expect(english.locator("#done-title")).to_have_text("You have voted")
        english.screenshot(path=artifact_path("ballot-over-reader-done-landscape-en.png"))
        english.locator("#ballot-dismiss").click()
        expect(english.locator("#ballot")).to_be_hidden()
        assert english.evaluate("() => window.YishiReader.viewer.currentPageNumber") == 12

        close = sec.post(f"/api/v1/polls/{poll}/close").json()
        assert (close["yes"], close["no"]) == (1, 1)
        expect(late.locator("#ballot-signin")).to_be_hidden()  # the vote is over: the sheet goes
        assert phone_errors == [] and english_errors == []
