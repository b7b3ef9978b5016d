"""The provisioned dnsmasq, running: the arm64 binary from the root filesystem (under qemu-user)
with the rendered configuration, in a network namespace behind the rendered firewall, answering
a tablet in another namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.provisioning.conftest import need_root, need_tools
from tests.provisioning.test_egress import PROBE

pytestmark = [pytest.mark.chroot, pytest.mark.netns]
# Waits for a state, not measurements: generous, and over as soon as the state is there.
START_WITHIN = 300   # dnsmasq started under qemu-user answers its first query
ANSWER_WITHIN = 60   # a query is answered (each try waits 10 s for the reply)


@pytest.fixture(scope="module")
def lan(provisioned):
    need_root()
    need_tools("ip", "nft")
    root, settings = provisioned.root, provisioned.settings
    lan_address = settings["yishi_lan_address"]
    tag = os.getpid()
    app, tab = f"yishi-dns-app-{tag}", f"yishi-dns-tab-{tag}"

    def sh(*cmd):
        subprocess.run(cmd, check=True, capture_output=True)

    dnsmasq = None
    try:
        for ns in (app, tab):
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", "wlan0", "netns", app, "type", "veth", "peer", "tab0", "netns", tab)
        sh("ip", "netns", "exec", app, "ip", "addr", "add", f"{lan_address}/24", "dev", "wlan0")
        sh("ip", "netns", "exec", tab, "ip", "addr", "add", "10.42.0.77/24", "dev", "tab0")
        sh("ip", "netns", "exec", app, "ip", "link", "set", "wlan0", "up")
        sh("ip", "netns", "exec", tab, "ip", "link", "set", "tab0", "up")
        sh("ip", "netns", "exec", app, "nft", "-f", str(root / "etc/nftables.conf"))
        # As Debian's dnsmasq.service starts it: the main file plus /etc/dnsmasq.d.
        dnsmasq = subprocess.Popen(
            ["ip", "netns", "exec", app, "chroot", str(root), "/usr/sbin/dnsmasq", "--keep-in-foreground",
             "--log-facility=-", "--pid-file=", "--conf-file=/etc/dnsmasq.conf",
             "--conf-dir=/etc/dnsmasq.d,.dpkg-dist,.dpkg-old,.dpkg-new"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def ask_once(name):
            proc = subprocess.run(["ip", "netns", "exec", tab, sys.executable, PROBE, "dns", lan_address, name,
                                   "10"], capture_output=True, text=True)
            return proc.stdout.strip() if proc.returncode == 0 else None

        def ask(name, within=ANSWER_WITHIN):
            """dnsmasq's answer (arm64 under qemu-user: slow on a loaded machine), or None."""
            deadline = time.monotonic() + within
            while (answer := ask_once(name)) is None and time.monotonic() < deadline:
                assert dnsmasq.poll() is None, f"dnsmasq exited:\n{dnsmasq.stdout.read()}"
                time.sleep(0.5)
            return answer

        name = f"{settings.get('yishi_hostname', 'yishi')}.lan"
        assert ask(name, within=START_WITHIN) is not None, f"dnsmasq did not answer within {START_WITHIN} s"
        yield ask, lan_address
    finally:
        if dnsmasq is not None:
            dnsmasq.kill()
            dnsmasq.wait()
        for ns in (app, tab):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_appliance_name_resolves_to_the_appliance(lan):
    ask, address = lan
    assert ask("yishi.lan") == f"rcode=0 a={address}"
    assert ask("yishi") == f"rcode=0 a={address}"


@pytest.mark.parametrize("name", ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com",
                                  "connect.rom.miui.com", "connectivitycheck.platform.hicloud.com",
                                  "wifi.vivo.com.cn", "www.google.cn"])
def test_captive_portal_probe_names_are_answered_with_the_appliance(lan, name):
    ask, address = lan
    assert ask(name) == f"rcode=0 a={address}"


def test_other_names_get_no_address(lan):
    ask, _ = lan
    answer = ask("www.example.com")
    assert answer is not None and answer.endswith("a="), answer
