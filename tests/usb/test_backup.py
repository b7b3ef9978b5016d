"""Backup and restore (appliance/usb/backup.py) on real encrypted stores and real files.

A backup of a store with a committee, documents and an audit log is restored into a fresh
folder and compared table by table and byte by byte; the restored folder is opened, served and
checked by `yishi audit verify`. Bad inputs tried, each refused with nothing written: a wrong
passphrase, a file truncated at several places, one flipped byte in each part of the file
(snapshot, header, sealed files, end marker), a file that is no backup at all, a non-empty
target folder, a missing backup folder and a nonsense `keep`.
"""

import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from appliance.store import audit, open_store
from appliance.store.keys import Keyring
from appliance.usb import backup
from tests.conftest import PASSPHRASE, YISHI, make_store

DAY = 24 * 3600


def _tables(store):
    names = [r[0] for r in store.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: [tuple(r) for r in store.all(f'SELECT * FROM "{n}" ORDER BY 1, 2')] if _cols(store, n) > 1
            else [tuple(r) for r in store.all(f'SELECT * FROM "{n}" ORDER BY 1')] for n in names}


def _cols(store, table):
    return len(store.all(f'PRAGMA table_info("{table}")'))


def _schema(store):
    return store.all("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")


@pytest.fixture
def committee(tmp_path):
    """A data folder with the demo committee, two documents (one replaced), a signing key file
    standing in for usb-export's, and the TLS files `yishi init` makes."""
    from appliance import demo, tls
    from appliance.documents import library
    from tests.meetings.helpers import make_pdf

    d = str(tmp_path / "data")
    store, key = make_store(d)
    tls.ensure(d)
    os.makedirs(os.path.join(d, "usb"), exist_ok=True)
    with open(os.path.join(d, "usb", "signing.key"), "wb") as f:
        f.write(os.urandom(32))
    os.makedirs(os.path.join(d, "edge"), exist_ok=True)  # nginx's runtime folder: not data
    with open(os.path.join(d, "edge", "nginx.pid"), "w") as f:
        f.write("12345\n")
    demo.populate(store)
    admin = store.scalar("SELECT id FROM people WHERE username = 'admin'")
    doc = library.create(store, admin, "预算调整方案", "budget.pdf", make_pdf("预算调整方案 第一稿", pages=3))
    library.replace(store, admin, doc, "budget-v2.pdf", make_pdf("预算调整方案 第二稿", pages=4), note="更正")
    library.create(store, admin, "人事任免", "renshi.pdf", make_pdf("人事任免事项", pages=2), classified=True)
    yield d, store, key
    store.close()


def _snapshot_of(data_dir, key):
    s = open_store(data_dir, key)
    try:
        return _tables(s), _schema(s), audit.verify(s)
    finally:
        s.close()


