"""Hashing of the appliance's secrets.

High-entropy tokens (pairing tokens, device credentials, session ids) are stored as SHA-256:
guessing one is hopeless, and a fast hash keeps each request cheap. PINs and passwords are
low-entropy, so they get Argon2id; a 6-digit PIN is still only a million guesses, which is why
the lockout, not the hash, is what protects it.

Each Argon2 hash holds its memory (16 MiB for a PIN, 64 MiB for a password) while it runs, and
argon2-cffi releases the GIL, so 500 tablets signing in at once ran hundreds at a time: 4.7 GB of
RSS in the benchmark (bench/RESULTS.md), an out-of-memory kill on a 4 GB Pi. At most one per CPU
runs at once; more would not finish sooner anyway, the work is CPU-bound.
"""

import hashlib
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_pin_hasher = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
_password_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


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
