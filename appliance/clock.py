"""The server's clocks: the wall clock for *when* (records, the audit log), the boot clock for
*how long* (countdowns, lockouts, sign-in sessions, pairing invitations and requests).

The Pi has no RTC and the air gap no NTP, so its wall clock can be stepped by hours (the admin
confirms the time, an RTC module is fitted, fake-hwclock restores the last saved time). A
duration measured on the wall clock then jumps with it: a +1 h step ended an open 300 s poll at
once. CLOCK_BOOTTIME never steps, counts suspended time, and is the same for every process on
the machine, so every gunicorn worker agrees on it. It restarts at boot, so a deadline is kept
as `(boot id, boot-clock deadline)` with the wall-clock deadline beside it: within the same
boot the boot clock decides; after a reboot (a power cut during a countdown) the wall clock is
the only link left between the two boots, and it decides.

Tests shift the wall clock with `shift_wall` (a real server reads `YISHI_WALL_SHIFT` at start,
for tests only); the boot clock cannot be shifted, which is the point.
"""

import os
import time

_BOOT_ID = "/proc/sys/kernel/random/boot_id"
_wall_shift = float(os.environ.get("YISHI_WALL_SHIFT", "0") or 0)
_boot_id = None


def wall():
    """Seconds since the epoch, as the (possibly stepped) wall clock says."""
    return time.time() + _wall_shift


def shift_wall(seconds):
    """Tests: step this process's wall clock, as an admin or fake-hwclock would step the real one."""
    global _wall_shift
    _wall_shift += seconds


def boot():
    """Seconds on CLOCK_BOOTTIME: never stepped, shared by all processes, restarts at boot."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def boot_id():
    global _boot_id
    if _boot_id is None:
        try:
            with open(_BOOT_ID, encoding="ascii") as f:
                _boot_id = f.read().strip()
        except OSError:  # not Linux: no boot id, so every deadline is judged by the wall clock
            _boot_id = ""
    return _boot_id


def deadline(seconds, wall_now=None):
    """A deadline `seconds` from now: {"wall": …, "boot_id": …, "boot": …}.

    `wall_now` is when it is made (a caller that records an earlier moment, such as a test
    making an invitation "301 s ago"): the boot clock is read at the same offset from now, as
    `remaining` does, so the two clocks agree on the deadline."""
    w = wall()
    at = w if wall_now is None else wall_now
    return {"wall": at + seconds, "boot_id": boot_id(), "boot": boot() + (at - w) + seconds}


def stamp(wall_now=None):
    """This moment on both clocks (a session's start, its last use): `deadline(0)`."""
    return deadline(0, wall_now)


def since(wall_then, then_boot_id=None, boot_then=None, wall_now=None):
    """Seconds since a moment made by `stamp()`: on the boot clock within the same boot, else on
    the wall clock (the moment was in an earlier boot, or it was recorded before the boot clock
    was)."""
    return -remaining(wall_then, then_boot_id, boot_then, wall_now)


def remaining(wall_deadline, deadline_boot_id=None, boot_deadline=None, wall_now=None):
    """Seconds left (may be negative) until a deadline made by `deadline()`; judged on the boot
    clock when it was made in this boot, else on the wall clock.

    `wall_now` is when the question is asked (a ballot is judged on arrival): the boot clock is
    read at the same offset from now, so a caller that passes the wall time of its arrival gets
    the boot time of its arrival."""
    w = wall()
    at = w if wall_now is None else wall_now
    if boot_deadline is not None and deadline_boot_id and deadline_boot_id == boot_id():
        return boot_deadline - (boot() + (at - w))
    return wall_deadline - at


def poll_left(p, wall_now=None):
    """Seconds left on a poll row's countdown (negative once over), or None without one."""
    if p["closes_at"] is None:
        return None
    keys = p.keys()
    return remaining(p["closes_at"], p["closes_boot_id"] if "closes_boot_id" in keys else None,
                     p["closes_boot"] if "closes_boot" in keys else None, wall_now)
