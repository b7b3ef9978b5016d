"""Real sticks for the USB door's tests: ext4 images attached with losetup (the build machine's
kernel has loop and ext4, not vfat, exFAT or device-mapper: those sticks are tested in the QEMU
guest), and the privileged helper run as a real process against them, as udev would start it."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: generous, CI may be loaded


def need(condition, what):
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI cannot run this test: {what}")
    pytest.skip(what)


def need_sticks():
    need(os.geteuid() == 0, "needs root (losetup, mount)")
    missing = [t for t in ("losetup", "mkfs.ext4", "blkid", "mount", "umount") if shutil.which(t) is None]
    need(not missing, f"missing tool(s): {', '.join(missing)}")
    need(os.path.exists("/dev/loop-control"), "no loop devices")


class Stick:
    """A stick image attached as a loop device; `files` are put on it when it is made."""

    def __init__(self, path, size_mb=64, label="YISHI", read_only=False, files=None):
        self.path = Path(path)
        subprocess.run(["truncate", "-s", f"{size_mb}M", str(self.path)], check=True)
        cmd = ["mkfs.ext4", "-q", "-F", "-L", label, "-m", "0"]
        if files:
            seed = self.path.with_suffix(".seed")
            seed.mkdir()
            for rel, data in files.items():
                target = seed / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(data, tuple) and data[0] == "symlink":
                    target.symlink_to(data[1])
                else:
                    target.write_bytes(data)
            cmd += ["-d", str(seed)]
        subprocess.run([*cmd, str(self.path)], check=True, capture_output=True)
        args = ["losetup", "--find", "--show"] + (["-r"] if read_only else []) + [str(self.path)]
        self.device = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()
        self.kname = os.path.basename(self.device)

    def detach(self):
        if self.device:
            subprocess.run(["losetup", "-d", self.device], capture_output=True)
            self.device = None

    def contents(self, tmp):
        """{relative path: bytes} of the image, mounted read-only after the helper is done."""
        mnt = Path(tmp)
        mnt.mkdir(exist_ok=True)
        subprocess.run(["mount", "-o", "ro,loop,noload", str(self.path), str(mnt)], check=True, capture_output=True)
        try:
            return {str(p.relative_to(mnt)): p.read_bytes() for p in sorted(mnt.rglob("*"))
                    if p.is_file() and not p.is_symlink() and "lost+found" not in p.parts}
        finally:
            subprocess.run(["umount", str(mnt)], check=True)


class HelperProcess:
    """`yishi usb-helper <device>` as udev's unit would run it (here without the unit's sandbox)."""

    def __init__(self, stick, channel, spool, mount_base, prefix=()):
        self.channel, self.spool = Path(channel), Path(spool)
        self.log = Path(channel).parent / f"helper-{stick.kname}.log"
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, "-m", "appliance.cli", "usb-helper", stick.kname, "--channel", str(channel),
             "--spool", str(spool), "--mount-base", str(mount_base)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))

    def stop(self):
        """What systemd does when the stick's device goes away (BindsTo=): SIGTERM."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def logged(self):
        return self.log.read_text(errors="replace")


def state(channel):
    try:
        return json.loads((Path(channel) / "state.json").read_text())
    except (OSError, ValueError):
        return {"state": None, "seq": 0}


def wait_state(channel, *wanted, after=0, timeout=WAIT, helper=None):
    """Wait for a state in `wanted` newer than sequence number `after`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = state(channel)
        if last.get("state") in wanted and last.get("seq", 0) > after:
            return last
        if helper is not None and helper.proc.poll() is not None and last.get("state") not in wanted:
            break
        if last.get("state") == "error" and "error" not in wanted and last.get("seq", 0) > after:
            break
        time.sleep(0.05)
    log = helper.logged() if helper else ""
    raise AssertionError(f"state {wanted} not reached; last {last}\n{log}")


@pytest.fixture
def door(tmp_path):
    """Channel, spool and mount folders; sticks and helpers made in the test are cleaned up."""
    need_sticks()
    channel, spool, mounts = tmp_path / "channel", tmp_path / "spool", tmp_path / "mnt"
    for d in (channel, spool, mounts):
        d.mkdir()
    made = {"sticks": [], "helpers": []}

    class Door:
        def stick(self, name="stick", **kw):
            s = Stick(tmp_path / f"{name}.img", **kw)
            made["sticks"].append(s)
            return s

        def helper(self, stick):
            h = HelperProcess(stick, channel, spool, mounts)
            made["helpers"].append(h)
            return h

    d = Door()
    d.channel, d.spool, d.mounts, d.tmp = channel, spool, mounts, tmp_path
    yield d
    for h in made["helpers"]:
        h.stop()
    for s in made["sticks"]:
        s.detach()
    for m in mounts.iterdir():  # a helper that died without unmounting must not leave mounts
        subprocess.run(["umount", "-l", str(m)], capture_output=True)