def test_round_trip_restores_every_table_every_byte_and_the_same_ca(committee, tmp_path):
    d, store, key = committee
    before_tables, before_schema = _tables(store), _schema(store)
    stick = tmp_path / "stick"
    stick.mkdir()
    seen = []
    path = backup.write_backup(store, d, str(stick), keep=7, progress=lambda done, total: seen.append((done, total)))
    assert path.parent == stick and path.name.startswith("yishi-backup-") and path.suffix == ".yishi-backup"
    assert [p.name for p in stick.iterdir()] == [path.name], "the temporary file is gone, nothing else left"
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0, seen

    new = str(tmp_path / "new-card")
    done = backup.restore(path, new, PASSPHRASE)
    assert done.audit_entries == audit.verify(store).entries - 1  # the backup's own entry comes after it

    # every table, row for row (document_chunks holds every document byte), and the schema
    after_tables, after_schema, verdict = _snapshot_of(new, key)
    before_tables.pop("backups")
    assert after_tables.pop("backups") == []
    assert before_tables["audit"] == after_tables["audit"][: len(before_tables["audit"])]
    for name in before_tables:
        assert after_tables[name] == before_tables[name], name
    assert after_schema == before_schema
    assert verdict.ok and verdict.entries == len(before_tables["audit"])
    assert before_tables["document_chunks"], "the comparison covered document bytes"

    # the files a new card needs, byte for byte; nginx's runtime folder is not among them
    for rel in ("tls/ca.crt", "tls/ca.key", "tls/server.crt", "tls/server.key", "keyring.json", "config.json", "usb/signing.key"):
        with open(os.path.join(d, rel), "rb") as a, open(os.path.join(new, rel), "rb") as b:
            assert a.read() == b.read(), rel
        assert os.stat(os.path.join(new, rel)).st_mode & 0o777 == os.stat(os.path.join(d, rel)).st_mode & 0o777, rel
    assert not os.path.exists(os.path.join(new, "edge"))

    # the same passphrase opens it, and documents read back through the library
    from appliance.documents import library

    ring = Keyring.load(new)
    assert ring.unlock_with_passphrase(PASSPHRASE) == key
    restored = open_store(new, key)
    try:
        for (vid,) in store.all("SELECT id FROM document_versions"):
            assert b"".join(library.stream(restored, vid)) == b"".join(library.stream(store, vid))
    finally:
        restored.close()


