"""Key custody: the random data key and the slots that wrap it.

The store is encrypted with a random 256-bit data key that never touches the disk in the clear.
`DATA/keyring.json` holds it wrapped (AES-256-GCM) in one or more slots, as LUKS does:

- a *passphrase* slot, wrapped by a key derived with Argon2id from the admin passphrase;
- optionally a *keyfile* slot for unattended start, wrapped by a key derived (HKDF) from a
  32-byte random secret kept on a separate USB stick.

Changing the passphrase rewraps the same data key, so the database is not re-encrypted.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import StoreError, UserError

KEYRING = "keyring.json"
KEYFILE_BYTES = 32
MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class Argon2Params:
    """Cost of one unlock. 64 MiB and 3 passes: ~0.2 s here, ~1 s on a Raspberry Pi 4."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 2


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def _unb64(s):
    return base64.b64decode(s.encode("ascii"))


def _aad(kind):
    return b"yishi data key v1/" + kind.encode("ascii")


def _passphrase_kek(passphrase, kdf):
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        _unb64(kdf["salt"]),
        time_cost=kdf["t"],
        memory_cost=kdf["m"],
        parallelism=kdf["p"],
        hash_len=32,
        type=Type.ID,
    )


def _keyfile_kek(secret, salt):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"yishi keyfile slot").derive(
        secret
    )


def _wrap(kek, data_key, kind):
    nonce = os.urandom(12)
    return {"nonce": _b64(nonce), "wrapped": _b64(AESGCM(kek).encrypt(nonce, data_key, _aad(kind)))}


def _unwrap(kek, slot):
    try:
        return AESGCM(kek).decrypt(_unb64(slot["nonce"]), _unb64(slot["wrapped"]), _aad(slot["kind"]))
    except InvalidTag:
        return None


def check_passphrase_strength(passphrase):
    if len(passphrase) < MIN_PASSPHRASE:
        from appliance.i18n import lazy_gettext as _l

        raise UserError(
            "passphrase_too_short",
            _l("The passphrase must have at least %(n)d characters.", n=MIN_PASSPHRASE),
        )


class Keyring:
    """The wrapped data key on disk. Reading it gives nothing without a passphrase or key file."""

    def __init__(self, path, doc):
        self.path = path
        self.doc = doc

    # -- creation and loading ---------------------------------------------------------------
    @classmethod
    def create(cls, data_dir, passphrase, params=Argon2Params()):
        check_passphrase_strength(passphrase)
        path = os.path.join(data_dir, KEYRING)
        if os.path.exists(path):
            raise StoreError(f"{path}: a keyring already exists; refusing to overwrite it")
        data_key = secrets.token_bytes(32)
        ring = cls(path, {"version": 1, "slots": []})
        ring._set_passphrase_slot(data_key, passphrase, params)
        ring._save()
        return ring, data_key

    @classmethod
    def load(cls, data_dir):
        path = os.path.join(data_dir, KEYRING)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise StoreError(f"{path}: cannot read the keyring ({e})") from e
        if doc.get("version") != 1 or not isinstance(doc.get("slots"), list):
            raise StoreError(f"{path}: not a Yishi keyring (expected version 1 with slots)")
        return cls(path, doc)

    # -- unlocking ---------------------------------------------------------------------------
    def unlock_with_passphrase(self, passphrase):
        """Return the data key, or None when the passphrase is wrong."""
        for slot in self.doc["slots"]:
            if slot["kind"] == "passphrase":
                key = _unwrap(_passphrase_kek(passphrase, slot["kdf"]), slot)
                if key is not None:
                    return key
        return None

    def unlock_with_keyfile(self, secret):
        for slot in self.doc["slots"]:
            if slot["kind"] == "keyfile":
                key = _unwrap(_keyfile_kek(secret, _unb64(slot["salt"])), slot)
                if key is not None:
                    return key
        return None

    # -- rewrapping --------------------------------------------------------------------------
    def change_passphrase(self, old, new, params=Argon2Params()):
        check_passphrase_strength(new)
        data_key = self.unlock_with_passphrase(old)
        if data_key is None:
            from appliance.i18n import lazy_gettext as _l

            raise UserError("wrong_passphrase", _l("The passphrase is wrong. Nothing was changed."))
        self._set_passphrase_slot(data_key, new, params)
        self._save()

    def add_keyfile(self, data_key, keyfile_path):
        """Write a new unattended key file and a slot for it; returns the file's path."""
        secret = secrets.token_bytes(KEYFILE_BYTES)
        salt = os.urandom(16)
        slot = {"kind": "keyfile", "salt": _b64(salt), **_wrap(_keyfile_kek(secret, salt), data_key, "keyfile")}
        fd = os.open(keyfile_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        self.doc["slots"] = [s for s in self.doc["slots"] if s["kind"] != "keyfile"] + [slot]
        self._save()
        return keyfile_path

    def _set_passphrase_slot(self, data_key, passphrase, params):
        kdf = {
            "alg": "argon2id",
            "salt": _b64(os.urandom(16)),
            "t": params.time_cost,
            "m": params.memory_cost,
            "p": params.parallelism,
        }
        slot = {"kind": "passphrase", "kdf": kdf, **_wrap(_passphrase_kek(passphrase, kdf), data_key, "passphrase")}
        self.doc["slots"] = [s for s in self.doc["slots"] if s["kind"] != "passphrase"] + [slot]

    def _save(self):
        # Write-then-rename so a power cut never leaves a half-written keyring (losing it loses
        # the data).
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.doc, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dfd = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def read_secret_file(path):
    """A passphrase file holds text (one line); a key file holds 32 raw bytes."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise StoreError(f"{path}: cannot read ({e.strerror})") from e
