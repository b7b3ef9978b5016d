"""Reading a material with pdf.js on a tablet while the staff replace it with a corrected file."""

import io
import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_meeting_day import pair_context
from tests.conftest import artifact_path
from tests.meetings.helpers import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_replaced_while_reading(demo_server, new_context):
    with httpx.Client(base_url=demo_server.url, headers={"Origin": demo_server.url}, verify=False, timeout=30) as admin, \
         httpx.Client(base_url=demo_server.url, headers={"Origin": demo_server.url}, verify=False, timeout=30) as sec:
        admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"})
        sec.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"})
        mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "阅读测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
        r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "预算报告", "publish": "1"},
                     files={"file": ("r.pdf", io.BytesIO(make_pdf("预算报告初稿", 2)), "application/pdf")})
        material = r.json()["id"]
        ctx = new_context()
        pair_context(ctx, demo_server, admin, "刘芳", "111104")
        page = ctx.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{demo_server.url}/meetings/{mid}")
        page.locator("#materials a.material").first.click()
        viewer = page.locator("#viewer")
        expect(viewer).to_have_attribute("data-rendered", "1", timeout=20000)
        expect(viewer.locator(".page[data-page-number]")).to_have_count(2)
        page.screenshot(path=artifact_path("reader-v1.png"), full_page=True)

        r = sec.post(f"/api/v1/materials/{material}/replace", data={"note": "更正数字"},
                     files={"file": ("r2.pdf", io.BytesIO(make_pdf("预算报告更正稿", 3)), "application/pdf")})
        assert r.json()["version"] == 2
        expect(page.locator("#updated-banner")).to_be_visible(timeout=5000)
        expect(viewer).to_have_attribute("data-rendered", "2", timeout=20000)
        expect(viewer.locator(".page[data-page-number]")).to_have_count(3)
        expect(page.locator("#version-label")).to_have_text(re.compile(r"^第 2 [版稿]$"))
        page.screenshot(path=artifact_path("reader-v2-updated.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors
        # A bad replacement (not a PDF) changes nothing for the reader.
        r = sec.post(f"/api/v1/materials/{material}/replace", files={"file": ("x.pdf", io.BytesIO(b"not a pdf"), "application/pdf")})
        assert r.status_code == 415
        info = ctx.request.get(f"{demo_server.url}/api/v1/documents/{viewer.get_attribute('data-document')}").json()
        assert info["version"] == 2
