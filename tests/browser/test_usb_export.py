"""The 导出 page in real Chromium against the real server (nginx, gunicorn workers, nchan), with
the real USB helper on a loop stick: the panel walks no stick → found → writing → done by live
events alone (the page is never reloaded), and the export on the stick verifies."""

import os
import signal
import time

import pytest

from tests.conftest import PASSPHRASE, make_store, start_server
from tests.usb.conftest import HelperProcess, Stick, need_sticks, state

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.stick]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def usb_server(tmp_path):
    from appliance import demo
    from appliance.meetings.demo import add_demo

    need_sticks()
    channel, spool, mounts = tmp_path / "channel", tmp_path / "spool", tmp_path / "mnt"
    for p in (channel, spool, mounts):
        p.mkdir()
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    add_demo(store, demo.populate(store))
    store.close()
    pf = str(tmp_path / "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    saved = {k: os.environ.get(k) for k in ("YISHI_USB_CHANNEL", "YISHI_USB_SPOOL")}
    os.environ.update(YISHI_USB_CHANNEL=str(channel), YISHI_USB_SPOOL=str(spool))
    try:
        server = start_server(d, pf)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    server.channel, server.spool, server.mounts, server.tmp = channel, spool, mounts, tmp_path
    yield server
    server.stop()


def panel_state(page):
    return page.locator("#usb-state .usb-panel").get_attribute("data-state")


def test_export_page_walks_its_states_live(new_context, usb_server):
    server = usb_server
    page = new_context(viewport=PHONE).new_page()
    page.goto(server.url + "/login")
    page.fill("#username", "staff")
    page.fill("#password", "yishi-staff")
    page.click("button.primary")
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/office/usb/export")
    page.wait_for_selector('#usb-state [data-state="no_stick"]')
    assert "未检测到U盘" in page.inner_text("#usb-state")
    # The page is never reloaded from here on: a marker set now must survive every step.
    page.evaluate("window.__sameDocument = 1")
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    stick = Stick(server.tmp / "stick.img", label="OFFICE")
    helper = HelperProcess(stick, server.channel, server.spool, server.mounts)
    try:
        page.wait_for_selector('#usb-state [data-state="found"]', timeout=60000)
        assert "OFFICE" in page.inner_text("#usb-state") and "ext4" in page.inner_text("#usb-state")
        assert page.evaluate("window.__sameDocument") == 1
        box = page.locator("#usb-export").bounding_box()
        assert box["height"] >= 48

        page.locator('input[name="meeting"][value="2"]').check()
        page.click("#usb-export")  # a form POST: the page after it is a new document
        # Hold the helper in the middle of writing (as a slow stick would), so the page can be
        # seen saying so; then let it finish.
        deadline = time.monotonic() + 120
        while state(server.channel).get("state") != "writing":
            assert state(server.channel).get("state") not in ("done", "error"), state(server.channel)
            assert time.monotonic() < deadline, "the helper never started writing"
            time.sleep(0.001)
        os.kill(helper.proc.pid, signal.SIGSTOP)
        try:
            page.wait_for_selector('#usb-state [data-state="writing"]', timeout=60000)
            page.evaluate("window.__sameDocument = 2")
            assert "正在写入" in page.inner_text("#usb-state")
        finally:
            os.kill(helper.proc.pid, signal.SIGCONT)
        page.wait_for_selector('#usb-state [data-state="done"]', timeout=60000)
        assert page.evaluate("window.__sameDocument") == 2, "the page was reloaded instead of updated live"
        text = page.inner_text("#usb-state")
        assert "可以安全拔出" in text and "议事导出-" in text
    finally:
        helper.stop()
        stick.detach()
    files = stick.contents(server.tmp / "check")
    assert any(k.endswith("/bagit.txt") and k.startswith("议事导出-") for k in files), sorted(files)
