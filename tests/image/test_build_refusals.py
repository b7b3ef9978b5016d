"""`make image` stops at once, saying what to install or free, when it cannot succeed here:
without root, without binfmt support for arm64, with too little disk space.

"At once" is a state, not a stopwatch: the build refused before its first phase began (its
output announces no phase), however slow the machine is today."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.image.conftest import REPO, need, need_root

pytestmark = pytest.mark.image
BUILD = [sys.executable, str(REPO / "image-build/build.py"), "--test-settings", "--no-compress"]


# build.py's Timer announces every phase as "[image HH:MM:SS] <phase> ...".
PHASE_LINE = re.compile(r"^\[image \d\d:\d\d:\d\d\] .* \.\.\.$", re.M)


def refused(cmd, env=None, timeout=600):
    proc = subprocess.run(cmd, env=dict(os.environ, **(env or {})), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    assert proc.returncode != 0, f"the build did not stop:\n{proc.stdout[-2000:]}"
    assert not PHASE_LINE.search(proc.stdout), f"it began building before it refused:\n{proc.stdout[-2000:]}"
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc.stdout


def test_without_root_it_says_run_as_root(tmp_path):
    need_root()  # to become someone else
    out = refused(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *BUILD,
                   "--out", str(tmp_path / "out")])
    assert "needs root" in out and "sudo make image" in out


def test_without_binfmt_it_names_the_packages(tmp_path):
    need_root()
    empty = tmp_path / "binfmt_misc"
    empty.mkdir()
    out = refused([*BUILD, "--out", str(tmp_path / "out")], env={"YISHI_BINFMT_MISC": str(empty)})
    assert "qemu-user-static" in out and "binfmt-support" in out and "update-binfmts --enable qemu-aarch64" in out


def test_with_too_little_disk_space_it_says_how_much_to_free(tmp_path):
    need_root()
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(small)]).returncode == 0
    need(mounted, "cannot mount a small tmpfs here")
    try:
        out = refused([*BUILD, "--out", str(small / "out")], env={"YISHI_TEST_CACHE": str(small / "cache")})
        assert "GiB free" in out and "needs 8 GiB" in out and str(small) in out
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_settings_with_a_wifi_passphrase_are_refused(tmp_path):
    need_root()
    settings = tmp_path / "yishi.yml"
    settings.write_text("yishi_admin_authorized_keys: ['ssh-ed25519 AAAA x']\nyishi_wifi_country: CN\n"
                        "yishi_lan_address: 10.42.0.1\nyishi_wifi_passphrase: geheim-geheim\n")
    out = refused([sys.executable, str(REPO / "image-build/build.py"), "--settings", str(settings),
                   "--no-compress", "--out", str(tmp_path / "out")])
    assert "yishi_wifi_passphrase is set" in out and "first boot" in out


def test_missing_settings_file_says_where_to_start(tmp_path):
    need_root()
    out = refused([sys.executable, str(REPO / "image-build/build.py"), "--settings", str(tmp_path / "none.yml"),
                   "--no-compress", "--out", str(tmp_path / "out")])
    assert "inventory.example" in out and "--test-settings" in out
