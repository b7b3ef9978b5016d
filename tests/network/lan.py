"""A meeting LAN made of network namespaces for the network tests: the appliance's namespace
("pi", IPv6 off as on the Pi) and a second one on the same link where a test plugs in a rogue
device (a dnsmasq, a radvd), joined by a veth pair. Real programs, real packets; nothing here
touches the host's own network.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.provisioning.conftest import need_root, need_tools

ROOT = Path(__file__).resolve().parents[2]


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Lan:
    def __init__(self, tag, pi_address="10.42.0.1", other_address="10.42.0.99"):
        need_root()
        need_tools("ip", "dnsmasq", "radvd")
        self.pi, self.other = f"yishi-pi-{tag}", f"yishi-rogue-{tag}"
        self.pi_address, self.other_address = pi_address, other_address
        self.procs = []

    def __enter__(self):
        for ns in (self.pi, self.other):
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", "lan0", "netns", self.pi, "type", "veth", "peer", "rogue0", "netns", self.other)
        sh("ip", "netns", "exec", self.pi, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        sh("ip", "netns", "exec", self.pi, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "netns", "exec", self.pi, "sysctl", "-qw", "net.ipv6.conf.lan0.disable_ipv6=1")
        sh("ip", "netns", "exec", self.pi, "ip", "addr", "add", f"{self.pi_address}/24", "dev", "lan0")
        sh("ip", "netns", "exec", self.other, "ip", "addr", "add", f"{self.other_address}/24", "dev", "rogue0")
        sh("ip", "netns", "exec", self.pi, "ip", "link", "set", "lan0", "up")
        sh("ip", "netns", "exec", self.other, "ip", "link", "set", "rogue0", "up")
        return self

    def start(self, ns, *cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, **kw)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def dnsmasq(self, ns, tmp, *options):
        """A dnsmasq in `ns` (a rogue one in the other namespace, or the appliance's own)."""
        conf = Path(tmp) / f"dnsmasq-{ns}-{len(self.procs)}.conf"
        conf.write_text("\n".join(options) + "\n")
        return self.start(ns, "dnsmasq", "--keep-in-foreground", "--log-facility=-", "--pid-file=", "--conf-file=" + str(conf),
                          f"--dhcp-leasefile={tmp}/leases-{ns}-{len(self.procs)}", "--user=root", "--group=root")

    def radvd(self, tmp):
        sh("ip", "netns", "exec", self.other, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        conf = Path(tmp) / "radvd.conf"
        conf.write_text("interface rogue0 {\n AdvSendAdvert on;\n MinRtrAdvInterval 3;\n MaxRtrAdvInterval 4;\n"
                        " prefix 2001:db8:1::/64 { };\n};\n")
        return self.start(self.other, "radvd", "--nodaemon", "--config", str(conf), "--pidfile", f"{tmp}/radvd.pid",
                          "--logmethod", "stderr")

    def watchdog(self, state, interval=2, forget=8, **kw):
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        return self.start(self.pi, sys.executable, "-m", "appliance.network.watchdog", "--interface", "lan0",
                          "--state", str(state), "--interval", str(interval), "--forget", str(forget), env=env, **kw)

    def __exit__(self, *exc):
        for p in self.procs:
            self.stop(p)
        for ns in (self.pi, self.other):
            sh("ip", "netns", "del", ns, check=False)


def wait_for(predicate, within, step=0.5):
    """Polls until `predicate()` is truthy (its value) or `within` seconds pass (None)."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
