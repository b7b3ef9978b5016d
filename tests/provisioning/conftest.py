"""Fixtures for the provisioning tests: tools, the wheelhouse, and a provisioned arm64 root.

A missing tool skips a test on a developer's machine and fails it under CI (CI=true): CI must
prove the provisioning, never quietly skip it.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.provisioning import rootfs

REPO = rootfs.REPO
PROVISIONING = REPO / "provisioning"
EXPECTED = Path(__file__).parent / "expected"
IN_CI = os.environ.get("CI") == "true"
TEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHlpc2hpLXRlc3Qta2V5LW5vdC1hLXJlYWwta2V5IQ yishi-test"


def need(condition: bool, what: str) -> None:
    """Skip (developer machine) or fail (CI) when a requirement of the test is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI cannot run this test: {what}")
    pytest.skip(what)


def need_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    need(not missing, f"missing tool(s): {', '.join(missing)} (see docs/provisioning.md, Tests)")


def need_root() -> None:
    need(os.geteuid() == 0, "needs root (chroot, network namespaces)")


def ansible_tool(name: str) -> str:
    """ansible-playbook and ansible-lint from the venv running pytest, else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    need(found is not None, f"{name} is not installed (pip install the test extra)")
    return found


UNIT_EXPOSURE = EXPECTED / "unit-exposure.yml"
EXPOSURE_LINE = re.compile(r"Overall exposure level for \S+: (\d+\.\d+)")


def recorded_exposures() -> dict[str, dict]:
    """expected/unit-exposure.yml: the recorded systemd-analyze security level of every unit."""
    return yaml.safe_load(UNIT_EXPOSURE.read_text())


def security_exposure(*args: str) -> tuple[float, str]:
    """`systemd-analyze security --offline=true ARGS`: the overall exposure level and the report."""
    need_tools("systemd-analyze")
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", *args],
                          capture_output=True, text=True)
    return parse_exposure(proc.stdout + proc.stderr, " ".join(args))


def parse_exposure(report: str, what: str) -> tuple[float, str]:
    match = EXPOSURE_LINE.search(report)
    assert match, f"systemd-analyze security gave no rating for {what}:\n{report[-3000:]}"
    return float(match.group(1)), report


def assert_exposure_within_record(unit: str, exposure: float, report: str) -> None:
    recorded = recorded_exposures()
    assert unit in recorded, (f"{UNIT_EXPOSURE.relative_to(REPO)} records no exposure for {unit} "
                              f"(it rates {exposure}): add it")
    limit = recorded[unit]["exposure"]
    exposed = "\n".join(line for line in report.splitlines() if line.startswith("\u2717"))
    assert exposure <= limit, (f"{unit}: systemd-analyze security rates it {exposure}, above its recorded "
                               f"{limit} in {UNIT_EXPOSURE.relative_to(REPO)}; what it leaves open:\n{exposed}")


def role_defaults() -> dict:
    return yaml.safe_load((PROVISIONING / "roles/yishi/defaults/main.yml").read_text())


def provisioning_settings(root: Path | str, wheelhouse: Path | str, **overrides) -> dict:
    """The settings the tests provision with (the expected files are rendered from these)."""
    settings = {
        "yishi_admin_authorized_keys": [TEST_KEY],
        "yishi_wifi_country": "CN",
        "yishi_lan_address": "10.42.0.1",
        "yishi_wifi_ssid": "议事 Yishi",
        "yishi_wheelhouse": str(wheelhouse),
    }
    settings.update(overrides)
    return settings


def write_inventory(path: Path, root: Path | str, settings: dict) -> Path:
    host = {"ansible_host": str(root), "ansible_connection": "community.general.chroot"}
    inventory = {"yishi": {"hosts": {"image": host}, "vars": settings}}
    path.write_text(yaml.safe_dump(inventory, allow_unicode=True))
    return path


RECAP = re.compile(
    r"^image\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)", re.M)


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    seconds: float              # wall clock: depends on what else the machine is doing
    cpu_seconds: float = 0.0    # user + system time of the run and every process it waited for

    @property
    def recap(self) -> dict[str, int]:
        match = RECAP.search(self.output)
        assert match, f"no PLAY RECAP line for host image in the output:\n{self.output[-3000:]}"
        return {k: int(v) for k, v in match.groupdict().items()}


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(inventory: Path, *args: str, log: Path | None = None) -> PlaybookRun:
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1",
               ANSIBLE_LOCAL_TEMP=str(inventory.parent / "ansible-tmp"))
    started, cpu_before = time.monotonic(), children_cpu_seconds()
    proc = subprocess.run(
        [ansible_tool("ansible-playbook"), "-i", str(inventory), "site.yml", *args],
        cwd=PROVISIONING, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    run = PlaybookRun(proc.returncode, proc.stdout, time.monotonic() - started,
                      children_cpu_seconds() - cpu_before)
    if log is not None:
        log.write_text(run.output)
    return run


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """The real wheelhouse script's output: the yishi wheel plus aarch64 wheels from PyPI."""
    out = tmp_path_factory.mktemp("wheelhouse")
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run([str(PROVISIONING / "build-wheelhouse"), str(out)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, f"provisioning/build-wheelhouse failed:\n{proc.stdout[-4000:]}"
    return out


@dataclass
class Provisioned:
    root: Path
    settings: dict
    first: PlaybookRun
    second: PlaybookRun


@pytest.fixture(scope="session")
def provisioned(tmp_path_factory, wheelhouse) -> Provisioned:
    """A debootstrapped bookworm arm64 root, provisioned twice by site.yml (chroot connection)."""
    need_root()
    need_tools("debootstrap", "chroot", "qemu-aarch64-static", "update-binfmts")
    work = tmp_path_factory.mktemp("chroot")
    root = rootfs.fresh_copy(work / "root")
    settings = provisioning_settings(root, wheelhouse)
    inventory = write_inventory(work / "hosts.yml", root, settings)
    first = run_playbook(inventory, log=work / "first-run.log")
    assert first.returncode == 0, f"site.yml failed on the arm64 root:\n{first.output[-6000:]}"
    second = run_playbook(inventory, log=work / "second-run.log")
    yield Provisioned(root, settings, first, second)
    if os.environ.get("YISHI_KEEP_ROOTFS") != "1":
        shutil.rmtree(work, ignore_errors=True)
