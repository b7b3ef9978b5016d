"""The network on the admin page, the pairing page's warning, and the air-gap banner with its
audit entries and live event, through the app (real encrypted store, Flask's test client, the
in-process event carrier). Bad inputs tried: a network file with an unknown mode (the admin page
names the file, other pages still work), a member asking for the network API (403), a stale
watchdog (its vanished finding is not taken as gone), the same finding followed by two workers
(audited once).
"""

import json
from html import unescape
import time

import pytest

from appliance import create_app, demo
from appliance.network import alerts
from appliance.web.events import broadcaster
from tests.conftest import app_config
from tests.devices.helpers import pair_tablet, person_id, sign_in

ROGUE = {"id": "gateway:10.42.0.99:1800000000", "kind": "gateway", "source": "10.42.0.99",
         "mac": "02:11:22:33:44:55", "detail": {"routers": ["10.42.0.99"]}, "first_seen": 1.0, "last_seen": 2.0}


@pytest.fixture
def net(tmp_path):
    class Net:
        file = tmp_path / "network.json"
        state = tmp_path / "state.json"
        leases = tmp_path / "leases"

        def provision(self, mode="external-ap", limit=10, **kw):
            doc = {"mode": mode, "interface": "eth0", "station_limit": limit, "ssid": "会议室AP",
                   "lease_file": str(self.leases), "hostapd_ctrl": str(tmp_path), "watch_state": str(self.state), **kw}
            self.file.write_text(json.dumps(doc))

        def tablets(self, n):
            t = int(time.time()) + 3600
            self.leases.write_text("".join(f"{t} 02:00:00:00:01:{i:02x} 10.42.0.{50 + i} tab{i} *\n" for i in range(n)))

        def watchdog(self, findings, age=0):
            now = time.time() - age
            self.state.write_text(json.dumps({"updated_at": now, "started_at": now - 20, "interval": 10,
                                              "findings": findings}))

    n = Net()
    n.provision()
    return n


@pytest.fixture
def app(data_dir, net):
    application = create_app(app_config(data_dir, extra={"network_file": str(net.file), "airgap_follow": False}))
    demo.populate(application.extensions["yishi"].store)
    yield application
    application.extensions["yishi"].close()


def login(app, user, password):
    c = app.test_client()
    assert c.post("/api/v1/login", json={"username": user, "password": password}).status_code == 200
    return c


def follower(app):
    return alerts.Follower(app.extensions["yishi"], lambda *a: broadcaster(app).publish(*a))


def audit_rows(app, action):
    return [json.loads(d) for (d,) in app.extensions["yishi"].store.all(
        "SELECT detail FROM audit WHERE action = ? ORDER BY seq", (action,))]


def test_admin_page_shows_the_mode_and_the_tablets_against_the_limit(app, net):
    net.tablets(4)
    net.watchdog([])
    html = login(app, "admin", "yishi-admin").get("/admin/devices").get_data(as_text=True)
    assert 'data-mode="external-ap"' in html and "外接无线接入点" in html
    assert 'data-count="4" data-limit="10"' in html and "capacity-ok" in html
    assert "物理隔离监测：运行中" in html
    assert 'id="airgap-banner"' in html and 'hidden' in html.split('id="airgap-banner"')[1].split(">")[0]


def test_builtin_mode_states_its_limit_and_a_missing_hostapd(app, net):
    net.provision(mode="builtin", limit=10, interface="wlan0")
    html = login(app, "admin", "yishi-admin").get("/admin/devices").get_data(as_text=True)
    assert "7 至 10 台" in html and "网络上的平板数：未知" in html
    assert "物理隔离监测：未运行" in html  # no state file: the watchdog is not running


def test_pairing_page_warns_as_the_room_nears_the_limit(app, net):
    admin = login(app, "admin", "yishi-admin")
    net.tablets(7)
    assert 'id="capacity-warning"' not in admin.get("/admin/pair").get_data(as_text=True)
    net.tablets(8)
    html = admin.get("/admin/pair").get_data(as_text=True)
    assert "会议网络即将满员：8 / 10，还剩 2 个" in html
    net.tablets(10)
    html = admin.get("/admin/pair").get_data(as_text=True)
    assert "会议网络已满（10 / 10）" in html
    admin.set_cookie("lang", "en")
    en = admin.get("/admin/pair").get_data(as_text=True)
    assert "The meeting network is full (10 of 10)" in en


def test_a_bad_network_file_is_named_on_the_admin_page_and_breaks_nothing(app, net):
    net.file.write_text(json.dumps({"mode": "mesh", "station_limit": 10}))
    admin = login(app, "admin", "yishi-admin")
    html = unescape(admin.get("/admin/devices").get_data(as_text=True))
    assert str(net.file) in html and "'mode' is 'mesh'" in html
    assert admin.get("/admin/pair").status_code == 200
    assert admin.get("/api/v1/network").get_json()["mode"] is None


def test_banner_audit_and_live_event_for_a_rogue_gateway(app, net):
    net.watchdog([ROGUE])
    sub = broadcaster(app).subscribe({"role:secretary"})
    seen, gone = follower(app).step()
    assert [f["id"] for f in seen] == [ROGUE["id"]] and gone == []
    rows = audit_rows(app, "airgap.seen")
    assert rows == [{"id": ROGUE["id"], "kind": "gateway", "source": "10.42.0.99", "mac": "02:11:22:33:44:55",
                     "detail": {"routers": ["10.42.0.99"]}}]
    item = sub.next(5)
    assert item is not None and item[1] == "airgap" and ROGUE["id"] in item[2]
    # A second worker following the same file records nothing more.
    assert follower(app).step() == ([], [])
    assert len(audit_rows(app, "airgap.seen")) == 1
    # The secretary's banner (through the API live.js asks) and the admin page's, in Chinese.
    sec = login(app, "secretary", "yishi-secretary")
    banner = sec.get("/api/v1/network").get_json()["airgap"]
    assert len(banner) == 1 and "网关 10.42.0.99" in banner[0]["text"] and "WAN 口" in banner[0]["text"]
    html = login(app, "admin", "yishi-admin").get("/admin/devices").get_data(as_text=True)
    assert "物理隔离面临风险" in html and "02:11:22:33:44:55" in html
    sec.set_cookie("lang", "en")
    en = sec.get("/api/v1/network").get_json()["airgap"][0]["text"]
    assert "WAN or Internet port" in en


def test_a_finding_that_goes_away_is_audited_as_gone_unless_the_watchdog_stopped(app, net):
    net.watchdog([ROGUE])
    follower(app).step()
    net.watchdog([], age=600)  # the watchdog stopped writing: its silence says nothing
    assert follower(app).step() == ([], [])
    net.watchdog([])
    seen, gone = follower(app).step()
    assert seen == [] and gone == [ROGUE["id"]]
    assert audit_rows(app, "airgap.gone") == [{"id": ROGUE["id"]}]
    assert login(app, "secretary", "yishi-secretary").get("/api/v1/network").get_json()["airgap"] == []


def test_members_get_no_network_api_and_no_banner(app, net):
    net.watchdog([ROGUE])
    name, _, _, pin, _, _ = demo.roster()[1]  # an ordinary member (seat 2)
    admin = login(app, "admin", "yishi-admin")
    tablet = pair_tablet(app, admin, person_id=person_id(app, name))
    assert sign_in(app, tablet, name, pin).status_code == 200
    assert tablet.get("/api/v1/network").status_code == 403
    assert "物理隔离面临风险" not in tablet.get("/").get_data(as_text=True)
