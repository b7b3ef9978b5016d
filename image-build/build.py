#!/usr/bin/env python3
"""Build the Yishi SD-card image for Raspberry Pi 4 (Debian 12 bookworm arm64).

Owns the whole path from Debian's packages to ``yishi-<version>-raspi-arm64.img.xz``:
a debootstrapped arm64 root (the provisioning tests' cached root, see
tests/provisioning/rootfs.py), Debian's kernel and Raspberry Pi firmware added under qemu-user
with the initramfs held back, the same Ansible roles as a live Pi (site.yml, chroot connection)
followed by the image's own play (image.yml: fstab, firmware settings, first boot), one
initramfs at the end, and the partitions filled without mounting anything (mkfs.vfat + mcopy,
mkfs.ext4 -d), because this build machine's kernel has neither vfat nor device-mapper.

What does not change between builds (the root with its packages) is cached under
.cache/image/, keyed by everything that shapes it. Every phase is timed; the times land in
``<image>.times.json`` beside the image. See docs/image.md.

    sudo .venv/bin/python image-build/build.py --settings provisioning/inventory/group_vars/yishi.yml
    sudo .venv/bin/python image-build/build.py --test-settings --no-compress   # CI
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.provisioning import rootfs  # noqa: E402  (the provisioning root, reused)

# Added to the provisioning root: the kernel, the Pi's boot firmware and Wi-Fi firmware, the
# initramfs tools (held back until the end), what the first boot needs to grow the data
# partition, and fsck for the FAT partition. Last, what the application needs at run time and
# the roles do not install yet (tools/system-packages.txt "run": minutes PDF font, poppler for
# uploaded PDFs); see docs/image.md.
IMAGE_PACKAGES = [
    "linux-image-arm64", "raspi-firmware", "firmware-brcm80211", "wireless-regdb",
    "initramfs-tools", "zstd", "e2fsprogs", "fdisk", "dosfstools",
    "fonts-wqy-zenhei", "poppler-utils",
]
COMPONENTS = "main non-free-firmware"
# Bumped when the way the base layer is made changes (its key must change with it).
BASE_RECIPE = 3

# Partition layout (MiB). The data partition is small in the image and grown to fill the card
# at first boot (yishi-grow-data.service), so the image stays small to write.
FIRM_MIB = 256
DATA_MIB = 64
ROOT_SLACK = 1.25          # root partition = used * slack + 256 MiB, rounded up to 64 MiB
FREE_GIB_NEEDED = 8        # cache + working copy + image + compressed image

LABEL_FIRM, LABEL_ROOT, LABEL_DATA = "RASPIFIRM", "RASPIROOT", "YISHIDATA"


class BuildError(SystemExit):
    """A condition the person running the build must fix; the message says how."""

    def __init__(self, message: str):
        super().__init__(f"make image: {message}")


def log(msg: str) -> None:
    print(f"[image {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kw)


def chroot(root: Path, *cmd, env=None, **kw):
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
            "HOME": "/root"}
    base.update(env or {})
    return run(["chroot", root, *cmd], env=base, **kw)


# ---------------------------------------------------------------- checks before anything


def preflight(out_dir: Path, cache: Path, compress: bool) -> None:
    """Stop at once, saying what to install or free, when the build cannot succeed here."""
    if os.geteuid() != 0:
        raise BuildError("needs root (debootstrap, chroot, mkfs of the image's file systems). "
                         "Run it as root: sudo make image")
    tools = {
        "debootstrap": "debootstrap", "chroot": "coreutils", "qemu-aarch64-static": "qemu-user-static",
        "update-binfmts": "binfmt-support", "mkfs.vfat": "dosfstools", "mcopy": "mtools",
        "mkfs.ext4": "e2fsprogs", "ansible-playbook": "the test extra: pip install -e '.[test]'",
    }
    if compress:
        tools["xz"] = "xz-utils"
    missing = []
    for tool, package in tools.items():
        if tool == "ansible-playbook":
            if not (Path(sys.executable).parent / tool).exists() and shutil.which(tool) is None:
                missing.append(f"{tool} ({package})")
        elif shutil.which(tool) is None:
            missing.append(f"{tool} (Debian package {package})")
    if missing:
        raise BuildError("missing tools: " + ", ".join(missing)
                         + ". Install them: apt-get install debootstrap qemu-user-static binfmt-support "
                           "dosfstools mtools e2fsprogs xz-utils")
    check_binfmt()
    for where in {out_dir, cache}:
        where.mkdir(parents=True, exist_ok=True)
    for where in {out_dir.resolve(), cache.resolve()}:
        free = shutil.disk_usage(where).free / 2**30
        if free < FREE_GIB_NEEDED:
            raise BuildError(f"only {free:.1f} GiB free on the file system of {where}; the build needs "
                             f"{FREE_GIB_NEEDED} GiB. Free space there (old images, .cache/image/) or "
                             f"point --out / YISHI_TEST_CACHE elsewhere")


def check_binfmt() -> None:
    """arm64 programs must run on this machine through qemu-user (binfmt_misc).

    YISHI_BINFMT_MISC names another binfmt_misc folder (the tests prove the message with an
    empty one); the real one is mounted and enabled first, as the provisioning tests do.
    """
    binfmt = Path(os.environ.get("YISHI_BINFMT_MISC", "/proc/sys/fs/binfmt_misc"))
    if binfmt == Path("/proc/sys/fs/binfmt_misc"):
        try:
            rootfs.enable_binfmt()
        except (subprocess.CalledProcessError, RuntimeError, OSError):
            pass  # the check below says what is missing
    entry = binfmt / "qemu-aarch64"
    if not (entry.exists() and entry.read_text().startswith("enabled")):
        raise BuildError(
            f"this machine cannot run arm64 programs: no enabled binfmt_misc entry {entry}. "
            "Install qemu-user-static and binfmt-support (apt-get install qemu-user-static binfmt-support), "
            "then: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; update-binfmts --enable qemu-aarch64")


# ---------------------------------------------------------------- phases


class Timer:
    def __init__(self):
        self.phases: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str):
        log(f"{name} ...")
        started = time.monotonic()
        try:
            yield
        finally:
            took = time.monotonic() - started
            self.phases[name] = round(took, 1)
            log(f"{name} took {took:.0f} s")


def source_date_epoch() -> int:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    proc = run(["git", "-C", REPO, "log", "-1", "--format=%ct"], stdout=subprocess.PIPE, text=True, check=False)
    return int(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else 0


def build_wheelhouse(dest: Path) -> None:
    env = dict(os.environ, PYTHON=sys.executable)
    run([REPO / "provisioning/build-wheelhouse", dest], env=env)


def provisioning_root() -> Path:
    """Layer 0: the provisioning tests' debootstrapped root (cached, locked while being built)."""
    return rootfs.cached_rootfs(log=log)


