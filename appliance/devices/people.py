"""People (组成人员, 列席, 工作人员 …), their roles, PINs and passwords, and the lockout.

A member signs in with a PIN on a paired tablet; admins and office staff may also have a
password for a laptop. Five wrong secrets in a row lock the person out for a while.
"""

import re
import time
from dataclasses import dataclass

from appliance import clock
from appliance.devices import secrets_ as sec
from appliance.errors import Conflict, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules import lockout
from appliance.store import audit

ROLES = ("member", "attendee", "chair", "secretary", "staff", "leader", "admin")
ROLE_LABELS = {
    "member": _l("Member"),
    "attendee": _l("Non-voting attendee"),
    "chair": _l("Chair"),
    "secretary": _l("Secretary"),
    "staff": _l("Office staff"),
    "leader": _l("Leader"),
    "admin": _l("Administrator"),
}
PIN_RE = re.compile(r"^\d{4,8}$")
USERNAME_RE = re.compile(r"^[a-z0-9._-]{2,32}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    username: str | None
    seat: int | None
    roles: frozenset
    active: bool
    has_pin: bool
    has_password: bool
    locked_until: float | None

    def has(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def is_member(self):
        return "member" in self.roles

    def to_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "seat": self.seat,
            "roles": sorted(self.roles),
        }


def _from_row(row, roles):
    return Person(
        id=row["id"],
        name=row["name"],
        username=row["username"],
        seat=row["seat"],
        roles=frozenset(roles),
        active=bool(row["active"]),
        has_pin=bool(row["pin_hash"]),
        has_password=bool(row["password_hash"]),
        locked_until=row["locked_until"],
    )


def get(store, person_id):
    row = store.one("SELECT * FROM people WHERE id = ?", (person_id,))
    if row is None:
        return None
    roles = [r[0] for r in store.all("SELECT role FROM person_roles WHERE person_id = ?", (person_id,))]
    return _from_row(row, roles)


def by_username(store, username):
    row = store.one("SELECT id FROM people WHERE username = ?", (username,))
    return get(store, row[0]) if row else None


def everyone(store, role=None, active_only=True):
    rows = store.all(
        "SELECT p.*, group_concat(r.role) AS roles FROM people p "
        "LEFT JOIN person_roles r ON r.person_id = p.id "
        + ("WHERE p.active = 1 " if active_only else "")
        + "GROUP BY p.id ORDER BY p.seat IS NULL, p.seat, p.id"
    )
    people = [_from_row(r, (r["roles"] or "").split(",") if r["roles"] else []) for r in rows]
    if role:
        people = [p for p in people if role in p.roles]
    return people


def validate(name, roles, seat=None, pin=None, username=None, password=None):
    errors = {}
    if not name or not name.strip() or len(name.strip()) > 64:
        errors["name"] = _l("Enter a name of 1 to 64 characters.")
    if not roles or any(r not in ROLES for r in roles):
        errors["roles"] = _l("Choose at least one role from the list.")
    if seat is not None and (not isinstance(seat, int) or seat <= 0):
        errors["seat"] = _l("The seat number must be a positive whole number.")
    if pin is not None and not PIN_RE.match(pin):
        errors["pin"] = _l("The PIN must be 4 to 8 digits.")
    if username is not None and not USERNAME_RE.match(username):
        errors["username"] = _l("The user name must be 2 to 32 lowercase letters, digits, dots or dashes.")
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = _l("The password must have at least %(n)d characters.", n=MIN_PASSWORD)
    if errors:
        raise UserError("invalid_person", _l("Please correct the marked fields."), fields=errors)


def create(store, actor, name, roles, seat=None, pin=None, username=None, password=None, now=None):
    validate(name, roles, seat, pin, username, password)
    now = time.time() if now is None else now
    with store.write() as db:
        if seat is not None and db.execute("SELECT 1 FROM people WHERE seat = ?", (seat,)).fetchone():
            raise Conflict("seat_taken", _l("Seat %(seat)d is already taken.", seat=seat))
        if username and db.execute("SELECT 1 FROM people WHERE username = ?", (username,)).fetchone():
            raise Conflict("username_taken", _l("The user name %(u)s is already taken.", u=username))
        cur = db.execute(
            "INSERT INTO people (name, username, seat, pin_hash, password_hash, created_at) "
            "VALUES (?,?,?,?,?,?)",
            (
                name.strip(),
                username,
                seat,
                sec.hash_pin(pin) if pin else None,
                sec.hash_password(password) if password else None,
                now,
            ),
        )
        pid = cur.lastrowid
        db.executemany("INSERT INTO person_roles VALUES (?, ?)", [(pid, r) for r in sorted(set(roles))])
        audit.record(db, actor, "person.create", {"person": pid, "name": name.strip(), "roles": sorted(set(roles))}, now)
    return get(store, pid)


def set_pin(store, actor, person_id, pin):
    validate("x", ["member"], pin=pin)
    with store.write() as db:
        cur = db.execute(
            "UPDATE people SET pin_hash = ?, failed_attempts = 0, locked_until = NULL WHERE id = ?",
            (sec.hash_pin(pin), person_id),
        )
        if cur.rowcount != 1:
            raise NotFound("no_person", _l("No such person."))
        audit.record(db, actor, "person.pin_reset", {"person": person_id})


def unlock(store, actor, person_id):
    with store.write() as db:
        db.execute("UPDATE people SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (person_id,))
        audit.record(db, actor, "person.unlock", {"person": person_id})


def _locked_error(until, left):
    minutes = max(1, int((left + 59) // 60))
    return UserError(
        "locked",
        _l(
            "Too many wrong attempts. Sign-in is locked for %(m)d more minutes; "
            "ask the meeting staff to unlock it sooner.",
            m=minutes,
        ),
        status=423,
        locked_until=until,
    )


def check_secret(store, person_id, secret, kind, policy, device_id=None, now=None):
    """Verify a PIN or password, applying the lockout. Returns the Person or raises UserError.

    The attempt is reserved before the slow hash, in the same transaction that reads the count:
    30 wrong PINs sent at once cost 5 Argon2 runs, not 30, and the lock holds from the 5th.
    A right secret among them gives the reservation back (and lifts a lock it caused).
    """
    now = clock.wall() if now is None else now
    column = {"pin": "pin_hash", "password": "password_hash"}[kind]
    with store.write() as db:
        row = db.execute(f"SELECT id, {column}, failed_attempts, locked_until, locked_boot_id, locked_boot, active "
                         "FROM people WHERE id = ?", (person_id,)).fetchone()
        if row is None or not row["active"] or not row[column]:
            raise UserError("bad_credentials", _l("This person cannot sign in this way."), status=401)
        # The lock's time left runs on the boot clock (appliance/clock.py), not on the wall clock.
        left = None if row["locked_until"] is None else clock.remaining(row["locked_until"], row["locked_boot_id"],
                                                                         row["locked_boot"], now)
        if left is not None and left > 0:
            raise _locked_error(row["locked_until"], left)
        state = lockout.AttemptState(row["failed_attempts"], None)
        reserved = lockout.after_failure(state, now, policy)
        lock = clock.deadline(policy.seconds, now) if reserved.locked_until else {"wall": None, "boot_id": None, "boot": None}
        db.execute("UPDATE people SET failed_attempts = ?, locked_until = ?, locked_boot_id = ?, locked_boot = ? WHERE id = ?",
                   (reserved.failures, lock["wall"], lock["boot_id"], lock["boot"], person_id))
        stored = row[column]
    if sec.verify_secret(stored, secret):
        with store.write() as db:
            db.execute("UPDATE people SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (person_id,))
        return get(store, person_id)
    with store.write() as db:
        audit.record(db, f"device:{device_id}" if device_id else "web", f"signin.{kind}_wrong", {"person": person_id}, now)
        if reserved.locked_until:
            audit.record(db, "system", "person.locked", {"person": person_id, "until": lock["wall"]}, now)
    if reserved.locked_until:
        raise _locked_error(lock["wall"], policy.seconds)
    if kind == "password":
        # The same answer as for a user name that does not exist: no "attempts left" to tell them apart.
        raise UserError("bad_credentials", _l("Wrong user name or password."), status=401)
    left = lockout.remaining_attempts(reserved, policy)
    raise UserError("bad_credentials", _l("Wrong PIN. %(n)d attempts left before sign-in is locked.", n=left),
                    status=401, attempts_left=left)