def test_the_restored_folder_serves_and_verifies_through_the_cli(committee, tmp_path):
    d, store, _ = committee
    stick = tmp_path / "stick"
    stick.mkdir()
    pfile = tmp_path / "pass"
    pfile.write_text(PASSPHRASE + "\n")
    path = backup.write_backup(store, d, str(stick))
    new = str(tmp_path / "new")
    r = subprocess.run([YISHI, "restore", "--from", str(path), "--data", new, "--passphrase-file", str(pfile)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([YISHI, "audit", "verify", "--data", new, "--passphrase-file", str(pfile)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "intact" in r.stdout, r.stdout + r.stderr

    from appliance import create_app
    from tests.conftest import app_config
    from tests.devices.helpers import admin_client

    app = create_app(app_config(new))
    try:
        page = admin_client(app).get("/admin/devices")
        assert page.status_code == 200
        assert "尚无备份" in page.get_data(as_text=True)  # the new card has made no backup of its own yet
    finally:
        app.extensions["yishi"].close()


def test_cli_backup_keeps_n_and_refuses_a_wrong_passphrase(committee, tmp_path):
    d, store, _ = committee
    store.close()
    out = tmp_path / "stick"
    out.mkdir()
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text(PASSPHRASE + "\n")
    bad.write_text("not the passphrase\n")
    for _ in range(3):
        r = subprocess.run([YISHI, "backup", "--data", d, "--out", str(out), "--keep", "2", "--passphrase-file", str(good)],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
    assert len(backup.backups_in(str(out))) == 2
    r = subprocess.run([YISHI, "backup", "--data", d, "--out", str(out), "--passphrase-file", str(bad)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "wrong" in r.stderr
    r = subprocess.run([YISHI, "backup", "--data", d, "--out", str(tmp_path / "no-stick"), "--passphrase-file", str(good)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "不存在" in r.stderr and "does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "no-stick").exists()
    r = subprocess.run([YISHI, "backup", "--data", d, "--out", str(out), "--keep", "0", "--passphrase-file", str(good)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "whole number" in r.stderr


@pytest.fixture
def one_backup(committee, tmp_path):
    d, store, key = committee
    stick = tmp_path / "stick"
    stick.mkdir()
    return backup.write_backup(store, d, str(stick)), key


def _refused(path, target, passphrase=PASSPHRASE, cls=backup.BackupRefused):
    with pytest.raises(cls) as e:
        backup.restore(path, target, passphrase)
    return e.value


def test_wrong_passphrase_is_refused_in_both_languages_and_writes_nothing(one_backup, tmp_path):
    path, _ = one_backup
    target = tmp_path / "new"
    e = _refused(path, str(target), "wrong horse battery staple")
    assert e.code == "wrong_passphrase" and not isinstance(e, backup.BackupDamaged)
    assert "口令不正确" in e.in_both() and "passphrase is wrong" in e.in_both()
    assert not target.exists()
    target.mkdir()
    _refused(path, str(target), "wrong horse battery staple")
    assert os.listdir(target) == []


def _tree(folder):
    """Every file under `folder` with its bytes and mode, to show that nothing changed."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = (f.read(), os.stat(p).st_mode)
    return out


def test_a_folder_that_is_not_a_new_card_is_refused_and_left_as_it_was(one_backup, tmp_path):
    path, _ = one_backup
    target = tmp_path / "old-card"
    target.mkdir()
    (target / "yishi.db").write_bytes(b"the old store")
    e = _refused(path, str(target))
    assert e.code == "restore_not_empty" and "不是新存储卡" in e.in_both() and "yishi.db" in e.in_both()
    assert os.listdir(target) == ["yishi.db"] and (target / "yishi.db").read_bytes() == b"the old store"
    a_file = tmp_path / "a-file"
    a_file.write_bytes(b"x")
    _refused(path, str(a_file))
    assert a_file.read_bytes() == b"x"
    # first boot's files and one more (a keyring): refused, every byte where it was
    card = tmp_path / "card"
    assert subprocess.run([YISHI, "init", "--data", str(card), "--secrets-only"], capture_output=True).returncode == 0
    (card / "keyring.json").write_text("{}")
    before = _tree(card)
    _refused(path, str(card))
    assert _tree(card) == before


def test_a_new_card_after_first_boot_gets_the_backups_ca(one_backup, committee, tmp_path):
    """First boot (`yishi init --secrets-only`) made a CA and settings; the restore replaces them
    with the backup's, so the tablets that trust the old appliance trust the new card."""
    path, key = one_backup
    d, _, _ = committee
    card = tmp_path / "card"
    assert subprocess.run([YISHI, "init", "--data", str(card), "--secrets-only"], capture_output=True).returncode == 0
    (card / "edge").mkdir()  # a sealed start's nginx folder stays
    assert (card / "tls" / "ca.crt").read_bytes() != open(os.path.join(d, "tls", "ca.crt"), "rb").read()
    backup.restore(path, str(card), PASSPHRASE)
    for rel in ("tls/ca.crt", "tls/ca.key", "tls/server.crt", "tls/server.key", "config.json"):
        assert (card / rel).read_bytes() == open(os.path.join(d, rel), "rb").read(), rel
    # yishi.db-health is made by the restore's own open of the store, not carried by the backup
    assert sorted(os.listdir(card)) == ["config.json", "edge", "keyring.json", "tls", "usb", "yishi.db", "yishi.db-health"]


def test_a_restore_that_fails_midway_puts_first_boots_files_back(one_backup, tmp_path, monkeypatch):
    """The store cannot be opened after the files are in place (here: open_store fails as a full
    card would): the folder is as first boot left it, byte for byte."""
    path, _ = one_backup
    card = tmp_path / "card"
    assert subprocess.run([YISHI, "init", "--data", str(card), "--secrets-only"], capture_output=True).returncode == 0
    before = _tree(card)
    import appliance.store

    def full_card(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(appliance.store, "open_store", full_card)
    with pytest.raises(OSError):
        backup.restore(path, str(card), PASSPHRASE)
    assert _tree(card) == before and sorted(os.listdir(card)) == ["config.json", "tls"]
    new = tmp_path / "new"
    with pytest.raises(OSError):
        backup.restore(path, str(new), PASSPHRASE)
    assert not new.exists()


def _parts(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(size - backup.FOOTER.size)
        _, s, h, c = backup.FOOTER.unpack(f.read())
    return {"store snapshot": (0, s), "header": (s, h), "sealed files or header": (s + h, c), "end marker": (s + h + c, backup.FOOTER.size)}


@pytest.mark.parametrize("part", ["store snapshot", "header", "sealed files or header", "end marker"])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_one_flipped_byte_is_found_and_named(one_backup, tmp_path, part, where):
    path, _ = one_backup
    start, length = _parts(path)[part]
    offset = start + {"first": 0, "middle": length // 2, "last": length - 1}[where]
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    damaged = tmp_path / "damaged.yishi-backup"
    damaged.write_bytes(bytes(data))
    target = tmp_path / "new"
    e = _refused(damaged, str(target))
    assert not target.exists()
    # A flip in the header may break its JSON or its keyring before the seal is checked; either
    # way the message names the header's part of the file, never a wrong passphrase.
    named = {"header": {"header", "keyring", "sealed files or header"}}.get(part, {part})
    assert isinstance(e, backup.BackupDamaged) and e.part in named, (part, where, e.part, e.detail)
    assert "损坏" in e.in_both() and "damaged" in e.in_both()


@pytest.mark.parametrize("keep_fraction", [0.0, 0.3, 0.999])
def test_a_truncated_file_is_refused(one_backup, tmp_path, keep_fraction):
    path, _ = one_backup
    data = path.read_bytes()
    cut = tmp_path / "cut.yishi-backup"
    cut.write_bytes(data[: int(len(data) * keep_fraction)])
    target = tmp_path / "new"
    e = _refused(cut, str(target), cls=backup.BackupDamaged)
    assert e.part == "end marker" and not target.exists()


def test_a_file_that_is_no_backup_is_refused(committee, tmp_path):
    d, _, _ = committee
    e = _refused(os.path.join(d, "yishi.db"), str(tmp_path / "new"), cls=backup.BackupDamaged)
    assert e.part == "end marker"
    e = _refused(tmp_path / "missing.yishi-backup", str(tmp_path / "new"))
    assert e.code == "backup_unreadable" and not (tmp_path / "new").exists()


def test_keep_removes_the_oldest_and_nothing_else(committee, tmp_path):
    d, store, _ = committee
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "会议纪要.pdf").write_bytes(b"someone else's file")
    stale, fresh = stick / ".yishi-backup-20261201T020000Z.yishi-backup.partial", stick / ".yishi-backup-20261207T020000Z.yishi-backup.partial"
    stale.write_bytes(b"half a backup from a pulled stick")
    os.utime(stale, (time.time() - 2 * 3600,) * 2)
    fresh.write_bytes(b"a backup being written right now")
    t0 = time.time() - 10 * DAY
    written = [backup.write_backup(store, d, str(stick), keep=3, now=t0 + n * DAY).name for n in range(5)]
    assert sorted(os.listdir(stick)) == sorted(written[-3:] + ["会议纪要.pdf", fresh.name])
    assert backup.last_backup(store).file == written[-1]
    # two backups in the same second get distinct names, and keep=1 leaves only the newest
    again = backup.write_backup(store, d, str(stick), keep=1, now=t0 + 4 * DAY)
    assert again.name != written[-1] and [os.path.basename(p) for p in backup.backups_in(str(stick))] == [again.name]
    with pytest.raises(backup.BackupRefused):
        backup.write_backup(store, d, str(stick), keep=0)
    with pytest.raises(backup.BackupRefused):
        backup.write_backup(store, d, d)


def test_last_backup_and_backup_due(store, tmp_path):
    d = os.path.dirname(store.path)
    now = time.time()
    assert backup.last_backup(store) is None and backup.backup_due(store, now)
    assert backup.status(store, now)["stale"]
    stick = tmp_path / "stick"
    stick.mkdir()
    path = backup.write_backup(store, d, str(stick), now=now - 2 * 3600)
    last = backup.last_backup(store)
    assert (last.at, last.size, last.where, last.file) == (now - 2 * 3600, os.path.getsize(path), str(stick), path.name)
    import hashlib

    assert last.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not backup.backup_due(store, now) and backup.backup_due(store, now + DAY)
    assert not backup.status(store, now)["stale"] and backup.status(store, now + DAY)["stale"]
    entry = store.one("SELECT actor, action, detail FROM audit ORDER BY seq DESC LIMIT 1")
    assert entry["action"] == "backup.written" and json.loads(entry["detail"])["file"] == path.name


def test_a_backup_made_while_writes_go_on_is_consistent(tmp_path):
    """A second process-like writer (its own connections) commits pairs of audit entries, each
    pair in one transaction, as fast as it can while the backup runs. The restored store must
    hold whole transactions only (an even number of the writer's entries), a chain that
    verifies, and pass SQLite's integrity check."""
    d = str(tmp_path / "data")
    store, key = make_store(d)
    with store.write() as db:  # some bulk so the snapshot takes a while
        for n in range(400):
            audit.record(db, "bulk", "bulk.entry", {"n": n, "pad": os.urandom(8 * 1024).hex()})
    writer = open_store(d, key)
    base = writer.scalar("SELECT count(*) FROM audit")
    stop, committed = threading.Event(), []

    def write():
        n = 0
        while not stop.is_set():
            with writer.write() as db:
                audit.record(db, "writer", "pair.first", {"n": n})
                audit.record(db, "writer", "pair.second", {"n": n})
            n += 1
            committed.append(n)

    t = threading.Thread(target=write)
    t.start()
    try:
        deadline = time.monotonic() + 60
        while len(committed) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        stick = tmp_path / "stick"
        stick.mkdir()
        path = backup.write_backup(store, d, str(stick))
        during = len(committed)
        time.sleep(0.2)
    finally:
        stop.set()
        t.join(60)
    writer.close()
    assert during >= 20, "the writer was running when the backup was taken"
    new = str(tmp_path / "new")
    backup.restore(path, new, PASSPHRASE)
    restored = open_store(new, key)
    try:
        pairs = restored.scalar("SELECT count(*) FROM audit WHERE actor = 'writer'")
        assert pairs % 2 == 0 and pairs >= 2 * 20, pairs
        assert restored.scalar("SELECT count(*) FROM audit") == base + pairs
        assert audit.verify(restored).ok
        assert restored.scalar("PRAGMA integrity_check") == "ok"
    finally:
        restored.close()
    store.close()


def test_measure_backup_against_a_plain_copy(tmp_path):
    """Backup time and size as ratios to a plain file copy of the same store, in the same run.
    Written to test-artifacts/backup-measure.json; the bounds are loose (CI is shared) and catch
    only a backup that stops being a straight copy (several times the store's bytes or time)."""
    from tests.conftest import artifact_path

    d = str(tmp_path / "data")
    store, key = make_store(d)
    with store.write() as db:
        for n in range(2000):  # ~32 MB of incompressible rows
            audit.record(db, "bulk", "bulk.entry", {"n": n, "pad": os.urandom(8 * 1024).hex()})
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    store_bytes = os.path.getsize(store.path)
    stick = tmp_path / "stick"
    stick.mkdir()
    copies, backups = [], []
    for n in range(3):
        t = time.perf_counter()
        shutil.copyfile(store.path, stick / f"copy-{n}.db")
        with open(stick / f"copy-{n}.db", "rb+") as f:
            os.fsync(f.fileno())  # the backup fsyncs too: compare like with like
        copies.append(time.perf_counter() - t)
        t = time.perf_counter()
        path = backup.write_backup(store, d, str(stick), now=time.time() + n)
        backups.append(time.perf_counter() - t)
    store.close()
    result = {
        "store_bytes": store_bytes,
        "backup_bytes": os.path.getsize(path),
        "size_ratio": os.path.getsize(path) / store_bytes,
        "copy_seconds_best": min(copies),
        "backup_seconds_best": min(backups),
        "time_ratio": min(backups) / min(copies),
    }
    with open(artifact_path("backup-measure.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(result)
    assert 1.0 <= result["size_ratio"] < 1.01, result
    # The copy here is a page-cache memcpy (~1-3 GB/s); the snapshot goes through SQLCipher's
    # codec page by page (decrypt, re-encrypt, HMAC), which is most of the ratio.
    assert result["time_ratio"] < 60, result


def test_the_admin_page_warns_when_there_is_no_recent_backup(demo_app, tmp_path):
    from tests.devices.helpers import admin_client

    a = demo_app.extensions["yishi"]
    admin = admin_client(demo_app)
    page = admin.get("/admin/devices").get_data(as_text=True)
    assert 'id="backup-warning"' in page and "尚无备份" in page and "U盘上保留的每晚备份份数：7" in page

    stick = tmp_path / "stick"
    stick.mkdir()
    backup.write_backup(a.store, a.config.data_dir, str(stick), now=time.time() - 2 * DAY - 60)
    page = admin.get("/admin/devices").get_data(as_text=True)
    assert 'id="backup-warning"' in page and "上次备份已是 48 小时前" in page and "上次备份：" in page

    english = admin_client(demo_app)
    english.get("/lang/en")
    page = english.get("/admin/devices").get_data(as_text=True)
    assert "The last backup is 48 hours old" in page and "Last backup:" in page

    backup.write_backup(a.store, a.config.data_dir, str(stick))
    page = admin.get("/admin/devices").get_data(as_text=True)
    assert 'id="backup-warning"' not in page and "上次备份：" in page and str(stick) in page
    # staff who are not admins do not see the page at all
    staff = demo_app.test_client()
    assert staff.get("/admin/devices").status_code in (302, 303, 401, 403)


@pytest.fixture
def small_stick(tmp_path):
    """A 6 MB tmpfs standing for a nearly full backup stick: a disk that really fills up."""
    from tests.provisioning.conftest import need

    need(os.geteuid() == 0, "the full-stick test mounts a tmpfs: it needs root, as CI has")
    mnt = tmp_path / "stick"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mnt)], capture_output=True, text=True)
    need(r.returncode == 0, f"cannot mount a tmpfs for the full-stick test: {r.stderr.strip()}")
    yield mnt
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_stick_is_refused_and_the_older_backup_is_kept(tmp_path, small_stick):
    """Too little space at the start: refused before writing. The stick filling up while the
    snapshot is written (filled from the progress callback, after the space check): refused,
    the partial file removed, the older backup untouched, nothing recorded."""
    from tests.web.test_storage import fill

    d = str(tmp_path / "data")
    store, _ = make_store(d)
    with store.write() as db:
        for n in range(100):  # ~2 MB of store
            audit.record(db, "bulk", "bulk.entry", {"n": n, "pad": os.urandom(8 * 1024).hex()})
    older = backup.write_backup(store, d, str(small_stick), now=time.time() - DAY)
    older_bytes = older.read_bytes()
    rows = store.scalar("SELECT count(*) FROM backups")

    def fill_it(done, total):
        if done == 0:
            fill(str(small_stick))

    with pytest.raises(backup.BackupRefused) as e:
        backup.write_backup(store, d, str(small_stick), keep=1, progress=fill_it)
    assert e.value.code == "backup_no_space_left" and "U盘已满" in e.value.in_both(), (e.value.in_both(), older.stat().st_size)
    assert sorted(os.listdir(small_stick)) == sorted([older.name, "filler"])
    assert older.read_bytes() == older_bytes and store.scalar("SELECT count(*) FROM backups") == rows

    with pytest.raises(backup.BackupRefused) as e:  # still full: refused before it starts
        backup.write_backup(store, d, str(small_stick))
    assert e.value.code == "backup_no_space" and "空间不足" in e.value.in_both()
    os.unlink(small_stick / "filler")
    newer = backup.write_backup(store, d, str(small_stick), keep=1)
    assert os.listdir(small_stick) == [newer.name]
    store.close()
