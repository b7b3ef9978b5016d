"""The big screen for the back row (issue 14) at 1920x1080 in real Chromium: attendance words that
tell 签到尚未开始 / 未签到 from 缺席, 法定人数 8 人; the verdict the largest text; counts in
>= 72 px digits; every bar bright against its track and the page; the rule beside the result;
a closed-meeting state; one main landmark. Screenshots: test-artifacts/screen-*.png."""

import pytest
from playwright.sync_api import expect

from appliance.demo import MEMBERS
from tests.browser.conftest import staff_clients
from tests.conftest import artifact_path

pytestmark = [pytest.mark.browser, pytest.mark.server]
PROJECTOR = {"width": 1920, "height": 1080}

SIZES = """() => {
  const px = e => parseFloat(getComputedStyle(e).fontSize);
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const texts = [...document.querySelectorAll('main *')].filter(e => shown(e) && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
  const verdict = document.getElementById('verdict');
  return {
    verdict: px(verdict),
    others: Math.max(...texts.filter(e => e !== verdict).map(px)),
    values: [...document.querySelectorAll('#result-bars .bar-value')].map(px),
    overflow: document.documentElement.scrollWidth > innerWidth,
    bottom: Math.max(...[...document.querySelectorAll('main > *')].filter(shown).map(e => e.getBoundingClientRect().bottom)),
  };
}"""

CONTRAST = """() => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const page = rgb(getComputedStyle(document.body).backgroundColor);
  return [...document.querySelectorAll('#result-bars .bar-row')].map(row => [row.className, ratio(rgb(getComputedStyle(row.querySelector('.bar-fill')).backgroundColor), page)]);
}"""


def test_the_big_screen_reads_from_the_back_row(demo_server, new_context):
    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区第十八届人大常委会第五次会议", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于区级预算调整方案的决议（草案）", "kind": "bill"}).json()["id"]
        ctx = new_context(viewport=PROJECTOR)
        ctx.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                         headers={"Origin": demo_server.url})
        screen = ctx.new_page()
        screen.goto(f"{demo_server.url}/screen/{mid}")
        assert screen.locator("main").count() == 1
        expect(screen.locator("#attendance")).to_have_text("应到 15 · 签到尚未开始 · 法定人数 8 人")
        assert ":" not in screen.locator("#clock").inner_text()[3:]  # hours and minutes, no seconds
        screen.screenshot(path=artifact_path("screen-before-sign-in.png"))

        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[:9]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        expect(screen.locator("#attendance")).to_contain_text("实到 9 · 请假 0 · 未签到 6")
        expect(screen.locator("#attendance")).to_contain_text("符合法定人数 · 法定人数 8 人")
        assert "缺席" not in screen.locator("#attendance").inner_text()

        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200
        expect(screen.locator("#poll-count")).to_contain_text("已表决 0 人")
        assert float(screen.locator("#poll-count").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 72
        screen.screenshot(path=artifact_path("screen-voting.png"))
        r = sec.post(f"/api/v1/polls/{poll}/show-of-hands", json={"yes": 5, "no": 3, "abstain": 1, "reason": "表决器故障"})
        assert r.status_code == 200, r.text
        expect(screen.locator("#verdict")).to_have_text("未通过")  # 5 of 15 is not a majority of the membership
        expect(screen.locator("#result-rule")).to_have_text("全体组成人员的过半数 · 需 8 票")
        sizes = screen.evaluate(SIZES)
        assert sizes["verdict"] > sizes["others"], sizes
        assert len(sizes["values"]) == 4 and min(sizes["values"]) >= 72, sizes
        assert not sizes["overflow"] and sizes["bottom"] <= PROJECTOR["height"], sizes
        for name, ratio in screen.evaluate(CONTRAST):
            assert ratio >= 3, (name, ratio)  # the 反对 bar (and every other) stands out on the page
        screen.screenshot(path=artifact_path("screen-result-failed.png"))

        assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
        expect(screen.locator("#closed")).to_contain_text("会议已结束")
        expect(screen.locator("#result")).to_be_hidden()
        expect(screen.locator("#attendance")).to_contain_text("缺席 6")
        screen.screenshot(path=artifact_path("screen-closed.png"))


def test_the_big_screen_with_large_type_in_english_passes_axe(demo_server, new_context):
    """大字 on the projector (the staff may leave it on): axe-core finds no critical or serious
    problem before sign-in, while voting, with a result and once closed; nothing runs off the
    screen; the result line is English in English."""
    from tests.browser.test_layout import axe

    with staff_clients(demo_server) as (admin, sec):
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区第十八届人大常委会第七次会议", "starts_at": "2026-06-29T09:00"}).json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于区级预算调整方案的决议（草案）", "kind": "bill"}).json()["id"]
        ctx = new_context(viewport=PROJECTOR)
        ctx.add_cookies([{"name": "large", "value": "1", "url": demo_server.url}, {"name": "lang", "value": "en", "url": demo_server.url}])
        ctx.request.post(demo_server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                         headers={"Origin": demo_server.url})
        screen = ctx.new_page()
        screen.goto(f"{demo_server.url}/screen/{mid}")
        expect(screen.locator("#attendance")).not_to_be_empty()
        problems = [f"before sign-in: {v}" for v in axe(screen)]

        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[:9]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        poll = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200
        expect(screen.locator("#poll-count")).to_be_visible()
        problems += [f"voting: {v}" for v in axe(screen)]
        screen.screenshot(path=artifact_path("screen-voting-large-en.png"))

        assert sec.post(f"/api/v1/polls/{poll}/show-of-hands", json={"yes": 9, "no": 0, "abstain": 0, "reason": "表决器故障"}).status_code == 200
        expect(screen.locator("#result-line")).to_have_text("Yes 9, No 0, Abstain 0, not voted 0 — 8 votes needed — Passed")
        screen.screenshot(path=artifact_path("screen-result-large-en.png"))
        sizes = screen.evaluate(SIZES)
        assert sizes["verdict"] > sizes["others"], sizes
        assert not sizes["overflow"] and sizes["bottom"] <= PROJECTOR["height"], sizes
        problems += [f"result: {v}" for v in axe(screen)]

        assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
        expect(screen.locator("#closed")).to_be_visible()
        problems += [f"closed: {v}" for v in axe(screen)]
        screen.screenshot(path=artifact_path("screen-closed-large-en.png"))
        assert not problems, "\n".join(problems)
