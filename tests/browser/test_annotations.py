"""Annotations (批注) on a real tablet browser: a pen stroke drawn with the pointer (a stylus with
pressure, through Chromium's own input), saved as it is written, there again after a reload
(drawn from the server: the tablet keeps nothing); carried and marked when staff replace the
document; gone when the meeting's materials are recalled; never on another member's page."""

import io
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.meetings.helpers import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.server]

WRITER, WRITER_PIN = "刘芳", "111104"
OTHER, OTHER_PIN = "张伟", "111103"

INK = """(n) => {
  const c = document.querySelector(`#viewer .page[data-page-number="${n}"] canvas.annot-ink`);
  if (!c) { return -1; }
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { inked++; } }
  return inked;
}"""


def wait_for(fn, timeout=20.0, what="a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def open_reader(page, url, version):
    page.goto(url)
    viewer = page.locator("#viewer")
    expect(viewer).to_have_attribute("data-rendered", str(version), timeout=20000)
    expect(page.locator("#reader-tools .annot-tool[data-tool=pen]")).to_be_visible(timeout=10000)
    expect(viewer.locator('.page[data-page-number="1"] canvas.annot-ink')).to_have_count(1, timeout=10000)
    return viewer


def pen_stroke(page, cdp, layer, points, pressure=0.8):
    """A stylus stroke through Chromium's input pipeline (trusted pointer events, pointerType pen)."""
    box = layer.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    base = {"button": "left", "pointerType": "pen", "clickCount": 1}
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": xy[0][0], "y": xy[0][1], "pointerType": "pen"})
    cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": xy[0][0], "y": xy[0][1], "force": pressure, **base})
    for x, y in xy[1:]:
        cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "force": pressure, "buttons": 1,
                                              "button": "left", "pointerType": "pen"})
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": xy[-1][0], "y": xy[-1][1], "force": 0, **base})


