"""The appliance's wall clock as something an admin vouches for: its record in the data folder,
confirming or setting it (through chronyd), and the audit entry of every confirm and jump.

The record (clock.json in the data folder, beside the store: it must be readable while the
store is sealed, and provisioning writes beside it) holds the last known good time and the boot
in which the clock was last confirmed; the rules are in appliance/rules/timekeeping.py.
Provisioning sets the time from the admin's laptop and leaves clock-provisioned.json; the app
takes it as a confirmation for that boot and audits it once the store is open.

Setting the time is chronyd's privileged act, not ours: yishi.service keeps ProtectClock and
asks chronyd over its command socket (`chronyc settime`), which the service may use through a
group (provisioning/roles/yishi_time). On a laptop running `make run` there is no chronyd, and
setting the time says so plainly. Durations never use any of this (appliance/clock.py).
"""

import json
import logging
import os
import subprocess
import threading
import time
from dataclasses import asdict

from appliance import clock
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules import timekeeping as rules
from appliance.store import audit

RECORD_FILE = "clock.json"
PROVISIONED_FILE = "clock-provisioned.json"
CHRONY_SOCKET = "/run/chrony/chronyd.sock"
# The last good time is written at most this often (wall seconds): enough that a power cut loses
# little, rare enough to spare the SD card (fake-hwclock saves hourly on its own as well).
SAVE_EVERY = 60
log = logging.getLogger("yishi")
_lock = threading.Lock()

MESSAGES = {
    "clock_malformed": _l("The time sent is not a valid time. Reload the page and try again; the clock was not changed."),
    "clock_too_early": _l("That time is before 2026: it cannot be right. Check the date on your computer; the clock was not changed."),
    "clock_too_late": _l("That time is years after the last time this appliance knew to be right. Check the year; the clock was not changed."),
    "clock_backwards": _l("That time is earlier than a time this appliance has already recorded. If the earlier time was wrong, tick the box that says so; the clock was not changed."),
}


class ClockUnreachable(UserError):
    status = 503


def record_path(data_dir):
    return os.path.join(data_dir, RECORD_FILE)


def load(data_dir):
    """The record in the data folder, or an empty one (first start, or a damaged file: an empty
    record only makes the clock unconfirmed, which is the safe side)."""
    try:
        with open(record_path(data_dir), encoding="utf-8") as f:
            doc = json.load(f)
        return rules.ClockRecord(**{k: doc[k] for k in rules.ClockRecord.__dataclass_fields__ if k in doc})
    except (OSError, ValueError, TypeError):
        return rules.ClockRecord()


