"""Pairing a tablet (配对): one-time invitation, short code, admin approval, device credential.

1. Staff show a QR code with a one-time URL `…/pair#t=TOKEN` (256-bit token in the fragment,
   so it never appears in a server log; stored hashed; expires in minutes; single use).
2. The tablet opens it; its page posts the token and gets back a pairing request with a short
   code (e.g. `482 913`) and a secret kept in an HttpOnly cookie.
3. The admin sees the same short code and approves (optionally for a person) or rejects.
4. At its next poll the tablet collects a device credential; revoking the device ends it.

An invitation's and a request's minutes run on the boot clock (appliance/clock.py): a wall clock
stepped an hour forward while the QR code is on the screen does not expire it, nor does one
stepped back keep it valid an hour longer. The wall-clock expiry stays beside it, for the record
and for an invitation from before a reboot.
"""

import secrets

from appliance import clock
from appliance.devices import secrets_ as sec
from appliance.errors import Conflict, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit

MAX_DEVICE_NAME = 40


def create_invite(store, actor_id, base_url, ttl, now=None):
    now = clock.wall() if now is None else now
    tok = sec.token(32)
    d = clock.deadline(ttl, now)
    with store.write() as db:
        # Drop invitations that can no longer be used, so the table stays small (a day's margin
        # on the wall clock is plenty for housekeeping).
        db.execute("DELETE FROM pairing_invites WHERE expires_at < ?", (now - 86400,))
        db.execute(
            "INSERT INTO pairing_invites (token_hash, created_by, created_at, expires_at, expires_boot_id, expires_boot) "
            "VALUES (?,?,?,?,?,?)",
            (sec.token_hash(tok), actor_id, now, d["wall"], d["boot_id"], d["boot"]),
        )
        audit.record(db, actor_id or "cli", "pairing.invite", {"expires_at": now + ttl}, now)
    return tok, f"{base_url.rstrip('/')}/pair#t={tok}", now + ttl


def _expired(row, now):
    """An invitation or request past its minutes (on the boot clock within its boot)."""
    return clock.remaining(row["expires_at"], row["expires_boot_id"], row["expires_boot"], now) < 0


def _short_code():
    n = secrets.randbelow(1_000_000)
    return f"{n // 1000:03d} {n % 1000:03d}"


def start(store, tok, device_name, ttl, now=None):
    """The tablet presents the invitation token. Returns (request_id, secret, short_code)."""
    now = clock.wall() if now is None else now
    device_name = (device_name or "").strip()[:MAX_DEVICE_NAME] or str(_l("Tablet"))
    if not tok or not isinstance(tok, str) or len(tok) > 200:
        raise UserError("pairing_invalid", _l("This pairing link is not valid. Scan the QR code again."), status=400)
    h = sec.token_hash(tok)
    with store.write() as db:
        inv = db.execute("SELECT * FROM pairing_invites WHERE token_hash = ?", (h,)).fetchone()
        if inv is None:
            raise UserError("pairing_invalid", _l("This pairing link is not valid. Scan the QR code again."), status=400)
        if inv["used_at"] is not None:
            audit.record(db, "web", "pairing.reused", {}, now)
            raise UserError(
                "pairing_used",
                _l("This pairing code has already been used. Ask the staff to show a new QR code."),
                status=410,
            )
        if _expired(inv, now):
            raise UserError(
                "pairing_expired",
                _l("This pairing code has expired. Ask the staff to show a new QR code."),
                status=410,
            )
        db.execute("UPDATE pairing_invites SET used_at = ? WHERE token_hash = ?", (now, h))
        pending = {r[0] for r in db.execute("SELECT short_code FROM pairing_requests WHERE status = 'pending'")}
        code = _short_code()
        while code in pending:
            code = _short_code()
        request_id = secrets.token_hex(8)
        secret = sec.token(32)
        d = clock.deadline(ttl, now)
        db.execute(
            "INSERT INTO pairing_requests (id, secret_hash, short_code, device_name, created_at, expires_at, expires_boot_id, "
            "expires_boot) VALUES (?,?,?,?,?,?,?,?)",
            (request_id, sec.token_hash(secret), code, device_name, now, d["wall"], d["boot_id"], d["boot"]),
        )
        audit.record(db, "web", "pairing.request", {"request": request_id, "device": device_name, "code": code}, now)
    return request_id, secret, code


