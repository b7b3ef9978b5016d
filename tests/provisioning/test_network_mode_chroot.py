"""external-ap applied in the arm64 chroot: the admin switches an appliance provisioned in the
default mode (the session's root, copied) to an external access point, and a second run changes
nothing. Its state is asserted against the files tests/provisioning/modes.py renders for that
mode (the other modes are rendered and asserted there, without a chroot: each playbook run here
costs minutes of emulated CPU).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.provisioning.conftest import run_playbook, write_inventory
from tests.provisioning.modes import render
from tests.provisioning.targets import ChrootTarget
from tests.provisioning.test_chroot_apply import changed_tasks

pytestmark = pytest.mark.chroot
AP = {"yishi_network_mode": "external-ap", "yishi_wifi_ssid": "会议室 AP", "yishi_wifi_passphrase": "meeting-room-ap"}


@pytest.fixture(scope="module")
def external_ap(provisioned, tmp_path_factory):
    work = tmp_path_factory.mktemp("external-ap")
    root = work / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(provisioned.root), str(root)], check=True)
    settings = {**provisioned.settings, **AP}
    inventory = write_inventory(work / "hosts.yml", root, settings)
    first = run_playbook(inventory, log=work / "first-run.log")
    assert first.returncode == 0, f"switching to external-ap failed:\n{first.output[-6000:]}"
    second = run_playbook(inventory, log=work / "second-run.log")
    rendered = render(work / "rendered", **{k: v for k, v in settings.items() if k != "yishi_wheelhouse"})
    yield ChrootTarget(root), first, second, rendered["external-ap"]
    shutil.rmtree(work, ignore_errors=True)


def test_switch_to_external_ap_then_a_second_run_changes_nothing(external_ap):
    _, first, second, _ = external_ap
    assert first.recap["changed"] > 0
    assert second.returncode == 0, second.output[-4000:]
    assert second.recap["changed"] == 0, f"not idempotent, changed on the second run: {changed_tasks(second.output)}"


def test_external_ap_state(external_ap):
    target, _, _, files = external_ap
    assert target.read("/etc/nftables.conf") == files["nftables.conf"]
    assert target.read("/etc/dnsmasq.d/yishi.conf") == files["dnsmasq.conf"]
    assert target.read("/etc/systemd/network/20-yishi-lan.network") == files["lan.network"]
    assert not target.exists("/etc/systemd/network/30-yishi-wired.network")
    # No hostapd: masked, no configuration, no passphrase file.
    assert target.check("readlink /etc/systemd/system/hostapd.service").strip() == "/dev/null"
    assert not target.exists("/etc/hostapd/hostapd.conf") and not target.exists("/etc/hostapd/yishi.psk")
    net = json.loads(target.read("/etc/yishi/network.json"))
    assert (net["mode"], net["interface"], net["station_limit"], net["ssid"]) == ("external-ap", "eth0", 60, "会议室 AP")
    assert target.stat("/etc/yishi/network.json")[0] == "644"
    # The access point's name reaches the app (the pairing QR code) and its passphrase too (0600).
    assert '会议室 AP' in target.read("/etc/yishi/appliance.env")
    assert target.stat("/etc/yishi/wifi.env") == ("600", "root", "root")
    # The watchdog watches the wired LAN, and starts at boot.
    assert "YISHI_LAN_INTERFACE=eth0\n" in target.read("/etc/default/yishi-airgap-watch")
    assert target.exists("/etc/systemd/system/multi-user.target.wants/yishi-airgap-watch.service")
