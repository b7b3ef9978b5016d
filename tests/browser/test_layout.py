"""The meeting day and the main office pages as a committee meets them (issue 14), in real
Chromium at 390x844 (phone), 800x1280 and 1280x800 (tablet), with and without 大字: every
interactive element at least 48x48 CSS px and 8 px from its neighbour, no sideways overflow,
the ballot complete without scrolling when a poll opens, and axe-core (tests/browser/vendor,
never served) with no critical or serious violation. Screenshots: test-artifacts/layout-*.png."""

import os
import time

import httpx
import pytest

from appliance.demo import MEMBERS, member_pin
from tests.browser.conftest import staff_clients
from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.office.helpers import chinese_pdf, file_json

pytestmark = [pytest.mark.browser, pytest.mark.server]
AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "portrait": {"width": 800, "height": 1280}, "landscape": {"width": 1280, "height": 800}}

# Tap targets: the element a finger hits (a label for its checkbox or radio), visible, not an
# inline link inside running text (WCAG 2.5.8 exempts those), and not disabled.
TARGETS = """() => {
  const folded = e => { for (let d = e.closest('details:not([open])'); d; d = d.parentElement && d.parentElement.closest('details:not([open])')) {
      if (!(d.querySelector(':scope > summary') || document.body).contains(e)) return true; } return false; };  // inside a closed <details>
  const shown = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('[hidden], dialog:not([open])') && !folded(e); };
  const nodes = new Set();
  document.querySelectorAll('a[href], button, input, select, textarea, summary, [role=button]').forEach(e => {
    if (e.type === 'hidden' || e.disabled || !shown(e)) return;
    if ((e.type === 'checkbox' || e.type === 'radio' || e.type === 'file') && e.closest('label')) { nodes.add(e.closest('label')); return; }
    if (e.tagName === 'A' && e.closest('p, td.text, .office-para-text, .office-excerpt') && !e.classList.contains('button')) return;
    nodes.add(e);
  });
  const list = [...nodes].filter(e => ![...nodes].some(o => o !== e && o.contains(e) && o.tagName === 'LABEL'));
  const name = e => (e.id ? '#' + e.id : e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')) + ' "' + (e.textContent || e.value || e.placeholder || '').trim().slice(0, 20) + '"';
  const small = [], close = [];
  const rects = list.map(e => e.getBoundingClientRect());
  list.forEach((e, i) => { const r = rects[i]; if (r.width < 47.5 || r.height < 47.5) small.push(name(e) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height)); });
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) {
    const a = rects[i], b = rects[j];
    if (list[i].contains(list[j]) || list[j].contains(list[i])) continue;
    const dx = Math.max(0, b.left - a.right, a.left - b.right), dy = Math.max(0, b.top - a.bottom, a.top - b.bottom);
    if (Math.hypot(dx, dy) < 7.5) close.push(name(list[i]) + ' / ' + name(list[j]) + ' ' + Math.round(Math.hypot(dx, dy)) + 'px');
  }
  const wide = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 && shown(e)).slice(0, 3).map(name);
  return { small, close, overflow: document.documentElement.scrollWidth - innerWidth, wide };
}"""


def axe(page):
    with open(AXE, encoding="utf-8") as f:  # evaluated by the driver: the page's CSP stays as it is
        page.evaluate(f.read() + "\n;0")
    found = page.evaluate("""async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
        .filter(v => v.impact === 'critical' || v.impact === 'serious')
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""")
    return found


@pytest.fixture(scope="module")
def day(demo_server):
    """A meeting in session with a vote open, and in the office a circulation, a draft for comment
    and a document in sign-off, each to the member and the staff."""
    with staff_clients(demo_server) as (admin, sec), \
            httpx.Client(base_url=demo_server.url, headers={"Origin": demo_server.url}, verify=False, timeout=30) as staff:
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "区第十八届人大常委会第六次会议", "starts_at": "2026-06-29T09:00"}).json()["id"]
        items = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": t, "kind": "bill"}).json()["id"]
                 for t in ("关于修改人事任免办法等制度的决定（草案）", "关于区级预算调整方案的决议（草案）")]
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        people = {p["name"]: p["id"] for p in admin.get("/api/v1/admin/people").json()["people"]}
        for name in MEMBERS[1:9]:
            assert sec.post(f"/api/v1/meetings/{mid}/people/{people[name]}/signin", json={"reason": "代签"}).status_code == 200
        poll = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "secret"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200
        assert staff.post("/api/v1/login", json={"username": "staff", "password": "yishi-staff"}).status_code == 200
        to = [people[MEMBERS[0]], people["罗佳"]]
        pdf = file_json("通知.pdf", chinese_pdf("关于召开区人大常委会第六次会议的通知"))
        r = staff.post("/api/v1/office/circulations", json={"title": "关于召开区人大常委会第六次会议的通知", "note": "请各位委员阅示。",
                                                             "recipients": to, "file": pdf})
        assert r.status_code == 201, r.text
        circulation = r.json()["circulation"]["id"]
        deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
        r = staff.post("/api/v1/office/consultations", json={
            "title": "常委会会议文件无纸化管理办法（征求意见稿）", "deadline": deadline, "recipients": to,
            "text": "第一条 为规范会议文件管理，提高议事效率，制定本办法。\n第二条 会议文件通过议事系统分发，纸质文件另行印发。\n第三条 本办法自印发之日起施行。"})
        assert r.status_code == 201, r.text
        consultation = r.json()["consultation"]["id"]
        r = staff.post("/api/v1/office/outgoing", json={"title": "关于召开区人大常委会第六次会议的通知", "kind": "chang", "file": pdf,
                                                        "distribution": to})
        assert r.status_code == 201, r.text
        outgoing = r.json()["outgoing"]["id"]
        yield {"meeting": mid, "admin": admin, "sec": sec, "people": people, "circulation": circulation,
               "consultation": consultation, "outgoing": outgoing}


