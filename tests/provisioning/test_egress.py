"""The air gap, proven: the rendered nftables ruleset loaded into network namespaces.

Three namespaces stand for the appliance, a tablet on the meeting Wi-Fi and "outside" (a
tethered phone, an office router: any network that is not the meeting LAN). Before the
firewall is loaded, a control run shows the topology would carry every flow the test then
expects blocked, so a blocked flow proves the ruleset, not a broken set-up. The appliance is
given its worst day: IP forwarding switched on and a default route to the outside.

All of it runs once per network mode (builtin, usb-adapter, external-ap), with the appliance's
LAN interface named as in that mode and the ruleset the roles render for it
(tests/provisioning/modes.py; the builtin one is tests/provisioning/expected/nftables.conf, which
test_system_state proves the chroot run writes). In each mode the appliance's own dnsmasq, as
rendered, then leases a tablet an address and names no gateway and no name server but the
appliance, and answers no name outside the meeting LAN.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.provisioning.conftest import need_root, need_tools
from tests.provisioning.modes import LAN_INTERFACE, MODES, NOT_LAN, render

pytestmark = pytest.mark.netns

PROBE = str(Path(__file__).with_name("netprobe.py"))
# A flow that must get through is retried for up to REACH_WITHIN seconds (a loaded machine is
# slow, not wrong); a flow that must be blocked gets one wait of BLOCKED_AFTER seconds, a
# thousand times what a flow takes over these veth pairs when it gets through.
REACH_WITHIN = 60
BLOCKED_AFTER = 5
APPLIANCE, TABLET, OUTSIDE = "10.42.0.1", "10.42.0.100", "198.51.100.2"
APPLIANCE_OUT = "198.51.100.1"


class Net:
    def __init__(self, mode: str = "builtin"):
        tag = os.getpid()
        self.mode, self.lan, self.other = mode, LAN_INTERFACE[mode], NOT_LAN[mode]
        self.app, self.tab, self.out = f"yishi-app-{tag}", f"yishi-tab-{tag}", f"yishi-out-{tag}"
        self.servers: list[subprocess.Popen] = []

    def sh(self, *cmd: str) -> None:
        subprocess.run(cmd, check=True, capture_output=True)

    def ns(self, name: str, *cmd: str) -> None:
        self.sh("ip", "netns", "exec", name, *cmd)

    def build(self) -> None:
        for name in (self.app, self.tab, self.out):
            self.sh("ip", "netns", "add", name)
            self.ns(name, "ip", "link", "set", "lo", "up")
        # tablet <-> appliance: the meeting LAN (the appliance's side is named as in the mode)
        self.sh("ip", "link", "add", self.lan, "netns", self.app, "type", "veth", "peer", "tab0", "netns", self.tab)
        # appliance <-> outside: an interface that is not the meeting LAN in this mode
        self.sh("ip", "link", "add", self.other, "netns", self.app, "type", "veth", "peer", "out0", "netns", self.out)
        self.ns(self.app, "ip", "addr", "add", f"{APPLIANCE}/24", "dev", self.lan)
        self.ns(self.app, "ip", "addr", "add", "fd42::1/64", "dev", self.lan, "nodad")
        self.ns(self.app, "ip", "addr", "add", f"{APPLIANCE_OUT}/24", "dev", self.other)
        self.ns(self.tab, "ip", "addr", "add", f"{TABLET}/24", "dev", "tab0")
        self.ns(self.tab, "ip", "addr", "add", "fd42::100/64", "dev", "tab0", "nodad")
        self.ns(self.out, "ip", "addr", "add", f"{OUTSIDE}/24", "dev", "out0")
        for name, link in ((self.app, self.lan), (self.app, self.other), (self.tab, "tab0"), (self.out, "out0")):
            self.ns(name, "ip", "link", "set", link, "up")
        self.ns(self.tab, "ip", "route", "add", "default", "via", APPLIANCE)
        self.ns(self.out, "ip", "route", "add", "10.42.0.0/24", "via", APPLIANCE_OUT)
        # The worst case for the appliance: it would route, and it has a way out.
        self.ns(self.app, "ip", "route", "add", "default", "via", OUTSIDE)
        self.ns(self.app, "sysctl", "-qw", "net.ipv4.ip_forward=1")

    def serve(self, name: str, *args: str) -> None:
        proc = subprocess.Popen(["ip", "netns", "exec", name, sys.executable, PROBE, *args],
                                stdout=subprocess.PIPE, text=True)
        self.servers.append(proc)
        assert proc.stdout.readline().strip() == "ready"

    def probe(self, name: str, proto: str, host: str, port: int, seconds: float) -> bool:
        proc = subprocess.run(["ip", "netns", "exec", name, sys.executable, PROBE, proto, host, str(port),
                               str(seconds)], capture_output=True, text=True)
        return proc.returncode == 0

    def reaches(self, name: str, proto: str, host: str, port: int) -> bool:
        """The flow gets through, at the latest within REACH_WITHIN seconds."""
        deadline = time.monotonic() + REACH_WITHIN
        while not self.probe(name, proto, host, port, BLOCKED_AFTER):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True

    def blocked(self, name: str, proto: str, host: str, port: int) -> bool:
        """No answer within BLOCKED_AFTER seconds."""
        return not self.probe(name, proto, host, port, BLOCKED_AFTER)

    def hears_mdns(self, listener_ns: str, listener_addr: str, sender_addr: str, wait: float = REACH_WITHIN) -> bool:
        """Does a host in listener_ns hear an mDNS datagram the appliance sends from sender_addr
        within `wait` seconds? (It stops sending as soon as the listener has heard one.)"""
        listener = subprocess.Popen(["ip", "netns", "exec", listener_ns, sys.executable, PROBE,
                                     "mcast-listen", listener_addr, str(wait + 5)], stdout=subprocess.PIPE, text=True)
        try:
            assert listener.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + wait
            while listener.poll() is None and time.monotonic() < deadline:
                subprocess.run(["ip", "netns", "exec", self.app, sys.executable, PROBE, "mcast-send", sender_addr],
                               capture_output=True)
                time.sleep(0.2)
            if listener.poll() is None:  # the last datagram sent may still be on its way
                time.sleep(0.5)
            return listener.poll() == 0 and listener.stdout.readline().strip() == "_yishi._tcp"
        finally:
            listener.kill()
            listener.wait()

    def teardown(self) -> None:
        for proc in self.servers:
            proc.kill()
            proc.wait()
        for name in (self.app, self.tab, self.out):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render(tmp_path_factory.mktemp("modes"))


@pytest.fixture(scope="module", params=MODES)
def net(request):
    need_root()
    need_tools("ip", "nft")
    net = Net(request.param)
    try:
        net.build()
        net.serve(net.app, "serve-tcp", "22", "80", "443", "8080")
        net.serve(net.app, "serve-udp", "53")
        net.udp53 = net.servers[-1]  # stands for dnsmasq until the lease test runs the real one
        net.serve(net.tab, "serve-tcp", "8080")
        net.serve(net.out, "serve-tcp", "80", "443", "8080")
        yield net
    finally:
        net.teardown()


@pytest.fixture(scope="module")
def control(net):
    """Every flow, before the firewall: all of them must get through."""
    flows = {
        "tablet -> appliance:443": net.reaches(net.tab, "tcp", APPLIANCE, 443),
        "tablet -> appliance:8080": net.reaches(net.tab, "tcp", APPLIANCE, 8080),
        "tablet -> appliance [IPv6]:443": net.reaches(net.tab, "tcp", "fd42::1", 443),
        "appliance -> outside:443": net.reaches(net.app, "tcp", OUTSIDE, 443),
        "appliance -> tablet:8080": net.reaches(net.app, "tcp", TABLET, 8080),
        "tablet -> outside:443 (forwarded)": net.reaches(net.tab, "tcp", OUTSIDE, 443),
        "mDNS appliance -> tablet": net.hears_mdns(net.tab, TABLET, APPLIANCE),
        "mDNS appliance -> outside": net.hears_mdns(net.out, OUTSIDE, APPLIANCE_OUT),
    }
    assert all(flows.values()), f"the test network is broken before any firewall: {flows}"
    return flows


@pytest.fixture(scope="module")
def firewalled(net, control, rendered, tmp_path_factory):
    ruleset = tmp_path_factory.mktemp("ruleset") / "nftables.conf"
    ruleset.write_text(rendered[net.mode]["nftables.conf"])
    subprocess.run(["ip", "netns", "exec", net.app, "nft", "-f", str(ruleset)], check=True)
    listed = subprocess.run(["ip", "netns", "exec", net.app, "nft", "list", "ruleset"],
                            check=True, capture_output=True, text=True).stdout
    assert "table inet yishi" in listed
    return net


def test_tablet_reaches_the_web_ports(firewalled):
    assert firewalled.reaches(firewalled.tab, "tcp", APPLIANCE, 443)
    assert firewalled.reaches(firewalled.tab, "tcp", APPLIANCE, 80)
    assert firewalled.reaches(firewalled.tab, "tcp", APPLIANCE, 22)


def test_tablet_gets_dns_answers(firewalled):
    assert firewalled.reaches(firewalled.tab, "udp", APPLIANCE, 53)


def test_tablet_cannot_reach_other_ports_on_the_appliance(firewalled):
    assert firewalled.blocked(firewalled.tab, "tcp", APPLIANCE, 8080)


def test_appliance_cannot_open_a_connection_to_the_outside(firewalled):
    assert firewalled.blocked(firewalled.app, "tcp", OUTSIDE, 443)
    assert firewalled.blocked(firewalled.app, "tcp", OUTSIDE, 80)


def test_appliance_cannot_open_a_connection_to_a_tablet(firewalled):
    assert firewalled.blocked(firewalled.app, "tcp", TABLET, 8080)


def test_nothing_is_forwarded_from_the_tablet_to_the_outside(firewalled):
    assert firewalled.blocked(firewalled.tab, "tcp", OUTSIDE, 443)
    assert firewalled.blocked(firewalled.tab, "tcp", OUTSIDE, 8080)


def test_ipv6_is_dropped(firewalled):
    assert firewalled.blocked(firewalled.tab, "tcp", "fd42::1", 443)


def test_mdns_announcements_reach_the_lan(firewalled):
    assert firewalled.hears_mdns(firewalled.tab, TABLET, APPLIANCE)


def test_mdns_is_not_announced_outside(firewalled):
    assert not firewalled.hears_mdns(firewalled.out, OUTSIDE, APPLIANCE_OUT, wait=BLOCKED_AFTER)


# -- the appliance's own dnsmasq, as rendered for the mode -----------------------------------------

LEASE_SCRIPT = """#!/bin/sh
[ "$1" = bound ] && echo "ip=$ip router=$router dns=$dns" >> "$LEASE_OUT"
exit 0
"""


def test_tablet_lease_names_only_the_appliance_and_no_name_outside_resolves(firewalled, rendered, tmp_path):
    """The tablet's DHCP lease (udhcpc, a real client) names the appliance as its only router
    and name server; the appliance's dnsmasq answers its own name and the captive-portal probes
    and refuses every other name (it has no upstream). Not tried: a lease across the "outside"
    interface, which the firewall's DHCP rule does not cover (test_lan_services would show it)."""
    net = firewalled
    need_tools("dnsmasq", "udhcpc")
    net.udp53.kill()
    net.udp53.wait()
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(rendered[net.mode]["dnsmasq.conf"])
    # The rendered file as Debian's dnsmasq.service reads it, but for the host's dnsmasq here.
    dnsmasq = subprocess.Popen(["ip", "netns", "exec", net.app, "dnsmasq", "--keep-in-foreground", "--log-facility=-",
                                "--pid-file=", f"--conf-file={conf}", f"--dhcp-leasefile={tmp_path}/leases",
                                "--user=root", "--group=root"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    net.servers.append(dnsmasq)
    script = tmp_path / "lease.sh"
    script.write_text(LEASE_SCRIPT)
    script.chmod(0o755)
    out = tmp_path / "lease.out"
    deadline = time.monotonic() + REACH_WITHIN
    while not (out.exists() and out.read_text().strip()) and time.monotonic() < deadline:
        assert dnsmasq.poll() is None, f"dnsmasq exited:\n{dnsmasq.stdout.read()}"
        subprocess.run(["ip", "netns", "exec", net.tab, "udhcpc", "-i", "tab0", "-n", "-q", "-f", "-t", "3", "-T", "2",
                        "-s", str(script)], env=dict(os.environ, LEASE_OUT=str(out)), capture_output=True, timeout=60)
    lease = out.read_text().strip() if out.exists() else ""
    assert lease, f"the tablet got no lease in {net.mode} mode"
    fields = dict(part.split("=", 1) for part in lease.splitlines()[-1].split())
    assert fields["ip"].startswith("10.42.0.") and fields["router"] == APPLIANCE and fields["dns"] == APPLIANCE, lease

    def ask(name):
        proc = subprocess.run(["ip", "netns", "exec", net.tab, sys.executable, PROBE, "dns", APPLIANCE, name, "5"],
                              capture_output=True, text=True)
        return proc.stdout.strip()

    assert ask("yishi.lan") == f"rcode=0 a={APPLIANCE}"
    assert ask("captive.apple.com") == f"rcode=0 a={APPLIANCE}"
    for outside in ("example.com", "www.baidu.com", "deb.debian.org"):
        answer = ask(outside)
        assert answer.startswith("rcode=") and not answer.startswith("rcode=0 a=1"), f"{outside}: {answer}"
        assert answer.endswith("a="), f"{outside} resolved to an address: {answer}"
