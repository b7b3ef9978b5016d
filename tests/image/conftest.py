"""Fixtures for the image tests: the built SD-card image, and that image booted in QEMU.

The image is built by image-build/build.py exactly as `make image` does (CI: the provisioning
tests' settings, no compression), unless YISHI_IMAGE names an image already built. The boot
uses a COPY of it: the test's own SSH key is added to that copy only (the built image keeps
only the admin keys of its settings), and the copy is grown by 512 MiB so that the first boot
has a bigger "card" to grow the data partition into.

A missing tool skips a test on a developer's machine and fails it under CI (CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.provisioning.conftest import need  # skip on a developer machine, fail under CI

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
BUILD_TIMEOUT = int(os.environ.get("YISHI_IMAGE_BUILD_TIMEOUT", 75 * 60))
# Bounds on waits for a state (over as soon as the state is there), generous because the guest
# is software-emulated and the machine may be busy with other work: a boot that took 35-55 s
# idle must not fail at three or ten times that.
BOOT_TIMEOUT = int(os.environ.get("YISHI_IMAGE_BOOT_TIMEOUT", 1200))
SSH_UP_TIMEOUT = 600       # after the sealed page: sshd answers with the test key
COMMAND_TIMEOUT = 600      # one command in the guest, SSH handshake included
ARTIFACTS = REPO / "test-artifacts" / "image"


def need_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    need(not missing, f"missing tool(s): {', '.join(missing)} (see docs/image.md, Tests)")


def need_root() -> None:
    need(os.geteuid() == 0, "needs root (debootstrap, chroot, loop devices)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BuiltImage:
    path: Path                 # the raw .img
    manifest: dict
    times: dict
    build_seconds: float | None


@pytest.fixture(scope="session")
def built_image() -> BuiltImage:
    given = os.environ.get("YISHI_IMAGE")
    if given:
        path = Path(given)
        assert path.exists(), f"YISHI_IMAGE={given}: no such image"
        out, seconds = path.parent, None
    else:
        need_root()
        need_tools("debootstrap", "chroot", "qemu-aarch64-static", "update-binfmts", "mkfs.vfat", "mcopy",
                   "mkfs.ext4")
        out = REPO / "build" / "image-test"
        started = time.monotonic()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # The CI build: same roles, no xz (YISHI_IMAGE_FULL=1: with xz, as `make image`).
        compress = [] if os.environ.get("YISHI_IMAGE_FULL") == "1" else ["--no-compress"]
        with (ARTIFACTS / "build.log").open("w") as logf:
            proc = subprocess.run(
                [sys.executable, str(REPO / "image-build/build.py"), "--test-settings", *compress,
                 "--out", str(out)],
                stdout=logf, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
        seconds = time.monotonic() - started
        tail = (ARTIFACTS / "build.log").read_text()[-5000:]
        assert proc.returncode == 0, f"image build failed (test-artifacts/image/build.log):\n{tail}"
        path = next(out.glob("yishi-*-raspi-arm64.img"))
    manifest = json.loads(next(out.glob("yishi-*-raspi-arm64.manifest.json")).read_text())
    times_file = next(out.glob("yishi-*-raspi-arm64.times.json"), None)
    times = json.loads(times_file.read_text()) if times_file else {}
    return BuiltImage(path, manifest, times, seconds)


# ------------------------------------------------------------------ partitions of an image


def image_build_module():
    """image-build/build.py as a module (its partition-table reader, its constants)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("yishi_image_build", REPO / "image-build/build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def partitions(image: Path) -> list[dict]:
    return image_build_module().read_mbr(image)


def mcopy_out(image: Path, offset: int, name: str, dest: Path) -> Path:
    """Copy a file off the FAT partition without mounting it (this host's kernel has no vfat)."""
    subprocess.run(["mcopy", "-n", "-i", f"{image}@@{offset}", f"::/{name}", str(dest)], check=True,
                   env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    return dest


def add_test_key(image: Path, root_offset: int, pubkey: str, user: str = "yishiadmin") -> None:
    """Add the test's SSH key to the admin's authorized_keys in a COPY of the image (ext4 loop mount)."""
    mnt = image.parent / "mnt"
    mnt.mkdir(exist_ok=True)
    subprocess.run(["mount", "-o", f"loop,offset={root_offset}", str(image), str(mnt)], check=True)
    try:
        keys = mnt / "home" / user / ".ssh" / "authorized_keys"
        assert keys.exists(), f"{keys} missing in the image: the admin account has no keys"
        with keys.open("a") as f:
            f.write(pubkey.strip() + " yishi-image-test\n")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
        mnt.rmdir()


# ------------------------------------------------------------------ the booted guest


@dataclass
class Guest:
    proc: subprocess.Popen
    workdir: Path
    https_port: int
    ssh_port: int
    key: Path
    serial: Path
    boot_seconds: float = 0.0
    log: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def ssh(self, command: str, input: str | None = None, timeout: float = COMMAND_TIMEOUT, check: bool = True):
        """Run a command in the guest as the admin (key login; sudo for root)."""
        proc = subprocess.run(
            ["ssh", "-i", str(self.key), "-p", str(self.ssh_port), "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
             "-o", "ConnectTimeout=120", "yishiadmin@127.0.0.1", command],
            input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        self.log.append(f"$ {command}\n{proc.stdout}{proc.stderr}(exit {proc.returncode})\n")
        if check:
            assert proc.returncode == 0, f"in the guest: {command}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def serial_text(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""


def wait_for(what: str, predicate, guest: Guest, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if guest.proc.poll() is not None:
            pytest.fail(f"QEMU exited ({guest.proc.returncode}) while waiting for {what}; serial console:\n"
                        + guest.serial_text()[-4000:])
        try:
            result = predicate()
            if result:
                return result
        except Exception as e:  # noqa: BLE001 (the guest is still booting: anything can fail)
            last = e
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last!r}); serial console:\n"
                + guest.serial_text()[-4000:])


def healthz(url: str) -> dict:
    import httpx

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the appliance's CA is fetched and checked later, over SSH
    return httpx.get(url + "/healthz", verify=ctx, timeout=60).json()


# Module scope: only test_boot.py boots the guest, and a session-scoped guest kept QEMU running
# (about two thirds of a core) through every test after tests/image until the very end of CI.
@pytest.fixture(scope="module")
def guest(built_image, tmp_path_factory) -> Guest:
    """The image booted in qemu-system-aarch64 (-M virt), from a copy, with a USB stick attached."""
    need_root()
    need_tools("qemu-system-aarch64", "mcopy", "mkfs.vfat", "ssh", "ssh-keygen")
    work = tmp_path_factory.mktemp("qemu")
    image = work / "card.img"
    subprocess.run(["cp", "--sparse=always", "--reflink=auto", str(built_image.path), str(image)], check=True)
    # A bigger "card" than the image: the first boot grows the data partition into the rest.
    with image.open("r+b") as f:
        f.truncate(image.stat().st_size + 512 * 2**20)
    parts = partitions(image)
    assert len(parts) == 3, parts
    firm, root = parts[0], parts[1]
    kernel_version = built_image.manifest["kernel"]
    kernel = mcopy_out(image, firm["start"], f"vmlinuz-{kernel_version}", work / "vmlinuz")
    initrd = mcopy_out(image, firm["start"], f"initrd.img-{kernel_version}", work / "initrd.img")
    cmdline = mcopy_out(image, firm["start"], "cmdline.txt", work / "cmdline.txt").read_text().split()
    # The Pi's own command line, with the serial console QEMU's virt machine has (a PL011 as ttyAMA0).
    append = " ".join([a for a in cmdline if not a.startswith("console=")] + ["console=ttyAMA0"])
    key = work / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    add_test_key(image, root["start"], (work / "id_ed25519.pub").read_text())
    stick = work / "stick.img"
    subprocess.run(["mkfs.vfat", "-n", "YISHIUSB", "-C", str(stick), str(64 * 1024)], check=True,
                   stdout=subprocess.DEVNULL)
    https_port, ssh_port = free_port(), free_port()
    serial = work / "serial.log"
    cmd = [
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1536",
        "-display", "none", "-monitor", "none", "-serial", f"file:{serial}",
        "-kernel", str(kernel), "-initrd", str(initrd), "-append", append,
        "-drive", f"if=none,file={image},format=raw,id=hd", "-device", "virtio-blk-device,drive=hd",
        # restrict=on: the guest reaches nothing but the forwarded ports on the host's loopback.
        "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{https_port}-:443,"
                   f"hostfwd=tcp:127.0.0.1:{ssh_port}-:22",
        "-device", "virtio-net-device,netdev=n0",
        "-device", "qemu-xhci", "-drive", f"if=none,id=stick,format=raw,file={stick}",
        "-device", "usb-storage,drive=stick",
        "-no-reboot",
    ]
    (work / "qemu.cmd").write_text(" ".join(cmd) + "\n")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=(work / "qemu.out").open("w"),
                            stderr=subprocess.STDOUT)
    g = Guest(proc, work, https_port, ssh_port, key, serial)
    try:
        wait_for("the sealed page over HTTPS", lambda: healthz(g.url).get("sealed") is True, g, BOOT_TIMEOUT)
        g.boot_seconds = time.monotonic() - started
        wait_for("SSH with the test key", lambda: g.ssh("true", timeout=180, check=False).returncode == 0, g,
                 SSH_UP_TIMEOUT)
        yield g
    finally:
        if proc.poll() is None:
            try:
                g.ssh("sudo systemctl poweroff", timeout=120, check=False)
            except subprocess.TimeoutExpired:
                pass
            try:
                proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(serial, ARTIFACTS / "serial.log") if serial.exists() else None
        (ARTIFACTS / "guest-commands.log").write_text("".join(g.log))
        (ARTIFACTS / "timing.json").write_text(json.dumps(
            {"boot_to_sealed_https_s": round(g.boot_seconds, 1),
             "build_s": round(built_image.build_seconds, 1) if built_image.build_seconds else None,
             "build_phases": built_image.times}, indent=1) + "\n")
        shutil.rmtree(work, ignore_errors=True)
