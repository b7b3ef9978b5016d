"""USB door: how much the helper's care (a fsync per file, the folder renamed into place, the
remounts, a state file per file) costs against a plain copy of the same files to the same kind of
stick, measured in the same run. As root: `python -m bench.usb_door`. Prints ratios."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from appliance.rules import usb as rules
from appliance.usb import channel as ch
from tests.usb.conftest import HelperProcess, Stick, wait_state

SHAPES = {"40 files of 1 MiB (minutes PDFs)": (40, 1024 * 1024), "400 files of 16 KiB (CSVs, manifests)": (400, 16 * 1024)}


def plain_copy(stick, src, tmp):
    mnt = os.path.join(tmp, "plain-mnt")
    os.mkdir(mnt)
    subprocess.run(["mount", "-o", "nodev,nosuid,noexec", stick.device, mnt], check=True)
    try:
        t = time.perf_counter()
        shutil.copytree(src, os.path.join(mnt, "export"))
        os.sync()
        return time.perf_counter() - t
    finally:
        subprocess.run(["umount", mnt], check=True)


def helper_copy(stick, spool, channel, mounts, src):
    helper = HelperProcess(stick, channel, spool, mounts)
    try:
        found = wait_state(channel, rules.FOUND, helper=helper)
        job = ch.make_job(spool)
        shutil.copytree(src, os.path.join(spool, "jobs", job, "out"))
        t = time.perf_counter()
        ch.submit(channel, "write", job, folder="export")
        wait_state(channel, rules.DONE, after=found["seq"], helper=helper, timeout=600)
        return time.perf_counter() - t
    finally:
        helper.stop()


def main():
    if os.geteuid() != 0:
        sys.exit("run as root (losetup, mount)")
    for label, (count, size) in SHAPES.items():
        tmp = tempfile.mkdtemp(prefix="yishi-usb-bench-")
        try:
            src = os.path.join(tmp, "src")
            os.mkdir(src)
            for i in range(count):
                with open(os.path.join(src, f"{i:04d}.bin"), "wb") as f:
                    f.write(os.urandom(size))
            runs = {"plain": [], "helper": []}
            for r in range(3):
                for kind in ("plain", "helper"):
                    stick = Stick(os.path.join(tmp, f"{kind}{r}.img"), size_mb=256)
                    try:
                        if kind == "plain":
                            runs[kind].append(plain_copy(stick, src, tmp) if not os.path.exists(os.path.join(tmp, "plain-mnt"))
                                              else (os.rmdir(os.path.join(tmp, "plain-mnt")), plain_copy(stick, src, tmp))[1])
                        else:
                            d = os.path.join(tmp, f"door{r}")
                            for sub in ("channel", "spool", "mnt"):
                                os.makedirs(os.path.join(d, sub))
                            runs[kind].append(helper_copy(stick, os.path.join(d, "spool"), os.path.join(d, "channel"),
                                                          os.path.join(d, "mnt"), src))
                    finally:
                        stick.detach()
            plain, helper = sorted(runs["plain"])[1], sorted(runs["helper"])[1]
            print(f"{label}: helper / plain copy + sync = {helper / plain:.2f} (medians of 3: {helper:.3f} s / {plain:.3f} s)")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
