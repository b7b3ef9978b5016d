"""The clock in the app (issue 13): the record in the data folder, the admin's confirm or set on
/admin/clock and with the unlock, the audit of each, the banner for staff, the note in minutes,
provisioning's confirmation, and bad input refused in zh and en with nothing changed.

The wall clock is stepped with the project's test hook (appliance.clock.shift_wall) standing in
for chronyd; the real chronyc path is tried against a socket where no chronyd listens, which is
what a laptop running `make run` has.
"""

import json
import os
import re
import time

import pytest

from appliance import clock, create_app, demo, timekeeping
from appliance.meetings import core, minutes
from appliance.rules import timekeeping as rules
from tests.conftest import PASSPHRASE, app_config
from tests.devices.helpers import admin_client

HOUR = 3600


@pytest.fixture
def shifted():
    """Undo every wall-clock step a test makes (the hook is process-wide)."""
    before = clock.wall() - time.time()
    yield
    clock.shift_wall(before - (clock.wall() - time.time()))


def step_wall(when):
    """The test's stand-in for chronyd's settime: step this process's wall clock to `when`."""
    clock.shift_wall(when - clock.wall())


@pytest.fixture
def clock_app(data_dir, shifted):
    app = create_app(app_config(data_dir, extra={"clock_setter": step_wall}))
    demo.populate(app.extensions["yishi"].store)
    yield app
    app.extensions["yishi"].close()


def audit_rows(app, action_prefix="clock."):
    st = app.extensions["yishi"].store
    return [dict(r) | {"detail": json.loads(r["detail"])}
            for r in st.all("SELECT * FROM audit WHERE action LIKE ? ORDER BY seq", (action_prefix + "%",))]


def read_record(data_dir):
    path = timekeeping.record_path(data_dir)
    return open(path, encoding="utf-8").read() if os.path.exists(path) else None


def ms(t):
    return str(int(t * 1000))


def test_admin_confirms_with_the_browser_time_and_it_is_audited(clock_app, data_dir):
    admin = admin_client(clock_app)
    page = admin.get("/admin/clock").get_data(as_text=True)
    assert "尚未确认" in page and 'name="browser_time"' in page
    assert "设备时钟自本次开机以来尚未经管理员确认" in page  # the banner, on the admin's page too
    r = admin.post("/admin/clock", data={"browser_time": ms(clock.wall() + 5)})
    assert r.status_code == 302
    page = admin.get("/admin/clock").get_data(as_text=True)
    assert "设备时钟已确认" in page and "已由管理员确认" in page
    assert "设备时钟自本次开机以来尚未经管理员确认" not in page
    (entry,) = audit_rows(clock_app)
    assert entry["action"] == "clock.confirm" and entry["detail"]["source"] == "browser"
    assert abs(entry["detail"]["after"] - entry["detail"]["before"]) < 5
    assert entry["detail"]["boot_id"] == clock.boot_id()


def test_a_set_time_jumps_the_clock_and_the_audit_has_before_and_after(clock_app, data_dir):
    admin = admin_client(clock_app)
    before = clock.wall()
    target = before + 3 * HOUR  # the Pi restored a time saved three hours before the power cut
    r = admin.post("/admin/clock", data={"browser_time": ms(target)})
    assert r.status_code == 302
    assert abs(clock.wall() - target) < 5
    (entry,) = audit_rows(clock_app)
    assert entry["action"] == "clock.set"
    assert abs(entry["detail"]["before"] - before) < 5 and abs(entry["detail"]["after"] - target) < 5
    assert timekeeping.status(data_dir).trusted
    assert "设备时钟已调整为" in admin.get("/admin/clock").get_data(as_text=True)


def test_typed_time_and_going_back_needs_the_admin_to_say_so(clock_app, data_dir):
    admin = admin_client(clock_app)
    now = clock.wall()
    typed = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now - 2 * 86400))
    r = admin.post("/admin/clock", data={"typed_time": typed})
    assert r.status_code == 400 and "早于本设备已记录过的时间" in r.get_data(as_text=True)
    assert audit_rows(clock_app) == [] and abs(clock.wall() - now) < 5
    r = admin.post("/admin/clock", data={"typed_time": typed, "allow_backwards": "1"})
    assert r.status_code == 302
    (entry,) = audit_rows(clock_app)
    assert entry["action"] == "clock.set" and entry["detail"]["backwards"] is True
    assert entry["detail"]["source"] == "typed"
    assert abs(clock.wall() - (now - 2 * 86400)) < 5


