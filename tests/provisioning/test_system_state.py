"""The state of the provisioned system: what the Pi will actually be, not what the playbook says.

By default these run against the arm64 root filesystem that site.yml provisioned through the
chroot connection (see conftest.provisioned). With YISHI_VERIFY_TARGET=user@host (as
`provisioning/verify` sets it) they run against a live Pi over SSH, and the checks that need a
running system run too.
"""

from __future__ import annotations

import json
import os
import re
import tomllib

import pytest
import yaml

from tests.provisioning.conftest import (EXPECTED, REPO, TEST_KEY, assert_exposure_within_record, parse_exposure,
                                         role_defaults, security_exposure)
from tests.provisioning.targets import ChrootTarget, SshTarget, Target

VERIFY = os.environ.get("YISHI_VERIFY_TARGET")
pytestmark = [] if VERIFY else [pytest.mark.chroot]

image_only = pytest.mark.skipif(bool(VERIFY), reason="only true of an image that has not booted")
live_only = pytest.mark.skipif(not VERIFY, reason="needs a running system (provisioning/verify)")


@pytest.fixture(scope="module")
def target(request) -> Target:
    if VERIFY:
        return SshTarget(VERIFY)
    return ChrootTarget(request.getfixturevalue("provisioned").root)


@pytest.fixture(scope="module")
def settings(target, request) -> dict:
    """The settings the target was provisioned with, as far as the tests need them."""
    defaults = role_defaults()
    if not VERIFY:
        given = request.getfixturevalue("provisioned").settings
        return {**defaults, **given}
    # A live Pi: the admin's inventory settings (provisioning/verify passes the file).
    path = os.environ.get("YISHI_VERIFY_SETTINGS", str(REPO / "provisioning/inventory/group_vars/yishi.yml"))
    given = yaml.safe_load(open(path, encoding="utf-8")) if os.path.exists(path) else {}
    return {**defaults, **(given or {})}


def unit_is_enabled(target: Target, unit: str) -> bool:
    # Enabled means a symlink in some *.wants/ (or *.requires/) folder under /etc/systemd/system;
    # this is what systemd reads at boot, and it is the same question on an image and a Pi.
    found = target.run(f"find /etc/systemd/system -path '*.wants/{unit}' -o -path '*.requires/{unit}'")
    return found.stdout.strip() != ""


# --- packages and the application ---------------------------------------------------------


def test_debian_packages_of_every_role_are_installed(target):
    packages = [p for key, value in role_defaults().items() if key.endswith("_packages") for p in value]
    out = target.check("dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' " + " ".join(packages))
    status = dict(line.split(maxsplit=1) for line in out.splitlines())
    not_installed = [p for p in packages if status.get(p, "").strip() != "ii"]
    assert not not_installed, f"not installed: {not_installed}"


def test_nginx_finds_its_compiled_in_body_folder(target):
    """nginx (1.22, with nchan) makes /var/lib/nginx/body at start even though our configuration
    puts every temporary path in the run folder; under yishi.service /var/lib is read-only, so the
    folder must be there already (the image booted with nginx refusing to start without it)."""
    assert target.exists("/var/lib/nginx/body")
    assert target.stat("/var/lib/nginx/body") == ("700", "root", "root")


def test_no_swap_service(target):
    out = target.run("dpkg-query -W -f='${db:Status-Abbrev}' dphys-swapfile")
    assert out.rc != 0 or not out.stdout.startswith("ii")
    fstab = target.read("/etc/fstab")
    assert not re.search(r"^\s*[^#\s]+\s+\S+\s+swap\s", fstab, re.M), fstab


def test_yishi_version_runs_in_the_venv(target):
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    out = target.check("/opt/yishi/venv/bin/yishi --version")
    assert out.strip() == f"yishi {version}"


def test_venv_has_the_compiled_aarch64_dependencies(target):
    out = target.check("/opt/yishi/venv/bin/python -c 'import platform, sqlcipher3, argon2, "
                       "cryptography.hazmat.bindings._rust, zeroconf; print(platform.machine())'")
    assert out.strip() == "aarch64"


def test_venv_was_installed_from_the_local_wheelhouse(target):
    wheels = target.check("ls /opt/yishi/wheelhouse").split()
    assert any(w.startswith("yishi-") and w.endswith(".whl") for w in wheels), wheels
    assert any(w.startswith("sqlcipher3-") and "aarch64" in w for w in wheels), wheels
    assert not target.exists("/root/.cache/pip"), "pip cached downloads on the target"


