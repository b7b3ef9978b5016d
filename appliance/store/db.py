"""Connections to the one SQLCipher database, `DATA/yishi.db`, and what its disk says.

Every connection is keyed with the raw 256-bit data key (`PRAGMA key = "x'…'"`), so opening
costs no KDF. WAL with `synchronous=FULL`: a COMMIT that has returned survives a power cut,
which is what "a ballot is acknowledged" means. Writes go through `Store.write()`, a short
`BEGIN IMMEDIATE` transaction; reads use the calling thread's own connection.

Writers of this process take turns on a Python lock before `BEGIN IMMEDIATE`. Without it, the
threads that lose the race for SQLite's write lock get SQLITE_BUSY and sleep in the busy handler
in steps of 1, 2, 5 … 100 ms, long after the lock is free: with 200 tablets voting at once that
made ballot acknowledgements p99 0.9-2 s, and with 500 tablets signing in, PIN sign-ins failed with
"database is locked" after the 10 s busy timeout (bench/RESULTS.md). Writers of *different*
processes (several gunicorn workers, the CLI) take the same turn on an `flock` of
`yishi.db-writer`, which the kernel hands to the next waiter the moment it is released (and
releases by itself when a worker is killed holding it); bench/write_contention.py measures both
against SQLite's busy handler alone. The busy timeout stays for what the turn does not cover
(a WAL checkpoint, an older process without it), and is long (30 s) so that a write queued
behind a burst waits rather than fails with "database is locked".

The store is never silently replaced. Only `yishi init` makes the file (`create=True`); opening
a missing or empty `yishi.db` is refused otherwise, because that is what a data partition that
did not mount looks like, and SQLite would quietly start an empty committee there. Connections
open the file with `mode=rw`, so one opened later by a new thread does not recreate it either.

A damaged page is found by whichever read meets it, and SQLCipher keeps that decryption error on
the connection: every later read of a page not in its cache fails too ("database disk image is
malformed"). So a connection that met damage is thrown away, and `Health` remembers what the
disk said (damaged, full) for the admin page. `PRAGMA quick_check` runs after unlocking, on a
connection of its own in the background: about 2.5-4.6 s per GB here (bench/quick_check.py),
several times that on a Pi's SD card, too long to keep a room waiting at the unlock.
"""

import contextlib
import errno
import fcntl
import json
import logging
import os
import threading
import time
import urllib.parse

import sqlcipher3

from appliance.errors import StoreError
from appliance.store import migrate

DB_FILE = "yishi.db"
BUSY_TIMEOUT_MS = 30000
WRITER_LOCK_SUFFIX = "-writer"
FULL, DAMAGED = "full", "damaged"
log = logging.getLogger("yishi.store")


class StoreMissing(StoreError):
    """`yishi.db` is not there, or is empty, although a keyring says there should be a store."""

    def __init__(self, path, message):
        super().__init__(message)
        self.path = path


class StoreDamaged(StoreError):
    """The key is right but the file cannot be read: damaged, or not this appliance's store."""

    def __init__(self, path, detail, message):
        super().__init__(message)
        self.path, self.detail = path, detail


