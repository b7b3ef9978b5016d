"""A cached Debian bookworm arm64 root filesystem for the provisioning tests.

debootstrap under qemu-user takes minutes, so the result is kept under .cache/ keyed by
everything that shapes it (suite, architecture, variant, mirror and the package list). A repeat
run copies the cached tree; CI, starting from a fresh clone, builds it once per run.

Run as a script to warm the cache: ``python tests/provisioning/rootfs.py``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
ARCH = "arm64"
VARIANT = "minbase"
MIRROR = os.environ.get("YISHI_DEBIAN_MIRROR", "http://deb.debian.org/debian")

# What a stock Debian 12 arm64 system on a Pi already has, plus Python for Ansible.
SYSTEM_PACKAGES = ["systemd", "systemd-sysv", "udev", "python3", "ca-certificates"]


def role_packages() -> list[str]:
    """The Debian packages the roles install, read from the roles' documented defaults.

    They go into the cached root filesystem so that the playbook's apt tasks find them
    present and the tests run without reaching the mirror on every run.
    """
    import yaml

    defaults = yaml.safe_load((REPO / "provisioning/roles/yishi/defaults/main.yml").read_text())
    names: list[str] = []
    for key, value in sorted(defaults.items()):
        if key.endswith("_packages"):
            names.extend(value)
    return names


def package_list() -> list[str]:
    return sorted(set(SYSTEM_PACKAGES) | set(role_packages()))


def cache_key(packages: list[str]) -> str:
    spec = json.dumps([SUITE, ARCH, VARIANT, MIRROR, packages], sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    return Path(os.environ.get("YISHI_TEST_CACHE", REPO / ".cache")) / "provisioning"


def enable_binfmt() -> None:
    """Make the host kernel run aarch64 binaries through qemu-user-static."""
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], check=True)
    if not (binfmt / "qemu-aarch64").exists():
        subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], check=True)
    if not (binfmt / "qemu-aarch64").exists():
        raise RuntimeError(f"{binfmt}/qemu-aarch64 is not registered after update-binfmts --enable")


def cached_rootfs(log=print) -> Path:
    """Return the path of a pristine cached root filesystem, building it when missing."""
    packages = package_list()
    root = cache_dir() / f"rootfs-{SUITE}-{ARCH}-{cache_key(packages)}"
    if (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    # Another test run (or the image build) may be building the same root: wait for it.
    with open(root.with_name(root.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / ".complete").exists():
            return root
        return _build(root, packages, log)


def _build(root: Path, packages: list[str], log) -> Path:
    enable_binfmt()
    building = root.with_name(root.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    started = time.monotonic()
    log(f"debootstrap {SUITE} {ARCH} {VARIANT} with {len(packages)} packages into {building}")
    subprocess.run(
        ["debootstrap", f"--arch={ARCH}", f"--variant={VARIANT}",
         "--include=" + ",".join(packages), SUITE, str(building), MIRROR],
        check=True, stdout=subprocess.DEVNULL if os.environ.get("CI") != "true" else None,
    )
    # The archive lists and downloaded .debs are not part of a system.
    subprocess.run(["chroot", str(building), "apt-get", "clean"], check=True)
    (building / ".complete").write_text(json.dumps({"packages": packages}) + "\n")
    building.rename(root)
    log(f"debootstrap took {time.monotonic() - started:.0f} s")
    return root


def fresh_copy(dest: Path) -> Path:
    """Copy the cached root filesystem to dest (a throwaway working copy)."""
    src = cached_rootfs()
    enable_binfmt()  # the cache may outlive the binfmt registration (a reboot)
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["cp", "-a", "--reflink=auto", str(src), str(dest)], check=True)
    (dest / ".complete").unlink()
    return dest


if __name__ == "__main__":
    print(cached_rootfs(log=lambda m: print(m, file=sys.stderr)))
