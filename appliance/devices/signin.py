"""Signing in: a PIN on a paired tablet, or a user name and password for admins and staff."""

import functools

from appliance.devices import people, sessions
from appliance.devices import secrets_ as sec
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules.lockout import LockoutPolicy


@functools.cache
def _decoy():
    """A real Argon2 hash of nothing anyone knows, verified for user names that do not exist."""
    return sec.hash_password(sec.token(16))



def _policy(cfg):
    return LockoutPolicy(cfg.pin_attempts, cfg.lockout_seconds)


def with_pin(store, cfg, device, person_id, pin):
    if device is None:
        raise UserError(
            "device_not_paired",
            _l("PIN sign-in works only on a paired tablet. Ask the staff to pair this device."),
            status=403,
        )
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise UserError("bad_field", _l("Choose your name from the list."), field="person_id")
    if not isinstance(pin, str) or not pin:
        raise UserError("bad_field", _l("Enter your PIN."), field="pin")
    candidate = people.get(store, person_id)
    if candidate is not None and candidate.has("admin"):
        # An admin's rights never come from a PIN typed on somebody's tablet.
        raise UserError("admin_uses_password",
                        _l("Administrators sign in with their user name and password on the sign-in page, not with a PIN."),
                        status=403)
    person = people.check_secret(store, person_id, pin, "pin", _policy(cfg), device_id=device["id"])
    return person, sessions.begin(store, person.id, device["id"], "pin")


def with_password(store, cfg, username, password):
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise UserError("bad_field", _l("Enter your user name and password."))
    person = people.by_username(store, username.strip().lower())
    if person is None or not person.has_password:
        sec.verify_secret(_decoy(), password)  # as slow as a real check: the time does not tell names apart
        raise UserError("bad_credentials", _l("Wrong user name or password."), status=401)
    person = people.check_secret(store, person.id, password, "password", _policy(cfg))
    return person, sessions.begin(store, person.id, None, "password")


def choosable(store, device):
    """Whom a tablet offers in its sign-in list: its assigned person first, then everyone with a PIN."""
    everyone = [p for p in people.everyone(store) if p.has_pin and not p.has("admin")]
    if device is not None and device["person_id"]:
        everyone.sort(key=lambda p: p.id != device["person_id"])
    return everyone
