"""Connections to the one SQLCipher database, `DATA/yishi.db`.

Every connection is keyed with the raw 256-bit data key (`PRAGMA key = "x'…'"`), so opening
costs no KDF. WAL with `synchronous=FULL`: a COMMIT that has returned survives a power cut,
which is what "a ballot is acknowledged" means. Writes go through `Store.write()`, a short
`BEGIN IMMEDIATE` transaction; reads use the calling thread's own connection.

Writers of this process take turns on a Python lock before `BEGIN IMMEDIATE`. Without it, the
threads that lose the race for SQLite's write lock get SQLITE_BUSY and sleep in the busy handler
in steps of 1, 2, 5 … 100 ms, long after the lock is free: with 200 tablets voting at once that
made ballot acknowledgements p99 0.9-2 s, and with 500 tablets signing in, PIN sign-ins failed with
"database is locked" after the 10 s busy timeout (bench/RESULTS.md). The busy timeout stays, for
other processes (the CLI).
"""

import contextlib
import os
import threading

import sqlcipher3

from appliance.errors import StoreError
from appliance.store import migrate

DB_FILE = "yishi.db"
BUSY_TIMEOUT_MS = 10000


def _connect(path, key):
    conn = sqlcipher3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlcipher3.Row
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        # The first read is where a wrong key or a damaged file shows itself.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as e:
        conn.close()
        raise StoreError(
            f"{path}: cannot be read ({e}). The key unwrapped correctly, so the file is damaged "
            "or is not this appliance's store; restore it from the last USB backup."
        ) from e
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")  # deleted rows (ballots, recalled files) are zeroed
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


class Store:
    """The unlocked store: thread-local connections to one encrypted file."""

    def __init__(self, path, key):
        self.path = path
        self._key = key
        self._local = threading.local()
        self._all = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()

    @property
    def conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = _connect(self.path, self._key)
            self._local.conn = c
            with self._lock:
                self._all.append(c)
        return c

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params)

    def one(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql, params=()):
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextlib.contextmanager
    def write(self):
        """A short write transaction: `with store.write() as db: db.execute(...)`."""
        c = self.conn
        if c.in_transaction:  # nested: join the outer transaction
            yield c
            return
        with self._write_lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            else:
                c.execute("COMMIT")

    def close(self):
        with self._lock:
            for c in self._all:
                with contextlib.suppress(Exception):
                    c.close()
            self._all.clear()
        self._local = threading.local()


def check_writable(data_dir):
    if not os.path.isdir(data_dir):
        raise StoreError(f"{data_dir}: the data folder does not exist")
    probe = os.path.join(data_dir, ".yishi-write-test")
    try:
        with open(probe, "w") as f:
            f.write("ok")
        os.unlink(probe)
    except OSError as e:
        raise StoreError(f"{data_dir}: the data folder is not writable ({e.strerror})") from e


def open_store(data_dir, key, upto=None):
    """Open (creating if new) and migrate the store in `data_dir` with the raw data key."""
    check_writable(data_dir)
    store = Store(os.path.join(data_dir, DB_FILE), key)
    migrate.apply(store, upto=upto)
    return store
