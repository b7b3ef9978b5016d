"""The appliance's one piece of process state: sealed or unlocked.

Sealed, there is no data key in memory and only the sealed page, the unlock form and
`/healthz` answer. Unlocking unwraps the data key (passphrase or key file), opens and migrates
the store, records the unlock (with the failed attempts before it) in the audit log, and starts
the store's check (`PRAGMA quick_check`) in the background.

gunicorn runs several workers. The unlocking worker puts the data key into the service's kernel
keyring (appliance.store.custody); every worker compares the keyring with its own store before
each request (`sync`): a key it has not opened yet is opened (an unlock elsewhere, or this worker
was just restarted after a crash), a key gone is a seal and the store is closed. The count of
wrong passphrases and the wait it imposes live in `DATA/unlock-attempts.json` under a file lock,
so a guesser gains nothing from landing on another worker (or from a restart), and the wait runs
on the boot clock.

An unlock the store itself refuses (a damaged keyring, a missing, empty or damaged `yishi.db`,
a full disk) leaves the appliance sealed with the reason on the sealed page, in the admin's
language, naming the file and what to do; at start-up too, so an unattended appliance whose data
partition did not mount says so in the browser instead of failing to boot.
"""

import contextlib
import fcntl
import json
import logging
import os
import threading
import time

from appliance import clock

from appliance.config import Settings
from appliance.errors import StoreError, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit, open_store
from appliance.store.db import FULL, StoreDamaged, StoreMissing, problem_of
from appliance.store import custody as custody_
from appliance.store.keys import KEYRING, Keyring, KeyringDamaged
from appliance.web import storage  # noqa: F401 (gives every page its storage notice)

UNLOCK_FREE_TRIES = 5
ATTEMPTS_FILE = "unlock-attempts.json"
UNLOCK_LOCK = ".unlock.lock"
log = logging.getLogger("yishi")


