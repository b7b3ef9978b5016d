"""The store's health is one for all workers (issue 11): a full disk met by one gunicorn worker, or
a damaged file found by the check at unlock in one worker, is shown by every worker's admin page,
and goes away for all of them once resolved (space freed and a write succeeded; the file
restored and the appliance unlocked again). Three real workers, each request steered to one of
them with SIGSTOP of the others (tests/server/test_workers.py).

Bad inputs tried: a disk that really fills up (a tmpfs, root only: CI has it) under a sign-in
that must write, a page of the encrypted file overwritten with noise; after each, what was
stored before is still read (the admin's own session keeps working)."""

import json
import os
import shutil
import time

import httpx
import pytest

from appliance import demo
from appliance.store import audit, open_store
from tests.conftest import PASSPHRASE, damage_store, make_store, start_server
from tests.server.test_workers import DEADLINE, Only, fresh, unlock_in, wait_workers
from tests.web.test_storage import fill, small_disk  # noqa: F401 (a fixture)

pytestmark = pytest.mark.server


def admin_page(server, pids, pid, cookies):
    with Only(pids, pid):
        r = fresh(server, "GET", "/admin/devices", cookies=cookies)
    assert r.status_code == 200, r.text[:500]
    return r.text


def sign_in(server, pids, pid, username, password):
    with Only(pids, pid):
        return fresh(server, "POST", "/api/v1/login", json={"username": username, "password": password})


def health_file(d):
    with open(os.path.join(d, "yishi.db-health"), "rb") as f:
        return json.loads(f.read().rstrip(b"\0") or b"{}")


def test_a_full_disk_met_by_one_worker_is_shown_by_all_and_cleared_for_all(small_disk, tmp_path):  # noqa: F811
    d = os.path.join(small_disk, "data")
    store, key = make_store(d)
    demo.populate(store)
    store.close()
    # The server's log lives off the small disk, so a full disk does not stop the log.
    os.symlink(str(tmp_path / "server.log"), os.path.join(d, "server.log"))
    pf = str(tmp_path / "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    server = start_server(d, pf, extra=("--workers", "3", "--edge", "off"))
    try:
        pids = wait_workers(server, 3)
        r = sign_in(server, pids, pids[1], "admin", "yishi-admin")
        assert r.status_code == 200, r.text
        admin = dict(r.cookies)
        for p in pids:
            assert "已满" not in admin_page(server, pids, p, admin)
        st = open_store(d, key)
        st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so the next COMMIT must grow the WAL
        st.close()
        filler = fill(small_disk)

        # Worker 0 meets the full disk: a sign-in must write (the attempt is counted first).
        r = sign_in(server, pids, pids[0], "secretary", "yishi-secretary")
        assert r.status_code == 507 and r.json()["error"]["code"] == "storage_full", r.text
        assert "存储空间已满" in r.json()["error"]["message"]
        # Workers 1 and 2 wrote nothing since, yet their admin pages say so, with what to do.
        for p in pids:
            page = admin_page(server, pids, p, admin)
            assert 'id="storage-notice"' in page and "已满" in page and "keyring.json" in page, p

        os.unlink(filler)
        assert sign_in(server, pids, pids[2], "secretary", "yishi-secretary").status_code == 200  # a COMMIT returns
        for p in pids:
            assert "已满" not in admin_page(server, pids, p, admin), p
    finally:
        server.stop()


def test_damage_found_by_one_worker_is_shown_by_all_until_the_store_is_restored(tmp_path):
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    demo.populate(store)
    with store.write() as db:  # a store of many pages, so that one in the middle can be damaged
        for i in range(700):
            audit.record(db, "test", "document.read", {"document": i, "note": "阅" * 100})
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = store.scalar("PRAGMA page_count")
    store.close()
    backup = str(tmp_path / "yishi.db.backup")
    shutil.copyfile(os.path.join(d, "yishi.db"), backup)
    damage_store(d, (pages // 2) * 4096 + 1000, 64)

    server = start_server(d, extra=("--workers", "3", "--edge", "off"))
    try:
        pids = wait_workers(server, 3)
        assert unlock_in(server, pids, pids[0]).status_code == 302  # worker 0 runs the check
        deadline = time.monotonic() + DEADLINE
        while health_file(d).get("check") in (None, "running") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert health_file(d)["check"] == "damaged", health_file(d)
        r = sign_in(server, pids, pids[2], "admin", "yishi-admin")  # what is sound still works
        assert r.status_code == 200, r.text
        admin = dict(r.cookies)
        for p in pids:  # workers 1 and 2 never read the bad page
            page = admin_page(server, pids, p, admin)
            assert 'id="storage-notice"' in page and "quick_check" in page and "USB 备份" in page, p

        # The admin seals, restores the last backup and unlocks again: the check runs again, finds
        # nothing, and no worker shows the notice any more.
        with Only(pids, pids[1]):
            with httpx.Client(base_url=server.url, verify=False, headers={"Origin": server.url, "Connection": "close"},
                              timeout=30, cookies=admin) as c:
                assert c.post("/api/v1/admin/seal").json() == {"sealed": True}
        for p in pids:
            with Only(pids, p):
                assert fresh(server, "GET", "/healthz").json()["sealed"] is True  # each has closed its store
        for suffix in ("-wal", "-shm"):
            if os.path.exists(os.path.join(d, "yishi.db" + suffix)):
                os.unlink(os.path.join(d, "yishi.db" + suffix))
        shutil.copyfile(backup, os.path.join(d, "yishi.db"))
        assert unlock_in(server, pids, pids[1]).status_code == 302
        deadline = time.monotonic() + DEADLINE
        while health_file(d).get("check") in (None, "running") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert health_file(d)["check"] == "ok", health_file(d)
        r = sign_in(server, pids, pids[0], "admin", "yishi-admin")  # the backup predates the session
        assert r.status_code == 200, r.text
        admin = dict(r.cookies)
        for p in pids:
            page = admin_page(server, pids, p, admin)
            assert "quick_check" not in page and "数据文件已损坏" not in page, p
    finally:
        server.stop()
