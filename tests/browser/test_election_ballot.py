"""An election ballot on a phone-sized tablet (390x844): the tablet refuses the (S+1)-th yes mark
with a visible message, a write-in is chosen from the roll of eligible people, and the ballot is
acknowledged and then found in the published list; the console offers the next round."""

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients, submit_ballot
from tests.browser.test_meeting_day import pair_context

pytestmark = [pytest.mark.browser, pytest.mark.server]
PHONE = {"width": 390, "height": 844}


def test_election_ballot_seat_cap_and_write_in_on_a_phone(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "补选测试会议", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "补选区人大常委会委员", "kind": "other"}).json()["id"]
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        voter, writein = MEMBERS[0], MEMBERS[5]
        candidates = MEMBERS[12:15]
        r = sec.post(f"/api/v1/items/{item}/polls", json={"kind": "election", "seats": 2, "by_election": True,
                                                          "lines": [{"person": people[c]} for c in candidates]})
        assert r.status_code == 200, r.text
        poll = r.json()["id"]
        ctx = new_context(viewport=PHONE)
        pair_context(ctx, demo_server, admin, voter, member_pin(1))
        page = ctx.new_page()
        page.goto(f"{demo_server.url}/meetings/{mid}")
        expect(page.locator("#attendance")).not_to_be_empty()  # loaded after the live stream said hello
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        page.locator("#signin-meeting").click()
        page.locator("#signin-state").wait_for(state="visible")
        for name in MEMBERS[1:8]:  # quorum: 8 of 15
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200

        page.locator("#sheet").wait_for(state="visible")
        lines = page.locator("#sheet .sheet-line[data-line]")
        expect(lines).to_have_count(3)
        keys = [lines.nth(i).get_attribute("data-line") for i in range(3)]

        def mark(key, choice):
            page.locator(f'#sheet .sheet-line[data-line="{key}"] .choice[data-mark="{choice}"]').click()

        def selected(key, choice):
            return page.locator(f'#sheet .sheet-line[data-line="{key}"] .choice[data-mark="{choice}"]')

        mark(keys[0], "yes")
        mark(keys[1], "yes")
        expect(page.locator("#sheet-cap")).to_contain_text("2")
        mark(keys[2], "yes")  # the third yes for two seats: refused on the tablet
        expect(page.locator("#sheet-message")).to_be_visible()
        expect(page.locator("#sheet-message")).to_contain_text("最多只能对 2 人投赞成票")
        expect(selected(keys[2], "yes")).not_to_have_class("selected")
        assert page.evaluate("document.querySelector('#sheet-message').getBoundingClientRect().width") <= PHONE["width"]
        # a write-in counts as a yes too: refused while two yes marks stand
        page.locator("#writein-person").select_option(label=writein)
        page.locator("#writein-add").click()
        expect(page.locator("#sheet-message")).to_contain_text("最多只能对 2 人投赞成票")
        expect(page.locator(".sheet-line.writein")).to_have_count(0)
        # change the second candidate to No, then write in someone from the roll instead
        mark(keys[1], "no")
        expect(selected(keys[1], "no")).to_have_class("choice small no selected")
        page.locator("#writein-person").select_option(label=writein)
        page.locator("#writein-add").click()
        expect(page.locator(f'.sheet-line.writein[data-person="{people[writein]}"]')).to_be_visible()
        expect(page.locator("#sheet-cap")).to_contain_text("2")
        options = page.locator("#writein-person option").all_inner_texts()
        assert not set(candidates) & set(options) and writein not in options  # the roll: members, not the candidates
        expect(page.locator("#submit-ballot")).to_be_enabled()
        submit_ballot(page)
        expect(page.locator("#ballot-status")).to_contain_text("已提交")

        r = sec.post(f"/api/v1/polls/{poll}/close")
        assert r.status_code == 200, r.text
        tallies = {t["name"]: t for t in r.json()["outcome"]["tallies"]}
        assert tallies[writein]["written_in"] and tallies[writein]["yes"] == 1
        assert (tallies[candidates[0]]["yes"], tallies[candidates[1]]["no"], tallies[candidates[2]]["abstain"]) == (1, 1, 1)
        expect(page.locator("#result-line")).to_contain_text("当选：无")
        expect(page.locator("#result-line")).to_contain_text("尚缺 2 名，须另行选举")
        expect(page.locator("#tracker-list li.mine")).to_have_count(1)

        # the console offers the further round, one click
        cons = new_context()
        cons.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                          headers={"Origin": demo_server.url})
        screen = cons.new_page()
        screen.goto(f"{demo_server.url}/screen/{mid}")
        expect(screen.locator("#result-line")).to_contain_text("尚缺 2 名，须另行选举")
        expect(screen.locator("#result-bars .sheet-bar")).to_have_count(4)  # three candidates and the write-in
        expect(screen.locator("#result-bars")).to_contain_text(writein)
        cpage = cons.new_page()
        cpage.goto(f"{demo_server.url}/meetings/{mid}/console")
        button = cpage.locator(f'.next-round[data-poll="{poll}"]')
        expect(button).to_contain_text("另行选举")
        button.click()
        expect(cpage.locator(".poll[data-poll]")).to_have_count(2)
        polls = sec.get(f"/api/v1/meetings/{mid}").json()["polls"]
        assert [(p["round"], p["round_kind"], p["seats"]) for p in polls] == [(1, "first", 2), (2, "further", 2)]
        # and adds an election from its form: kind, seats, one candidate per line
        form = cpage.locator(f'form.new-sheet[data-item="{item}"]')
        cpage.locator(f'li[data-item="{item}"] details.vote-again > summary').click()  # the item was voted: its controls are folded
        cpage.locator(f'li[data-item="{item}"] details.sheet-form summary').click()
        form.locator('select[name="kind"]').select_option("election")
        form.locator('input[name="seats"]').fill("1")
        form.locator('textarea[name="lines"]').fill("甲某\n乙某")
        form.locator("button").click()
        expect(cpage.locator(".poll[data-poll]")).to_have_count(3)
        added = sec.get(f"/api/v1/meetings/{mid}").json()["polls"][-1]
        assert (added["kind"], added["seats"], [x["name"] for x in added["lines"]]) == ("election", 1, ["甲某", "乙某"])