BAD_TIMES = [
    ({"browser_time": ""}, "提交的时间无效", "not a valid time"),                          # no JavaScript ran
    ({"browser_time": "abc"}, "提交的时间无效", "not a valid time"),
    ({"browser_time": "1.7e12"}, "提交的时间无效", "not a valid time"),
    ({"browser_time": "99999999999999999999"}, "提交的时间无效", "not a valid time"),
    ({"typed_time": "2026-13-45T25:61"}, "提交的时间无效", "not a valid time"),
    ({"typed_time": "明天上午"}, "提交的时间无效", "not a valid time"),
    ({"browser_time": "0"}, "早于2026年", "before 2026"),                                     # 1970
    ({"typed_time": "1999-12-31T23:59"}, "早于2026年", "before 2026"),
    ({"typed_time": "2099-01-01T09:00"}, "晚了数年", "years after"),
    ({"browser_time": ms(4102444800)}, "晚了数年", "years after"),                           # 2100
]


@pytest.mark.parametrize("form,zh,en", BAD_TIMES)
def test_bad_times_are_refused_in_both_languages_and_change_nothing(clock_app, data_dir, form, zh, en):
    admin = admin_client(clock_app)
    timekeeping.tick(data_dir)
    record_before = read_record(data_dir)
    wall_before = clock.wall()
    r = admin.post("/admin/clock", data=form)
    assert r.status_code == 400 and zh in r.get_data(as_text=True)
    admin.set_cookie("lang", "en")
    r = admin.post("/admin/clock", data=form)
    assert r.status_code == 400 and en in r.get_data(as_text=True)
    assert read_record(data_dir) == record_before
    assert audit_rows(clock_app) == []
    assert abs(clock.wall() - wall_before) < 5
    assert not timekeeping.status(data_dir).confirmed


def test_no_chronyd_is_said_plainly_and_changes_nothing(data_dir, tmp_path, shifted):
    nowhere = str(tmp_path / "no-chronyd" / "chronyd.sock")
    app = create_app(app_config(data_dir, extra={"clock_setter": lambda t: timekeeping.chrony_settime(t, nowhere)}))
    demo.populate(app.extensions["yishi"].store)
    try:
        admin = admin_client(app)
        wall_before = clock.wall()
        r = admin.post("/admin/clock", data={"browser_time": ms(wall_before + 2 * HOUR)})
        assert r.status_code == 503
        assert "时间服务（chronyd）" in r.get_data(as_text=True) and "设备时钟未作任何改动" in r.get_data(as_text=True)
        assert audit_rows(app) == [] and not timekeeping.status(data_dir).confirmed
        assert abs(clock.wall() - wall_before) < 5
        # Agreeing with the device needs no chronyd: the confirmation still works on a laptop.
        assert admin.post("/admin/clock", data={"browser_time": ms(clock.wall())}).status_code == 302
        assert timekeeping.status(data_dir).confirmed
    finally:
        app.extensions["yishi"].close()


def test_only_admins_set_the_clock(clock_app):
    staff = clock_app.test_client()
    assert staff.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
    assert staff.post("/admin/clock", data={"browser_time": ms(clock.wall())}).status_code == 403
    assert audit_rows(clock_app) == []
    # The secretary sees the banner, without the admin's button.
    page = staff.get("/").get_data(as_text=True)
    assert 'id="clock-banner"' in page and "请管理员确认设备时间" in page
    assert 'href="/admin/clock"' not in page


def test_banner_says_the_clock_is_behind_after_a_reboot_into_the_past(clock_app, data_dir):
    timekeeping.save(data_dir, rules.ClockRecord(last_good=clock.wall() + 6 * HOUR))
    staff = clock_app.test_client()
    staff.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"})
    page = staff.get("/").get_data(as_text=True)
    assert "设备时钟有误" in page


def test_confirm_with_the_unlock(data_dir, shifted):
    app = create_app(app_config(data_dir, passphrase=None, extra={"clock_setter": step_wall}))
    try:
        c = app.test_client()
        page = c.get("/").get_data(as_text=True)
        assert 'name="clock_confirm"' in page and "设备时钟显示" in page and re.search(r"/static/js/clock\.[0-9a-f]{12}\.js", page)  # fingerprinted
        # A wrong passphrase confirms nothing.
        c.post("/unlock", data={"passphrase": "guess", "clock_confirm": "1", "browser_time": ms(clock.wall())})
        assert not timekeeping.status(data_dir).confirmed
        target = clock.wall() + HOUR
        r = c.post("/unlock", data={"passphrase": PASSPHRASE, "clock_confirm": "1", "browser_time": ms(target)})
        assert r.status_code == 302
        assert timekeeping.status(data_dir).confirmed and abs(clock.wall() - target) < 5
        (entry,) = audit_rows(app)
        assert entry["action"] == "clock.set" and entry["actor"] == "admin:web"
    finally:
        app.extensions["yishi"].close()


