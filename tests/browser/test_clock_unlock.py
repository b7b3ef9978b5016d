"""The admin confirms the device clock with the unlock, in real Chromium against a real server
(nginx + gunicorn): the browser's own time is offered and one tap (the unlock, with the box
ticked as it comes) confirms it. A server whose clock is hours off (YISHI_WALL_SHIFT) and no
chronyd (this machine, like a laptop running `make run`) gets a plain message and stays
unconfirmed. Both at phone width (390 px) with 大字, where the form must still fit."""

import json
import os

import httpx
import pytest

from appliance import demo
from tests.conftest import PASSPHRASE, make_store, start_server

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sealed_server(tmp_path, monkeypatch, request):
    shift = getattr(request, "param", 0)
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    demo.populate(store)
    store.close()
    monkeypatch.setenv("YISHI_WALL_SHIFT", str(shift))
    server = start_server(d)
    yield server
    server.stop()


def audited(server):
    """The clock's audit entries, through the admin's own audit API of the running server."""
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=30) as c:
        assert c.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
        page = c.get("/admin/audit").text
    return page


def record(server):
    with open(os.path.join(server.data_dir, "clock.json"), encoding="utf-8") as f:
        return json.load(f)


def unlock_page(new_context, server):
    ctx = new_context(viewport=PHONE)
    ctx.add_cookies([{"name": "large", "value": "1", "url": server.url}])
    page = ctx.new_page()
    page.goto(server.url + "/")
    return page


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0


def test_admin_confirms_the_clock_with_one_tap_at_unlock(new_context, sealed_server):
    page = unlock_page(new_context, sealed_server)
    box = page.locator("#clock-confirm")
    assert "尚未经确认" in box.inner_text()
    # The browser's own time is shown beside the device's (clock.js), ticked by default.
    page.wait_for_function("document.querySelector('[data-browser-time]').textContent.length > 10")
    assert page.locator("input[name=clock_confirm]").is_checked()
    assert fits(page), "the unlock form is wider than a phone"
    label = page.locator("#clock-confirm label.check").bounding_box()
    assert label["height"] >= 48
    page.fill("#passphrase", PASSPHRASE)
    page.click("button.primary")
    page.wait_for_url("**/login**")
    assert "设备时钟已确认" in page.inner_text("main")
    kept = record(sealed_server)
    boot_id = open("/proc/sys/kernel/random/boot_id").read().strip()
    assert kept["confirmed_boot_id"] == boot_id and kept["confirmed_by"] == "admin:web"
    assert "clock.confirm" in audited(sealed_server)


@pytest.mark.parametrize("sealed_server", [-3 * 3600], indirect=True)
def test_a_clock_hours_off_without_chronyd_says_so_and_stays_unconfirmed(new_context, sealed_server):
    page = unlock_page(new_context, sealed_server)
    page.fill("#passphrase", PASSPHRASE)
    page.click("button.primary")
    page.wait_for_url("**/login**")
    text = page.inner_text("main")
    assert "设备已解锁" in text or "已解锁" in text
    assert "时间服务（chronyd）" in text and "设备时钟未作任何改动" in text
    assert not os.path.exists(os.path.join(sealed_server.data_dir, "clock.json")) or \
        record(sealed_server)["confirmed_boot_id"] == ""
    # The admin signs in and the banner is there, with the way to the clock page.
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "yishi-admin")
    page.click("form button.primary")
    page.wait_for_selector("#clock-banner")
    assert "尚未经管理员确认" in page.inner_text("#clock-banner")
    assert fits(page)
    assert "clock.set" not in audited(sealed_server) and "clock.confirm" not in audited(sealed_server)
