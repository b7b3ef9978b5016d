"""A tablet pairs by QR code, the admin approves the short code, the member signs in with a PIN."""

import subprocess

import pytest

from tests.conftest import artifact_path, need

pytestmark = [pytest.mark.browser, pytest.mark.server]


def decode_qr(png_path):
    out = subprocess.run([need("zbarimg"), "-q", "--raw", png_path], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_pair_approve_sign_in(demo_server, new_context):
    admin = new_context(viewport={"width": 1366, "height": 900}).new_page()
    admin.goto(demo_server.url + "/login")
    admin.fill("#username", "admin")
    admin.fill("#password", "yishi-admin")
    admin.click("button.primary")
    admin.goto(demo_server.url + "/admin/pair")
    qr_png = artifact_path("pairing-qr.png")
    admin.locator("#pair-qr").screenshot(path=qr_png)
    wifi_png = artifact_path("wifi-qr.png")
    admin.locator("#wifi-qr").screenshot(path=wifi_png)
    assert decode_qr(wifi_png).startswith("WIFI:T:WPA;S:Yishi Test;")
    pair_url = decode_qr(qr_png).replace("https://127.0.0.1:", "https://127.0.0.1:")
    assert "/pair#t=" in pair_url
    admin.screenshot(path=artifact_path("admin-pair.png"), full_page=True)

    tablet = new_context().new_page()
    tablet.goto(pair_url)
    assert "#t=" not in tablet.url  # the one-time token leaves the address bar at once
    tablet.fill("#device-name", "座位 3")
    tablet.click("#pair-start")
    code = tablet.locator("#short-code")
    code.wait_for(state="visible")
    short_code = code.inner_text().strip()
    assert len(short_code.replace(" ", "")) == 6

    admin.goto(demo_server.url + "/admin/devices")
    row = admin.locator(f'tr[data-code="{short_code}"]')
    row.wait_for()
    row.locator("select").select_option(label="3 · 张伟")
    admin.screenshot(path=artifact_path("admin-approve.png"), full_page=True)
    row.locator("button.approve").click()
    assert "已批准" in admin.locator(".flash.ok").inner_text()  # the page also has its standing banners (clock, air gap, backup)

    tablet.wait_for_url("**/signin", timeout=10000)
    assert tablet.locator("#person").input_value() == "3"  # the approved person is preselected
    for digit in "111103":
        tablet.click(f'.keypad button[data-key="{digit}"]')
    tablet.click("#signin-button")
    tablet.wait_for_url(demo_server.url + "/")
    assert "张伟，您好" in tablet.locator("h1").inner_text()
    tablet.screenshot(path=artifact_path("tablet-signed-in.png"), full_page=True)

    admin.goto(demo_server.url + "/admin/devices")
    assert "座位 3" in admin.locator("#devices-table").inner_text()
    assert "张伟" in admin.locator("#devices-table").inner_text()


def test_wrong_pin_message_in_the_browser(demo_server, new_context):
    """An unpaired browser cannot reach the PIN page; a wrong PIN says how many tries are left."""
    page = new_context().new_page()
    page.goto(demo_server.url + "/signin")
    assert page.url.endswith("/welcome")
    assert "本设备尚未配对" in page.locator("h1").inner_text()
