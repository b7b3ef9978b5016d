"""The order of voting that LAW.md asks for, as warnings for the secretary's console.

- an amendment is voted before the bill it amends;
- laws and regulations (法规案) come before other items;
- appointments and removals: for the same post, the removal before the appointment (先免后任).
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


@dataclass(frozen=True)
class Warning:
    code: str
    item: int
    other: int


def order_warnings(items):
    by_id = {i.id: i for i in items}
    out = []
    for i in items:
        if i.kind == "amendment" and i.amends in by_id and by_id[i.amends].position < i.position:
            out.append(Warning("amendment_after_bill", i.id, i.amends))
    regulations = [i for i in items if i.kind == "regulation"]
    for other in items:
        if other.kind in ("regulation", "amendment", "report"):
            continue
        for r in regulations:
            if other.position < r.position:
                out.append(Warning("regulation_after_other", r.id, other.id))
                break
    for a in items:
        if a.kind == "appointment" and a.action == "appoint" and a.post:
            for r in items:
                if r.kind == "appointment" and r.action == "remove" and r.post == a.post and r.position > a.position:
                    out.append(Warning("appoint_before_remove", a.id, r.id))
    return out
