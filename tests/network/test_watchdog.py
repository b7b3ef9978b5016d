"""The air-gap watchdog on a meeting LAN made of network namespaces: a rogue dnsmasq (DHCP with
and without a gateway, DNS alone) and a radvd plugged in beside the appliance, each seen within
30 s and named; the appliance's own dnsmasq never reported; a rogue unplugged is forgotten.
"""

import json

import pytest

from tests.network.lan import Lan, wait_for

pytestmark = [pytest.mark.netns]
SEEN_WITHIN = 30  # the bound, from the moment the rogue starts


def kinds(state):
    try:
        doc = json.loads(state.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return {(f["kind"], f["source"]) for f in doc["findings"]}


def rounds_done(state, n):
    """True once the watchdog has probed at least `n` rounds (its state file's age says so)."""
    try:
        doc = json.loads(state.read_text())
    except (FileNotFoundError, ValueError):
        return False
    return doc["updated_at"] - doc["started_at"] >= n * doc["interval"] - 0.5


@pytest.fixture
def lan(tmp_path):
    with Lan(tag=tmp_path.name[-12:].replace("_", "")) as lan:
        yield lan


def own_dnsmasq(lan, tmp):
    # As the appliance's: DHCP and DNS on the LAN, itself as router and DNS server.
    return lan.dnsmasq(lan.pi, tmp, "interface=lan0", "bind-interfaces", "no-resolv", "no-hosts",
                       "dhcp-range=10.42.0.50,10.42.0.250,12h", "dhcp-option=option:router,10.42.0.1",
                       "dhcp-option=option:dns-server,10.42.0.1", "address=/yishi.lan/10.42.0.1")


def test_quiet_lan_with_the_appliances_own_dnsmasq_reports_nothing(lan, tmp_path):
    own_dnsmasq(lan, tmp_path)
    state = tmp_path / "state.json"
    lan.watchdog(state)
    assert wait_for(lambda: rounds_done(state, 4), 60), "the watchdog did not run four rounds"
    assert kinds(state) == set()


def test_rogue_dhcp_server_with_a_gateway_and_dns(lan, tmp_path):
    """A home router plugged in with its DHCP on: a second DHCP server, a gateway, a DNS server."""
    own_dnsmasq(lan, tmp_path)
    state = tmp_path / "state.json"
    lan.watchdog(state)
    assert wait_for(lambda: kinds(state) is not None, 30)
    lan.dnsmasq(lan.other, tmp_path, "interface=rogue0", "bind-interfaces", "no-resolv", "no-hosts", "port=0",
                "dhcp-range=10.42.0.100,10.42.0.150,1h", "dhcp-option=option:router,10.42.0.99",
                "dhcp-option=option:dns-server,10.42.0.99")
    want = {("dhcp", "10.42.0.99"), ("gateway", "10.42.0.99"), ("dns", "10.42.0.99")}
    seen = wait_for(lambda: want <= (kinds(state) or set()), SEEN_WITHIN)
    assert seen, f"within {SEEN_WITHIN} s the watchdog saw {kinds(state)}, not {want}"
    doc = json.loads(state.read_text())
    gateway = next(f for f in doc["findings"] if f["kind"] == "gateway")
    assert gateway["detail"]["routers"] == ["10.42.0.99"]
    assert not any(f["source"] == "10.42.0.1" for f in doc["findings"]), "the appliance's own dnsmasq was reported"


def test_rogue_dhcp_without_a_gateway_is_a_dhcp_server_only(lan, tmp_path):
    state = tmp_path / "state.json"
    lan.watchdog(state)
    # dhcp-option=3 and =6 with no value: dnsmasq sends neither a router nor a DNS server.
    lan.dnsmasq(lan.other, tmp_path, "interface=rogue0", "bind-interfaces", "port=0",
                "dhcp-range=10.42.0.100,10.42.0.150,1h", "dhcp-option=3", "dhcp-option=6")
    assert wait_for(lambda: ("dhcp", "10.42.0.99") in (kinds(state) or set()), SEEN_WITHIN)
    assert wait_for(lambda: rounds_done(state, 3), 30)
    assert kinds(state) == {("dhcp", "10.42.0.99")}


def test_rogue_dns_resolver_alone(lan, tmp_path):
    """A resolver answering on the LAN with no DHCP (a router with DHCP off but DNS on)."""
    state = tmp_path / "state.json"
    lan.watchdog(state)
    lan.dnsmasq(lan.other, tmp_path, "no-resolv", "no-hosts", "address=/#/10.42.0.99")
    assert wait_for(lambda: ("dns", "10.42.0.99") in (kinds(state) or set()), SEEN_WITHIN), kinds(state)


def test_ipv6_router_advertisement_and_it_is_forgotten_once_unplugged(lan, tmp_path):
    state = tmp_path / "state.json"
    lan.watchdog(state, forget=8)
    radvd = lan.radvd(tmp_path)
    seen = wait_for(lambda: any(k == "ipv6_ra" for k, _ in (kinds(state) or set())), SEEN_WITHIN)
    assert seen, f"no router advertisement reported within {SEEN_WITHIN} s; radvd said:\n" + (
        radvd.stdout.read() if radvd.poll() is not None else "(still running)")
    doc = json.loads(state.read_text())
    ra = next(f for f in doc["findings"] if f["kind"] == "ipv6_ra")
    assert ra["source"].startswith("fe80::") and ra["mac"] != "00:00:00:00:00:00"
    lan.stop(radvd)
    # radvd says goodbye with a zero-lifetime advertisement; after that nothing, so forgotten.
    assert wait_for(lambda: kinds(state) == set(), 8 + 30), kinds(state)
