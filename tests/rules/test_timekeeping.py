"""The clock rules with a fake clock: plain numbers for the wall clock and strings for boot ids."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from appliance.rules import timekeeping as tk

DAY = 86400
T0 = tk.EARLIEST + 340 * DAY  # a December day in 2026


def test_the_last_good_time_never_goes_backwards_across_a_reboot():
    record = tk.ClockRecord()
    for minute in range(0, 600, 7):  # the appliance running: the record follows the clock
        record = tk.advance(record, T0 + minute * 60)
    assert record.last_good == T0 + 595 * 60
    # Power cut; fake-hwclock restores a time saved 40 minutes before the cut.
    after_reboot = T0 + 555 * 60
    moved = tk.advance(record, after_reboot)
    assert moved.last_good == record.last_good, "a clock restarted in the past pulled the record back"
    s = tk.status(moved, after_reboot, "boot-2")
    assert s.behind and s.behind_by == 40 * 60 and not s.trusted
    # And a clock restarted in 1970 (no saved time at all) is behind too.
    assert tk.status(moved, 0.0, "boot-2").behind


@given(st.lists(st.floats(min_value=0, max_value=T0 + 3650 * DAY, allow_nan=False), max_size=40))
def test_advance_is_monotonic_whatever_the_clock_says(times):
    record, highest = tk.ClockRecord(), 0.0
    for t in times:
        record = tk.advance(record, t)
        highest = max(highest, t)
        assert record.last_good == highest


def test_a_confirmation_holds_for_its_boot_only():
    record = tk.confirm(tk.ClockRecord(), "boot-1", T0, "admin")
    assert tk.status(record, T0 + 60, "boot-1").confirmed
    assert tk.status(record, T0 + 60, "boot-1").trusted
    after = tk.status(record, T0 + 3600, "boot-2")  # rebooted, clock restored forward: still unconfirmed
    assert not after.confirmed and not after.behind and not after.trusted
    assert not tk.status(record, T0, "").confirmed, "no boot id (not Linux) is never confirmed"


def test_a_confirmed_clock_that_falls_behind_is_not_trusted():
    record = tk.advance(tk.confirm(tk.ClockRecord(), "boot-1", T0, "admin"), T0 + 3600)
    s = tk.status(record, T0 + 1800, "boot-1")  # someone ran `date -s` half an hour back
    assert s.confirmed and s.behind and not s.trusted


def test_confirming_an_earlier_time_resets_the_last_good_time():
    record = tk.ClockRecord(last_good=T0 + 365 * DAY)  # a wrong year was once taken as good
    fixed = tk.confirm(record, "boot-3", T0, "admin")
    assert fixed.last_good == T0 and tk.status(fixed, T0 + 5, "boot-3").trusted


def test_times_refused_and_accepted():
    record = tk.ClockRecord(last_good=T0)
    assert tk.judge(None, record).code == "clock_malformed"
    assert tk.judge(0.0, record).code == "clock_too_early"                    # 1970
    assert tk.judge(tk.EARLIEST - 1, record).code == "clock_too_early"
    assert tk.judge(T0 + 30 * 366 * DAY, record).code == "clock_too_late"     # 2056: a typo in the year
    assert tk.judge(T0 - 2 * DAY, record).code == "clock_backwards"
    assert tk.judge(T0 - 2 * DAY, record, allow_backwards=True) is None
    assert tk.judge(T0 - 60, record) is None                                  # within the grace
    assert tk.judge(T0 + 90 * DAY, record) is None                            # stored for a season
    # Nothing known yet: the far future is still refused.
    assert tk.judge(tk.EARLIEST + 40 * 366 * DAY, tk.ClockRecord()).code == "clock_too_late"
    assert tk.judge(T0, tk.ClockRecord()) is None


def test_browser_time_parsing():
    assert tk.parse_epoch_ms("1796729400123") == 1796729400.123
    for bad in ["", " ", "abc", "-5", "1.5e12", "17967294001231234567", None, "1796729400123; rm"]:
        assert tk.parse_epoch_ms(bad) is None, bad


def test_jump_or_confirmation():
    assert not tk.is_jump(T0, T0 + tk.AGREE_WITHIN)
    assert tk.is_jump(T0, T0 + tk.AGREE_WITHIN + 1) and tk.is_jump(T0, T0 - 3600)


def test_record_is_plain_values():
    r = replace(tk.ClockRecord(), last_good=1.0)
    assert r.last_good == 1.0 and r.confirmed_boot_id == ""
