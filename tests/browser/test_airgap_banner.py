"""The whole chain, real parts only: the watchdog in the appliance's network namespace, a rogue
dnsmasq (a home router with its DHCP on) plugged into the same LAN, `yishi serve` (nginx, nchan,
gunicorn) following the watchdog's state file, and the admin's page open in Chromium: the red
banner names the gateway and what to unplug within 30 s of the rogue starting, with no reload,
and the audit log records it. Unplugged, the banner goes away by itself.
"""

import json
import os
import time

import httpx
import pytest

from tests.browser.conftest import staff_clients
from tests.conftest import PASSPHRASE, make_store, start_server
from tests.network.lan import Lan, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.server]
BANNER_WITHIN = 30  # the bound, from the moment the rogue starts


@pytest.fixture
def served(tmp_path, monkeypatch):
    from appliance import demo

    d = str(tmp_path / "data")
    store, _ = make_store(d)
    demo.populate(store)
    store.close()
    state = tmp_path / "state.json"
    network = tmp_path / "network.json"
    network.write_text(json.dumps({"mode": "external-ap", "interface": "lan0", "station_limit": 40,
                                   "ssid": "会议室", "lease_file": str(tmp_path / "leases"),
                                   "watch_state": str(state)}))
    pf = tmp_path / "passphrase"
    pf.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("YISHI_NETWORK_FILE", str(network))
    server = start_server(d, str(pf))
    yield server, state
    server.stop()


def test_rogue_router_raises_the_banner_live_and_is_audited(served, tmp_path, new_context):
    server, state = served
    with Lan(tag=str(os.getpid())[-6:] + "b") as lan:
        lan.watchdog(state, interval=5, forget=15)
        assert wait_for(lambda: state.exists(), 30), "the watchdog wrote no state file"
        page = new_context().new_page()
        page.goto(server.url + "/login")
        page.fill("#username", "admin")
        page.fill("#password", "yishi-admin")
        page.click("button.primary")
        page.goto(server.url + "/admin/devices")
        assert page.locator("#airgap-banner").is_hidden()
        assert "运行中" in page.locator("#watch-state").inner_text()
        page.wait_for_function("window.YishiLive !== undefined")
        time.sleep(1)  # the page's event stream is open (nchan holds it)
        started = time.monotonic()
        rogue = lan.dnsmasq(lan.other, tmp_path, "interface=rogue0", "bind-interfaces", "port=0",
                            "dhcp-range=10.42.0.100,10.42.0.150,1h", "dhcp-option=option:router,10.42.0.99")
        page.locator("#airgap-banner").wait_for(state="visible", timeout=BANNER_WITHIN * 1000)
        took = time.monotonic() - started
        text = page.locator("#airgap-banner").inner_text()
        assert "网关 10.42.0.99" in text and "第二台 DHCP 服务器" in text and "WAN 口" in text, text
        page.screenshot(path=str(tmp_path / "banner.png"), full_page=True)
        # On a phone (390 px) and in large type (大字) the banner and the network card still fit.
        page.context.add_cookies([{"name": "large", "value": "1", "url": server.url}])
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        assert page.locator("#airgap-banner").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for box in (page.locator("#airgap-banner").bounding_box(), page.locator("#network").bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        with staff_clients(server) as (admin, secretary):
            banner = secretary.get("/api/v1/network").json()["airgap"]
            assert {m["kind"] for m in banner} >= {"dhcp", "gateway"}
            audit = admin.get("/admin/audit", params={"q": "airgap"}).text
        assert "airgap.seen" in audit, "the audit log does not record the sighting"
        print(f"banner after {took:.1f} s")
        lan.stop(rogue)
        page.locator("#airgap-banner").wait_for(state="hidden", timeout=(15 + 10 + BANNER_WITHIN) * 1000)
