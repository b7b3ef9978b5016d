"""The agenda in real Chromium: the secretary reorders with the up button and by dragging, the
rule checker's warning goes when the amendment comes first, a confidential item is absent from
the attendee's tablet and shows as 人事事项 on the big screen until the chair reveals it, and the
console shows who voted what once a named vote closes."""

import io

import httpx
import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import confirm_dialog, staff_clients
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.meetings.helpers import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.server]
SECRET = "关于任免区民政局局长张某某的议案"


def tablet_client(server, admin, name, pin):
    c = httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=30)
    token = admin.post("/api/v1/admin/invites").json()["url"].split("#t=")[1]
    code = c.post("/api/v1/pair/start", json={"token": token, "device_name": f"座位 {name}"}).json()["short_code"]
    req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
    admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={})
    assert c.get("/api/v1/pair/status").json()["status"] == "approved"  # the device credential is set here
    pid = next(p["id"] for p in c.get("/api/v1/signin/people").json()["people"] if p["name"] == name)
    assert c.post("/api/v1/signin", json={"person_id": pid, "pin": pin}).status_code == 200
    return c


def order(sec, mid):
    return [i["id"] for i in sec.get(f"/api/v1/meetings/{mid}/console").json()["items"]]


def test_reorder_confidential_and_named_list_on_the_console(demo_server, new_context):
    url = demo_server.url
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "议程测试会议", "starts_at": "2026-06-29T09:00"}).json()["id"]
        bill = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于某某条例的决定（草案）", "kind": "bill"}).json()["id"]
        amend = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于该条例草案的修正案", "kind": "amendment", "amends": bill}).json()["id"]
        secret = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": SECRET, "kind": "appointment", "confidential": True}).json()["id"]
        for title, item in (("条例草案文本", bill), ("张某某同志考察材料", secret)):
            r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": title, "item": str(item), "publish": "1"},
                         files={"file": ("m.pdf", io.BytesIO(make_pdf(title)), "application/pdf")})
            assert r.status_code == 200
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        members = [tablet_client(demo_server, admin, n, member_pin(s)) for s, n in enumerate(MEMBERS[:8], start=1)]
        for m in members:
            assert m.post(f"/api/v1/meetings/{mid}/signin").status_code == 200

        console_ctx = new_context(viewport={"width": 1366, "height": 1000})
        console = console_ctx.new_page()
        console.goto(url + "/login")
        console.fill("#username", "secretary")
        console.fill("#password", "yishi-secretary")
        console.click("button.primary")
        console.goto(f"{url}/meetings/{mid}/console")
        screen = console_ctx.new_page()
        screen.goto(f"{url}/screen/{mid}")

        # The amendment sits below its bill: warned; one press of its up button and the warning goes.
        expect(console.locator("#warnings li")).to_have_count(1)
        expect(console.locator("#warnings li")).to_contain_text("修正案")
        console.locator(f'li[data-item="{amend}"] button.move-up').click()
        expect(console.locator("#warnings li")).to_have_count(0)
        assert order(sec, mid) == [amend, bill, secret]
        expect(console.locator("#agenda > li").first).to_have_attribute("data-item", str(amend))
        # Drag the confidential item onto the first one: it takes its place.
        console.locator(f'li[data-item="{secret}"]').drag_to(console.locator(f'li[data-item="{amend}"]'))
        expect(console.locator("#agenda > li").first).to_have_attribute("data-item", str(secret))
        assert order(sec, mid) == [secret, amend, bill]

        # The attendee's tablet: two items, one material, nothing of the confidential item.
        att_ctx = new_context()
        pair_context(att_ctx, demo_server, admin, "郭明", "222201")
        tablet = att_ctx.new_page()
        tablet.goto(f"{url}/meetings/{mid}")
        tablet.locator("#signin-meeting").click()
        tablet.locator("#signin-state").wait_for(state="visible")
        expect(tablet.locator("#materials li")).to_have_count(1)
        expect(tablet.locator("#materials")).to_contain_text("条例草案文本")
        r = att_ctx.request.get(f"{url}/api/v1/items/{secret}")
        assert r.status == 404 and r.json()["error"]["code"] == "no_item"

        # A vote on the confidential item: the big screen says only 人事事项 until the chair reveals it.
        row = console.locator(f'li[data-item="{secret}"]')
        row.locator("form.new-poll button").click()
        row.locator("div[data-poll] button.open-poll").click()
        expect(screen.locator("#current-item")).to_have_text("1. 人事事项")
        expect(screen.locator("#poll-title")).to_contain_text("人事事项")
        assert SECRET not in screen.content() and "张某某" not in screen.content()
        screen.screenshot(path=artifact_path("agenda-screen-confidential.png"))
        expect(tablet.locator("#ballot")).to_be_hidden()
        row.locator("button.reveal").click()
        expect(screen.locator("#current-item")).to_have_text("1. " + SECRET)
        assert SECRET not in tablet.content()
        row.locator("button.close-poll").click()
        confirm_dialog(console)
        expect(screen.locator("#result-title")).to_contain_text(SECRET)
        expect(console.locator(f'li[data-item="{secret}"] button.move-up')).to_be_disabled()

        # A named vote on the bill; once it closes, the console lists who voted what.
        row = console.locator(f'li[data-item="{bill}"]')
        row.locator("select[name=mode]").select_option("named")
        row.locator("form.new-poll button").click()
        row.locator("div[data-poll] button.open-poll").click()
        expect(row.locator("div[data-poll] button.close-poll")).to_be_visible()
        pid = next(p["id"] for p in sec.get(f"/api/v1/meetings/{mid}/console").json()["polls"] if p["item"] == bill)
        for n, m in enumerate(members):
            r = m.post(f"/api/v1/polls/{pid}/ballots", json={"choice": "no" if n == 2 else "yes", "ballot_id": f"{n + 1:032x}"})
            assert r.status_code == 200
        row.locator("button.close-poll").click()
        confirm_dialog(console)
        row.locator("button.show-named").click()
        names = row.locator("table.named-list tr")
        expect(names).to_have_count(8)
        expect(row.locator("table.named-list tr.choice-no")).to_contain_text(MEMBERS[2])
        console.screenshot(path=artifact_path("agenda-console.png"), full_page=True)
        for m in members:
            m.close()