# --- units -----------------------------------------------------------------------------------


INSTALLED_UNITS = ["yishi.service", "yishi-firstboot.service", "yishi-wifi-firstboot.service",
                   "yishi-ssh-hostkeys.service", "yishi-usb@.service",
                   "yishi-airgap-watch.service"]


@pytest.mark.parametrize("unit", INSTALLED_UNITS)
def test_units_are_the_ones_in_the_repository(target, unit):
    assert target.read(f"/etc/systemd/system/{unit}") == (REPO / "systemd" / unit).read_text()
    assert target.stat(f"/etc/systemd/system/{unit}") == ("644", "root", "root")


@pytest.mark.parametrize("unit", ["yishi.service", "yishi-firstboot.service", "yishi-wifi-firstboot.service",
                                  "yishi-ssh-hostkeys.service", "hostapd.service", "dnsmasq.service",
                                  "nftables.service", "systemd-networkd.service", "yishi-airgap-watch.service"])
def test_units_are_enabled(target, unit):
    assert unit_is_enabled(target, unit), f"{unit} is not enabled (no symlink in a .wants folder)"


def test_hostapd_is_not_masked(target):
    link = target.run("readlink /etc/systemd/system/hostapd.service").stdout.strip()
    assert link != "/dev/null", "hostapd.service is masked (Debian ships it masked)"


def test_web_service_drop_in_allows_only_the_lans(target, settings):
    drop_in = target.read("/etc/systemd/system/yishi.service.d/50-lan.conf")
    allowed = re.findall(r"^IPAddressAllow=(.*)$", drop_in, re.M)
    assert allowed[0] == f"{settings['yishi_lan_address']}/{settings['yishi_lan_prefix']}"
    assert "any" not in " ".join(allowed)


@pytest.mark.parametrize("unit", INSTALLED_UNITS)
def test_installed_unit_with_its_drop_ins_is_no_more_exposed_than_recorded(target, unit):
    if isinstance(target, ChrootTarget):
        exposure, report = security_exposure(f"--root={target.root}", unit)
    else:
        exposure, report = parse_exposure(target.check(f"systemd-analyze security --no-pager {unit}"), unit)
    assert_exposure_within_record(unit, exposure, report)


def test_usb_door_is_installed_with_its_program(target, settings):
    """The USB helper's unit, its folders and program are installed (no udev rule starts it yet); the old export unit is gone."""
    for path, source in (("/etc/systemd/system/yishi-usb@.service", "yishi-usb@.service"),
                         ("/etc/tmpfiles.d/yishi-usb.conf", "yishi-usb.conf")):
        assert target.read(path) == (REPO / "systemd" / source).read_text(), path
        assert target.stat(path) == ("644", "root", "root"), path
    # The udev rule stays out until the helper runs inside its sandbox in the booted image
    # (roles/yishi_usb): a stick must not start a unit that fails.
    assert not target.exists("/etc/udev/rules.d/90-yishi-usb.rules")
    assert not target.exists("/etc/udev/rules.d/90-yishi-usb-export.rules")
    assert not target.exists("/etc/systemd/system/yishi-usb-export@.service")
    assert target.stat("/var/lib/yishi-usb") == ("2770", "root", settings["yishi_service_user"])
    assert target.run("/opt/yishi/venv/bin/yishi usb-helper --help").rc == 0
    for tool in ("cryptsetup", "mkfs.exfat", "fsck.vfat", "blkid", "mount"):
        assert target.run(f"command -v {tool}").rc == 0, f"{tool} is missing"


@live_only
@pytest.mark.parametrize("unit", ["yishi.service", "hostapd.service", "dnsmasq.service", "nftables.service",
                                  "systemd-networkd.service", "ssh.service", "yishi-airgap-watch.service"])
def test_services_are_active(target, unit):
    assert target.run(f"systemctl is-active --quiet {unit}").rc == 0, f"{unit} is not active"


# --- accounts and SSH ------------------------------------------------------------------------


def test_service_user_cannot_log_in(target, settings):
    entry = target.check(f"getent passwd {settings['yishi_service_user']}").strip().split(":")
    assert entry[6] == "/usr/sbin/nologin"
    assert entry[5] == settings["yishi_data_dir"]