def test_draw_reload_replace_recall(demo_server, api, new_context):
    admin, sec = api
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "批注测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "财政预算报告", "publish": "1"},
                 files={"file": ("b.pdf", io.BytesIO(make_pdf("财政预算报告初稿", 2)), "application/pdf")})
    material = r.json()["id"]
    doc = next(m["document"] for m in sec.get(f"/api/v1/meetings/{mid}").json()["materials"] if m["id"] == material)
    url = f"{demo_server.url}/documents/{doc}"

    ctx = new_context()
    pair_context(ctx, demo_server, admin, WRITER, WRITER_PIN)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    viewer = open_reader(page, url, 1)
    assert page.evaluate(INK, 1) == 0
    # With no tool chosen the overlay lets the finger scroll; with the pen it takes the pointer.
    layer = viewer.locator('.page[data-page-number="1"] .annot-layer')
    assert layer.evaluate("e => getComputedStyle(e).pointerEvents") == "none"
    page.locator("#reader-tools .annot-tool[data-tool=pen]").click()
    assert layer.evaluate("e => [getComputedStyle(e).pointerEvents, getComputedStyle(e).touchAction]") == ["auto", "none"]
    page.locator('#annot-palette .annot-swatch[data-colour="red"]').click()
    cdp = ctx.new_cdp_session(page)
    pen_stroke(page, cdp, layer, [(0.2, 0.2), (0.3, 0.25), (0.4, 0.3), (0.5, 0.32), (0.6, 0.3)], pressure=0.8)

    def mine():
        return ctx.request.get(f"{demo_server.url}/api/v1/documents/{doc}/annotations").json()["annotations"]

    saved = wait_for(mine, what="the stroke to be saved")
    assert len(saved) == 1
    s = saved[0]
    assert (s["kind"], s["colour"], s["page"], s["written_on"]) == ("pen", "red", 1, 1)
    assert 0.15 < s["points"][0][0] < 0.25 and 0.15 < s["points"][0][1] < 0.25
    assert 0.55 < s["points"][-1][0] < 0.65
    assert any(abs(p[2] - 0.8) < 0.05 for p in s["points"]), s["points"]  # the stylus's pressure
    assert page.evaluate(INK, 1) > 50
    # A note, shared with the meeting, through the note tool.
    page.locator("#reader-tools .annot-tool[data-tool=note]").click()
    box = layer.bounding_box()  # page 1 is taller than the screen: a point in its visible top
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.3)
    expect(page.locator("#annot-editor")).to_be_visible()
    page.locator("#annot-text").fill("请核对第一页的合计数")
    page.locator("#annot-share").check()
    page.locator("#annot-save").click()
    expect(page.locator("#annot-editor")).to_have_count(0)
    expect(viewer.locator(".annot-note")).to_have_count(1)
    wait_for(lambda: len(mine()) == 2, what="the note to be saved")
    # Nothing of it is kept in the tablet's storage.
    assert page.evaluate("() => [localStorage.length, Object.keys(sessionStorage).filter(k => !k.startsWith('reader-page:')).length]") == [0, 0]

    # Reload: the overlay draws them again, from the server.
    page.reload()
    open_reader(page, url, 1)
    expect(viewer).to_have_attribute("data-annotations", "2")
    wait_for(lambda: page.evaluate(INK, 1) > 50, what="the stroke after the reload")
    expect(viewer.locator(".annot-note")).to_contain_text("请核对第一页的合计数")
    page.screenshot(path=artifact_path("annotations-v1.png"))

    # Another member: the shared note, nothing of the private stroke.
    other_ctx = new_context()
    pair_context(other_ctx, demo_server, admin, OTHER, OTHER_PIN)
    other = other_ctx.new_page()
    other_viewer = open_reader(other, url, 1)
    expect(other_viewer.locator(".annot-note")).to_have_count(1)
    expect(other_viewer.locator(".annot-note")).to_contain_text(WRITER)
    time.sleep(0.5)  # a stroke would have been drawn with the list; give it every chance to show
    assert other.evaluate(INK, 1) == 0

    # Staff replace the document: the stroke and the note come along, marked as written on version 1.
    r = sec.post(f"/api/v1/materials/{material}/replace", data={"note": "更正"},
                 files={"file": ("b2.pdf", io.BytesIO(make_pdf("财政预算报告修正稿", 3)), "application/pdf")})
    assert r.json()["version"] == 2
    expect(viewer).to_have_attribute("data-rendered", "2", timeout=20000)
    expect(viewer.locator('.page[data-page-number="1"] .annot-version')).to_have_text("写于第 1 版", timeout=10000)
    expect(viewer.locator(".annot-note")).to_contain_text("写于第 1 版")
    wait_for(lambda: page.evaluate(INK, 1) > 50, what="the carried stroke")
    assert {a["written_on"] for a in mine()} == {1}
    page.screenshot(path=artifact_path("annotations-v2-carried.png"))

    # The meeting closes: the materials are recalled and the annotations with them.
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    assert sec.post(f"/api/v1/meetings/{mid}/close").json()["recalled"] == [doc]
    page.wait_for_url(f"{demo_server.url}/", timeout=10000)
    assert ctx.request.get(f"{demo_server.url}/api/v1/annotations/{s['id']}").status == 404
    assert ctx.request.get(f"{demo_server.url}/api/v1/documents/{doc}/annotations").status == 403
    # Staff, who still read the recalled document, see no annotation of the member's.
    staff_view = sec.get(f"/api/v1/documents/{doc}/annotations").json()
    assert staff_view["annotations"] == []
    assert not [e for e in errors if "Content Security Policy" in e or "annot" in e.lower()], errors


