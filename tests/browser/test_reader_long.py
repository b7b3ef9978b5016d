"""The reader on long documents, in Chromium: pages rendered as they come into view and dropped
again (memory bounded on 40 pages at pixel ratio 2), zoom, page jump, 大字, the title on a phone,
and HTTP Range (the first page of a 20 MB PDF does not wait for the whole file)."""

import io
import json

import pytest
from playwright.sync_api import expect

from tests.conftest import artifact_path
from tests.documents import pdfs

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE = {"width": 390, "height": 844}


def _material(sec, title, data, meeting_title="阅读长文件"):
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": meeting_title, "starts_at": "2026-06-29T09:00"}).json()["id"]
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": title, "publish": "1"},
                 files={"file": ("doc.pdf", io.BytesIO(data), "application/pdf")})
    assert r.status_code == 200, r.text
    return mid, sec.get(f"/api/v1/meetings/{mid}").json()["materials"][-1]["document"]


def _reader(new_context, server, **kw):
    ctx = new_context(**kw)
    r = ctx.request.post(server.url + "/api/v1/login", data={"username": "secretary", "password": "yishi-secretary"},
                         headers={"Origin": server.url})
    assert r.ok
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


# pdf.js's page canvases; the annotation layer's ink canvas (annotate.js) lives and goes with them
CANVASES = """() => [...document.querySelectorAll('#viewer canvas:not(.annot-ink)')].filter(c => c.width > 0 && c.height > 0)
  .map(c => { const n = Number(c.closest('.page').dataset.pageNumber);
    const done = window.YishiReader.viewer.getPageView(n - 1).renderingState === 3;  // FINISHED; else still drawing
    return { page: n, w: c.width, h: c.height, mark: c.dataset.watermarked === '1' || !done }; })"""


def test_forty_pages_render_lazily_with_bounded_memory(demo_server, api, new_context):
    _, sec = api
    _, doc = _material(sec, "四十页的报告", pdfs.long_document(40))
    ctx, page, errors = _reader(new_context, demo_server, device_scale_factor=2)
    page.goto(f"{demo_server.url}/documents/{doc}")
    viewer = page.locator("#viewer")
    expect(viewer).to_have_attribute("data-rendered", "1", timeout=20000)
    expect(viewer.locator(".page[data-page-number]")).to_have_count(40)
    expect(page.locator("#page-count")).to_have_text("共 40 页")
    expect(page.locator("#reader-progress")).to_be_hidden()
    page.wait_for_function("() => document.querySelector('#viewer .page[data-page-number=\"1\"] canvas')")
    first = page.evaluate(CANVASES)
    assert 1 <= len(first) <= 3, first  # the visible page (and the one pdf.js renders ahead), not 40
    assert all(c["mark"] for c in first), first
    assert first[0]["w"] > 2000, first  # rendered at the pixel ratio: 2 × the page's CSS width

    # Scroll through the whole document: the number of live canvases never grows with it.
    alive_max, pixels_max, seen, ink_max = 0, 0, set(), 0
    height = page.evaluate("document.getElementById('viewer-container').scrollHeight")
    step = page.evaluate("document.getElementById('viewer-container').clientHeight")
    for top in range(0, height, step):
        page.evaluate(f"document.getElementById('viewer-container').scrollTop = {top}")
        page.wait_for_timeout(120)
        alive = page.evaluate(CANVASES)
        seen.update(c["page"] for c in alive)
        assert all(c["mark"] for c in alive), alive
        alive_max = max(alive_max, len(alive))
        ink_max = max(ink_max, page.evaluate("document.querySelectorAll('#viewer canvas.annot-ink').length"))
        pixels_max = max(pixels_max, sum(c["w"] * c["h"] for c in alive))
    page.wait_for_function("() => document.querySelector('#viewer .page[data-page-number=\"40\"] canvas')", timeout=15000)
    assert 40 in seen or page.evaluate(CANVASES)[-1]["page"] == 40
    assert len(seen) >= 30, sorted(seen)  # pages were rendered as they came into view
    # pdf.js alone keeps up to 10 pages; the reader drops the far ones sooner: visible + 3 (seen: 5-6,
    # the visible ones being 1-3 while scrolling), bounded here below pdf.js's own 10.
    assert alive_max <= 8, alive_max
    assert ink_max <= 8, ink_max  # the annotation layers go with their pages
    per_page = first[0]["w"] * first[0]["h"]
    figures = {"pages": 40, "pixel_ratio": 2, "canvases_alive_max": alive_max, "canvases_before": 40,
               "canvas_mb_alive_max": round(pixels_max * 4 / 2**20, 1), "canvas_mb_all_pages": round(40 * per_page * 4 / 2**20, 1),
               "ratio_alive_to_all": round(pixels_max / (40 * per_page), 3)}
    print("reader memory:", figures)
    with open(artifact_path("reader-memory.json"), "w") as f:
        json.dump(figures, f, indent=1)
    page.screenshot(path=artifact_path("reader-long-end.png"))
    assert not [e for e in errors if "Content Security Policy" in e or "Error" in e], errors