def test_admin_has_a_locked_password_and_only_the_given_keys(target, settings):
    admin = settings["yishi_admin_user"]
    assert target.check(f"passwd -S {admin}").split()[1] == "L", "the admin account has a usable password"
    assert "sudo" in target.check(f"id -nG {admin}").split()
    keys = target.read(f"/home/{admin}/.ssh/authorized_keys").strip().splitlines()
    if not VERIFY:
        assert keys == [TEST_KEY]
    assert target.stat(f"/home/{admin}/.ssh/authorized_keys")[:2] == ("600", admin)
    assert target.stat(f"/home/{admin}/.ssh")[:2] == ("700", admin)
    assert target.stat("/etc/sudoers.d/yishi-admin") == ("440", "root", "root")


def test_sshd_takes_keys_only(target):
    # sshd -T needs a host key; the image has none (first boot makes them), so lend it one
    # for the check and take it away again.
    # (sshd also wants its privilege separation folder, which ssh.service makes at start.)
    tmp_key = "/run/yishi-test-hostkey"
    made_run_sshd = not target.exists("/run/sshd")
    try:
        target.check(f"rm -f {tmp_key} {tmp_key}.pub && ssh-keygen -q -t ed25519 -N '' -f {tmp_key}")
        target.check("mkdir -p -m 0755 /run/sshd")
        effective = target.check(f"sshd -T -h {tmp_key} -C user=nobody,host=tablet,addr=10.42.0.99")
    finally:
        target.run(f"rm -f {tmp_key} {tmp_key}.pub")
        if made_run_sshd:
            target.run("rmdir /run/sshd")
    config = dict(line.split(maxsplit=1) for line in effective.splitlines() if " " in line)
    assert config["passwordauthentication"] == "no"
    assert config["kbdinteractiveauthentication"] == "no"
    assert config["permitrootlogin"] == "no"
    assert config["authenticationmethods"] == "publickey"


# --- base system -----------------------------------------------------------------------------


def test_time_zone_and_host_name(target, settings):
    assert target.check("readlink /etc/localtime").strip() == f"/usr/share/zoneinfo/{settings['yishi_timezone']}"
    assert target.read("/etc/hostname").strip() == settings["yishi_hostname"]
    hosts = target.read("/etc/hosts")
    assert re.search(rf"^{re.escape(settings['yishi_lan_address'])}\s+{settings['yishi_hostname']}\.", hosts, re.M)


def test_journal_is_volatile_and_capped(target):
    conf = target.read("/etc/systemd/journald.conf.d/50-yishi.conf")
    assert "Storage=volatile" in conf and "RuntimeMaxUse=32M" in conf


# --- access point ----------------------------------------------------------------------------


def hostapd_conf(target) -> dict[str, str]:
    lines = [line for line in target.read("/etc/hostapd/hostapd.conf").splitlines()
             if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_hostapd_is_wpa2_psk_with_ccmp_only(target, settings):
    conf = hostapd_conf(target)
    assert conf["wpa"] == "2"
    assert conf["wpa_key_mgmt"] == "WPA-PSK"
    assert conf["rsn_pairwise"] == "CCMP" and conf["wpa_pairwise"] == "CCMP"
    assert "TKIP" not in " ".join(conf.values())
    assert conf["interface"] == settings["yishi_wlan_interface"]
    assert conf["country_code"] == settings["yishi_wifi_country"]
    assert conf["wpa_psk_file"] == "/etc/hostapd/yishi.psk"
    assert "wpa_passphrase" not in conf and "wpa_psk" not in conf, "a secret in hostapd.conf"
    if not VERIFY:
        assert conf["ssid"] == settings["yishi_wifi_ssid"]


def dnsmasq_conf(target) -> list[str]:
    return [line for line in target.read("/etc/dnsmasq.d/yishi.conf").splitlines()
            if line and not line.startswith("#")]


def test_dnsmasq_config_is_accepted_by_dnsmasq(target):
    out = target.run("dnsmasq --test --conf-file=/etc/dnsmasq.d/yishi.conf")
    assert out.rc == 0 and "syntax check OK" in (out.stdout + out.stderr), out.stderr


def test_dnsmasq_serves_only_the_meeting_lan_with_no_upstream(target, settings):
    conf = dnsmasq_conf(target)
    lan = settings["yishi_lan_address"]
    assert f"interface={settings['yishi_wlan_interface']}" in conf
    assert "no-resolv" in conf
    assert not [line for line in conf if line.startswith("server=")], "an upstream DNS server"
    assert f"dhcp-option=option:router,{lan}" in conf
    assert f"dhcp-range={settings['yishi_dhcp_range_start']},{settings['yishi_dhcp_range_end']},{settings['yishi_dhcp_lease_time']}" in conf
    host = settings["yishi_hostname"]
    assert f"host-record={host}.{settings['yishi_domain']},{host},{lan}" in conf


def test_captive_portal_probe_names_point_at_the_appliance(target, settings):
    conf = dnsmasq_conf(target)
    lan = settings["yishi_lan_address"]
    for name in ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com",
                 "connect.rom.miui.com", "connectivitycheck.platform.hicloud.com"]:
        assert f"address=/{name}/{lan}" in conf, name


