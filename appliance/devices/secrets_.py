"""Hashing of the appliance's secrets.

High-entropy tokens (pairing tokens, device credentials, session ids) are stored as SHA-256:
guessing one is hopeless, and a fast hash keeps each request cheap. PINs and passwords are
low-entropy, so they get Argon2id; a 6-digit PIN is still only a million guesses, which is why
the lockout, not the hash, is what protects it.
"""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_pin_hasher = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
_password_hasher = PasswordHasher()


def token(nbytes=32):
    """A URL-safe random token: 32 bytes = 256 bits (the pairing token needs >= 128)."""
    return secrets.token_urlsafe(nbytes)


def token_hash(tok):
    return hashlib.sha256(tok.encode("utf-8")).hexdigest()


def hash_pin(pin):
    return _pin_hasher.hash(pin)


def hash_password(password):
    return _password_hasher.hash(password)


def verify_secret(stored, given):
    if not stored or not given:
        return False
    try:
        return _password_hasher.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False