def finger(cdp, points):
    """A one-finger swipe through Chromium's touch input."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        time.sleep(0.02)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_finger_scrolls_when_reading_and_writes_with_the_pen(demo_server, api, new_context):
    admin, sec = api
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "手指批注", "starts_at": "2026-06-29T09:00"}).json()["id"]
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "审议材料", "publish": "1"},
                 files={"file": ("c.pdf", io.BytesIO(make_pdf("审议材料", 3)), "application/pdf")})
    doc = next(m["document"] for m in sec.get(f"/api/v1/meetings/{mid}").json()["materials"] if m["id"] == r.json()["id"])
    ctx = new_context(has_touch=True)
    pair_context(ctx, demo_server, admin, "陈静", "111105")
    page = ctx.new_page()
    viewer = open_reader(page, f"{demo_server.url}/documents/{doc}", 1)
    cdp = ctx.new_cdp_session(page)
    layer = viewer.locator('.page[data-page-number="1"] .annot-layer')
    box = layer.bounding_box()
    x = box["x"] + box["width"] * 0.5
    swipe = [(x, 650 - i * 40) for i in range(10)]  # upwards: the pages move up
    container = page.locator("#viewer-container")
    finger(cdp, swipe)
    wait_for(lambda: container.evaluate("e => e.scrollTop") > 100, what="the finger to scroll the pages")
    assert page.evaluate(INK, 1) == 0
    # back to the top once the fling has run out (set again until it stays)
    wait_for(lambda: container.evaluate("e => { e.scrollTop = 0; return new Promise(r => setTimeout(() => r(e.scrollTop === 0), 300)); }"),
             what="back at the top")
    page.locator("#reader-tools .annot-tool[data-tool=pen]").tap()
    expect(page.locator("#reader-tools .annot-tool[data-tool=pen]")).to_have_attribute("aria-pressed", "true")
    finger(cdp, swipe)
    saved = wait_for(lambda: ctx.request.get(f"{demo_server.url}/api/v1/documents/{doc}/annotations").json()["annotations"],
                     what="the finger's stroke")
    assert container.evaluate("e => e.scrollTop") == 0  # the pen wrote instead of scrolling
    assert saved[0]["kind"] == "pen" and len(saved[0]["points"]) >= 5
    assert all(len(p) == 3 and p[2] == 0.5 for p in saved[0]["points"])  # a finger has no pressure: the default
    wait_for(lambda: page.evaluate(INK, 1) > 50, what="the stroke on the page")
    # Zoom: the page re-renders, the overlay with it.
    zoom = page.locator("#zoom-value").inner_text()
    page.locator("#zoom-in").click()
    wait_for(lambda: page.locator("#zoom-value").inner_text() != zoom, what="the zoom to change")
    wait_for(lambda: layer.bounding_box()["width"] > box["width"] * 1.05, what="the page to grow")
    wait_for(lambda: page.evaluate(INK, 1) > 50, what="the stroke after zooming")
    # The eraser: a tap on the stroke deletes it.
    page.locator("#reader-tools .annot-tool[data-tool=eraser]").click()
    expect(page.locator("#reader-tools .annot-tool[data-tool=eraser]")).to_have_attribute("aria-pressed", "true")
    p = saved[0]["points"][len(saved[0]["points"]) // 2]

    def tap_on_stroke():
        zb = layer.bounding_box()
        y = zb["y"] + p[1] * zb["height"]
        container.evaluate("(e, dy) => { e.scrollTop += dy; }", y - 400)  # the point in the middle of the screen
        page.wait_for_timeout(300)
        zb = layer.bounding_box()
        tx, ty = zb["x"] + p[0] * zb["width"], zb["y"] + p[1] * zb["height"]
        page.touchscreen.tap(tx, ty)
        page.wait_for_timeout(700)
        return ctx.request.get(f"{demo_server.url}/api/v1/documents/{doc}/annotations").json()["annotations"] == []

    wait_for(tap_on_stroke, what="the eraser to delete the stroke")
    wait_for(lambda: page.evaluate(INK, 1) == 0, what="the stroke gone from the page")