def save(data_dir, record):
    path = record_path(data_dir)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(asdict(record), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _provisioned(data_dir):
    try:
        with open(os.path.join(data_dir, PROVISIONED_FILE), encoding="utf-8") as f:
            doc = json.load(f)
        return {"boot_id": str(doc["boot_id"]), "at": float(doc["at"]), "before": float(doc["before"])}
    except (OSError, ValueError, TypeError, KeyError):
        return None


def current(data_dir, boot_id=None):
    """The record with provisioning's confirmation (if any) taken in."""
    record = load(data_dir)
    given = _provisioned(data_dir)
    if given and given["boot_id"] and (given["boot_id"] != record.confirmed_boot_id or given["at"] > record.confirmed_at):
        record = rules.confirm(record, given["boot_id"], given["at"], "provisioning")
    return record


def status(data_dir, wall_now=None, boot_id=None):
    return rules.status(current(data_dir), clock.wall() if wall_now is None else wall_now,
                        clock.boot_id() if boot_id is None else boot_id)


# Records are in Chinese whatever the reader's language (as the minutes are): the note too.
UNCONFIRMED_NOTE = "注：本文件生成时，设备时钟自开机以来尚未经管理员确认，文中所记时间可能不准确。"
BEHIND_NOTE = "注：本文件生成时，设备时钟早于其此前已记录的时间，时钟有误，文中所记时间不可信。"


def record_note(store, wall_now=None, boot_id=None):
    """The note a record (minutes, an export) made now carries, or "" when the clock is trusted.
    The data folder is the store's own folder."""
    return _note(status(os.path.dirname(os.path.abspath(store.path)), wall_now, boot_id))


def _note(s):
    if s.behind:
        return BEHIND_NOTE
    return "" if s.confirmed else UNCONFIRMED_NOTE


def request_note():
    """record_note for an export made while serving a request (the app's own data folder), or ""
    outside one (a CLI export has the store and calls record_note)."""
    from flask import current_app, has_app_context

    if not has_app_context() or "yishi" not in current_app.extensions:
        return ""
    return _note(status(current_app.extensions["yishi"].config.data_dir))


def tick(data_dir, wall_now=None):
    """Seen running at `wall_now`: move the last good time forward (at most every SAVE_EVERY s)."""
    now = clock.wall() if wall_now is None else wall_now
    with _lock:
        record = current(data_dir)
        if now - record.last_good < SAVE_EVERY:
            return record
        moved = rules.advance(record, now)
        if moved != record:
            save(data_dir, moved)
        return moved


def audit_provisioning(store, data_dir):
    """Provisioning's setting of the clock goes in the audit log once the store is open. The
    marker is renamed first, so of several workers exactly one records it."""
    marker = os.path.join(data_dir, PROVISIONED_FILE)
    given = _provisioned(data_dir)
    if given is None:
        return False
    claimed = f"{marker}.{os.getpid()}.claimed"
    try:
        os.rename(marker, claimed)
    except OSError:
        return False
    with _lock:
        record = rules.confirm(load(data_dir), given["boot_id"], given["at"], "provisioning")
        save(data_dir, record)
    with store.write() as db:
        audit.record(db, "provisioning", "clock.set",
                     {"before": given["before"], "after": given["at"], "source": "provisioning", "boot_id": given["boot_id"]})
    os.unlink(claimed)
    return True


def chrony_settime(when, socket_path=CHRONY_SOCKET):
    """Ask chronyd to step the system clock to `when` (wall seconds). chronyd must run with
    `manual` and `makestep 1 -1` (provisioning's chrony.conf)."""
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(round(when)))
    try:
        proc = subprocess.run(["chronyc", "-h", socket_path, "settime", text], capture_output=True, text=True,
                              timeout=20, env={"TZ": "UTC", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"})
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ClockUnreachable("clock_unreachable", _l(
            "The time service (chronyd) cannot be reached, so the clock was not changed. On the "
            "appliance, check that chrony is running; on a development computer, set its clock yourself."),
            detail=str(e)) from e
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or "501" in out or "506" in out or "Cannot" in out:
        raise ClockUnreachable("clock_unreachable", _l(
            "The time service (chronyd) refused or could not be reached, so the clock was not changed. "
            "Check that chrony is running with the appliance's settings."), detail=out[-300:])


def set_or_confirm(store, data_dir, actor, proposed, allow_backwards=False, source="browser", setter=None):
    """The admin says the time is `proposed` (wall seconds). Close to the appliance's clock: the
    clock is confirmed. Otherwise: chronyd steps it (refused input or an unreachable chronyd
    changes nothing). Either way this boot is confirmed and the audit log has before and after."""
    record = current(data_dir)
    refusal = rules.judge(proposed, record, allow_backwards)
    if refusal is not None:
        raise UserError(refusal.code, MESSAGES[refusal.code], status=400)
    before = clock.wall()
    jump = rules.is_jump(before, proposed)
    if jump:
        (setter or chrony_settime)(proposed)
    after = clock.wall()
    if jump and abs(after - proposed) > rules.AGREE_WITHIN:
        raise ClockUnreachable("clock_not_set", _l(
            "The time service accepted the time but the clock did not change. Check chrony's settings "
            "(`manual` and `makestep`); nothing was recorded."))
    backwards = bool(record.last_good) and after < record.last_good - rules.BACKWARDS_GRACE
    with _lock:
        confirmed = rules.confirm(load(data_dir), clock.boot_id(), after, str(actor))
        save(data_dir, confirmed)
    with store.write() as db:
        audit.record(db, actor, "clock.set" if jump else "clock.confirm",
                     {"before": round(before, 3), "after": round(after, 3), "source": source,
                      "backwards": backwards, "boot_id": clock.boot_id()}, after)
    return {"jump": jump, "before": before, "after": after}
