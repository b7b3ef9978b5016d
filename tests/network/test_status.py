"""The network file the role writes, the tablet count behind each mode, the capacity verdict
and the watchdog's report, read as the app reads them. Bad inputs tried: a missing file, a file
that is not JSON, a list instead of an object, an unknown mode, a limit of 0 / "40" / true, a
lease file with junk lines and expired leases, a hostapd socket that is not there, a watchdog
state file that is stale, empty or not JSON.
"""

import json
import os
import socket
import threading
import time

import pytest

from appliance.network import status
from appliance.rules import capacity


def write(path, doc):
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def test_a_missing_network_file_means_no_mode(tmp_path):
    assert status.load(str(tmp_path / "network.json")) is None


@pytest.mark.parametrize("doc, says", [
    ("{not json", "cannot read"),
    ([], "JSON object"),
    ({"mode": "mesh", "station_limit": 10}, "'mode' is 'mesh'"),
    ({"mode": "builtin", "station_limit": 0}, "'station_limit' is 0"),
    ({"mode": "builtin", "station_limit": "40"}, "'station_limit' is '40'"),
    ({"mode": "builtin", "station_limit": True}, "'station_limit' is True"),
])
def test_a_bad_network_file_names_the_file_and_the_value(tmp_path, doc, says):
    path = write(tmp_path / "network.json", doc)
    with pytest.raises(status.NetworkFileError) as e:
        status.load(path)
    assert path in str(e.value) and says in str(e.value)


def test_leases_count_devices_with_a_lease_now(tmp_path):
    now = 1_800_000_000
    path = write(tmp_path / "leases", "\n".join([
        f"{now + 600} aa:bb:cc:00:00:01 10.42.0.51 tab1 *",
        f"{now + 600} AA:BB:CC:00:00:01 10.42.0.51 tab1 *",   # the same device twice
        f"{now - 1} aa:bb:cc:00:00:02 10.42.0.52 gone *",    # expired
        f"0 aa:bb:cc:00:00:03 10.42.0.53 forever *",          # infinite lease
        "duid 00:01:00:01",                                   # dnsmasq's DUID line
        "garbage",
        "",
    ]))
    assert status.leases(path, now=now) == 2
    assert status.leases(str(tmp_path / "none"), now=now) == 0


class FakeHostapd:
    """hostapd's control-socket protocol (STA-FIRST / STA-NEXT), for a radio this machine lacks."""

    def __init__(self, ctrl_dir, interface, macs):
        self.path = os.path.join(ctrl_dir, interface)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.macs = macs
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            cmd = data.decode()
            if cmd == "STA-FIRST":
                i = 0
            elif cmd.startswith("STA-NEXT "):
                i = self.macs.index(cmd.split()[1]) + 1
            else:
                self.sock.sendto(b"UNKNOWN COMMAND\n", peer)
                continue
            reply = f"{self.macs[i]}\nflags=[AUTH][ASSOC][AUTHORIZED]\n" if i < len(self.macs) else ""
            self.sock.sendto(reply.encode(), peer)


def test_hostapd_stations_are_counted_over_its_control_socket(tmp_path):
    macs = [f"02:00:00:00:00:{i:02x}" for i in range(9)]
    FakeHostapd(str(tmp_path), "wlan0", macs)
    assert status.hostapd_stations(str(tmp_path), "wlan0") == 9
    net = status.Network(mode="builtin", interface="wlan0", station_limit=10, hostapd_ctrl=str(tmp_path))
    count, problem = status.stations(net)
    assert (count, problem) == (9, None)
    assert capacity.assess(count, net.station_limit).level == capacity.NEAR


def test_no_hostapd_socket_is_an_unknown_count_that_says_why(tmp_path):
    net = status.Network(mode="usb-adapter", interface="wlan1", station_limit=50, hostapd_ctrl=str(tmp_path))
    count, problem = status.stations(net)
    assert count is None and os.path.join(str(tmp_path), "wlan1") in problem
    assert capacity.assess(count, 50).level == capacity.UNKNOWN


@pytest.mark.parametrize("count, limit, level", [
    (0, 10, "ok"), (7, 10, "ok"), (8, 10, "near"), (9, 10, "near"), (10, 10, "full"), (12, 10, "full"),
    (39, 50, "ok"), (40, 50, "near"), (1, 2, "near"), (None, 10, "unknown"), (3, 0, "unknown"), (3, None, "unknown"),
])
def test_capacity_levels(count, limit, level):
    assert capacity.assess(count, limit).level == level


def test_watch_report_running_stale_and_unreadable(tmp_path):
    now = time.time()
    path = tmp_path / "state.json"
    finding = {"id": "dhcp:10.42.0.99:1", "kind": "dhcp", "source": "10.42.0.99", "mac": "02:00:00:00:00:99"}
    write(path, {"updated_at": now - 5, "interval": 10, "findings": [finding, {"kind": "dhcp"}, "junk"]})
    r = status.watch_report(str(path), now)
    assert r.running and [f["id"] for f in r.findings] == [finding["id"]]
    write(path, {"updated_at": now - 500, "interval": 10, "findings": []})
    r = status.watch_report(str(path), now)
    assert not r.running and "500 s ago" in r.problem
    for bad in ("", "{", "[]", '{"findings": []}'):
        write(path, bad)
        assert not status.watch_report(str(path), now).running, bad
    assert "does not exist" in status.watch_report(str(tmp_path / "none"), now).problem
