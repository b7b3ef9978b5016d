"""The ballot an elderly member cannot miss (issue 14), in real Chromium: on a phone in portrait
with 大字 and on a tablet in landscape the ballot covers the page, complete without scrolling;
the choice is marked by a tick and its word; 提交 asks to confirm; the submitted state survives a
reload (the choice is kept on the tablet); 0:00 turns the sheet inactive; a member not signed in
is told to sign in. Screenshots: test-artifacts/ballot-*.png."""

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients, submit_ballot
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}
LANDSCAPE = {"width": 1280, "height": 800}

FITS = """() => {
  const out = [];
  document.querySelectorAll('.ballot.sheet-open button, .ballot.sheet-open select, .ballot.sheet-open h2').forEach(e => {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) return;
    if (r.top < 0 || r.bottom > innerHeight + 0.5 || r.left < 0 || r.right > innerWidth + 0.5) out.push(e.id || e.className || e.textContent);
    if (e.tagName !== 'H2' && (r.width < 48 || r.height < 48)) out.push('small: ' + (e.id || e.textContent));
  });
  const s = document.querySelector('.ballot.sheet-open');
  if (!s) out.push('no sheet');
  else if (s.scrollHeight > s.clientHeight + 1) out.push('sheet scrolls');
  if (document.documentElement.scrollWidth > innerWidth) out.push('sideways');
  return out;
}"""


def tablet(new_context, server, admin, seat, viewport, large=True):
    ctx = new_context(viewport=viewport)
    if large:
        ctx.add_cookies([{"name": "large", "value": "1", "url": server.url}])
    pair_context(ctx, server, admin, MEMBERS[seat], member_pin(seat + 1))
    return ctx.new_page()


def test_the_ballot_covers_the_page_confirms_and_stays_submitted(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "表决单测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于修改人事任免办法等制度的决定（草案）", "kind": "bill"}).json()["id"]
        phone = tablet(new_context, demo_server, admin, 0, PHONE)
        wide = tablet(new_context, demo_server, admin, 1, LANDSCAPE)
        late = tablet(new_context, demo_server, admin, 8, PHONE)
        for page in (phone, wide, late):
            page.goto(f"{demo_server.url}/meetings/{mid}")
            expect(page.locator("#attendance")).not_to_be_empty()
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for page in (phone, wide):
            page.locator("#signin-meeting").click()
            page.locator("#signin-state").wait_for(state="visible")
        for name in MEMBERS[2:8]:  # quorum: 8 of 15; MEMBERS[8] stays out
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200

        for name, page in (("phone-large", phone), ("landscape-large", wide)):
            expect(page.locator("#ballot.sheet-open")).to_be_visible()
            expect(page.locator("#submit-ballot")).to_be_disabled()  # nothing chosen yet
            assert page.evaluate(FITS) == [], name
            page.screenshot(path=artifact_path(f"ballot-open-{name}.png"))

        # not signed in: told so over the page, with the way to sign in
        expect(late.locator("#ballot-signin.sheet-open")).to_contain_text("表决进行中，请先签到")
        assert late.evaluate(FITS) == []
        late.screenshot(path=artifact_path("ballot-sign-in-first-phone-large.png"))
        late.locator("#ballot-signin-button").click()
        expect(late.locator("#ballot.sheet-open")).to_be_visible()

        # the choice: a tick and the word, aria-pressed, not colour alone
        yes = phone.locator('#ballot > .choices .choice[data-choice="yes"]')
        yes.click()
        expect(yes).to_have_attribute("aria-pressed", "true")
        expect(yes.locator(".tick")).to_be_visible()
        expect(phone.locator('#ballot > .choices .choice[data-choice="no"] .tick')).to_be_hidden()
        assert phone.locator("[aria-checked]").count() == 0
        phone.locator("#submit-ballot").click()
        expect(phone.locator("#confirm-text")).to_have_text("您选择了：赞成。确认提交？")
        assert phone.evaluate(FITS) == []
        phone.screenshot(path=artifact_path("ballot-confirm-phone-large.png"))
        phone.locator("#confirm-back").click()  # back: the choice is still there, nothing was sent
        expect(yes).to_have_attribute("aria-pressed", "true")
        phone.locator("#submit-ballot").click()
        phone.locator("#confirm-ballot").click()
        expect(phone.locator("#ballot-done")).to_contain_text("您已投票")
        expect(phone.locator("#done-choice")).to_have_text("您的选择：赞成")
        expect(phone.locator("#done-tracker")).to_contain_text("您的核验码：")
        phone.screenshot(path=artifact_path("ballot-submitted-phone-large.png"))
        phone.reload()
        expect(phone.locator("#ballot.sheet-open #ballot-done")).to_be_visible()
        expect(phone.locator("#done-choice")).to_have_text("您的选择：赞成")  # from this tablet's own storage
        phone.screenshot(path=artifact_path("ballot-submitted-after-reload-phone-large.png"))

        submit_ballot(late, "no")
        expect(late.locator("#done-choice")).to_have_text("您的选择：反对")
        late.locator("#ballot-dismiss").click()
        expect(late.locator("#ballot")).not_to_have_class("sheet-open")
        expect(late.locator("#ballot-done")).to_be_visible()  # still at hand on the page
        close = sec.post(f"/api/v1/polls/{poll}/close").json()
        assert (close["yes"], close["no"]) == (1, 1)

        # a countdown that runs out: the sheet turns inactive at 0:00 with a message
        second = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "named"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{second}/open", json={"countdown": 10}).status_code == 200
        expect(wide.locator("#ballot.sheet-open")).to_be_visible()
        wide.locator('#ballot > .choices .choice[data-choice="abstain"]').click()
        expect(wide.locator("#ballot-expired")).to_contain_text("表决时间已到", timeout=40000)
        expect(wide.locator("#submit-ballot")).to_be_hidden()
        expect(wide.locator('#ballot > .choices .choice[data-choice="yes"]')).to_be_disabled()
        wide.screenshot(path=artifact_path("ballot-expired-landscape-large.png"))
