"""The store's disk failing under a running appliance: a full disk, a damaged page.

Real failures, not mocks: the full disk is a small tmpfs mounted as the data folder (root: CI
has it; a developer machine without it skips), the damaged page is bytes changed in the
encrypted file.
"""

import os
import subprocess
import threading
import time

import pytest

from appliance import create_app, demo
from appliance.devices import people
from appliance.meetings import core, polls
from tests.conftest import app_config, make_store
from tests.devices.helpers import admin_client, pair_tablet, sign_in
from tests.meetings.helpers import ballot, secretary
from tests.provisioning.conftest import need  # skip on a developer machine, fail under CI


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs: room for the demo store, and a disk that really fills up."""
    need(os.geteuid() == 0, "the full-disk test mounts a tmpfs: it needs root, as CI has")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mnt)], capture_output=True, text=True)
    need(r.returncode == 0, f"cannot mount a tmpfs for the full-disk test: {r.stderr.strip()}")
    yield str(mnt)
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder):
    """Write zeros until the disk refuses (64 KB, then 4 KB blocks); returns the filler's path."""
    path = os.path.join(folder, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (65536, 4096):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return path


def room(app):
    """A meeting at quorum with an open secret poll, and one member's real tablet."""
    st = app.extensions["yishi"].store
    members = people.everyone(st, role="member")
    mid = core.create(st, None, "standing", "存储测试会议", 0)
    core.open_signin(st, None, mid)
    for m in members[:9]:
        core.sign_in(st, m.id, mid)
    pid = polls.create(st, None, core.add_item(st, None, mid, "议题", "bill"))
    polls.open_(st, None, pid)
    admin = admin_client(app)
    tablet = pair_tablet(app, admin, name="平板 1", person_id=members[0].id)
    assert sign_in(app, tablet, members[0].name, demo.member_pin(members[0].seat)).status_code == 200
    return st, mid, pid, admin, tablet


def test_a_full_disk_is_named_reads_go_on_and_the_same_ballot_counts_once_there_is_room(small_disk):
    d = os.path.join(small_disk, "data")
    st, _ = make_store(d)
    demo.populate(st)
    st.close()
    app = create_app(app_config(d))
    try:
        st, mid, pid, admin, tablet = room(app)
        sec = secretary(app)
        # Last seen more than a minute ago: the next request of each wants to write it.
        with st.write() as db:
            db.execute("UPDATE devices SET last_seen_at = last_seen_at - 120")
            db.execute("UPDATE sessions SET last_seen_at = last_seen_at - 120, last_seen_boot = last_seen_boot - 120")
        # A 24 MB disk is nearly full from the start: the admin is warned before anything fails.
        page = admin.get("/admin/devices").get_data(as_text=True)
        assert "storage-low" in page and "仅剩" in page and d in page
        assert 'id="storage-notice"' not in sec.get(f"/meetings/{mid}/console").get_data(as_text=True)
        st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so the next COMMIT must grow the WAL
        filler = fill(small_disk)

        b = ballot("yes", 7)
        r = tablet.post(f"/api/v1/polls/{pid}/ballots", json=b)
        assert r.status_code == 507, r.get_json()
        err = r.get_json()["error"]
        assert err["code"] == "storage_full" and "存储空间已满" in err["message"] and "重试" in err["message"]
        assert "工作人员已" not in err["message"]  # no more "the staff have been told"
        # Reading still works although every identity load now fails to write last_seen.
        r = tablet.get(f"/api/v1/meetings/{mid}")
        assert r.status_code == 200 and r.get_json()["polls"][0]["voted"] is False
        assert tablet.get(f"/meetings/{mid}").status_code == 200
        # The admin sees where and what to do; the secretary's console says it too.
        page = admin.get("/admin/devices").get_data(as_text=True)
        assert 'id="storage-notice"' in page and d in page and "已满" in page and "keyring.json" in page
        page = sec.get(f"/meetings/{mid}/console").get_data(as_text=True)
        assert 'id="storage-notice"' in page and "存储空间已满" in page
        assert st.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (pid,)) == 0

        os.unlink(filler)
        r = tablet.post(f"/api/v1/polls/{pid}/ballots", json=b)  # the tablet's retry: same ballot id
        assert r.status_code == 200 and r.get_json() == {"recorded": True, "retry": False}
        # Committed for real: another connection sees it (a failed COMMIT left no open transaction
        # behind for the retry to vanish into).
        seen = []
        t = threading.Thread(target=lambda: seen.append(st.scalar("SELECT count(*) FROM ballots WHERE poll_id = ?", (pid,))))
        t.start()
        t.join()
        assert seen == [1]
        assert "存储空间已满" not in sec.get(f"/meetings/{mid}/console").get_data(as_text=True)
    finally:
        app.extensions["yishi"].close()