class Appliance:
    def __init__(self, config):
        self.config = config
        self.settings = Settings.load(config.data_dir)
        self.store = None
        self.unlock_problem = None  # the UserError of the last unlock the store refused
        self.custody = config.extra.get("custody") or custody_.for_service(config.data_dir)
        self._serial = None  # the custody serial of the key `store` was opened with
        self._lock = threading.RLock()
        self._on_unlock = []

    @property
    def sealed(self):
        return self.store is None

    @property
    def initialised(self):
        # The file's presence, not its content: a damaged keyring is a problem to show, not a
        # reason for every sealed page to fail.
        return os.path.exists(os.path.join(self.config.data_dir, KEYRING))

    # -- the wrong-passphrase count, shared by every worker -------------------------------------
    def _attempts_path(self):
        return os.path.join(self.config.data_dir, ATTEMPTS_FILE)

    def _attempts(self):
        try:
            with open(self._attempts_path(), encoding="utf-8") as f:
                doc = json.load(f)
            return {"failed": int(doc.get("failed", 0)), "blocked": doc.get("blocked")}
        except (OSError, ValueError, TypeError, AttributeError):
            return {"failed": 0, "blocked": None}

    def _save_attempts(self, doc):
        if doc == {"failed": 0, "blocked": None}:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._attempts_path())
            return
        tmp = self._attempts_path() + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._attempts_path())

    @property
    def failed_unlocks(self):
        return self._attempts()["failed"]

    @property
    def unlock_blocked_for(self):
        """Seconds the next unlock must still wait (0 when it may go ahead)."""
        b = self._attempts()["blocked"]
        if not isinstance(b, dict):
            return 0.0
        return max(0.0, clock.remaining(b.get("wall", 0), b.get("boot_id"), b.get("boot")))

    @property
    def unlock_blocked_until(self):
        return clock.wall() + self.unlock_blocked_for

    @unlock_blocked_until.setter
    def unlock_blocked_until(self, wall_time):
        doc = self._attempts()
        seconds = wall_time - clock.wall()
        doc["blocked"] = clock.deadline(seconds) if seconds > 0 else None
        self._save_attempts(doc)

    @contextlib.contextmanager
    def _unlock_turn(self):
        """One unlock (or seal) at a time across every worker."""
        with self._lock:
            fd = os.open(os.path.join(self.config.data_dir, UNLOCK_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def on_unlock(self, callback):
        """Run `callback(store)` once the store is open (areas start their own machinery here)."""
        self._on_unlock.append(callback)
        if self.store is not None:
            callback(self.store)

    # -- one state for every worker -----------------------------------------------------------
    def sync(self):
        """Match this worker's store to the service keyring: open it when another worker has
        unlocked (or this one was restarted), close it when another worker has sealed. One
        keyring search when nothing changed."""
        serial = self.custody.serial()
        if serial == self._serial:
            return
        opened = None
        with self._lock:
            serial = self.custody.serial()
            if serial == self._serial:
                return
            self._close_store()
            if serial is not None:
                key = self.custody.get(serial)
                if key is None:
                    return
                try:
                    opened = open_store(self.config.data_dir, key)
                except Exception as e:  # the same refusals as at an unlock, shown the same way
                    refusal = refusal_for(self.config.data_dir, e)
                    if refusal is None:
                        raise
                    log.error("worker %d could not open the unlocked store: %s", os.getpid(), e)
                    self.unlock_problem = refusal
                    return
                self.store, self._serial, self.unlock_problem = opened, serial, None
                log.info("worker %d opened the store (unlocked in the service keyring)", os.getpid())
        if opened is not None:
            for cb in self._on_unlock:
                cb(opened)

    def _close_store(self):
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()
        self.store, self._serial = None, None

    def unlock(self, passphrase=None, keyfile_secret=None, actor="admin"):
        self.sync()
        if self.store is not None:
            return self.store
        with self._unlock_turn():
            self.sync()  # another worker may have unlocked while this one waited for its turn
            if self.store is not None:
                return self.store
            wait = self.unlock_blocked_for
            if wait > 0:
                raise UserError(
                    "unlock_throttled",
                    _l("Too many wrong passphrases. Wait %(s)d seconds before trying again.", s=int(wait) + 1),
                    status=429,
                )
            try:
                store, key = self._open(passphrase, keyfile_secret, actor)
            except Exception as e:
                refusal = refusal_for(self.config.data_dir, e)
                if refusal is None:
                    raise
                log.error("unlock refused: %s", e)
                self.unlock_problem = refusal
                raise refusal from e
            self.unlock_problem = None
            self._save_attempts({"failed": 0, "blocked": None})
            with self._lock:
                self._close_store()
                self.store, self._serial = store, self.custody.put(key)
        # An unlock by a person (not a worker reopening after a crash) starts the store's health
        # afresh for every worker: a restored file is checked again, a full disk shows again
        # at its next failed write.
        store.health.reset()
        store.start_check()
        for cb in self._on_unlock:
            cb(store)
        return store

    def seal(self, actor="admin"):
        """Seal every worker: the key leaves the service keyring, each worker closes its store
        on its next request (this one at once)."""
        self.sync()
        with self._unlock_turn():
            if self.store is not None:
                with self.store.write() as db:
                    audit.record(db, actor, "store.seal", {}, time.time())
            self.custody.drop()
            with self._lock:
                self._close_store()

    def _open(self, passphrase, keyfile_secret, actor):
        ring = Keyring.load(self.config.data_dir)
        if ring is None:
            raise UserError(
                "not_initialised",
                _l("This appliance has no store yet. Run `yishi init` on its console first."),
                status=409,
            )
        if keyfile_secret is not None:
            key, method = ring.unlock_with_keyfile(keyfile_secret), "keyfile"
        else:
            key, method = ring.unlock_with_passphrase(passphrase or ""), "passphrase"
        if key is None:
            attempts = self._attempts()
            attempts["failed"] += 1
            # From the fifth wrong passphrase on, each try waits longer (30 s, 60 s, … 15 min):
            # guessing over the Wi-Fi becomes hopeless, a mistyping admin barely notices.
            if attempts["failed"] >= UNLOCK_FREE_TRIES:
                delay = min(30 * 2 ** (attempts["failed"] - UNLOCK_FREE_TRIES), 900)
                attempts["blocked"] = clock.deadline(delay)
            self._save_attempts(attempts)
            raise UserError(
                "wrong_passphrase",
                _l("The passphrase is wrong. The appliance stays sealed; nothing was changed.")
                if method == "passphrase"
                else _l("The key file does not open this appliance."),
                status=403,
            )
        store = open_store(self.config.data_dir, key)
        try:
            with store.write() as db:
                audit.record(db, actor, "store.unlock", {"method": method, "failed_before": self.failed_unlocks}, time.time())
        except BaseException:
            store.close()  # an unlock that cannot be audited does not happen
            raise
        return store, key

    def close(self):
        """This process stops (tests, shutdown): its store closes. The service keyring is left
        alone (the other workers go on); a key kept in this process only goes with it."""
        if self.custody.kind == "process":
            self.custody.drop()
        with self._lock:
            self._close_store()


def refusal_for(data_dir, e):
    """The admin's words for an unlock the store refused, or None if `e` is no such refusal."""
    if isinstance(e, KeyringDamaged):
        code, msg = "keyring_damaged", _l(
            "The keyring %(path)s is damaged (%(detail)s). This is not a wrong passphrase. Restore "
            "keyring.json from a backup of this appliance; nothing was changed.", path=e.path, detail=e.detail)
    elif isinstance(e, StoreMissing):
        code, msg = "store_missing", _l(
            "The store %(path)s is missing or empty, although the keyring beside it says this appliance "
            "has one. Nothing was created. If the data partition did not mount, mount it and unlock "
            "again; if the card was replaced, restore the last USB backup.", path=e.path)
    elif isinstance(e, StoreDamaged):
        code, msg = "store_damaged", _l(
            "The passphrase is right, but the store %(path)s cannot be read (%(detail)s). Restore it "
            "from the last USB backup.", path=e.path, detail=e.detail)
    elif problem_of(e) == FULL:
        code, msg = "storage_full", _l(
            "The data partition %(folder)s is full, so the store cannot be opened and the appliance "
            "stays sealed. Free space there, then unlock again.", folder=os.path.abspath(data_dir))
    elif isinstance(e, StoreError):
        code, msg = "store_unusable", _l("The store cannot be opened: %(detail)s", detail=str(e))
    else:
        return None
    return UserError(code, msg, status=500)


def try_unlock_at_start(appliance):
    """Unlock from the passphrase or key file given on the command line, if any.

    A wrong passphrase stops the start (the command line is wrong); a store that refuses to open
    leaves the appliance sealed, with the reason in the log and on the sealed page."""
    c = appliance.config
    if c.passphrase is None and c.keyfile_secret is None:
        return False
    try:
        appliance.unlock(passphrase=c.passphrase, keyfile_secret=c.keyfile_secret, actor="system")
    except UserError as e:
        if e is appliance.unlock_problem:
            return False
        raise StoreError(f"{c.data_dir}: {e.message}") from e
    return True
