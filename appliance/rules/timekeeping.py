"""Whether the appliance's wall clock can be trusted, and which new times an admin may give it.

The Pi 4 has no real-time clock and the air gap has no NTP: after a power cut the clock starts
from the time fake-hwclock last saved (or from 1970). So the appliance keeps two facts beside
the clock: the last known good time (a time the clock has already shown while it was trusted,
which it may never fall behind), and the boot in which an admin last confirmed the clock (a
confirmation holds for that boot only: the next power cut can lose any amount of time again).
Plain values in, plain values out; the caller reads the clocks and the files.
"""

import calendar
import re
from dataclasses import dataclass, replace

# This software did not exist before 2026: a clock that says so is wrong, whatever else is known.
EARLIEST = calendar.timegm((2026, 1, 1, 0, 0, 0))
# A confirmed time more than this far beyond the last known good one is refused as a typing
# error (a wrong year). An appliance stored unpowered for longer still starts: the admin enters
# the time on the admin page after checking it, or provisioning sets it from the laptop.
MAX_AHEAD = 5 * 366 * 86400
# The admin's browser and the appliance agree when they are this close: a page load and a tap
# take a few seconds, and a minute is below what any record shows (minutes show hh:mm).
AGREE_WITHIN = 60
# A new time earlier than the last known good one by more than this needs the admin to say
# that the earlier time was wrong (it makes records appear out of order).
BACKWARDS_GRACE = 300


@dataclass(frozen=True)
class ClockRecord:
    """What is kept in the data folder (clock.json) between boots."""

    last_good: float = 0.0            # wall time the trusted clock has reached; never decreases by itself
    confirmed_boot_id: str = ""       # the boot in which an admin (or provisioning) confirmed the clock
    confirmed_at: float = 0.0
    confirmed_by: str = ""


@dataclass(frozen=True)
class ClockStatus:
    confirmed: bool                   # confirmed in this boot
    behind: bool                      # the wall clock is before a time it has already reached
    behind_by: float                  # seconds (0 when not behind)
    wall: float
    last_good: float

    @property
    def trusted(self):
        return self.confirmed and not self.behind


def status(record, wall_now, boot_id):
    """The clock's standing now. `behind` is judged whether or not it was confirmed: a clock
    confirmed earlier in this boot that then falls behind (someone ran `date -s`) is wrong."""
    floor = max(record.last_good, EARLIEST)
    behind_by = max(0.0, floor - wall_now)
    confirmed = bool(boot_id) and record.confirmed_boot_id == boot_id
    return ClockStatus(confirmed, behind_by > 0, behind_by, wall_now, record.last_good)


def advance(record, wall_now):
    """The record after the clock was seen at `wall_now`: the last good time moves forward only,
    and only while the clock is not behind it (a clock restarted in 1970 must not pull it back,
    and one restarted a little late must not be taken as good until confirmed)."""
    if wall_now <= record.last_good:
        return record
    return replace(record, last_good=wall_now)


def confirm(record, boot_id, at, by):
    """An admin confirmed (or set) the clock at wall time `at` in boot `boot_id`: this boot is
    trusted and `at` becomes the last good time, even when it is earlier (the admin has said the
    earlier good time was wrong)."""
    return ClockRecord(last_good=at, confirmed_boot_id=boot_id, confirmed_at=at, confirmed_by=by)


@dataclass(frozen=True)
class Refusal:
    """Why a proposed time is refused: a code and its English text (translated at the edge)."""

    code: str
    message: str


def parse_epoch_ms(text):
    """The browser's `Date.now()`: whole milliseconds since the epoch, as digits. None if malformed."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,15}", text.strip()):
        return None
    return int(text.strip()) / 1000.0


def judge(proposed, record, allow_backwards=False):
    """None if the admin may set the clock to `proposed` (wall seconds), else a Refusal."""
    if proposed is None:
        return Refusal("clock_malformed", "malformed")
    if proposed < EARLIEST:
        return Refusal("clock_too_early", "too_early")
    if proposed > max(record.last_good, EARLIEST) + MAX_AHEAD:
        return Refusal("clock_too_late", "too_late")
    if record.last_good and proposed < record.last_good - BACKWARDS_GRACE and not allow_backwards:
        return Refusal("clock_backwards", "backwards")
    return None


def is_jump(before, after):
    """Whether confirming `after` when the clock says `before` steps the clock."""
    return abs(after - before) > AGREE_WITHIN
