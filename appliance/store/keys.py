"""Key custody: the random data key and the slots that wrap it.

The store is encrypted with a random 256-bit data key that never touches the disk in the clear.
`DATA/keyring.json` holds it wrapped (AES-256-GCM) in one or more slots, as LUKS does:

- a *passphrase* slot, wrapped by a key derived with Argon2id from the admin passphrase;
- optionally a *keyfile* slot for unattended start, wrapped by a key derived (HKDF) from a
  32-byte random secret kept on a separate USB stick.

Changing the passphrase rewraps the same data key, so the database is not re-encrypted.

Each slot also carries `check`, a SHA-256 over its other fields. It is no secret and guards
against no attacker (AES-GCM does that); it tells a damaged keyring from a wrong passphrase
honestly: a slot that matches its check and does not open means the passphrase (or key file) is
wrong, a slot that does not match it has a changed byte. Fields are checked for shape (base64,
lengths, Argon2 costs) before any KDF runs. Keyrings from before the check stay version 1 (older
software ignores the extra field) and get it the first time one of their slots opens.
"""

import base64
import binascii
import hashlib
import json
import logging
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
KINDS = ("passphrase", "keyfile")
log = logging.getLogger("yishi.store")


class KeyringDamaged(StoreError):
    """keyring.json cannot be used as it is: not JSON, a field missing or malformed, a changed byte."""

    def __init__(self, path, detail):
        super().__init__(
            f"{path}: the keyring is damaged ({detail}); this is not a wrong passphrase. Restore "
            "keyring.json from a backup of this appliance (it holds only the wrapped key); the "
            "store cannot be opened without it."
        )
        self.path, self.detail = path, detail


@dataclass(frozen=True)
class Argon2Params:
    """Cost of one unlock. 64 MiB and 3 passes: ~0.2 s here, ~1 s on a Raspberry Pi 4."""

    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB
    parallelism: int = 2


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def _unb64(s):
    return base64.b64decode(s.encode("ascii"), validate=True)


def _slot_digest(slot):
    body = {k: v for k, v in slot.items() if k != "check"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _with_check(slot):
    return {**slot, "check": _slot_digest(slot)}


def _bytes_field(where, value, name, lengths):
    if not isinstance(value, str):
        return f"{where}: '{name}' is missing or not text"
    try:
        raw = _unb64(value)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return f"{where}: '{name}' is not valid base64"
    if len(raw) not in lengths:
        expected = f"{lengths.start} to {lengths.stop - 1}" if isinstance(lengths, range) else " or ".join(map(str, lengths))
        return f"{where}: '{name}' holds {len(raw)} bytes, expected {expected}"
    return None


def _int_field(where, kdf, name, low, high):
    v = kdf.get(name)
    if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
        return f"{where}: kdf '{name}' is {v!r}, expected a whole number from {low} to {high}"
    return None


def _slot_problem(where, slot):
    """What is wrong with one slot's shape or check value, or None. Runs before any KDF, so a
    damaged cost parameter cannot make the unlock allocate gigabytes."""
    problem = _bytes_field(where, slot.get("nonce"), "nonce", (12,)) or _bytes_field(where, slot.get("wrapped"), "wrapped", (48,))
    if not problem and slot["kind"] == "keyfile":
        problem = _bytes_field(where, slot.get("salt"), "salt", (16,))
    elif not problem:
        kdf = slot.get("kdf")
        if not isinstance(kdf, dict) or kdf.get("alg") != "argon2id":
            return f"{where}: 'kdf' is missing or not argon2id"
        problem = (_bytes_field(where, kdf.get("salt"), "kdf salt", range(8, 65))
                   or _int_field(where, kdf, "t", 1, 64)
                   or _int_field(where, kdf, "p", 1, 64)
                   or _int_field(where, kdf, "m", 8 * kdf["p"], 4 * 1024 * 1024))
    if not problem and "check" in slot and slot["check"] != _slot_digest(slot):
        problem = f"{where}: its content does not match its check value (a byte has changed)"
    return problem


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
        except ValueError as e:  # not JSON, or not UTF-8
            raise KeyringDamaged(path, f"not valid JSON: {e}") from e
        except OSError as e:
            raise StoreError(f"{path}: cannot read the keyring ({e.strerror})") from e
        if not isinstance(doc, dict) or doc.get("version") != 1:
            version = doc.get("version") if isinstance(doc, dict) else None
            if isinstance(version, int) and version > 1:
                raise StoreError(f"{path}: keyring version {version} is newer than this software (1); install the newer Yishi version")
            raise KeyringDamaged(path, f"'version' is {version!r}, expected 1")
        slots = doc.get("slots")
        if not isinstance(slots, list) or not slots:
            raise KeyringDamaged(path, "'slots' is missing or empty")
        for i, slot in enumerate(slots, start=1):
            if not isinstance(slot, dict) or slot.get("kind") not in KINDS:
                kind = slot.get("kind") if isinstance(slot, dict) else slot
                raise KeyringDamaged(path, f"slot {i}: kind {kind!r}, expected one of {', '.join(KINDS)}")
        return cls(path, doc)

    # -- unlocking ---------------------------------------------------------------------------
    def unlock_with_passphrase(self, passphrase):
        """Return the data key, or None when the passphrase is wrong; KeyringDamaged when the
        slot it would open is damaged."""
        return self._open("passphrase", lambda slot: _passphrase_kek(passphrase, slot["kdf"]))

    def unlock_with_keyfile(self, secret):
        return self._open("keyfile", lambda slot: _keyfile_kek(secret, _unb64(slot["salt"])))

    def _open(self, kind, kek_for):
        damaged = []
        for i, slot in enumerate(self.doc["slots"], start=1):
            if slot["kind"] != kind:
                continue
            problem = _slot_problem(f"slot {i} ({kind})", slot)
            if problem:
                damaged.append(problem)
                continue
            key = _unwrap(kek_for(slot), slot)
            if key is not None:
                if "check" not in slot:
                    self._add_check(i - 1)
                return key
        if damaged:
            raise KeyringDamaged(self.path, "; ".join(damaged))
        return None

    def _add_check(self, index):
        """A slot from before check values has just opened, so it is intact: seal it now."""
        self.doc["slots"][index] = _with_check(self.doc["slots"][index])
        try:
            self._save()
        except OSError as e:  # a full disk: the keyring stays as it was, and still works
            self.doc["slots"][index].pop("check")
            log.warning("%s: could not add the check value to slot %d (%s)", self.path, index + 1, e.strerror)

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
        slot = _with_check({"kind": "keyfile", "salt": _b64(salt), **_wrap(_keyfile_kek(secret, salt), data_key, "keyfile")})
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
        slot = _with_check({"kind": "passphrase", "kdf": kdf, **_wrap(_passphrase_kek(passphrase, kdf), data_key, "passphrase")})
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
