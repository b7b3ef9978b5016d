"""The time keeping the provisioned system will have (roles/yishi_time): chrony with no upstream
source that takes the admin's time and serves the LAN, the web service's narrow way to chronyd,
fake-hwclock saving regularly, NTP let through the air gap from the meeting Wi-Fi only.

Against the arm64 root that site.yml provisioned twice through the chroot connection (see
conftest.provisioned); the RTC case is rendered from the role's template with the setting on.
"""

from __future__ import annotations

import re

import jinja2
import pytest

from tests.provisioning.conftest import PROVISIONING, role_defaults
from tests.provisioning.targets import ChrootTarget

ROLE = PROVISIONING / "roles/yishi_time"


@pytest.fixture(scope="module")
def target(provisioned):
    return ChrootTarget(provisioned.root)


def directives(text):
    return [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.chroot
def test_chrony_has_no_upstream_and_serves_the_lan_only(target, provisioned):
    conf = target.read("/etc/chrony/chrony.conf")
    names = [d[0] for d in directives(conf)]
    for upstream in ("server", "pool", "peer", "sourcedir", "confdir", "refclock"):
        assert upstream not in names, f"chrony.conf names an upstream ({upstream}) behind the air gap:\n{conf}"
    settings = dict((d[0], d[1] if len(d) > 1 else "") for d in directives(conf))
    lan = f"{provisioned.settings['yishi_lan_address']}/{role_defaults()['yishi_lan_prefix']}"
    assert settings.get("allow") == lan, conf
    assert names.count("allow") == 1, conf
    assert "manual" in names, "chronyc settime needs `manual`"
    assert settings.get("makestep") == "1 -1", "a confirmed time must step the clock at once"
    assert settings.get("local", "").startswith("stratum"), "without `local` chrony serves nothing with no source"
    assert settings.get("cmdport") == "0", "commands only over the Unix socket"
    assert "rtcsync" not in names, "no RTC is fitted by default"
    assert target.stat("/etc/chrony/chrony.conf") == ("644", "root", "root")


@pytest.mark.chroot
def test_web_service_reaches_chronyd_through_its_group_only(target):
    dropin = target.read("/etc/systemd/system/yishi.service.d/yishi-time.conf")
    assert re.search(r"^SupplementaryGroups=_chrony$", dropin, re.M), dropin
    assert re.search(r"^ReadWritePaths=-/run/chrony$", dropin, re.M), dropin
    settings = [line for line in dropin.splitlines() if line.strip() and not line.startswith("#")]
    assert not [line for line in settings if "ProtectClock" in line or "Capabilit" in line], \
        "the clock stays chronyd's to set"
    chrony = target.read("/etc/systemd/system/chrony.service.d/yishi.conf")
    assert re.search(r"^RuntimeDirectoryMode=0770$", chrony, re.M), chrony
    # The group exists and has no member: only the service that is given it reaches the socket.
    group = target.check("getent group _chrony").strip()
    assert group.startswith("_chrony:") and group.split(":")[3] == "", group
    unit = target.read("/etc/systemd/system/yishi.service")
    assert "ProtectClock=yes" in unit


@pytest.mark.chroot
@pytest.mark.parametrize("unit", ["chrony.service", "fake-hwclock.service", "yishi-clock-save.timer"])
def test_time_units_are_enabled(target, unit):
    found = target.run(f"find /etc/systemd/system -path '*.wants/{unit}' -o -path '*.wants/chronyd.service'")
    assert f"/{unit}" in found.stdout, f"{unit} is not enabled:\n{found.stdout}"


@pytest.mark.chroot
def test_time_is_saved_regularly_by_fake_hwclock(target):
    timer = target.read("/etc/systemd/system/yishi-clock-save.timer")
    assert re.search(r"^OnUnitActiveSec=1h$", timer, re.M), timer
    service = target.read("/etc/systemd/system/yishi-clock-save.service")
    assert re.search(r"^ExecStart=/sbin/fake-hwclock save$", service, re.M), service
    assert target.exists("/sbin/fake-hwclock")
    # The unit fake-hwclock ships restores at boot and saves at shutdown; it must stay so.
    shipped = target.read("/lib/systemd/system/fake-hwclock.service")
    assert "ExecStart=/sbin/fake-hwclock load" in shipped and "ExecStop=/sbin/fake-hwclock save" in shipped


@pytest.mark.chroot
def test_clock_setter_is_installed_and_refuses_a_malformed_time(target):
    assert target.stat("/usr/local/libexec/yishi-clock-set") == ("755", "root", "root")
    bad = target.run("/usr/local/libexec/yishi-clock-set 12abc /nonexistent")
    assert bad.rc == 2 and "not a time in seconds" in bad.stderr, (bad.rc, bad.stdout, bad.stderr)


@pytest.mark.chroot
def test_ntp_comes_in_from_the_meeting_wifi_only(target):
    rules = target.read("/etc/nftables.conf")
    ntp = [line.strip() for line in rules.splitlines() if re.search(r"\b123\b", line)]
    assert ntp == ['iifname "wlan0" udp dport { 53, 67, 123 } accept'], ntp


@pytest.mark.chroot
def test_time_role_says_what_it_skipped_and_sets_no_clock_in_a_chroot(provisioned):
    out = provisioned.first.output
    block = re.search(r"TASK \[yishi_time : Say what was skipped under the chroot connection\].*?\n(.*?)\n\n", out, re.S)
    assert block and '"msg": "chroot connection:' in block.group(1)
    setting = re.search(r"TASK \[yishi_time : The clock is set from the admin's laptop.*?\].*?\n(.*?)\n\n", out, re.S)
    assert setting and "skipping: [image]" in setting.group(1), setting and setting.group(1)
    assert not (provisioned.root / "var/lib/yishi/clock-provisioned.json").exists()


def render(template, **overrides):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROLE / "templates")), undefined=jinja2.StrictUndefined)
    values = {**role_defaults(), "yishi_lan_address": "10.42.0.1", "ansible_managed": "test", **overrides}
    return env.get_template(template).render(**values)


def test_rtc_setting_lets_chrony_keep_the_rtc_in_step():
    on = [line.strip() for line in render("chrony.conf.j2", yishi_time_rtc=True).splitlines()]
    off = [line.strip() for line in render("chrony.conf.j2").splitlines()]
    assert "rtcsync" in on and "rtcsync" not in off
    assert "dtoverlay=i2c-rtc,ds3231" in role_defaults()["yishi_time_rtc_firmware_lines"]
    assert role_defaults()["yishi_time_rtc"] is False


def test_serving_ntp_can_be_switched_off():
    assert not any(line.startswith("allow") for line in render("chrony.conf.j2", yishi_time_serve_ntp=False).splitlines())
