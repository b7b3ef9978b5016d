"""The encrypted store: unreadable without the key, durable settings, clear errors on damage."""

import base64
import hashlib
import json
import os
import subprocess
import time

import pytest
import sqlcipher3

from appliance.errors import StoreError, UserError
from appliance.store import migrate, open_store
from appliance.store.db import StoreMissing, problem_of, quick_check
from appliance.store.keys import Argon2Params, Keyring, KeyringDamaged
from tests.conftest import PASSPHRASE, damage_store, make_store, need

FAST = Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_file_is_unreadable_without_the_key(store):
    with store.write() as db:
        db.execute("INSERT INTO settings VALUES ('secret', '机密内容')")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(store.path, "rb") as f:
        raw = f.read()
    assert not raw.startswith(b"SQLite format 3")
    assert "机密内容".encode() not in raw
    result = subprocess.run([need("sqlite3"), store.path, ".tables"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "file is not a database" in result.stderr


def test_another_key_cannot_open_it(tmp_path):
    """Debian 12's sqlcipher CLI is SQLCipher 3 and cannot read v4 files; check with the library."""
    store, key = make_store(str(tmp_path / "d"))
    store.close()
    other = bytes(b ^ 0xFF for b in key)
    with pytest.raises(StoreError, match="cannot be read"):
        open_store(str(tmp_path / "d"), other)
    open_store(str(tmp_path / "d"), key).close()


def test_connection_settings(store):
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA cipher_version").fetchone()[0]


def test_failed_write_rolls_back(store):
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db.execute("INSERT INTO settings VALUES ('a', 'b')")
            raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM settings") == 0


def test_wrong_passphrase_unlocks_nothing(data_dir):
    ring = Keyring.load(data_dir)
    assert ring.unlock_with_passphrase("not the passphrase") is None
    assert ring.unlock_with_passphrase(PASSPHRASE) is not None


def test_changing_the_passphrase_rewraps_without_reencrypting(data_dir):
    db_path = os.path.join(data_dir, "yishi.db")
    before = sha(db_path)
    ring = Keyring.load(data_dir)
    key = ring.unlock_with_passphrase(PASSPHRASE)
    with pytest.raises(UserError) as e:
        ring.change_passphrase("wrong one", "a new passphrase", FAST)
    assert e.value.code == "wrong_passphrase"
    ring.change_passphrase(PASSPHRASE, "a new passphrase", FAST)
    assert sha(db_path) == before
    again = Keyring.load(data_dir)
    assert again.unlock_with_passphrase(PASSPHRASE) is None
    assert again.unlock_with_passphrase("a new passphrase") == key
    open_store(data_dir, key).close()


def test_too_short_passphrase_is_refused(tmp_path):
    with pytest.raises(UserError, match="at least"):
        Keyring.create(str(tmp_path), "short", FAST)
    assert not os.path.exists(tmp_path / "keyring.json")


def test_keyfile_slot_opens_the_same_key(data_dir, tmp_path):
    ring = Keyring.load(data_dir)
    key = ring.unlock_with_passphrase(PASSPHRASE)
    kf = ring.add_keyfile(key, str(tmp_path / "stick.key"))
    assert os.stat(kf).st_mode & 0o777 == 0o600
    with open(kf, "rb") as f:
        secret = f.read()
    assert Keyring.load(data_dir).unlock_with_keyfile(secret) == key
    assert Keyring.load(data_dir).unlock_with_keyfile(b"x" * 32) is None
    assert Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE) == key


def test_keyring_never_holds_the_key_in_clear(data_dir):
    key = Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)
    with open(os.path.join(data_dir, "keyring.json"), "rb") as f:
        text = f.read()
    assert key.hex().encode() not in text and key not in text


def test_damaged_database_names_the_file(data_dir):
    key = Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)
    path = damage_store(data_dir, 0, 4096)
    with pytest.raises(StoreError) as e:
        open_store(data_dir, key)
    assert path in str(e.value) and "damaged" in str(e.value)


def test_migration_upgrades_a_store_made_by_the_first_one(tmp_path):
    d = str(tmp_path / "old")
    os.makedirs(d)
    _, key = Keyring.create(d, PASSPHRASE, FAST)
    old = open_store(d, key, upto=1, create=True)
    assert old.scalar("PRAGMA user_version") == 1
    assert old.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'devices'") == 0
    with old.write() as db:
        db.execute("INSERT INTO people (name, seat, created_at) VALUES ('老委员', 3, 0)")
    old.close()
    new = open_store(d, key)
    latest = migrate.available()[-1][0]
    assert latest >= 2
    assert new.scalar("PRAGMA user_version") == latest
    assert new.scalar("SELECT name FROM people WHERE seat = 3") == "老委员"
    assert new.scalar("SELECT count(*) FROM devices") == 0