def damage_page_of_audit_log(d):
    """A store whose audit log spans many pages, with one page in the middle of it damaged: an
    overflow page of one long entry, so only a request that reads that entry meets it."""
    from appliance.store import audit

    st, _ = make_store(d)
    demo.populate(st)
    with st.write() as db:
        for i in range(700):
            audit.record(db, "test", "document.read", {"document": i, "note": "阅" * 100})
    before = st.scalar("PRAGMA page_count")
    with st.write() as db:  # its overflow pages are the first ones this transaction adds
        audit.record(db, "test", "document.read", {"note": "长" * 12000})
    assert st.scalar("PRAGMA page_count") >= before + 8
    with st.write() as db:
        for i in range(700):
            audit.record(db, "test", "document.read", {"document": i, "note": "阅" * 100})
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    page = before + 3
    with open(os.path.join(d, "yishi.db"), "r+b") as f:
        f.seek((page - 1) * 4096 + 1000)
        f.write(os.urandom(64))
    return page


def test_a_damaged_page_fails_only_the_request_that_reads_it_and_the_admin_is_told(tmp_path):
    d = str(tmp_path / "data")
    damage_page_of_audit_log(d)
    app = create_app(app_config(d))
    try:
        a = app.extensions["yishi"]
        a.store.health.damage = None  # what the check at unlock found is the next test's subject
        admin = admin_client(app)
        r = admin.get("/admin/audit")  # walks the whole hash chain, so it meets the bad page
        page = r.get_data(as_text=True)
        assert r.status_code == 500 and "数据文件已损坏" in page
        assert a.store.path in page and "USB 备份" in page  # the admin's version: which file, what to do
        # The connection that met the page is gone; others' writes invalidate every cache, and
        # unrelated requests on this thread work as before.
        other = threading.Thread(target=lambda: a.store.best_effort("INSERT INTO settings VALUES ('x', 'y')"))
        other.start()
        other.join()
        for _ in range(5):
            assert admin.get("/admin/devices").status_code == 200
            assert admin.get("/api/v1/me").status_code == 200
        member = app.test_client()
        r = member.get("/api/v1/me")
        assert r.status_code in (200, 401)
        notice = admin.get("/admin/devices").get_data(as_text=True)
        assert 'id="storage-notice"' in notice and a.store.path in notice
    finally:
        app.extensions["yishi"].close()


def test_the_check_at_unlock_finds_a_damaged_page_no_request_has_read(tmp_path):
    d = str(tmp_path / "data")
    damage_page_of_audit_log(d)
    app = create_app(app_config(d))
    try:
        a = app.extensions["yishi"]
        deadline = time.monotonic() + 60
        while a.store.health.check == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert a.store.health.check == "damaged"
        page = admin_client(app).get("/admin/devices").get_data(as_text=True)
        assert 'id="storage-notice"' in page and "quick_check" in page and a.store.path in page
    finally:
        app.extensions["yishi"].close()


def test_a_sound_store_passes_the_check_and_shows_no_notice(demo_app):
    app = demo_app
    a = app.extensions["yishi"]
    deadline = time.monotonic() + 60
    while a.store.health.check == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert a.store.health.check == "ok"
    assert 'id="storage-notice"' not in admin_client(app).get("/admin/devices").get_data(as_text=True)
