"""What the office areas share: recipient groups, deadlines, form fields, and live notifications
with the number waiting in each person's inbox."""

import datetime
import time

from appliance.devices import people
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l

GROUPS = {
    "members": (("member",), _l("All committee members")),
    "attendees": (("attendee",), _l("All non-voting attendees")),
    "staff": (("staff", "secretary"), _l("All office staff")),
    "leaders": (("leader",), _l("All leaders")),
    "everyone": (None, _l("Everyone")),
}
MAX_RECIPIENTS = 500


def group_labels():
    return [(key, label) for key, (_, label) in GROUPS.items()]


def resolve_recipients(store, person_ids=(), groups=(), exclude=None):
    """Person ids from explicit ids and group names, checked against the active people."""
    person_ids = list(person_ids or [])
    groups = list(groups or [])
    if any(isinstance(p, bool) or not isinstance(p, int) for p in person_ids):
        raise UserError("bad_recipients", _l("Choose the recipients from the list."), field="recipients")
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise UserError("bad_group", _l("Unknown group: %(g)s.", g=str(unknown[0])[:40]), field="groups")
    active = {p.id: p for p in people.everyone(store)}
    missing = [p for p in person_ids if p not in active]
    if missing:
        raise UserError("bad_recipients", _l("Some chosen people do not exist or are no longer active."), field="recipients")
    chosen = set(person_ids)
    for g in groups:
        roles, _ = GROUPS[g]
        chosen.update(p.id for p in active.values() if roles is None or p.has(*roles))
    if exclude is not None:
        chosen.discard(exclude)
    if not chosen:
        raise UserError("no_recipients", _l("Choose at least one person or group."), field="recipients")
    if len(chosen) > MAX_RECIPIENTS:
        raise UserError("too_many_recipients", _l("Too many recipients."), field="recipients")
    return sorted(chosen)


def parse_deadline(value, now=None):
    """A deadline from a form or JSON: epoch seconds, 'YYYY-MM-DD' (end of that day, local
    time) or 'YYYY-MM-DDTHH:MM'. It must lie in the future."""
    now = time.time() if now is None else now
    ts = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ts = float(value)
    elif isinstance(value, str) and value.strip():
        v = value.strip()
        try:
            if len(v) == 10:
                d = datetime.datetime.strptime(v, "%Y-%m-%d")
                ts = (d + datetime.timedelta(days=1)).timestamp() - 1
            else:
                ts = datetime.datetime.fromisoformat(v).timestamp()
        except ValueError:
            ts = None
    if ts is None:
        raise UserError("bad_deadline", _l("Enter the deadline as a date, e.g. 2026-12-31."), field="deadline")
    if ts <= now:
        raise UserError("deadline_in_past", _l("The deadline must be in the future."), field="deadline")
    return ts


def clean_text(value, name, max_len, required=True):
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f=name), field=name)
    if required and not value:
        raise UserError("missing_field", _l("The field %(f)s is required.", f=name), field=name)
    if len(value) > max_len:
        raise UserError("too_long", _l("The text is too long (at most %(n)d characters).", n=max_len), field=name)
    return value


def names(store, ids):
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r["id"]: r["name"] for r in store.all(f"SELECT id, name FROM people WHERE id IN ({marks})", tuple(ids))}


def _serving():
    from flask import has_app_context

    return has_app_context()


def publish(topic, event, data):
    """Push a live event if we are serving a request (the domain works without Flask too)."""
    if not _serving():
        return 0
    from flask import current_app

    from appliance.web.events import broadcaster

    return broadcaster(current_app).publish(topic, event, data)


def notify(store, person_ids, event, data):
    """Push `event` to each person's pages and tablets with the number now waiting in their
    inbox, so the live badge and the home tile always show the same number."""
    if not _serving():
        return
    for p in person_ids:
        publish(f"person:{p}", event, {**data, "count": inbox_count(store, p)})


# What waits in one person's inbox, by kind: the conditions of the inbox lists
# (circulation.inbox, consultation.waiting_for, outgoing.pending_for), counted in one query.
_WAITING = {
    "circulations": "SELECT count(*) FROM circulation_recipients r JOIN circulations c ON c.id = r.circulation_id "
                    "WHERE r.person_id = :person AND r.read_at IS NULL AND c.status = 'open'",
    "consultations": "SELECT count(*) FROM consultation_people cp JOIN consultations c ON c.id = cp.consultation_id "
                     "WHERE cp.person_id = :person AND cp.responded_at IS NULL AND c.status = 'open' AND c.deadline >= :now",
    "signoff": "SELECT count(*) FROM outgoing o JOIN outgoing_steps s ON s.outgoing_id = o.id AND s.position = o.position "
               "WHERE o.status = 'in_progress' AND s.person_id = :person",
}


def waiting(store, person_id, now=None):
    """How many things of each kind wait for one person: {"circulations": n, "consultations": n, "signoff": n}."""
    row = store.one("SELECT " + ", ".join(f"({sql}) AS {kind}" for kind, sql in _WAITING.items()),
                    {"person": person_id, "now": time.time() if now is None else now})
    return {kind: row[kind] for kind in _WAITING}


def inbox_count(store, person_id, now=None):
    return sum(waiting(store, person_id, now).values())


def year_of(ts):
    return time.localtime(ts).tm_year
