"""The appliance's one piece of process state: sealed or unlocked.

Sealed, there is no data key in memory and only the sealed page, the unlock form and
`/healthz` answer. Unlocking unwraps the data key (passphrase or key file), opens and migrates
the store, and records the unlock (with the failed attempts before it) in the audit log.
gunicorn runs one worker (with threads), so one unlock opens the whole appliance.
"""

import threading
import time

from appliance.config import Settings
from appliance.errors import StoreError, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit, open_store
from appliance.store.keys import Keyring


UNLOCK_FREE_TRIES = 5


class Appliance:
    def __init__(self, config):
        self.config = config
        self.settings = Settings.load(config.data_dir)
        self.store = None
        self.failed_unlocks = 0
        self.unlock_blocked_until = 0.0
        self._lock = threading.Lock()
        self._on_unlock = []

    @property
    def sealed(self):
        return self.store is None

    @property
    def initialised(self):
        return Keyring.load(self.config.data_dir) is not None

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
            with store.write() as db:
                audit.record(db, actor, "store.unlock", {"method": method, "failed_before": self.failed_unlocks}, time.time())
            self.failed_unlocks = 0
            self.store = store
        for cb in self._on_unlock:
            cb(store)
        return store

    def close(self):
        if self.store is not None:
            self.store.close()
            self.store = None


def try_unlock_at_start(appliance):
    """Unlock from the passphrase or key file given on the command line, if any."""
    c = appliance.config
    if c.passphrase is None and c.keyfile_secret is None:
        return False
    try:
        appliance.unlock(passphrase=c.passphrase, keyfile_secret=c.keyfile_secret, actor="system")
    except UserError as e:
        raise StoreError(f"{c.data_dir}: {e.message}") from e
    return True
