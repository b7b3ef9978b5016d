"""The agenda's order: moving one item, setting the whole order, and the order in which polls
were actually held (for the rule checker and the minutes).

Positions are renumbered 1..n in one transaction. UNIQUE(meeting_id, position) holds at every
statement, so the items first step aside to negative positions (-id, unique) and then take
their new numbers.

An item whose vote has been opened keeps its number: the room heard the result announced under
it, the big screen and the tablets showed it, and the record says "item N". Moving such an item,
or moving another item across it so that its number changes, is refused (409 `item_held`);
everything else can be rearranged around it. The minutes give both the agenda order and the
order in which polls were held, with times.
"""

import time

from appliance.errors import Conflict, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules.agenda import held_items_moved, proposed_order
from appliance.store import audit


def held_at(db, meeting_id):
    """{item id: when its first poll was opened} for the items voted on (or being voted on)."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT p.item_id, min(p.opened_at) FROM polls p JOIN agenda_items i ON i.id = p.item_id "
        "WHERE i.meeting_id = ? AND p.opened_at IS NOT NULL GROUP BY p.item_id", (meeting_id,)).fetchall()}


def _ids(db, meeting_id):
    return [r[0] for r in db.execute("SELECT id FROM agenda_items WHERE meeting_id = ? ORDER BY position", (meeting_id,)).fetchall()]


def _open_meeting(db, meeting_id):
    m = db.execute("SELECT status FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if m is None:
        raise NotFound("no_meeting", _l("No such meeting."))
    if m[0] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed; its agenda can no longer be changed."))


def _apply(db, actor_id, meeting_id, old, new, now, **details):
    moved = held_items_moved(old, new, set(held_at(db, meeting_id)))
    if moved:
        title = db.execute("SELECT title FROM agenda_items WHERE id = ?", (moved[0],)).fetchone()[0]
        raise Conflict("item_held", _l("“%(title)s” has already been voted on and keeps its number %(n)d; move the other items around it.",
                                       title=title, n=old.index(moved[0]) + 1), item=moved[0])
    if new == old:
        return new
    db.execute("UPDATE agenda_items SET position = -id WHERE meeting_id = ?", (meeting_id,))
    db.executemany("UPDATE agenda_items SET position = ? WHERE id = ?", [(n, i) for n, i in enumerate(new, start=1)])
    audit.record(db, actor_id, "agenda.order", {"meeting": meeting_id, "from": old, "to": new, **details}, now)
    return new


def move(store, actor_id, meeting_id, item_id, position, now=None):
    """Move one item to 1-based `position`; the others keep their relative order. Returns the new order."""
    now = time.time() if now is None else now
    if not isinstance(position, int) or isinstance(position, bool):
        raise UserError("bad_position", _l("Choose a position in the agenda."), field="position")
    with store.write() as db:
        _open_meeting(db, meeting_id)
        old = _ids(db, meeting_id)
        if item_id not in old:
            raise NotFound("no_item", _l("No such agenda item."))
        if not 1 <= position <= len(old):
            raise UserError("bad_position", _l("Choose a position from 1 to %(n)d.", n=len(old)), field="position")
        return _apply(db, actor_id, meeting_id, old, proposed_order(old, item_id, position), now, item=item_id, position=position)


def set_order(store, actor_id, meeting_id, ids, now=None):
    """Set the whole order: `ids` must list every item of the meeting exactly once."""
    now = time.time() if now is None else now
    if not isinstance(ids, list) or any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise UserError("bad_order", _l("Send the items as a list of their ids."), field="items")
    with store.write() as db:
        _open_meeting(db, meeting_id)
        old = _ids(db, meeting_id)
        if len(ids) != len(old) or set(ids) != set(old):
            missing = [i for i in old if i not in ids]
            unknown = [i for i in dict.fromkeys(ids) if i not in old]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            raise UserError("not_a_permutation",
                            _l("List every item of this meeting exactly once, in the new order (%(n)d items).", n=len(old)),
                            field="items", missing=missing, unknown=unknown, repeated=repeated)
        return _apply(db, actor_id, meeting_id, old, list(ids), now)


def held_order(store, meeting_id):
    """The polls in the order they were actually held (opened), with their items' agenda numbers."""
    return store.all(
        "SELECT p.id, p.title, p.status, p.method, p.passed, p.opened_at, p.closed_at, i.position, i.title AS item_title "
        "FROM polls p JOIN agenda_items i ON i.id = p.item_id WHERE i.meeting_id = ? AND p.opened_at IS NOT NULL "
        "ORDER BY p.opened_at, p.id", (meeting_id,))


def _outcome(store, row):
    """(the outcome in a few words, how it was counted) for the held-order list, for any poll kind."""
    from appliance.meetings import polls

    r = polls.result(store, row["id"]) if row["status"] == "closed" else None
    if r is None:
        return "未完成", ""
    method = {"show_of_hands": "，举手表决", "hand_count": "，纸质表决票（监票人计票）"}.get(r.method, "")
    kind = getattr(r, "kind", "motion")
    o = getattr(r, "outcome", None) or {}
    if kind == "motion":
        return ("通过" if r.passed else "未通过"), method
    if kind == "assessment":
        return ("测评结果：满意" if o.get("outcome") == "satisfied" else "测评结果：不满意"), method
    if kind == "appointment":
        return "；".join(f"{x['name']}{'通过' if x['passed'] else '未通过'}" for x in o.get("nominees", [])), method
    return "当选：" + ("、".join(e["name"] for e in o.get("elected", [])) or "无"), method


def _hhmm(t):
    return time.strftime("%H:%M", time.localtime(t)) if t is not None else "—"


def minutes_lines(store, meeting_id):
    """The minutes' section on the order of voting: (kind, text) lines as appliance.meetings.minutes draws them."""
    rows = held_order(store, meeting_id)
    out = [("h2", "表决顺序（按实际表决先后）")]
    if not rows:
        out.append(("p", "本次会议未进行表决。"))
    for n, r in enumerate(rows, start=1):
        outcome, hands = _outcome(store, r)
        out.append(("p", f"{n}. {_hhmm(r['opened_at'])}–{_hhmm(r['closed_at'])}　{r['title']}（议程第 {r['position']} 项{hands}）：{outcome}"))
    return out