def test_assessment_and_appointment_sheets_on_a_phone(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "测评与任免", "starts_at": "2026-06-29T09:00"}).json()["id"]
        report = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "对区法院工作报告的满意度测评", "kind": "report"}).json()["id"]
        appoint = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "人事任免", "kind": "appointment"}).json()["id"]
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        ctx = new_context(viewport=PHONE)
        pair_context(ctx, demo_server, admin, MEMBERS[1], member_pin(2))
        page = ctx.new_page()
        page.goto(f"{demo_server.url}/meetings/{mid}")
        expect(page.locator("#attendance")).not_to_be_empty()  # loaded after the live stream said hello
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        page.locator("#signin-meeting").click()
        page.locator("#signin-state").wait_for(state="visible")
        for name in MEMBERS[2:9]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200

        pa = sec.post(f"/api/v1/items/{report}/polls", json={"kind": "assessment"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{pa}/open", json={}).status_code == 200
        page.locator("#sheet").wait_for(state="visible")
        expect(page.locator('#ballot > .choices')).to_be_hidden()  # no 赞成/反对/弃权 on an assessment
        expect(page.locator("#submit-ballot")).to_be_disabled()
        page.locator('.choice[data-assess="basically"]').click()
        submit_ballot(page)
        expect(page.locator("#ballot-status")).to_contain_text("已提交")
        r = sec.post(f"/api/v1/polls/{pa}/close").json()
        assert r["outcome"]["basically"] == 1
        expect(page.locator("#result-line")).to_contain_text("基本满意 1（6.7%）")
        expect(page.locator("#result-bars .sheet-bar")).to_have_count(5)

        pn = sec.post(f"/api/v1/items/{appoint}/polls", json={"kind": "appointment", "lines": [
            {"name": "张某某", "post": "区财政局局长"}, {"name": "李某某", "post": "区教育局局长"}]}).json()["id"]
        assert sec.post(f"/api/v1/polls/{pn}/open", json={}).status_code == 200
        lines = page.locator("#sheet .sheet-line[data-line]")
        expect(lines).to_have_count(2)
        expect(lines.first).to_contain_text("区财政局局长")
        lines.nth(0).locator('.choice[data-mark="yes"]').click()
        expect(page.locator("#submit-ballot")).to_be_disabled()  # every nominee needs a mark
        lines.nth(1).locator('.choice[data-mark="no"]').click()
        submit_ballot(page)
        expect(page.locator("#ballot-status")).to_contain_text("已提交")
        expect(lines.nth(0).locator('.choice[data-mark="no"]')).to_be_disabled()
        r = sec.post(f"/api/v1/polls/{pn}/close").json()
        assert [(n["yes"], n["no"]) for n in r["outcome"]["nominees"]] == [(1, 0), (0, 1)]
        expect(page.locator("#result-line")).to_contain_text("任命 张某某 为区财政局局长：赞成 1")