def test_store_newer_than_software_is_refused(store):
    store.conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StoreError, match="newer than this software"):
        migrate.apply(store)


# -- the store is never silently replaced --------------------------------------------------------

def _remove_store_files(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


@pytest.mark.parametrize("how", ["missing", "empty"])
def test_a_missing_or_empty_store_beside_a_keyring_is_refused_not_recreated(data_dir, how):
    """What a data partition that did not mount looks like: the keyring is there, the store not."""
    key = Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)
    path = os.path.join(data_dir, "yishi.db")
    _remove_store_files(path)
    if how == "empty":
        open(path, "wb").close()
    with pytest.raises(StoreMissing) as e:
        open_store(data_dir, key)
    msg = str(e.value)
    assert path in msg and ("missing" in msg if how == "missing" else "empty" in msg)
    assert "did not mount" in msg and "backup" in msg and "nothing was created" in msg
    assert os.path.exists(path) == (how == "empty")
    assert how == "missing" or os.path.getsize(path) == 0


def test_a_store_that_vanishes_under_a_running_server_is_not_recreated(store):
    import threading

    store.scalar("SELECT count(*) FROM people")
    _remove_store_files(store.path)
    errors = []

    def new_thread_reads():  # a new thread opens its own connection
        try:
            store.scalar("SELECT count(*) FROM people")
        except StoreError as e:
            errors.append(e)

    t = threading.Thread(target=new_thread_reads)
    t.start()
    t.join()
    assert isinstance(errors[0], StoreMissing) and store.path in str(errors[0])
    assert not os.path.exists(store.path)


# -- damage ----------------------------------------------------------------------------------------

def _damaged_store(tmp_path):
    """A store with two tables of many pages each; one page of the first is damaged."""
    from appliance.store import audit

    d = str(tmp_path / "d")
    st, key = make_store(d)
    start = st.scalar("PRAGMA page_count")
    with st.write() as db:
        db.executemany("INSERT INTO settings VALUES (?, ?)", ((f"a{i}", os.urandom(2000).hex()) for i in range(600)))
    end = st.scalar("PRAGMA page_count")
    with st.write() as db:
        for i in range(600):
            audit.record(db, "test", "note", {"text": "委员" * 1000})
    st.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    st.close()
    with open(os.path.join(d, "yishi.db"), "r+b") as f:
        f.seek(((start + end) // 2 - 1) * 4096 + 500)
        f.write(os.urandom(32))
    return open_store(d, key)


def test_a_connection_that_met_a_damaged_page_is_replaced(tmp_path):
    st = _damaged_store(tmp_path)
    try:
        with pytest.raises(sqlcipher3.DatabaseError, match="malformed"):
            st.all("SELECT * FROM settings")
        assert st.health.damage and "malformed" in st.health.damage
        # SQLCipher would fail every later uncached read on that connection; a new one reads on.
        assert st.scalar("SELECT count(*) FROM audit WHERE length(detail) > 1000") == 600
    finally:
        st.close()


def test_quick_check_finds_a_damaged_page_on_a_connection_of_its_own(tmp_path, store):
    assert quick_check(store) == []
    st = _damaged_store(tmp_path)
    try:
        problems = quick_check(st)
        assert problems and any("page" in p for p in problems)
        assert st.scalar("SELECT count(*) FROM audit WHERE length(detail) > 1000") == 600
        st.start_check()
        deadline = time.monotonic() + 30
        while st.health.check == "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert st.health.check == "damaged" and "quick_check" in st.health.damage
    finally:
        st.close()


def test_problems_are_told_apart(tmp_path):
    assert problem_of(sqlcipher3.DatabaseError("x")) is None
    assert problem_of(OSError(28, "No space left on device")) == "full"
    assert problem_of(StoreMissing("p", "m")) == "damaged"
    c = sqlcipher3.connect(":memory:")
    c.execute("PRAGMA max_page_count = 2")
    c.execute("CREATE TABLE t (v)")
    with pytest.raises(sqlcipher3.OperationalError) as e:
        c.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert problem_of(e.value) == "full"
    try:
        raise StoreError("wrapped") from e.value
    except StoreError as wrapped:
        assert problem_of(wrapped) == "full"


def test_a_write_refused_for_space_is_noted_and_a_later_commit_clears_it(store):
    """SQLITE_FULL from SQLite itself (max_page_count); the real full disk is in tests/web."""
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(sqlcipher3.OperationalError, match="full"):
        with store.write() as db:
            db.execute("INSERT INTO settings VALUES ('big', ?)", (os.urandom(20000).hex(),))
    assert store.health.full_at is not None and not store.conn.in_transaction
    assert store.best_effort("INSERT INTO settings VALUES ('big', ?)", (os.urandom(20000).hex(),)) is False
    store.conn.execute(f"PRAGMA max_page_count = {pages + 100}")
    with store.write() as db:
        db.execute("INSERT INTO settings VALUES ('small', 'x')")
    assert store.health.full_at is None


# -- the keyring: damaged is not "wrong passphrase" ---------------------------------------------

def _edit_keyring(data_dir, change):
    path = os.path.join(data_dir, "keyring.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    change(doc)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def _flip_byte(doc, field="wrapped"):
    slot = doc["slots"][0]
    raw = bytearray(base64.b64decode(slot[field]))
    raw[7] ^= 0x01
    slot[field] = base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("change, says", [
    (lambda doc: _flip_byte(doc), "does not match its check value"),
    (lambda doc: _flip_byte(doc, "nonce"), "does not match its check value"),
    (lambda doc: doc["slots"][0].pop("wrapped"), "'wrapped' is missing"),
    (lambda doc: doc["slots"][0].update(wrapped="%%%not base64%%%"), "'wrapped' is not valid base64"),
    (lambda doc: doc["slots"][0]["kdf"].update(m=2**40), "kdf 'm'"),
])
def test_a_damaged_slot_says_damaged_not_wrong_passphrase(data_dir, change, says):
    def edit(doc):
        change(doc)
        if "does not match" not in says:
            doc["slots"][0].pop("check")  # as an older keyring would be: shape checks still apply
    path = _edit_keyring(data_dir, edit)
    with pytest.raises(KeyringDamaged) as e:
        Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)
    assert path in str(e.value) and says in str(e.value) and "not a wrong passphrase" in str(e.value)
    assert "slot 1 (passphrase)" in str(e.value)


@pytest.mark.parametrize("text, says", [
    ('{"version": 1, "slots": [', "not valid JSON"),
    ('{"version": 1}', "'slots' is missing"),
    ('{"version": 1, "slots": [{"nonce": "AAAA"}]}', "slot 1: kind None"),
    ('[1, 2]', "'version' is None"),
])
def test_a_garbled_keyring_file_names_what_is_wrong(data_dir, text, says):
    path = os.path.join(data_dir, "keyring.json")
    with open(path, "w") as f:
        f.write(text)
    with pytest.raises(KeyringDamaged) as e:
        Keyring.load(data_dir)
    assert path in str(e.value) and says in str(e.value)


def test_the_wrong_passphrase_on_an_intact_keyring_is_still_just_wrong(data_dir):
    assert Keyring.load(data_dir).unlock_with_passphrase("not the passphrase") is None


def test_a_keyring_from_before_check_values_opens_and_gets_them(data_dir):
    path = _edit_keyring(data_dir, lambda doc: [s.pop("check") for s in doc["slots"]])
    ring = Keyring.load(data_dir)
    key = ring.unlock_with_passphrase(PASSPHRASE)
    assert key is not None
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    # Still version 1 with the same fields, so older software reads it; the check is added.
    assert doc["version"] == 1 and set(doc["slots"][0]) == {"kind", "kdf", "nonce", "wrapped", "check"}
    assert Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE) == key
    _edit_keyring(data_dir, _flip_byte)
    with pytest.raises(KeyringDamaged):
        Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)


