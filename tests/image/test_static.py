"""The image's own play is held to the provisioning roles' standard (lint, units no more exposed
than recorded, fstab), and its partition table writer produces what the Pi's boot ROM and Linux
read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

from tests.image.conftest import REPO, image_build_module, need
from tests.provisioning.conftest import assert_exposure_within_record, role_defaults, security_exposure

pytestmark = pytest.mark.image


def test_image_play_passes_ansible_lint_production_profile():
    lint = Path(sys.executable).parent / "ansible-lint"
    need(lint.exists(), "ansible-lint is not installed (pip install the test extra)")
    proc = subprocess.run([str(lint), "--profile", "production", str(REPO / "image-build/image.yml")],
                          cwd=REPO / "provisioning", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1"))
    assert proc.returncode == 0, proc.stdout[-4000:]


TEMPLATES = REPO / "image-build/roles/yishi_image/templates"


def render(template: str, **extra) -> str:
    """A template of the image role with the roles' defaults, as Ansible renders it."""
    settings = {**role_defaults(), **yaml.safe_load((REPO / "image-build/roles/yishi_image/defaults/main.yml").read_text()),
                "ansible_managed": "Ansible managed", **extra}
    return jinja2.Template((TEMPLATES / template).read_text(), undefined=jinja2.StrictUndefined,
                           keep_trailing_newline=True).render(settings)


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.service.j2")))
def test_image_unit_is_no_more_exposed_than_recorded(template, tmp_path):
    unit = tmp_path / template.removesuffix(".j2")
    unit.write_text(render(template))
    exposure, report = security_exposure(str(unit))
    assert_exposure_within_record(unit.name, exposure, report)


def test_firmware_partition_is_required_with_a_generous_wait():
    """Without /boot/firmware mounted, a kernel update has nowhere right to go (raspi-firmware's
    hook refuses on a Pi; under virtualisation it writes into the root file system): the boot
    waits for the partition instead of going on without it."""
    fstab = render("fstab.j2")
    lines = {fields[1]: fields for fields in (line.split() for line in fstab.splitlines())
             if fields and not fields[0].startswith("#")}
    for mountpoint in ("/boot/firmware", "/var/lib/yishi"):
        options = lines[mountpoint][3].split(",")
        assert "nofail" not in options, f"{mountpoint}: nofail lets the boot go on without it"
        timeout = next((o.split("=", 1)[1] for o in options if o.startswith("x-systemd.device-timeout=")), "90s")
        assert timeout in ("0", "infinity") or to_seconds(timeout) >= 300, (
            f"{mountpoint}: x-systemd.device-timeout={timeout}; a slow card or a loaded emulator needs minutes")


def to_seconds(span: str) -> float:
    units = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    number = float("".join(c for c in span if c.isdigit() or c == "."))
    unit = span.lstrip("0123456789.") or "s"
    return number * units[unit]


def test_partition_table_round_trip(tmp_path):
    build = image_build_module()
    disk = tmp_path / "disk.img"
    with disk.open("wb") as f:
        f.truncate(64 * 2**20)
    parts = [(4 * 2**20, 16 * 2**20, 0x0C, True), (20 * 2**20, 32 * 2**20, 0x83, False),
             (52 * 2**20, 12 * 2**20, 0x83, False)]
    build.write_mbr(disk, 0x1234ABCD, parts)
    read = build.read_mbr(disk)
    assert [(p["start"], p["size"], p["type"], p["bootable"]) for p in read] == parts
    with disk.open("rb") as f:
        assert f.read(512)[440:444] == bytes.fromhex("CDAB3412")
