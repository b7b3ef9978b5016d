"""Server-side sign-in sessions with idle and absolute timeouts.

The browser holds only a random session id (HttpOnly cookie); the store holds its hash, who it
is for, on which device, and when it was last used. Signing out, revoking the device or a
timeout ends the session on the server, so a copied cookie is worth nothing afterwards.

Both timeouts run on the boot clock (appliance/clock.py), with the wall-clock times kept beside
for the record: a wall clock stepped two hours forward (an admin confirming the time, an RTC
fitted) used to sign every tablet out at once, and one stepped back kept sessions alive longer.
A session from an earlier boot is judged by the wall clock, the only clock the boots share.
"""

from appliance import clock
from appliance.devices import secrets_ as sec
from appliance.store import audit

TOUCH_AFTER = 60  # seconds: refresh last_seen at most this often (a write per request is waste)


def begin(store, person_id, device_id, method, now=None):
    now = clock.wall() if now is None else now
    t = clock.stamp(now)
    sid = sec.token(32)
    with store.write() as db:
        db.execute(
            "INSERT INTO sessions (id_hash, person_id, device_id, method, created_at, last_seen_at, boot_id, created_boot, "
            "last_seen_boot) VALUES (?,?,?,?,?,?,?,?,?)",
            (sec.token_hash(sid), person_id, device_id, method, now, now, t["boot_id"], t["boot"], t["boot"]),
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
    now = clock.wall() if now is None else now
    h = sec.token_hash(sid)
    row = store.one("SELECT * FROM sessions WHERE id_hash = ?", (h,))
    if row is None or row["ended_at"] is not None:
        return None
    if row["device_id"] is not None and row["device_id"] != device_id:
        return None
    reason = None
    seen = clock.since(row["last_seen_at"], row["boot_id"], row["last_seen_boot"], now)
    if clock.since(row["created_at"], row["boot_id"], row["created_boot"], now) > absolute:
        reason = "absolute_timeout"
    elif seen > idle:
        reason = "idle_timeout"
    if reason:
        end(store, sid, reason, now)
        return None
    if seen > TOUCH_AFTER:
        t = clock.stamp(now)
        # Used in a later boot than it began in: its start is then only on the wall clock.
        created_boot = row["created_boot"] if row["boot_id"] == t["boot_id"] else None
        store.best_effort("UPDATE sessions SET last_seen_at = ?, boot_id = ?, last_seen_boot = ?, created_boot = ? WHERE id_hash = ?",
                          (now, t["boot_id"], t["boot"], created_boot, h))  # a full disk must not fail the read
    return row


def end(store, sid, reason="logout", now=None):
    now = clock.wall() if now is None else now
    h = sec.token_hash(sid)
    with store.write() as db:
        row = db.execute("SELECT person_id FROM sessions WHERE id_hash = ? AND ended_at IS NULL", (h,)).fetchone()
        if row is None:
            return
        db.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id_hash = ?", (now, reason, h))
        audit.record(db, row[0], f"signout.{reason}", {}, now)
