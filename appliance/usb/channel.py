"""The narrow channel between the web process and the privileged USB helper.

Two folders and three kinds of file, nothing else:

- the channel folder (`/run/yishi-usb`, tmpfs, so a LUKS passphrase in a request never reaches
  the SD card) holds `state.json`, written only by the helper and always replaced atomically
  (write a temporary file, fsync, rename); `requests/<job>.json`, written by the web process the
  same way and deleted by the helper once read; and `others/<device>.json`, one per second stick
  that was plugged in and refused.
- the spool folder (`/var/lib/yishi-usb`, root's, group yishi, setgid, as the channel folder) holds one folder
  per job: `jobs/<job>/out/` is what the web process wants on the stick, `jobs/<job>/in/` what
  the helper copied from it (each file named by its number in the stick's listing, never by its
  name on the stick, with `index.json` beside them).

Every request is validated by appliance.rules.usb.check_request; the helper never follows a
symbolic link in the spool and never writes outside the stick's folder and the job's `in/`.
See docs/usb.md for the whole protocol.
"""

import json
import os
import secrets
import time

from appliance.rules import usb as rules

CHANNEL = "/run/yishi-usb"
SPOOL = "/var/lib/yishi-usb"


def paths(channel=None, spool=None):
    channel = channel or os.environ.get("YISHI_USB_CHANNEL") or CHANNEL
    spool = spool or os.environ.get("YISHI_USB_SPOOL") or SPOOL
    return channel, spool


def write_atomically(path, data, mode=0o640):
    """Replace `path` with `data` (bytes) so a reader sees the old file or the new, never half."""
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)  # not narrowed by the writer's umask: the other side reads it by group
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_state(channel):
    """The helper's last state, or no stick when there is no helper (or its file is unreadable)."""
    try:
        with open(os.path.join(channel, "state.json"), "rb") as f:
            state = json.loads(f.read(1024 * 1024))
    except (OSError, ValueError):
        return {"v": 1, "seq": 0, "state": rules.NO_STICK}
    if not isinstance(state, dict) or state.get("state") not in rules.STATES:
        return {"v": 1, "seq": 0, "state": rules.NO_STICK}
    return state


def read_others(channel):
    """Second sticks the helper refused: [{device, label, vendor, model, serial, size}]."""
    folder = os.path.join(channel, "others")
    out = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return out
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(folder, name), "rb") as f:
                other = json.loads(f.read(64 * 1024))
        except (OSError, ValueError):
            continue
        if isinstance(other, dict):
            out.append(other)
    return out


def new_job():
    return secrets.token_hex(16)


def submit(channel, op, job, **fields):
    """Put a request on the channel (the helper picks it up within a fraction of a second)."""
    msg = {"v": 1, "op": op, "job": job, **fields}
    rules.check_request(msg)  # the web side never sends what the helper would refuse
    folder = os.path.join(channel, "requests")
    write_atomically(os.path.join(folder, f"{job}.{int(time.time() * 1000)}.json"),
                     json.dumps(msg, ensure_ascii=False).encode("utf-8"), mode=0o640)  # the helper reads it by group
    return job


def make_job(spool):
    """A new job id and its folder in the spool (made by the web process, so its user owns it)."""
    job = new_job()
    os.makedirs(os.path.join(spool, "jobs", job), mode=0o750)
    return job


def job_folder(spool, job, part):
    """spool/jobs/<job>/<part> (part is "out" or "in"), the job id checked."""
    if not rules.JOB_ID.match(job or "") or part not in ("out", "in"):
        raise ValueError(f"bad job folder: {job!r}/{part!r}")
    return os.path.join(spool, "jobs", job, part)
