"""Fast checks of the provisioning code itself: lint, syntax, unit hardening, documentation."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from tests.provisioning.conftest import PROVISIONING, REPO, ansible_tool, need_tools, role_defaults

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


def security_exposure(unit_path) -> float:
    need_tools("systemd-analyze")
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit_path)],
                          capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert match, f"systemd-analyze security gave no rating for {unit_path}:\n{proc.stdout}{proc.stderr}"
    return float(match.group(1))


def test_web_service_is_rated_ok_by_systemd_analyze_security():
    exposure = security_exposure(SYSTEMD / "yishi.service")
    assert exposure <= 2.0, f"systemd/yishi.service exposure {exposure}, expected 2.0 or lower"


def test_first_boot_unit_is_rated_ok_by_systemd_analyze_security():
    exposure = security_exposure(SYSTEMD / "yishi-firstboot.service")
    assert exposure <= 2.0, f"systemd/yishi-firstboot.service exposure {exposure}, expected 2.0 or lower"


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