def test_zoom_page_jump_and_fit_width(demo_server, api, new_context):
    _, sec = api
    _, doc = _material(sec, "缩放与跳页", pdfs.long_document(20))
    ctx, page, errors = _reader(new_context, demo_server)
    page.goto(f"{demo_server.url}/documents/{doc}")
    expect(page.locator("#viewer")).to_have_attribute("data-rendered", "1", timeout=20000)
    width = lambda: page.evaluate("document.querySelector('#viewer .page').getBoundingClientRect().width")  # noqa: E731
    fit = width()
    container = page.evaluate("document.getElementById('viewer-container').clientWidth")
    assert container * 0.85 < fit <= container, (fit, container)  # fit to width at first
    zoom = page.locator("#zoom-value").inner_text()
    page.click("#zoom-in")
    expect(page.locator("#zoom-value")).not_to_have_text(zoom)
    page.wait_for_function(f"() => document.querySelector('#viewer .page').getBoundingClientRect().width > {fit * 1.05}")
    page.click("#zoom-out")
    page.click("#zoom-out")
    page.wait_for_function(f"() => document.querySelector('#viewer .page').getBoundingClientRect().width < {fit * 0.97}")
    page.click("#fit-width")
    page.wait_for_function(f"() => Math.abs(document.querySelector('#viewer .page').getBoundingClientRect().width - {fit}) < 2")

    # Jump to page 17: it is on screen, rendered with its watermark, and the number shows it.
    page.fill("#page-number", "17")
    page.press("#page-number", "Enter")
    page.wait_for_function("() => document.querySelector('#viewer .page[data-page-number=\"17\"] canvas[data-watermarked=\"1\"]')")
    top = page.evaluate("document.querySelector('#viewer .page[data-page-number=\"17\"]').getBoundingClientRect().top"
                        " - document.getElementById('viewer-container').getBoundingClientRect().top")
    assert -20 < top < 40, top
    expect(page.locator("#page-number")).to_have_value("17")
    page.click("#page-next")
    expect(page.locator("#page-number")).to_have_value("18")
    # Beyond the end, or not a number: the reader stays within the document.
    page.fill("#page-number", "999")
    page.press("#page-number", "Enter")
    expect(page.locator("#page-number")).to_have_value("20")
    page.fill("#page-number", "0")
    page.press("#page-number", "Enter")
    expect(page.locator("#page-number")).to_have_value("1")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_large_type_zooms_the_document_and_the_title_holds_on_a_phone(demo_server, api, new_context):
    _, sec = api
    _, doc = _material(sec, "关于二〇二六年区级财政预算执行情况和二〇二七年预算草案的审查报告", pdfs.long_document(3))
    widths = {}
    for large in (False, True):
        ctx, page, errors = _reader(new_context, demo_server, viewport=PHONE)
        if large:
            ctx.add_cookies([{"name": "large", "value": "1", "url": demo_server.url}])
        page.goto(f"{demo_server.url}/documents/{doc}")
        expect(page.locator("#viewer")).to_have_attribute("data-rendered", "1", timeout=20000)
        widths[large] = page.evaluate("document.querySelector('#viewer .page').getBoundingClientRect().width")
        title = page.locator("h1.reader-title").bounding_box()
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1.reader-title')).fontSize)")
        assert title["width"] > 8 * font, (title, font)  # not one character per line
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        page.screenshot(path=artifact_path(f"reader-phone{'-large' if large else ''}.png"))
        assert not [e for e in errors if "Content Security Policy" in e], errors
    assert widths[True] > widths[False] * 1.4, widths  # 大字 enlarges the page itself, not only the toolbar


def test_first_page_of_a_20_mb_pdf_does_not_wait_for_all_of_it(demo_server, api, new_context):
    _, sec = api
    data = pdfs.heavy(20)
    _, doc = _material(sec, "二十兆的文件", data)
    ctx, page, errors = _reader(new_context, demo_server)
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    requests, received, offsets = {}, [], []

    def sent(ev):
        requests[ev["requestId"]] = ev["request"]["url"]
        offsets.append(ev["wallTime"] - ev["timestamp"])
    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.dataReceived", lambda ev: received.append((ev["requestId"], ev["timestamp"], ev.get("encodedDataLength") or ev["dataLength"])))
    page.goto(f"{demo_server.url}/documents/{doc}")
    expect(page.locator("#viewer")).to_have_attribute("data-rendered", "1", timeout=60000)
    page.wait_for_function("() => document.getElementById('viewer').dataset.firstPage", timeout=60000)
    page.wait_for_timeout(1500)  # let the events of what followed arrive
    first_wall = page.evaluate("(performance.timeOrigin + Number(document.getElementById('viewer').dataset.firstPage)) / 1000")
    offset = offsets[0]
    content = [(rid, ts, n) for rid, ts, n in received if "/content" in requests.get(rid, "")]
    before = sum(n for rid, ts, n in content if ts + offset <= first_wall)
    total = sum(n for _, _, n in content)
    figures = {"file_bytes": len(data), "bytes_before_first_page": before, "bytes_after_settling": total,
               "ratio_before_first_page": round(before / len(data), 3),
               "content_requests": len({rid for rid, _, _ in content})}
    print("reader ranges:", figures)
    with open(artifact_path("reader-range.json"), "w") as f:
        json.dump(figures, f, indent=1)
    assert figures["content_requests"] >= 2, figures  # the opening request, then ranges
    assert before < len(data) * 0.5, figures
    assert not [e for e in errors if "Content Security Policy" in e], errors
