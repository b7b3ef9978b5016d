"""The image's own play is held to the provisioning roles' standard, and its partition table
writer produces what the Pi's boot ROM and Linux read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.image.conftest import REPO, image_build_module, need

pytestmark = pytest.mark.image


def test_image_play_passes_ansible_lint_production_profile():
    lint = Path(sys.executable).parent / "ansible-lint"
    need(lint.exists(), "ansible-lint is not installed (pip install the test extra)")
    proc = subprocess.run([str(lint), "--profile", "production", str(REPO / "image-build/image.yml")],
                          cwd=REPO / "provisioning", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1"))
    assert proc.returncode == 0, proc.stdout[-4000:]


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
