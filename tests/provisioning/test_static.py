"""Fast checks of the provisioning code itself: lint, syntax, unit hardening, documentation."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.provisioning.conftest import (PROVISIONING, REPO, UNIT_EXPOSURE, ansible_tool,
                                         assert_exposure_within_record, need_tools, recorded_exposures,
                                         role_defaults, security_exposure)

SYSTEMD = REPO / "systemd"


def test_ansible_lint_passes_at_the_production_profile():
    proc = subprocess.run([ansible_tool("ansible-lint"), "--offline", "--profile", "production",
                           "--nocolor"], cwd=PROVISIONING, capture_output=True, text=True)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"ansible-lint found problems:\n{report[-6000:]}"
    assert "Profile 'production' was required, and it passed" in report, report[-2000:]


def test_playbook_syntax_check_passes(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("yishi:\n  hosts:\n    image:\n      ansible_connection: local\n")
    proc = subprocess.run([ansible_tool("ansible-playbook"), "--syntax-check", "-i", str(inventory),
                           "site.yml"], cwd=PROVISIONING, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


UNIT_FILES = sorted(p.name for p in SYSTEMD.iterdir() if p.suffix == ".service")
# The image's own units are templates; tests/image/test_static.py rates them rendered.
IMAGE_UNITS = {p.name.removesuffix(".j2") for p in (REPO / "image-build/roles/yishi_image/templates").glob("*.service.j2")}


@pytest.mark.parametrize("unit", UNIT_FILES)
def test_unit_is_no_more_exposed_than_recorded(unit):
    exposure, report = security_exposure(str(SYSTEMD / unit))
    assert_exposure_within_record(unit, exposure, report)


def test_every_recorded_unit_exists_and_says_why_above_2():
    recorded = recorded_exposures()
    assert set(recorded) == set(UNIT_FILES) | IMAGE_UNITS, (
        f"{UNIT_EXPOSURE.relative_to(REPO)} must record exactly the units of systemd/ and the image: "
        f"stale {sorted(set(recorded) - set(UNIT_FILES) - IMAGE_UNITS)}, "
        f"missing {sorted(set(UNIT_FILES) | IMAGE_UNITS - set(recorded))}")
    unexplained = [unit for unit, entry in recorded.items()
                   if entry["exposure"] > 2.0 and not str(entry.get("why", "")).strip()]
    assert not unexplained, f"{UNIT_EXPOSURE.relative_to(REPO)}: above 2.0 without a `why`: {unexplained}"


def test_web_service_keeps_what_the_app_needs():
    unit = (SYSTEMD / "yishi.service").read_text()
    # gunicorn binds 80/443 as the unprivileged user; zeroconf needs netlink and multicast.
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in unit
    families = re.search(r"^RestrictAddressFamilies=(.*)$", unit, re.M).group(1).split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"} <= set(families)
    assert re.search(r"^IPAddressAllow=.*\bmulticast\b", unit, re.M)
    assert re.search(r"^ExecStart=/opt/yishi/venv/bin/yishi serve --data /var/lib/yishi .*--port 443 --http-port 80", unit, re.M)
    assert re.search(r"^User=yishi$", unit, re.M)


def test_units_parse_without_errors():
    need_tools("systemd-analyze")
    units = sorted(p for p in SYSTEMD.iterdir() if p.suffix == ".service")
    # verify complains about the absent /opt/yishi binary on this machine; any other
    # complaint (unknown key, bad value, bad section) is a defect.
    for unit in units:
        proc = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                              capture_output=True, text=True)
        problems = [line for line in (proc.stdout + proc.stderr).splitlines()
                    if line.strip() and "is not executable" not in line
                    and "No such file or directory" not in line
                    and "dev-" not in line]
        assert not problems, f"{unit.name}:\n" + "\n".join(problems)


def test_every_setting_is_documented_in_the_example_inventory():
    example = (PROVISIONING / "inventory.example/group_vars/yishi.yml").read_text()
    missing = [name for name in role_defaults()
               if name != "yishi_offline" and not re.search(rf"^#? ?{name}:", example, re.M)]
    assert not missing, f"inventory.example/group_vars/yishi.yml does not mention: {missing}"
    required = ["yishi_admin_authorized_keys", "yishi_wifi_country", "yishi_lan_address"]
    settings = yaml.safe_load(example)
    assert sorted(settings) == sorted(required), "the example sets exactly the required settings"


def test_shell_and_python_programs_parse():
    subprocess.run(["sh", "-n", str(PROVISIONING / "build-wheelhouse")], check=True)
    subprocess.run(["sh", "-n", str(PROVISIONING / "verify")], check=True)
    subprocess.run(["python3", "-m", "py_compile", str(SYSTEMD / "yishi-wifi-firstboot")], check=True)
    if shutil.which("shellcheck"):
        subprocess.run(["shellcheck", str(PROVISIONING / "build-wheelhouse"),
                        str(PROVISIONING / "verify")], check=True)