def base_key(layer0: Path) -> str:
    spec = json.dumps([layer0.name, IMAGE_PACKAGES, COMPONENTS, rootfs.MIRROR, BASE_RECIPE], sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


@contextlib.contextmanager
def mounted_proc(root: Path):
    """/proc inside the root for maintainer scripts (kernel postinst); nothing else of the host."""
    target = root / "proc"
    target.mkdir(exist_ok=True)
    run(["mount", "-t", "proc", "proc", target])
    try:
        yield
    finally:
        run(["umount", "-l", target], check=False)


def hold_back_initramfs(root: Path) -> None:
    """update-initramfs is a no-op until the very end (it would run once per package, slowly)."""
    chroot(root, "dpkg-divert", "--local", "--rename", "--divert", "/usr/sbin/update-initramfs.yishi-held",
           "--add", "/usr/sbin/update-initramfs")
    held = root / "usr/sbin/update-initramfs"
    held.write_text("#!/bin/sh\n# Held back while the image is built: one initramfs is made at the end.\nexit 0\n")
    held.chmod(0o755)


def release_initramfs(root: Path) -> None:
    (root / "usr/sbin/update-initramfs").unlink(missing_ok=True)
    chroot(root, "dpkg-divert", "--local", "--rename", "--remove", "/usr/sbin/update-initramfs")


def base_layer(cache: Path, refresh: bool = False) -> Path:
    """Layer 1: the provisioning root plus kernel and firmware, initramfs held back. Cached.

    The cache keeps the Debian updates of the day it was made; refresh=True (--refresh)
    makes it again with today's.
    """
    layer0 = provisioning_root()
    key = base_key(layer0)
    base = cache / f"base-{key}"
    if refresh and base.exists():
        log(f"--refresh: making {base.name} again with today's Debian updates")
        shutil.rmtree(base)
    if (base / ".complete").exists():
        log(f"base layer cached: {base}")
        return base
    cache.mkdir(parents=True, exist_ok=True)
    # Two builds at once (a developer's and a test's) make the base layer once.
    with open(base.with_name(base.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (base / ".complete").exists():
            return base
        return _build_base(layer0, base)


def _build_base(layer0: Path, base: Path) -> Path:
    building = base.with_name(base.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    run(["cp", "-a", "--reflink=auto", layer0, building])
    (building / ".complete").unlink(missing_ok=True)
    (building / "etc/apt/sources.list").write_text(
        f"deb {rootfs.MIRROR} {rootfs.SUITE} {COMPONENTS}\n"
        f"deb {rootfs.MIRROR} {rootfs.SUITE}-updates {COMPONENTS}\n"
        f"deb http://security.debian.org/debian-security {rootfs.SUITE}-security {COMPONENTS}\n")
    # No daemon starts inside the build root.
    policy = building / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    hold_back_initramfs(building)
    # raspi-firmware's kernel hook copies the kernel, DTBs and firmware here; the build moves
    # them onto the FAT partition.
    (building / "boot/firmware").mkdir(parents=True, exist_ok=True)
    (building / "etc/initramfs-tools").mkdir(parents=True, exist_ok=True)
    with mounted_proc(building):
        chroot(building, "apt-get", "update", "-qq")
        chroot(building, "apt-get", "install", "-y", "-q", "--no-install-recommends",
               "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
               *IMAGE_PACKAGES)
        # Security updates of what debootstrap installed (layer 0 is from the release only).
        chroot(building, "apt-get", "upgrade", "-y", "-q", "--no-install-recommends")
        chroot(building, "apt-get", "clean")
    (building / ".complete").write_text(json.dumps({"packages": IMAGE_PACKAGES, "layer0": layer0.name}) + "\n")
    building.rename(base)
    return base


def settings_for(args, root: Path, wheelhouse: Path) -> dict:
    from tests.provisioning.conftest import provisioning_settings

    if args.test_settings:
        # The provisioning tests' settings: the admin key in them has no private half anywhere.
        return provisioning_settings(root, wheelhouse)
    import yaml

    path = Path(args.settings)
    if not path.exists():
        raise BuildError(f"no settings file {path}. Copy provisioning/inventory.example/ to provisioning/inventory/ "
                         f"and edit group_vars/yishi.yml (see docs/provisioning.md), or pass --settings FILE; "
                         f"--test-settings builds a throwaway image for tests")
    settings = yaml.safe_load(path.read_text()) or {}
    if str(settings.get("yishi_wifi_passphrase", "") or ""):
        raise BuildError(f"{path}: yishi_wifi_passphrase is set; an image carries no secret. Leave it empty: "
                         f"each appliance makes its own at first boot")
    settings["yishi_wheelhouse"] = str(wheelhouse)
    return settings


def provision(base: Path, work: Path, settings: dict, logs: Path) -> Path:
    """Layer 2: a working copy of the base, provisioned by site.yml, then by image.yml."""
    from tests.provisioning.conftest import run_playbook, write_inventory

    root = work / "root"
    if root.exists():
        shutil.rmtree(root)
    run(["cp", "-a", "--reflink=auto", base, root])
    (root / ".complete").unlink()
    inventory = write_inventory(work / "hosts.yml", root, settings)
    result = run_playbook(inventory, str(HERE / "image.yml"), log=logs / "ansible.log")
    if result.returncode != 0:
        raise BuildError(f"the playbooks failed on the image root (log: {logs / 'ansible.log'}):\n"
                         + result.output[-4000:])
    log(f"site.yml + image.yml: {result.recap}")
    return root


def make_initramfs(root: Path, sde: int) -> str:
    """The one initramfs of the build; raspi-firmware's hook then fills /boot/firmware."""
    release_initramfs(root)
    kernels = sorted(p.name.removeprefix("vmlinuz-") for p in (root / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise BuildError(f"expected one kernel in {root}/boot, found {kernels}")
    version = kernels[0]
    with mounted_proc(root):
        chroot(root, "update-initramfs", "-c", "-k", version, env={"SOURCE_DATE_EPOCH": str(sde)})
    firmware = root / "boot/firmware"
    for name in (f"vmlinuz-{version}", f"initrd.img-{version}", "config.txt", "cmdline.txt", "start4.elf",
                 "bcm2711-rpi-4-b.dtb"):
        if not (firmware / name).exists():
            raise BuildError(f"raspi-firmware's hook did not write {firmware / name}")
    return version


def finish_root(root: Path, sde: int) -> None:
    """Leave nothing of the build and nothing that must differ per device."""
    (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    # systemd makes the machine id at first boot (an empty file means "first boot").
    (root / "etc/machine-id").write_text("")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    for pattern in ("var/cache/apt/*.bin", "var/lib/apt/lists/*_*", "var/log/apt/*", "var/log/dpkg.log",
                    "var/log/alternatives.log", "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
                    "root/.ansible", "root/.cache", "tmp/*", "var/tmp/*", "etc/ssh/ssh_host_*"):
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    # Clamp every time stamp to SOURCE_DATE_EPOCH: the file systems are made from this tree.
    run(["find", root, "-newermt", f"@{sde}", "-exec", "touch", "--no-dereference", "--date", f"@{sde}", "{}", "+"],
        stdout=subprocess.DEVNULL)


def manifest(root: Path, version: str, kernel: str, sde: int) -> dict:
    status = chroot(root, "dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\n",
                    stdout=subprocess.PIPE, text=True).stdout
    debs = [dict(zip(("name", "version", "arch"), line.split("\t"))) for line in sorted(status.splitlines())]
    wheels = []
    for meta in sorted((root / "opt/yishi/venv/lib").glob("python3*/site-packages/*.dist-info/METADATA")):
        fields = dict(line.split(": ", 1) for line in meta.read_text(errors="replace").splitlines()[:20]
                      if ": " in line)
        wheels.append({"name": fields.get("Name"), "version": fields.get("Version")})
    return {"yishi": version, "kernel": kernel, "source_date_epoch": sde, "suite": rootfs.SUITE,
            "mirror": rootfs.MIRROR, "debian_packages": debs, "python_wheels": wheels}


# ---------------------------------------------------------------- the disk image


def mib(n: int) -> int:
    return n * 2**20


def du_bytes(path: Path, exclude: list[str]) -> int:
    cmd = ["du", "-sxb", *[f"--exclude={e}" for e in exclude], path]
    return int(run(cmd, stdout=subprocess.PIPE, text=True).stdout.split()[0])


def uuid_from(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def make_fat(firmware: Path, out: Path, sde: int) -> None:
    out.unlink(missing_ok=True)
    volid = hashlib.sha256(f"yishi-firm-{sde}".encode()).hexdigest()[:8]
    run(["mkfs.vfat", "-F", "32", "-n", LABEL_FIRM, "-i", volid, "--invariant", "-C", out, mib(FIRM_MIB) // 1024],
        stdout=subprocess.DEVNULL)
    entries = sorted(firmware.iterdir())
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", SOURCE_DATE_EPOCH=str(sde))
    run(["mcopy", "-s", "-p", "-m", "-i", out, *entries, "::/"], env=env)


def make_ext4(src: Path, out: Path, size: int, label: str, sde: int, root_owner: str | None = None) -> None:
    out.unlink(missing_ok=True)
    with out.open("wb") as f:
        f.truncate(size)
    extended = [f"hash_seed={uuid_from('hash-' + label + str(sde))}"]
    if root_owner:
        extended.append(f"root_owner={root_owner}")
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(sde))
    run(["mkfs.ext4", "-q", "-F", "-L", label, "-U", uuid_from(label + str(sde)), "-E", ",".join(extended),
         "-T", "default", "-d", src, out], env=env)


def assemble(root: Path, out: Path, work: Path, sde: int) -> dict:
    """FAT (firmware) + ext4 root + ext4 data in an MBR image, without mounting anything."""
    firmware = root / "boot/firmware"
    data = root / "var/lib/yishi"
    used = du_bytes(root, ["./boot/firmware/*", "./var/lib/yishi/*", "./.complete"])
    root_bytes = -(-int(used * ROOT_SLACK + mib(256)) // mib(64)) * mib(64)
    # The root file system is made from a tree whose mount points are empty.
    stash = work / "stash"
    if stash.exists():
        shutil.rmtree(stash)
    stash.mkdir()
    (stash / "firmware").mkdir()
    (stash / "data").mkdir()
    for child in list(firmware.iterdir()):
        shutil.move(str(child), stash / "firmware" / child.name)
    for child in list(data.iterdir()):
        shutil.move(str(child), stash / "data" / child.name)
    for mountpoint in (firmware, data):  # emptied just now: back to SOURCE_DATE_EPOCH
        os.utime(mountpoint, (sde, sde))
    data_stat = data.stat()
    try:
        make_fat(stash / "firmware", work / "firm.img", sde)
        make_ext4(root, work / "root.img", root_bytes, LABEL_ROOT, sde)
        make_ext4(stash / "data", work / "data.img", mib(DATA_MIB), LABEL_DATA, sde,
                  root_owner=f"{data_stat.st_uid}:{data_stat.st_gid}")
    finally:
        for child in list((stash / "firmware").iterdir()):
            shutil.move(str(child), firmware / child.name)
        for child in list((stash / "data").iterdir()):
            shutil.move(str(child), data / child.name)
    start = mib(4)
    firm_start, root_start = start, start + mib(FIRM_MIB)
    data_start = root_start + root_bytes
    total = data_start + mib(DATA_MIB)
    out.unlink(missing_ok=True)
    with out.open("wb") as f:
        f.truncate(total)
    disk_id = int(hashlib.sha256(f"yishi-disk-{sde}".encode()).hexdigest()[:8], 16)
    write_mbr(out, disk_id, [(firm_start, mib(FIRM_MIB), 0x0C, True), (root_start, root_bytes, 0x83, False),
                             (data_start, mib(DATA_MIB), 0x83, False)])
    for part, offset in ((work / "firm.img", firm_start), (work / "root.img", root_start),
                         (work / "data.img", data_start)):
        run(["dd", f"if={part}", f"of={out}", "bs=4M", f"seek={offset}", "oflag=seek_bytes",
             "conv=notrunc,sparse", "status=none"])
        part.unlink()
    shutil.rmtree(stash)
    return {"firmware_mib": FIRM_MIB, "root_mib": root_bytes // mib(1), "data_mib": DATA_MIB,
            "image_bytes": total, "root_used_bytes": used}


def write_mbr(image: Path, disk_id: int, parts: list[tuple[int, int, int, bool]]) -> None:
    """An MS-DOS partition table (what the Pi's boot ROM reads): (start, size, type, bootable) in bytes.

    Written here rather than with sfdisk: one tool fewer on the build machine, and the bytes
    are fixed by the inputs (the disk identifier is derived from SOURCE_DATE_EPOCH).
    """
    mbr = bytearray(512)
    mbr[440:444] = disk_id.to_bytes(4, "little")
    for n, (start, size, ptype, bootable) in enumerate(parts):
        assert start % 512 == 0 and size % 512 == 0, (start, size)
        entry = bytes([0x80 if bootable else 0, 0xFE, 0xFF, 0xFF, ptype, 0xFE, 0xFF, 0xFF])
        entry += (start // 512).to_bytes(4, "little") + (size // 512).to_bytes(4, "little")
        mbr[446 + 16 * n:446 + 16 * (n + 1)] = entry
    mbr[510:512] = b"\x55\xaa"
    with image.open("r+b") as f:
        f.write(mbr)


def read_mbr(image: Path) -> list[dict]:
    """The primary partitions of an image: start and size in bytes, type, bootable."""
    with image.open("rb") as f:
        mbr = f.read(512)
    if mbr[510:512] != b"\x55\xaa":
        raise ValueError(f"{image}: no MS-DOS partition table")
    parts = []
    for n in range(4):
        e = mbr[446 + 16 * n:446 + 16 * (n + 1)]
        if e[4]:
            parts.append({"start": int.from_bytes(e[8:12], "little") * 512,
                          "size": int.from_bytes(e[12:16], "little") * 512, "type": e[4], "bootable": e[0] == 0x80})
    return parts


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv=None) -> int:
    from appliance import __version__

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--settings", default=str(REPO / "provisioning/inventory/group_vars/yishi.yml"),
                   help="the appliance settings (as in provisioning/inventory.example/group_vars/yishi.yml)")
    p.add_argument("--test-settings", action="store_true",
                   help="the provisioning tests' settings (admin key without a private half): CI and tests")
    p.add_argument("--out", default=str(REPO / "build/image"), help="folder for the image and what goes beside it")
    p.add_argument("--no-compress", action="store_true", help="leave the .img uncompressed (CI: quicker)")
    p.add_argument("--refresh", action="store_true",
                   help="make the cached base layer again (today's Debian security updates): for a release")
    p.add_argument("--keep-root", action="store_true", help="keep the provisioned root under .cache/image/work-*/root")
    args = p.parse_args(argv)

    out_dir = Path(args.out)
    cache = rootfs.cache_dir().parent / "image"
    compress = not args.no_compress
    preflight(out_dir, cache, compress)
    sde = source_date_epoch()
    os.environ["SOURCE_DATE_EPOCH"] = str(sde)
    timer = Timer()
    name = f"yishi-{__version__}-raspi-arm64.img"
    image = out_dir / name
    # One working folder per output folder: a developer's build and a test's can run at once.
    work = cache / f"work-{hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:8]}"
    work.mkdir(parents=True, exist_ok=True)
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    wheelhouse = cache / "wheelhouse"
    settings = settings_for(args, work / "root", wheelhouse)  # bad settings stop the build here
    with timer.phase("wheelhouse"):
        build_wheelhouse(wheelhouse)
    with timer.phase("base layer (debootstrap + kernel + firmware, cached)"):
        base = base_layer(cache, refresh=args.refresh)
    with timer.phase("provision (site.yml + image.yml, chroot)"):
        root = provision(base, work, settings, logs)
    with timer.phase("initramfs (once)"):
        kernel = make_initramfs(root, sde)
    with timer.phase("manifest and clean-up"):
        info = manifest(root, __version__, kernel, sde)
        finish_root(root, sde)
    with timer.phase("partitions and disk image"):
        info["layout"] = assemble(root, image, work, sde)
    # The kernel and initrd beside the image too: the boot test takes them from the FAT
    # partition, people debugging in QEMU may prefer these.
    final = image
    # An .img.xz left by an earlier build would not match this image.
    for stale in (image.with_name(name + ".xz"), image.with_name(name + ".xz.sha256")):
        stale.unlink(missing_ok=True)
    if compress:
        with timer.phase("xz compression"):
            run(["xz", "-T0", "-6", "--keep", "--force", image])
            final = image.with_name(name + ".xz")
    with timer.phase("sha256"):
        digest = sha256_file(final)
        (final.parent / (final.name + ".sha256")).write_text(f"{digest}  {final.name}\n")
        if final != image:
            raw = sha256_file(image)
            (image.parent / (image.name + ".sha256")).write_text(f"{raw}  {image.name}\n")
    info["image"] = final.name
    info["sha256"] = digest
    (out_dir / f"yishi-{__version__}-raspi-arm64.manifest.json").write_text(
        json.dumps(info, indent=1, ensure_ascii=False) + "\n")
    timer.phases["total"] = round(time.monotonic() - started, 1)
    (out_dir / f"yishi-{__version__}-raspi-arm64.times.json").write_text(json.dumps(timer.phases, indent=1) + "\n")
    if not args.keep_root:
        shutil.rmtree(work / "root", ignore_errors=True)
    log(f"image: {final} ({final.stat().st_size / 2**20:.0f} MiB), sha256 {digest}")
    for phase, took in timer.phases.items():
        log(f"  {phase}: {took:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
