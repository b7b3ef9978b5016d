"""Hashing of the appliance's secrets.

High-entropy tokens (pairing tokens, device credentials, session ids) are stored as SHA-256:
guessing one is hopeless, and a fast hash keeps each request cheap. PINs and passwords are
low-entropy, so they get Argon2id; a 6-digit PIN is still only a million guesses, which is why
the lockout, not the hash, is what protects it.

Each Argon2 hash holds its memory (4 MiB for a PIN, 64 MiB for a password) while it runs, and
argon2-cffi releases the GIL, so 500 tablets signing in at once ran hundreds at a time: 4.7 GB of
RSS in the benchmark (bench/RESULTS.md), an out-of-memory kill on a 4 GB Pi. At most one per CPU
runs at once across the service: each of `YISHI_WORKERS` gunicorn workers gets its share of the
cores; more would not finish sooner anyway, the work is CPU-bound.

The PIN's Argon2 cost is a setting (`pin_hash_time_cost`, `pin_hash_memory_kib` in
DATA/config.json; bench/pin_cost.py measures it). It protects little: whoever holds the decrypted
store tries all 10^6 six-digit PINs offline in minutes at any cost a sign-in burst can afford
(docs/threat-model.md), so the cost is chosen for the burst. A new cost applies to PINs set from
then on; a stored hash names its own cost, so older PINs still verify.
"""

import hashlib
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PIN_TIME_COST, PIN_MEMORY_KIB = 1, 4 * 1024  # was 2 passes over 16 MiB: 18× the time, for nothing (see above)
_pin_hasher = PasswordHasher(time_cost=PIN_TIME_COST, memory_cost=PIN_MEMORY_KIB, parallelism=1)
_password_hasher = PasswordHasher()


def _share_of_cores():
    try:
        workers = max(1, int(os.environ.get("YISHI_WORKERS", "1")))
    except ValueError:
        workers = 1
    return max(1, (os.cpu_count() or 1) // workers)


_slots = threading.BoundedSemaphore(_share_of_cores())


def set_pin_cost(time_cost=PIN_TIME_COST, memory_kib=PIN_MEMORY_KIB):
    """The Argon2id cost of PINs hashed from now on (the settings' values, checked there)."""
    global _pin_hasher
    _pin_hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def token(nbytes=32):
    """A URL-safe random token: 32 bytes = 256 bits (the pairing token needs >= 128)."""
    return secrets.token_urlsafe(nbytes)


def token_hash(tok):
    return hashlib.sha256(tok.encode("utf-8")).hexdigest()


def hash_pin(pin):
    with _slots:
        return _pin_hasher.hash(pin)


def hash_password(password):
    with _slots:
        return _password_hasher.hash(password)


def verify_secret(stored, given):
    if not stored or not given:
        return False
    try:
        with _slots:
            return _password_hasher.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False
