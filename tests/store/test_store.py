"""The encrypted store: unreadable without the key, durable settings, clear errors on damage."""

import hashlib
import os
import subprocess

import pytest

from appliance.errors import StoreError, UserError
from appliance.store import migrate, open_store
from appliance.store.keys import Argon2Params, Keyring
from tests.conftest import PASSPHRASE, make_store, need

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
    path = os.path.join(data_dir, "yishi.db")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(path, "r+b") as f:
        f.seek(0)
        f.write(os.urandom(4096))
    with pytest.raises(StoreError) as e:
        open_store(data_dir, key)
    assert path in str(e.value) and "damaged" in str(e.value)


def test_migration_upgrades_a_store_made_by_the_first_one(tmp_path):
    d = str(tmp_path / "old")
    os.makedirs(d)
    _, key = Keyring.create(d, PASSPHRASE, FAST)
    old = open_store(d, key, upto=1)
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
