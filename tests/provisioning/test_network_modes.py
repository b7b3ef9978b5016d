"""Each network mode's files as the roles render them (tests/provisioning/modes.py), asserted
mode by mode, and the settings checks for the modes. Bad settings tried: an unknown mode, a
station limit of 0 or "many", external-ap with no passphrase, with no wired port, with a static
wired address; usb-adapter on a DFS channel (52) or on the built-in radio's own interface.
"""

from __future__ import annotations

import re

import pytest

from tests.provisioning.conftest import EXPECTED
from tests.provisioning.modes import LAN_INTERFACE, MODES, NOT_LAN, network_json, render
from tests.provisioning.test_settings_validation import assert_stopped_at_start_naming, play


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render(tmp_path_factory.mktemp("modes"))


def lan_set(nftables: str) -> set[str]:
    """The interfaces the firewall treats as LAN (its `iifname { ... } jump lan_services`)."""
    m = re.search(r'iifname \{ ([^}]*) \} jump lan_services', nftables)
    return set(re.findall(r'"([^"]+)"', m.group(1)))


def test_builtin_mode_renders_todays_firewall_exactly(rendered):
    # The default mode changes nothing: the same ruleset the chroot run is compared with.
    assert rendered["builtin"]["nftables.conf"] == (EXPECTED / "nftables.conf").read_text()


@pytest.mark.parametrize("mode", MODES)
def test_the_lan_follows_the_mode(rendered, mode):
    files, lan = rendered[mode], LAN_INTERFACE[mode]
    assert f"interface={lan}\n" in files["dnsmasq.conf"]
    assert f"Name={lan}\n" in files["lan.network"]
    net = network_json(files)
    assert (net["mode"], net["interface"]) == (mode, lan)
    assert net["ssid"] == "议事 Yishi" and net["watch_state"] == "/run/yishi-airgap/state.json"
    nft = files["nftables.conf"]
    assert lan in lan_set(nft) and NOT_LAN[mode] not in lan_set(nft)
    assert f'iifname "{lan}" udp dport {{ 53, 67, 123 }} accept' in nft
    assert f'oifname "{lan}" udp sport 67 udp dport 68 accept' in nft


@pytest.mark.parametrize("mode", MODES)
def test_no_mode_hands_clients_a_gateway_or_an_upstream_name_server(rendered, mode):
    dnsmasq = rendered[mode]["dnsmasq.conf"]
    assert "no-resolv" in dnsmasq.splitlines() and not re.search(r"^server=", dnsmasq, re.M)
    # The only router and name server a tablet is told of is the appliance, which routes nothing.
    assert re.findall(r"^dhcp-option=option:(router|dns-server),(.*)$", dnsmasq, re.M) == [
        ("router", "10.42.0.1"), ("dns-server", "10.42.0.1")]
    nft = rendered[mode]["nftables.conf"]
    assert re.search(r"chain forward \{\s*type filter hook forward priority filter; policy drop;\s*\}", nft)


def test_builtin_mode_is_the_pis_radio_on_2_4_ghz(rendered):
    hostapd = rendered["builtin"]["hostapd.conf"]
    assert "interface=wlan0\n" in hostapd and "hw_mode=g\n" in hostapd and "channel=6\n" in hostapd
    assert network_json(rendered["builtin"])["station_limit"] == 10
    assert "ctrl_interface_group=yishi\n" in hostapd  # the web service may count the stations
    assert "Name=eth0" in rendered["builtin"]["wired.network"]


def test_usb_adapter_mode_is_the_adapter_on_5_ghz_and_only_its_driver_passes(rendered):
    files = rendered["usb-adapter"]
    hostapd = files["hostapd.conf"]
    assert "interface=wlan1\n" in hostapd and "hw_mode=a\n" in hostapd and "channel=36\n" in hostapd
    assert "ieee80211ac=1\n" in hostapd
    assert network_json(files)["station_limit"] == 50
    allowed = re.search(r'ENV\{ID_NET_DRIVER\}!="([^"]*)"', files["usb-net.rules"]).group(1).split("|")
    assert "mt76x2u" in allowed
    for other in ("builtin", "external-ap"):
        allowed = re.search(r'ENV\{ID_NET_DRIVER\}!="([^"]*)"', rendered[other]["usb-net.rules"]).group(1)
        assert "mt76x2u" not in allowed.split("|"), f"{other} lets the USB Wi-Fi adapter's driver bind"
    assert "wlan0" not in lan_set(files["nftables.conf"])


def test_external_ap_mode_serves_the_lan_on_the_wired_port_and_nothing_else(rendered):
    files = rendered["external-ap"]
    assert network_json(files)["station_limit"] == 60
    nft = files["nftables.conf"]
    assert lan_set(nft) == {"eth0"}
    assert "udp sport 68 udp dport 67 accept" not in nft  # no DHCP client on the wired port
    assert "no-dhcp-interface" not in files["dnsmasq.conf"]
    assert "IPAddressAllow=10.0.0.0/8" not in files["yishi-lan.conf"]  # no office LAN beside the meeting LAN


# -- settings checks ---------------------------------------------------------------------------

def test_unknown_network_mode_stops_the_play(tmp_path):
    run = play(tmp_path, yishi_network_mode="mesh")
    assert_stopped_at_start_naming(run, "yishi_network_mode")
    assert '"mesh"' in run.output


@pytest.mark.parametrize("limit", [0, "many"])
def test_bad_station_limit_stops_the_play(tmp_path, limit):
    run = play(tmp_path, yishi_network_station_limits={"builtin": limit, "usb-adapter": 50, "external-ap": 60})
    assert_stopped_at_start_naming(run, "yishi_network_station_limit")


def test_external_ap_without_the_access_points_passphrase_stops_the_play(tmp_path):
    run = play(tmp_path, yishi_network_mode="external-ap")
    assert_stopped_at_start_naming(run, "yishi_wifi_passphrase")
    assert "access point's" in run.output


@pytest.mark.parametrize("override", [{"yishi_wired_interface": ""}, {"yishi_wired_address": "192.168.1.5/24"}])
def test_external_ap_needs_the_wired_port_for_the_lan(tmp_path, override):
    run = play(tmp_path, yishi_network_mode="external-ap", yishi_wifi_passphrase="meeting-room-ap", **override)
    assert_stopped_at_start_naming(run, "yishi_wired_interface")


@pytest.mark.parametrize("override", [{"yishi_wifi_channel_5ghz": 52}, {"yishi_usb_wlan_interface": "wlan0"}])
def test_usb_adapter_needs_a_plain_5_ghz_channel_and_its_own_interface(tmp_path, override):
    run = play(tmp_path, yishi_network_mode="usb-adapter", **override)
    assert_stopped_at_start_naming(run, "yishi_wifi_channel_5ghz")


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_with_good_settings_passes_the_checks(tmp_path, mode):
    run = play(tmp_path, yishi_network_mode=mode, yishi_wifi_passphrase="meeting-room-ap")
    assert "failed: [image -> localhost]" not in run.output, run.output[-3000:]
    assert "Provision the Yishi meeting appliance" in run.output
