"""The order of voting that LAW.md asks for, as warnings for the secretary's console.

- an amendment is voted before the bill it amends;
- laws and regulations (法规案) come before other items;
- appointments and removals: for the same post, the removal before the appointment (先免后任).

"Before" is judged on what actually happened where it has happened: an item whose vote has been
held (`held_at`, when its first poll opened) came before every item not held yet, and two held
items are ordered by when they were held. Only two items neither of which has been voted on
are ordered by their agenda position. So an amendment added after its bill (it can only point
at an item that already exists) but voted first raises nothing, and a warning about something
already held says so (`held`): it can no longer be fixed by reordering, only recorded.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: int
    position: int
    kind: str
    amends: int | None = None
    post: str | None = None
    action: str | None = None
    held_at: float | None = None  # when this item's first poll was opened; None: not voted on yet


@dataclass(frozen=True)
class Warning:
    code: str
    item: int
    other: int
    held: bool = False  # the wrong order has already happened (both or the later one voted on)


def comes_before(a, b):
    """Does (or did) item `a` come before item `b`?"""
    if a.held_at is not None and b.held_at is not None:
        return a.held_at < b.held_at
    if a.held_at is not None or b.held_at is not None:
        return a.held_at is not None
    return a.position < b.position


def _held(wrongly_first):
    """The item that came too early has been voted on: the wrong order is a fact now."""
    return wrongly_first.held_at is not None


def order_warnings(items):
    by_id = {i.id: i for i in items}
    out = []
    for i in items:
        bill = by_id.get(i.amends) if i.kind == "amendment" else None
        if bill is not None and bill.id != i.id and comes_before(bill, i):
            out.append(Warning("amendment_after_bill", i.id, bill.id, _held(bill)))
    regulations = [i for i in items if i.kind == "regulation"]
    for other in items:
        if other.kind in ("regulation", "amendment", "report"):
            continue
        for r in regulations:
            if comes_before(other, r):
                out.append(Warning("regulation_after_other", r.id, other.id, _held(other)))
                break
    for a in items:
        if a.kind == "appointment" and a.action == "appoint" and a.post:
            for r in items:
                if r.kind == "appointment" and r.action == "remove" and r.post == a.post and comes_before(a, r):
                    out.append(Warning("appoint_before_remove", a.id, r.id, _held(a)))
    return out


def proposed_order(ids, item_id, position):
    """The agenda `ids` (in order) with `item_id` moved to 1-based `position`."""
    rest = [i for i in ids if i != item_id]
    return rest[: position - 1] + [item_id] + rest[position - 1:]


def held_items_moved(old_ids, new_ids, held):
    """Held items (ids in `held`) whose agenda number would change: an item whose vote has been
    opened keeps the number the room heard it announced under."""
    old = {i: n for n, i in enumerate(old_ids)}
    return [i for n, i in enumerate(new_ids) if i in held and old[i] != n]
