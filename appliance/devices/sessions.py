"""Server-side sign-in sessions with idle and absolute timeouts.

The browser holds only a random session id (HttpOnly cookie); the store holds its hash, who it
is for, on which device, and when it was last used. Signing out, revoking the device or a
timeout ends the session on the server, so a copied cookie is worth nothing afterwards.
"""

import time

from appliance.devices import secrets_ as sec
from appliance.store import audit

TOUCH_AFTER = 60  # seconds: refresh last_seen at most this often (a write per request is waste)


def begin(store, person_id, device_id, method, now=None):
    now = time.time() if now is None else now
    sid = sec.token(32)
    with store.write() as db:
        db.execute(
            "INSERT INTO sessions (id_hash, person_id, device_id, method, created_at, last_seen_at) VALUES (?,?,?,?,?,?)",
            (sec.token_hash(sid), person_id, device_id, method, now, now),
        )
        if device_id:
            db.execute("UPDATE devices SET last_person = ? WHERE id = ?", (person_id, device_id))
        audit.record(db, person_id, f"signin.{method}", {"device": device_id}, now)
    return sid


def current(store, sid, device_id, idle, absolute, now=None):
    """The live session row for this cookie, or None. Ends it on the server when it has timed out.

    A PIN session is bound to its device: the same cookie presented without that device's
    credential is refused.
    """
    if not sid:
        return None
    now = time.time() if now is None else now
    h = sec.token_hash(sid)
    row = store.one("SELECT * FROM sessions WHERE id_hash = ?", (h,))
    if row is None or row["ended_at"] is not None:
        return None
    if row["device_id"] is not None and row["device_id"] != device_id:
        return None
    reason = None
    if now - row["created_at"] > absolute:
        reason = "absolute_timeout"
    elif now - row["last_seen_at"] > idle:
        reason = "idle_timeout"
    if reason:
        end(store, sid, reason, now)
        return None
    if now - row["last_seen_at"] > TOUCH_AFTER:
        store.best_effort("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (now, h))  # a full disk must not fail the read
    return row


def end(store, sid, reason="logout", now=None):
    now = time.time() if now is None else now
    h = sec.token_hash(sid)
    with store.write() as db:
        row = db.execute("SELECT person_id FROM sessions WHERE id_hash = ? AND ended_at IS NULL", (h,)).fetchone()
        if row is None:
            return
        db.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id_hash = ?", (now, reason, h))
        audit.record(db, row[0], f"signout.{reason}", {}, now)