def _login(ctx, server, user, password):
    assert ctx.request.post(server.url + "/api/v1/login", data={"username": user, "password": password}, headers={"Origin": server.url}).ok


PAGES = [  # (name, who, path)
    ("tablet-ballot", "member", "/meetings/{mid}"),
    ("console", "secretary", "/meetings/{mid}/console"),
    ("meetings", "secretary", "/meetings"),
    ("home", "secretary", "/"),
    ("office-inbox", "staff", "/office/"),
    ("office-circulations", "staff", "/office/circulations"),
    ("office-archive", "staff", "/office/archive"),
    # the office's detail pages, as the member answering and as the staff handling (the member
    # comments first, so the staff page has a comment to respond to)
    ("office-consultation-member", "member", "/office/consultations/{consultation}"),
    ("office-consultation", "staff", "/office/consultations/{consultation}"),
    ("office-circulation-member", "member", "/office/circulations/{circulation}"),
    ("office-circulation", "staff", "/office/circulations/{circulation}"),
    ("office-outgoing", "staff", "/office/outgoing/{outgoing}"),
    ("admin-devices", "admin", "/admin/devices"),
    ("admin-people", "admin", "/admin/people"),
    ("admin-audit", "admin", "/admin/audit"),
]
USERS = {"secretary": ("secretary", "yishi-secretary"), "staff": ("staff", "yishi-staff"), "admin": ("admin", "yishi-admin")}


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_pages_fit_a_finger_and_the_screen(demo_server, new_context, day, size, large):
    contexts = {}

    def context(who):
        if who not in contexts:
            ctx = new_context(viewport=VIEWPORTS[size])
            if large:
                ctx.add_cookies([{"name": "large", "value": "1", "url": demo_server.url}])
            if who == "member":
                pair_context(ctx, demo_server, day["admin"], MEMBERS[0], member_pin(1))
                # MEMBERS[0] signs in on the tablet itself (the others were signed in by the staff)
                assert ctx.request.post(f"{demo_server.url}/api/v1/meetings/{day['meeting']}/signin", headers={"Origin": demo_server.url}).ok
            else:
                _login(ctx, demo_server, *USERS[who])
            contexts[who] = ctx
        return contexts[who]

    problems = []
    for name, who, path in PAGES:
        page = context(who).new_page()
        page.goto(demo_server.url + path.format(mid=day["meeting"], **day))
        page.wait_for_load_state("networkidle")
        if name == "tablet-ballot":
            page.locator("#ballot.sheet-open").wait_for()
        if name == "console":
            page.locator("#agenda li").first.wait_for()
        found = page.evaluate(TARGETS)
        tag = f"{name} {size}{' 大字' if large else ''}"
        if found["overflow"] > 0:
            problems.append(f"{tag}: {found['overflow']} px sideways overflow ({', '.join(found['wide'])})")
        problems += [f"{tag}: small {s}" for s in found["small"]]
        problems += [f"{tag}: too close {s}" for s in found["close"]]
        if size == "phone" or not large:
            problems += [f"{tag}: axe {v}" for v in axe(page)]
        page.screenshot(path=artifact_path(f"layout-{name}-{size}{'-large' if large else ''}.png"), full_page=True)
        page.close()
        if name == "office-consultation-member" and not day.get("commented"):
            r = context(who).request.post(f"{demo_server.url}/api/v1/office/consultations/{day['consultation']}/comments",
                                          data={"body": "建议明确涉密文件除外，并写明具体施行日期。", "paragraph": 2},
                                          headers={"Origin": demo_server.url})
            assert r.status == 201, r.text()
            day["commented"] = True
    assert not problems, "\n".join(problems)


def test_the_shared_confirm_step_guards_a_plain_form(demo_server, new_context, day):
    """confirm.js on a plain form (退出登录 in the header): 取消 leaves everything as it was, the
    action's own button goes ahead once."""
    from playwright.sync_api import expect

    ctx = new_context(viewport=VIEWPORTS["phone"])
    _login(ctx, demo_server, *USERS["secretary"])
    page = ctx.new_page()
    page.goto(demo_server.url + "/meetings")
    page.locator("form.sign-out button").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("再次登录时需要输入 PIN 码或密码")
    page.screenshot(path=artifact_path("confirm-sign-out-phone.png"))
    dialog.locator("button.cancel").click()
    expect(dialog).to_be_hidden()
    assert page.url.endswith("/meetings") and ctx.request.get(demo_server.url + "/api/v1/meetings").ok  # still signed in
    page.locator("form.sign-out button").click()
    dialog.locator("button.ok").click()
    page.wait_for_load_state()
    assert ctx.request.get(demo_server.url + "/api/v1/meetings").status == 401
