"""The appliance's one piece of process state: sealed or unlocked.

Sealed, there is no data key in memory and only the sealed page, the unlock form and
`/healthz` answer. Unlocking unwraps the data key (passphrase or key file), opens and migrates
the store, records the unlock (with the failed attempts before it) in the audit log, and starts
the store's check (`PRAGMA quick_check`) in the background. gunicorn runs one worker (with
threads), so one unlock opens the whole appliance.

An unlock the store itself refuses (a damaged keyring, a missing, empty or damaged `yishi.db`,
a full disk) leaves the appliance sealed with the reason on the sealed page, in the admin's
language, naming the file and what to do; at start-up too, so an unattended appliance whose data
partition did not mount says so in the browser instead of failing to boot.
"""

import logging
import os
import threading
import time

from appliance.config import Settings
from appliance.errors import StoreError, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit, open_store
from appliance.store.db import FULL, StoreDamaged, StoreMissing, problem_of
from appliance.store.keys import KEYRING, Keyring, KeyringDamaged
from appliance.web import storage  # noqa: F401 (gives every page its storage notice)

UNLOCK_FREE_TRIES = 5
log = logging.getLogger("yishi")


class Appliance:
    def __init__(self, config):
        self.config = config
        self.settings = Settings.load(config.data_dir)
        self.store = None
        self.failed_unlocks = 0
        self.unlock_blocked_until = 0.0
        self.unlock_problem = None  # the UserError of the last unlock the store refused
        self._lock = threading.Lock()
        self._on_unlock = []

    @property
    def sealed(self):
        return self.store is None

    @property
    def initialised(self):
        # The file's presence, not its content: a damaged keyring is a problem to show, not a
        # reason for every sealed page to fail.
        return os.path.exists(os.path.join(self.config.data_dir, KEYRING))

    def on_unlock(self, callback):
        """Run `callback(store)` once the store is open (areas start their own machinery here)."""
        self._on_unlock.append(callback)
        if self.store is not None:
            callback(self.store)

    def unlock(self, passphrase=None, keyfile_secret=None, actor="admin"):
        with self._lock:
            if self.store is not None:
                return self.store
            now = time.time()
            if now < self.unlock_blocked_until:
                raise UserError(
                    "unlock_throttled",
                    _l("Too many wrong passphrases. Wait %(s)d seconds before trying again.", s=int(self.unlock_blocked_until - now) + 1),
                    status=429,
                )
            try:
                store = self._open(passphrase, keyfile_secret, actor)
            except Exception as e:
                refusal = refusal_for(self.config.data_dir, e)
                if refusal is None:
                    raise
                log.error("unlock refused: %s", e)
                self.unlock_problem = refusal
                raise refusal from e
            self.unlock_problem = None
            self.failed_unlocks = 0
            self.store = store
        store.start_check()
        for cb in self._on_unlock:
            cb(store)
        return store

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
            self.failed_unlocks += 1
            # From the fifth wrong passphrase on, each try waits longer (30 s, 60 s, … 15 min):
            # guessing over the Wi-Fi becomes hopeless, a mistyping admin barely notices.
            if self.failed_unlocks >= UNLOCK_FREE_TRIES:
                delay = min(30 * 2 ** (self.failed_unlocks - UNLOCK_FREE_TRIES), 900)
                self.unlock_blocked_until = time.time() + delay
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
        return store

    def close(self):
        if self.store is not None:
            self.store.close()
            self.store = None


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