def problem_of(exc):
    """FULL, DAMAGED or None: what an exception (or one it was raised from) says about the store's disk."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (StoreDamaged, StoreMissing)):
            return DAMAGED
        if isinstance(exc, sqlcipher3.Error):
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            if code == sqlcipher3.SQLITE_FULL:
                return FULL
            if code in (sqlcipher3.SQLITE_CORRUPT, sqlcipher3.SQLITE_NOTADB, sqlcipher3.SQLITE_IOERR):
                return DAMAGED
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return FULL
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


HEALTH_SUFFIX = "-health"
HEALTH_BYTES = 4096


class Health:
    """What the disk under the store has told any worker since the unlock.

    `full_at`: when a write last failed for want of space; cleared by the next COMMIT that
    succeeds, so it goes away by itself once space is freed. `damage`: the first sign of a
    damaged file (the check at unlock, or a read that met a bad page); it stays until the store
    is unlocked again (and checked again). `check`: None before the check at unlock, "running",
    "ok" or DAMAGED.

    Several gunicorn workers share one store, and a full disk or a bad page met by one of them
    used to be known to that worker only: the admin page showed it or not depending on which
    worker answered. So the record lives in `yishi.db-health` beside the store, a file of
    HEALTH_BYTES made at open and only ever overwritten in place (pwrite under an flock): an
    overwrite needs no new block, so the record can still be written when the disk is full,
    which is when it matters most. It holds no data of the committee (times, an SQLite error
    text, the check's state). Where the file cannot be made (a read-only folder), the record
    stays in this process, as before.
    """

    _FIELDS = ("full_at", "damage", "damaged_at", "check", "check_seconds")

    def __init__(self, path, shared=True):
        self.path = path
        self._mine = dict.fromkeys(self._FIELDS)
        self._fd = None
        if shared:
            self._fd = self._open_shared(path + HEALTH_SUFFIX)

    @staticmethod
    def _open_shared(name):
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            log.warning("%s: cannot keep the store's health there (%s); it stays per process", name, e)
            return None
        try:
            if os.fstat(fd).st_size < HEALTH_BYTES:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    if os.fstat(fd).st_size < HEALTH_BYTES:  # another worker may have made it meanwhile
                        os.pwrite(fd, b"\0" * HEALTH_BYTES, 0)
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as e:  # a disk already full at the open: per process, as before
            log.warning("%s: cannot keep the store's health there (%s); it stays per process", name, e)
            os.close(fd)
            return None
        return fd

    def _read_locked(self, fd):
        raw = os.pread(fd, HEALTH_BYTES, 0).rstrip(b"\0 ")
        try:
            got = json.loads(raw) if raw else {}
        except ValueError:  # never written whole (a power cut mid-write): nothing known
            got = {}
        return {k: got.get(k) for k in self._FIELDS} if isinstance(got, dict) else dict.fromkeys(self._FIELDS)

    def state(self):
        """The record as every worker sees it now."""
        fd = self._fd
        if fd is None:
            return dict(self._mine)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                return self._read_locked(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:  # closed meanwhile (sealed)
            return dict(self._mine)

    def _change(self, change):
        """Apply `change(state) -> dict of new values or None` to the shared record, atomically
        with respect to the other workers."""
        fd = self._fd
        if fd is None:
            new = change(dict(self._mine))
            if new:
                self._mine.update(new)
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = self._read_locked(fd)
                new = change(current)
                if new:
                    current.update(new)
                    body = json.dumps(current).encode("utf-8")[:HEALTH_BYTES]
                    os.pwrite(fd, body.ljust(HEALTH_BYTES, b"\0"), 0)
                    self._mine.update(current)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as e:
            log.error("%s%s: cannot record the store's health (%s)", self.path, HEALTH_SUFFIX, e)
            new = change(dict(self._mine))
            if new:
                self._mine.update(new)

    def _field(name):  # noqa: N805 (a property factory used in the class body)
        def get(self):
            return self.state()[name]

        def put(self, value):
            self._change(lambda _: {name: value})

        return property(get, put)

    full_at = _field("full_at")
    damage = _field("damage")
    damaged_at = _field("damaged_at")
    check = _field("check")
    check_seconds = _field("check_seconds")
    del _field

    def saw(self, kind, detail):
        def change(h):
            if kind == FULL:
                if h["full_at"] is None:
                    log.error("%s: the disk is full; writes fail until space is freed (%s)", self.path, detail)
                return {"full_at": time.time()}
            if kind == DAMAGED and h["damage"] is None:
                log.error("%s: the store is damaged (%s); restore it from the last backup", self.path, detail)
                return {"damage": str(detail)[:1000], "damaged_at": time.time()}
            return None

        self._change(change)

    _NOT_FULL = b'{"full_at": null'

    def wrote(self):
        """A COMMIT returned: the disk has room again. On every COMMIT, so the common case (not
        full) is one 16-byte pread without lock or JSON: the record is written with `full_at`
        first (a flock and a JSON parse per COMMIT took 0.68 of the commit rate on tmpfs here)."""
        fd = self._fd
        if fd is not None:
            try:
                head = os.pread(fd, len(self._NOT_FULL), 0)
            except OSError:
                head = b""
            if head == self._NOT_FULL or head[:1] == b"\0":
                return
        elif self._mine["full_at"] is None:
            return
        self._change(lambda h: {"full_at": None} if h["full_at"] is not None else None)

    def reset(self):
        """The store was unlocked afresh (an admin's unlock, after a restore perhaps): what the
        last unlock's workers saw no longer holds, and the check at unlock starts again."""
        self._change(lambda h: dict.fromkeys(self._FIELDS))

    def close(self):
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def free_bytes(self):
        try:
            st = os.statvfs(os.path.dirname(self.path) or ".")
        except OSError:
            return None
        return st.f_bavail * st.f_frsize


def _connect(path, key, create=True):
    if create:
        conn = sqlcipher3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        try:
            conn = sqlcipher3.connect(f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=rw", uri=True,
                                      isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlcipher3.OperationalError as e:
            raise _missing(path) from e
    conn.row_factory = sqlcipher3.Row
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        # The first read is where a wrong key or a damaged file shows itself.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as e:
        conn.close()
        raise StoreDamaged(
            path, str(e),
            f"{path}: cannot be read ({e}). The key unwrapped correctly, so the file is damaged "
            "or is not this appliance's store; restore it from the last USB backup.",
        ) from e
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")  # deleted rows (ballots, recalled files) are zeroed
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _missing(path):
    folder = os.path.dirname(path) or "."
    try:
        state = "is empty (0 bytes)" if os.path.getsize(path) == 0 else "cannot be opened"
    except OSError:
        state = "is missing"
    return StoreMissing(
        path,
        f"{path}: the store {state}, but the keyring beside it says this appliance has one; nothing "
        f"was created. If the data partition did not mount, mount it (`findmnt {folder}`) and start "
        "again; if the card was replaced or wiped, restore the last USB backup.",
    )


class Store:
    """The unlocked store: thread-local connections to one encrypted file."""

    def __init__(self, path, key):
        self.path = path
        self._key = key
        self._local = threading.local()
        self._all = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer_fd = None  # the flock file shared with the other processes' writers
        self.cross_process_turn = True
        self.health = Health(path)
        self._check_conn = None

    @property
    def conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = _connect(self.path, self._key, create=False)
            self._local.conn = c
            with self._lock:
                self._all.append(c)
        return c

    def saw(self, exc):
        """Note what a failed statement says about the disk; drop this thread's connection if
        it met damage (SQLCipher would fail its later reads too). Safe to call twice."""
        kind = problem_of(exc)
        if kind is None:
            return None
        self.health.saw(kind, exc)
        if kind == DAMAGED:
            self.discard_connection()
        return kind

    def discard_connection(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            return
        self._local.conn = None
        with self._lock:
            if c in self._all:
                self._all.remove(c)
        with contextlib.suppress(Exception):
            c.close()

    def execute(self, sql, params=()):
        try:
            return self.conn.execute(sql, params)
        except sqlcipher3.Error as e:
            self.saw(e)
            raise

    def one(self, sql, params=()):
        try:
            return self.conn.execute(sql, params).fetchone()
        except sqlcipher3.Error as e:
            self.saw(e)
            raise

    def all(self, sql, params=()):
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlcipher3.Error as e:
            self.saw(e)
            raise

    def scalar(self, sql, params=()):
        row = self.one(sql, params)
        return None if row is None else row[0]

    @contextlib.contextmanager
    def write(self):
        """A short write transaction: `with store.write() as db: db.execute(...)`."""
        c = self.conn
        if c.in_transaction:  # nested: join the outer transaction
            yield c
            return
        with self._write_lock, self._process_turn():
            try:
                c.execute("BEGIN IMMEDIATE")
                try:
                    yield c
                    c.execute("COMMIT")
                except BaseException:
                    # Also after a failed COMMIT (a full disk): SQLite may keep the transaction
                    # open, and the next write on this connection would silently join it.
                    if c.in_transaction:
                        with contextlib.suppress(sqlcipher3.Error):
                            c.execute("ROLLBACK")
                    raise
            except sqlcipher3.Error as e:
                self.saw(e)
                raise
        self.health.wrote()

    @contextlib.contextmanager
    def _process_turn(self):
        """The writers' turn across processes (see the module docstring); taken inside this
        process's lock, so one fd serves every thread."""
        if not self.cross_process_turn:
            yield
            return
        if self._writer_fd is None:
            try:
                self._writer_fd = os.open(self.path + WRITER_LOCK_SUFFIX, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # a read-only folder: SQLite's own busy handler is all there is
                self.cross_process_turn = False
                yield
                return
        fd = self._writer_fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):  # closed meanwhile (sealed): closing released it
                fcntl.flock(fd, fcntl.LOCK_UN)

    def best_effort(self, sql, params=()):
        """One write that a read must not depend on (when a device was last seen): on a full or
        read-only disk it is skipped, logged once by `Health`, and False is returned."""
        if self.conn.in_transaction:  # inside someone's write: their transaction, their error
            self.conn.execute(sql, params)
            return True
        try:
            with self.write() as db:
                db.execute(sql, params)
            return True
        except sqlcipher3.OperationalError:
            return False

    def start_check(self):
        """`PRAGMA quick_check` in the background, on a connection of its own (one that met
        damage is useless afterwards); the result lands in `health`."""
        self.health.check = "running"
        threading.Thread(target=self._check, name="store-check", daemon=True).start()

    def _check(self):
        t0 = time.monotonic()
        problems = quick_check(self)
        self.health.check_seconds = time.monotonic() - t0
        if problems is None:  # closed while checking
            self.health.check = None
            return
        if problems:  # what was found first, then the state that says it is there to read
            self.health.saw(DAMAGED, "PRAGMA quick_check: " + "; ".join(problems[:3]))
            self.health.check = DAMAGED
        else:
            self.health.check = "ok"
            log.info("%s: quick_check ok in %.1f s", self.path, self.health.check_seconds)

    def close(self):
        with self._lock:
            if self._check_conn is not None:
                with contextlib.suppress(Exception):
                    self._check_conn.interrupt()
            for c in self._all:
                with contextlib.suppress(Exception):
                    c.close()
            self._all.clear()
            if self._writer_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._writer_fd)
                self._writer_fd = None
            self.health.close()
        self._local = threading.local()


def quick_check(store, limit=20):
    """The first `limit` problems `PRAGMA quick_check` finds ([] when the file is sound), or None
    if the store was closed meanwhile."""
    try:
        conn = _connect(store.path, store._key, create=False)
    except StoreError as e:
        return [str(e)]
    with store._lock:
        store._check_conn = conn
    try:
        rows = [r[0] for r in conn.execute(f"PRAGMA quick_check({int(limit)})")]
    except sqlcipher3.OperationalError as e:
        if "interrupt" in str(e):
            return None
        rows = [str(e)]
    except sqlcipher3.DatabaseError as e:
        rows = [str(e)]
    finally:
        with store._lock:
            store._check_conn = None
        conn.close()
    return [] if rows == ["ok"] else [line for r in rows for line in r.splitlines() if line.strip()]


def check_writable(data_dir):
    if not os.path.isdir(data_dir):
        raise StoreError(f"{data_dir}: the data folder does not exist")
    # One name per process and thread: several workers open the store at the same moment after
    # an unlock, and a shared name let one unlink another's probe ("not writable").
    probe = os.path.join(data_dir, f".yishi-write-test.{os.getpid()}.{threading.get_ident()}")
    try:
        with open(probe, "w") as f:
            f.write("ok")
        os.unlink(probe)
    except OSError as e:
        raise StoreError(f"{data_dir}: the data folder is not writable ({e.strerror})") from e


def require_store(data_dir):
    """The store's path; StoreMissing when the file is not there or is empty."""
    path = os.path.join(data_dir, DB_FILE)
    if not (os.path.isfile(path) and os.path.getsize(path) > 0):
        raise _missing(path)
    return path


def open_store(data_dir, key, upto=None, create=False):
    """Open and migrate the store in `data_dir` with the raw data key. Only `create=True`
    (`yishi init`) may make a new file; a missing or empty one is refused otherwise."""
    check_writable(data_dir)
    path = os.path.join(data_dir, DB_FILE) if create else require_store(data_dir)
    if create:
        _connect(path, key, create=True).close()
    store = Store(path, key)
    migrate.apply(store, upto=upto)
    return store