def test_unlock_without_the_tick_leaves_the_clock_unconfirmed(data_dir):
    app = create_app(app_config(data_dir, passphrase=None))
    try:
        c = app.test_client()
        assert c.post("/unlock", data={"passphrase": PASSPHRASE, "browser_time": ms(clock.wall())}).status_code == 302
        assert not timekeeping.status(data_dir).confirmed and audit_rows(app) == []
    finally:
        app.extensions["yishi"].close()


def test_minutes_made_while_unconfirmed_carry_the_note(clock_app, data_dir):
    st = clock_app.extensions["yishi"].store
    mid = core.create(st, None, "standing", "时钟测试会议", clock.wall())
    text = "\n".join(t for _, t in minutes.lines(st, mid))
    assert timekeeping.UNCONFIRMED_NOTE in text
    admin_client(clock_app).post("/admin/clock", data={"browser_time": ms(clock.wall())})
    text = "\n".join(t for _, t in minutes.lines(st, mid))
    assert timekeeping.UNCONFIRMED_NOTE not in text and timekeeping.BEHIND_NOTE not in text
    timekeeping.save(data_dir, rules.confirm(rules.ClockRecord(), clock.boot_id(), clock.wall() + HOUR, "admin"))
    assert timekeeping.BEHIND_NOTE in "\n".join(t for _, t in minutes.lines(st, mid))


def test_provisioning_confirmation_counts_for_its_boot_and_is_audited_once(data_dir):
    marker = os.path.join(data_dir, timekeeping.PROVISIONED_FILE)
    now = clock.wall()
    with open(marker, "w") as f:
        json.dump({"boot_id": clock.boot_id(), "at": now, "before": now - 5 * HOUR}, f)
    assert timekeeping.status(data_dir).confirmed
    app = create_app(app_config(data_dir))  # unlocks at start
    try:
        (entry,) = audit_rows(app)
        assert entry["actor"] == "provisioning" and entry["detail"]["before"] == now - 5 * HOUR
        assert not os.path.exists(marker) and timekeeping.status(data_dir).confirmed
        timekeeping.audit_provisioning(app.extensions["yishi"].store, data_dir)
        assert len(audit_rows(app)) == 1
    finally:
        app.extensions["yishi"].close()
    # A marker from another boot confirms nothing.
    with open(marker, "w") as f:
        json.dump({"boot_id": "another-boot", "at": now, "before": now}, f)
    timekeeping.save(data_dir, rules.ClockRecord(last_good=now))
    assert not timekeeping.status(data_dir).confirmed


def test_last_good_time_is_kept_and_never_pulled_back(data_dir, shifted):
    now = clock.wall()
    timekeeping.tick(data_dir, now)
    assert timekeeping.load(data_dir).last_good == now
    timekeeping.tick(data_dir, now - 3 * HOUR)   # a reboot into the past
    assert timekeeping.load(data_dir).last_good == now
    assert timekeeping.status(data_dir, now - 3 * HOUR).behind
    with open(timekeeping.record_path(data_dir), "w") as f:
        f.write("{damaged")
    assert timekeeping.load(data_dir) == rules.ClockRecord()  # damaged: unconfirmed, never a crash


def test_exports_made_while_unconfirmed_carry_the_note(clock_app):
    import io

    import docx

    from appliance.office import export

    def paragraphs():
        with clock_app.test_request_context("/"):
            blob = export.sheet_docx("意见汇总表", "征求 3 人", [])
        return [p.text for p in docx.Document(io.BytesIO(blob)).paragraphs]

    assert timekeeping.UNCONFIRMED_NOTE in paragraphs()
    assert admin_client(clock_app).post("/admin/clock", data={"browser_time": ms(clock.wall())}).status_code == 302
    assert timekeeping.UNCONFIRMED_NOTE not in paragraphs()
    with clock_app.test_request_context("/"):
        assert b"%PDF" in export.sheet_pdf("意见汇总表", "征求 3 人", [])[:8]