def test_a_keyfile_slot_is_checked_too(data_dir, tmp_path):
    ring = Keyring.load(data_dir)
    kf = ring.add_keyfile(ring.unlock_with_passphrase(PASSPHRASE), str(tmp_path / "stick.key"))
    with open(kf, "rb") as f:
        secret = f.read()

    def flip_keyfile_slot(doc):
        slot = next(s for s in doc["slots"] if s["kind"] == "keyfile")
        slot["salt"] = base64.b64encode(os.urandom(16)).decode()

    _edit_keyring(data_dir, flip_keyfile_slot)
    with pytest.raises(KeyringDamaged, match="keyfile"):
        Keyring.load(data_dir).unlock_with_keyfile(secret)
    assert Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE) is not None  # the other slot still opens


def test_a_group_commit_whose_transaction_sqlite_gave_up_reports_the_real_error(store):
    """On a full disk SQLite may roll the whole transaction back itself; the ballots in that
    batch must hear "full" (retryable, said as such), not "no such savepoint"."""
    from appliance.store.group_commit import GroupCommitter

    def gives_up():
        store.conn.execute("ROLLBACK")  # what SQLite does on its own after some SQLITE_FULL errors
        raise sqlcipher3.OperationalError("database or disk is full")

    committer = GroupCommitter(store)
    try:
        with pytest.raises(sqlcipher3.OperationalError, match="disk is full"):
            committer.submit(gives_up)
        assert committer.submit(lambda: store.conn.execute("INSERT INTO settings VALUES ('after', '1')") and True)
        assert store.scalar("SELECT value FROM settings WHERE key = 'after'") == "1"
    finally:
        committer.stop()