def pending(store, now=None):
    now = clock.wall() if now is None else now
    rows = store.all(
        "SELECT id, short_code, device_name, created_at, expires_at, expires_boot_id, expires_boot FROM pairing_requests "
        "WHERE status = 'pending' ORDER BY created_at")
    return [{k: r[k] for k in ("id", "short_code", "device_name", "created_at", "expires_at")} for r in rows if not _expired(r, now)]


def decide(store, actor_id, request_id, approve, person_id=None, now=None):
    now = clock.wall() if now is None else now
    with store.write() as db:
        req = db.execute("SELECT * FROM pairing_requests WHERE id = ?", (request_id,)).fetchone()
        if req is None:
            raise NotFound("no_request", _l("No such pairing request."))
        if req["status"] != "pending":
            raise Conflict("already_decided", _l("This pairing request has already been decided."))
        if _expired(req, now):
            raise UserError("request_expired", _l("This pairing request has expired; pair the tablet again."), status=410)
        if person_id is not None and not db.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone():
            raise NotFound("no_person", _l("No such person."))
        status = "approved" if approve else "rejected"
        db.execute(
            "UPDATE pairing_requests SET status = ?, person_id = ?, decided_by = ?, decided_at = ? WHERE id = ?",
            (status, person_id, actor_id, now, request_id),
        )
        audit.record(
            db, actor_id, f"pairing.{status}",
            {"request": request_id, "code": req["short_code"], "device": req["device_name"], "person": person_id}, now,
        )
    return status


def poll(store, secret, now=None):
    """The tablet asks how its request stands. On approval, returns the new device credential once.

    Returns (status, short_code, device_token or None).
    """
    now = clock.wall() if now is None else now
    if not secret:
        raise UserError("pairing_unknown", _l("No pairing in progress on this device. Scan the QR code."), status=404)
    h = sec.token_hash(secret)
    with store.write() as db:
        req = db.execute("SELECT * FROM pairing_requests WHERE secret_hash = ?", (h,)).fetchone()
        if req is None:
            raise UserError("pairing_unknown", _l("No pairing in progress on this device. Scan the QR code."), status=404)
        if req["status"] == "pending" and _expired(req, now):
            return "expired", req["short_code"], None
        if req["status"] != "approved":
            return req["status"], req["short_code"], None
        device_token = sec.token(32)
        cur = db.execute(
            "INSERT INTO devices (name, token_hash, person_id, approved_by, created_at, last_seen_at) VALUES (?,?,?,?,?,?)",
            (req["device_name"], sec.token_hash(device_token), req["person_id"], req["decided_by"], now, now),
        )
        db.execute(
            "UPDATE pairing_requests SET status = 'collected', device_id = ? WHERE id = ?",
            (cur.lastrowid, req["id"]),
        )
        audit.record(db, f"device:{cur.lastrowid}", "device.paired", {"device": cur.lastrowid, "name": req["device_name"]}, now)
    return "approved", req["short_code"], device_token


def device_for_token(store, device_token, now=None, touch_after=60):
    """The live device a credential belongs to, or None (unknown or revoked)."""
    if not device_token:
        return None
    row = store.one("SELECT * FROM devices WHERE token_hash = ?", (sec.token_hash(device_token),))
    if row is None or row["revoked_at"] is not None:
        return None
    now = clock.wall() if now is None else now
    # last_seen is for the admin's list; writing it at most once a minute keeps requests cheap.
    if row["last_seen_at"] is None or now - row["last_seen_at"] > touch_after:
        store.best_effort("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, row["id"]))  # a full disk must not fail the read
    return row


def devices(store):
    return store.all(
        "SELECT d.*, p.name AS person_name, lp.name AS last_person_name FROM devices d "
        "LEFT JOIN people p ON p.id = d.person_id LEFT JOIN people lp ON lp.id = d.last_person "
        "ORDER BY d.revoked_at IS NOT NULL, d.name, d.id"
    )


def revoke(store, actor_id, device_id, now=None):
    now = clock.wall() if now is None else now
    with store.write() as db:
        row = db.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone()
        if row is None:
            raise NotFound("no_device", _l("No such device."))
        if row["revoked_at"] is not None:
            return
        db.execute("UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ?", (now, actor_id, device_id))
        db.execute(
            "UPDATE sessions SET ended_at = ?, end_reason = 'device_revoked' WHERE device_id = ? AND ended_at IS NULL",
            (now, device_id),
        )
        audit.record(db, actor_id, "device.revoke", {"device": device_id, "name": row["name"]}, now)