def test_lan_interface_has_an_address_and_no_gateway(target, settings):
    lan = target.read("/etc/systemd/network/20-yishi-lan.network")
    assert f"Name={settings['yishi_wlan_interface']}" in lan
    assert f"Address={settings['yishi_lan_address']}/{settings['yishi_lan_prefix']}" in lan
    for path in target.glob("/etc/systemd/network/*.network"):
        text = "\n".join(line for line in target.read(path).splitlines() if not line.startswith("#"))
        assert not re.search(r"^Gateway=", text, re.M), f"{path} sets a gateway"
        if "DHCP=" in text:
            assert "UseGateway=no" in text and "UseRoutes=no" in text and "UseDNS=no" in text, path


def test_ifupdown_does_not_bring_up_a_default_route(target):
    for path in ["/etc/network/interfaces", *target.glob("/etc/network/interfaces.d/*")]:
        if target.exists(path):
            text = target.read(path)
            assert not re.search(r"^\s*(gateway|iface\s+\S+\s+inet6?\s+dhcp)", text, re.M), f"{path}:\n{text}"


# --- air gap ---------------------------------------------------------------------------------


@image_only
def test_nftables_ruleset_is_the_expected_one(target):
    rendered = target.read("/etc/nftables.conf")
    expected = (EXPECTED / "nftables.conf").read_text()
    assert rendered == expected, "the rendered ruleset differs from tests/provisioning/expected/nftables.conf"


def test_nftables_ruleset_drops_by_default(target):
    rules = target.read("/etc/nftables.conf")
    for chain in ("input", "forward", "output"):
        body = re.search(rf"chain {chain} {{(.*?)\n\t}}", rules, re.S).group(1)
        assert "policy drop;" in body, f"chain {chain} does not drop by default"
    assert target.stat("/etc/nftables.conf")[1:] == ("root", "root")


def test_kernel_settings_forbid_forwarding_and_ipv6(target):
    conf = target.read("/etc/sysctl.d/90-yishi-airgap.conf")
    values = dict(re.findall(r"^([\w.]+)\s*=\s*(\S+)$", conf, re.M))
    assert values["net.ipv4.ip_forward"] == "0"
    assert values["net.ipv6.conf.all.disable_ipv6"] == "1"
    assert values["net.ipv6.conf.default.disable_ipv6"] == "1"


def test_usb_network_adapters_tethering_and_bluetooth_are_blocked(target):
    conf = target.read("/etc/modprobe.d/yishi-airgap.conf")
    for module in ["cdc_ether", "rndis_host", "ipheth", "cdc_ncm", "r8152", "asix", "bluetooth", "btusb"]:
        assert f"install {module} /bin/false" in conf, module
    rule = target.read("/etc/udev/rules.d/81-yishi-airgap-usb-net.rules")
    assert 'SUBSYSTEM=="net", SUBSYSTEMS=="usb"' in rule
    assert "authorized" in rule


@live_only
def test_no_default_route_and_no_forwarding_on_the_running_system(target):
    assert target.check("ip -4 route show default").strip() == ""
    assert target.read("/proc/sys/net/ipv4/ip_forward").strip() == "0"
    ipv6 = target.run("cat /proc/sys/net/ipv6/conf/all/disable_ipv6")
    assert ipv6.rc != 0 or ipv6.stdout.strip() == "1"


@live_only
def test_firewall_is_loaded_on_the_running_system(target):
    ruleset = target.check("nft list ruleset")
    for chain in ("input", "forward", "output"):
        assert re.search(rf"chain {chain} {{\s*type filter hook {chain} priority filter; policy drop;", ruleset), chain


@live_only
def test_no_usb_network_or_bluetooth_driver_is_loaded(target):
    loaded = {line.split()[0] for line in target.check("cat /proc/modules").splitlines()}
    assert not loaded & {"cdc_ether", "rndis_host", "ipheth", "cdc_ncm", "bluetooth", "btusb", "hci_uart"}


# --- secrets ---------------------------------------------------------------------------------


def test_data_and_settings_folders_are_closed(target, settings):
    user = settings["yishi_service_user"]
    assert target.stat(settings["yishi_data_dir"]) == ("700", user, user)
    assert target.stat("/etc/yishi") == ("750", "root", user)
    env = target.read("/etc/yishi/appliance.env")
    assert "PASSPHRASE" not in env


@image_only
def test_no_key_material_in_the_image(target, settings):
    assert target.glob("/etc/ssh/ssh_host_*") == [], "SSH host keys in the image"
    assert target.check(f"ls -A {settings['yishi_data_dir']}").strip() == "", "the data folder is not empty"
    for secret in ["/etc/hostapd/yishi.psk", "/etc/yishi/wifi.env"]:
        assert not target.exists(secret), f"{secret} in the image (no passphrase was given)"
    found = target.run("grep -rlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' /etc /root /home /var/lib /opt/yishi/wheelhouse 2>/dev/null")
    assert found.stdout.strip() == "", f"private keys in the image: {found.stdout}"


@live_only
def test_secrets_made_on_the_device_are_private(target, settings):
    for path in ["/etc/hostapd/yishi.psk", "/etc/yishi/wifi.env"]:
        assert target.stat(path) == ("600", "root", "root"), path
    keys = target.check(f"find {settings['yishi_data_dir']}/tls -name '*key*' -printf '%m %u %p\\n'").splitlines()
    assert keys, "no TLS key in the data folder"
    for line in keys:
        mode, owner, path = line.split()
        assert mode == "600" and owner == settings["yishi_service_user"], line


# --- first boot, run inside the image under qemu ----------------------------------------------


@image_only
def test_wifi_first_boot_makes_a_private_passphrase_once(target):
    try:
        target.check("/usr/local/libexec/yishi-wifi-firstboot")
        env = target.read("/etc/yishi/wifi.env")
        passphrase = re.fullmatch(r"YISHI_WIFI_PASSPHRASE=(\S+)\n", env).group(1)
        assert re.fullmatch(r"([a-z2-9]{4}-){3}[a-z2-9]{4}", passphrase)
        assert target.read("/etc/hostapd/yishi.psk") == f"00:00:00:00:00:00 {passphrase}\n"
        assert target.stat("/etc/hostapd/yishi.psk") == ("600", "root", "root")
        assert target.stat("/etc/yishi/wifi.env") == ("600", "root", "root")
        target.check("/usr/local/libexec/yishi-wifi-firstboot")
        assert target.read("/etc/yishi/wifi.env") == env, "a second boot changed the passphrase"
    finally:
        target.run("rm -f /etc/yishi/wifi.env /etc/hostapd/yishi.psk")


@image_only
def test_first_boot_command_makes_tls_secrets_as_the_service_user(target, settings):
    user = settings["yishi_service_user"]
    data = "/run/yishi-firstboot-test"
    try:
        target.check(f"rm -rf {data} && install -d -o {user} -g {user} -m 0700 {data}")
        target.check(f"setpriv --reuid={user} --regid={user} --init-groups "
                     f"/opt/yishi/venv/bin/yishi init --data {data} --secrets-only "
                     f"--ssid 'Yishi test' --wifi-passphrase 'abcd-efgh-jkmn-pqrs' --public-url https://yishi.lan")
        assert target.exists(f"{data}/config.json")
        keys = target.check(f"find {data}/tls -name '*key*' -printf '%m %u\\n'").split("\n")
        assert [k for k in keys if k], "no TLS key made"
        for line in filter(None, keys):
            assert line == f"600 {user}", line
    finally:
        target.run(f"rm -rf {data}")
