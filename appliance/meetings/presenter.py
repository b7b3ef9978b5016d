"""Follow the presenter (同屏 / 同步翻页): one material of a meeting shown on every tablet at the
page and zoom of the person driving it.

The chair or secretary starts it on a material and drives it, or hands the drive to someone on
the meeting's list (the person reporting on the item) with one tap; only the current driver can
turn; stopping releases every tablet. The state is one row per meeting in the encrypted store
(migration presentations), so every worker process answers the same; a tablet that opens the
reader late reads it there. Turns are pushed (appliance/meetings/presenter_api.py); starting,
handing over and stopping are audited, turns are not (they are many and say nothing).
"""

import time
from dataclasses import dataclass

from appliance.devices import people
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core
from appliance.store import audit

MIN_SCALE, MAX_SCALE = 0.25, 6.0


@dataclass(frozen=True)
class Presentation:
    meeting_id: int
    material_id: int
    document_id: int
    title: str
    pages: int
    version: int
    driver_id: int
    driver_name: str
    page: int
    scale: float | None  # None: fit to width
    seq: int
    item_id: int | None

    def to_json(self):
        return {"active": True, "meeting": self.meeting_id, "material": self.material_id, "document": self.document_id,
                "title": self.title, "pages": self.pages, "version": self.version, "driver": self.driver_id,
                "driver_name": self.driver_name, "page": self.page, "scale": self.scale, "seq": self.seq, "item": self.item_id}


def stopped_json(meeting_id):
    return {"active": False, "meeting": meeting_id}


_SELECT = (
    "SELECT pr.*, ma.document_id, ma.item_id, ma.recalled_at, d.title, v.pages, v.version, p.name AS driver_name, m.status AS meeting_status "
    "FROM presentations pr JOIN materials ma ON ma.id = pr.material_id JOIN documents d ON d.id = ma.document_id "
    "JOIN document_versions v ON v.id = d.current_version JOIN people p ON p.id = pr.driver_id "
    "JOIN meetings m ON m.id = pr.meeting_id WHERE pr.meeting_id = ?"
)


def _row_to(row):
    if row is None or row["recalled_at"] is not None or row["meeting_status"] == "closed":
        return None  # a recalled material or a closed meeting presents nothing
    return Presentation(meeting_id=row["meeting_id"], material_id=row["material_id"], document_id=row["document_id"],
                        title=row["title"], pages=max(1, row["pages"] or 1), version=row["version"], driver_id=row["driver_id"],
                        driver_name=row["driver_name"], page=min(row["page"], max(1, row["pages"] or 1)), scale=row["scale"],
                        seq=row["seq"], item_id=row["item_id"])


def current(store, meeting_id):
    """The meeting's presentation, or None."""
    return _row_to(store.one(_SELECT, (meeting_id,)))


def presenting(store, document_id):
    """(meeting id, Presentation) of every meeting now presenting this document."""
    rows = store.all("SELECT pr.meeting_id FROM presentations pr JOIN materials ma ON ma.id = pr.material_id WHERE ma.document_id = ?",
                     (document_id,))
    out = []
    for r in rows:
        p = current(store, r[0])
        if p is not None:
            out.append(p)
    return out


def _open_meeting(store, meeting_id):
    m = core.get(store, meeting_id)
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    return m


def _check_driver(store, meeting_id, driver_id):
    driver = people.get(store, driver_id) if isinstance(driver_id, int) else None
    if driver is None or not driver.active:
        raise NotFound("no_driver", _l("No such person. Choose someone on the list of this meeting."), field="driver")
    if core.participant(store, meeting_id, driver.id) is None and not driver.has(*core.CONSOLE_ROLES):
        raise UserError("driver_not_expected", _l("%(name)s is not on the list of this meeting: hand the presentation to someone who is.",
                                                  name=driver.name), field="driver")
    return driver


def start(store, actor, meeting_id, material_id, driver_id=None, now=None):
    """同屏 on a material of this meeting, driven by `driver_id` (default: whoever starts it),
    from page 1 at fit-to-width. Starting again on another material replaces the first."""
    _open_meeting(store, meeting_id)
    material = store.one("SELECT * FROM materials WHERE id = ?", (material_id,)) if isinstance(material_id, int) else None
    if material is None or material["meeting_id"] != meeting_id:
        raise NotFound("not_a_material", _l("This material does not belong to this meeting."), field="material")
    if material["recalled_at"] is not None:
        raise Conflict("material_recalled", _l("This material has been recalled and cannot be presented."), field="material")
    driver = _check_driver(store, meeting_id, actor.id if driver_id is None else driver_id)
    now = time.time() if now is None else now
    with store.write() as db:
        db.execute("DELETE FROM presentations WHERE meeting_id = ?", (meeting_id,))
        db.execute("INSERT INTO presentations (meeting_id, material_id, driver_id, page, scale, seq, started_by, started_at, updated_at) "
                   "VALUES (?,?,?,1,NULL,0,?,?,?)", (meeting_id, material_id, driver.id, actor.id, now, now))
        audit.record(db, actor.id, "presenter.start", {"meeting": meeting_id, "material": material_id, "driver": driver.id}, now)
    return current(store, meeting_id)


def _active(store, meeting_id):
    p = current(store, meeting_id)
    if p is None:
        raise Conflict("not_presenting", _l("Nothing is being presented in this meeting."))
    return p


def hand_over(store, actor, meeting_id, driver_id, now=None):
    """Give the drive to another person (one tap on the console)."""
    _open_meeting(store, meeting_id)
    p = _active(store, meeting_id)
    driver = _check_driver(store, meeting_id, driver_id)
    now = time.time() if now is None else now
    with store.write() as db:
        db.execute("UPDATE presentations SET driver_id = ?, seq = seq + 1, updated_at = ? WHERE meeting_id = ?", (driver.id, now, meeting_id))
        audit.record(db, actor.id, "presenter.hand_over",
                     {"meeting": meeting_id, "material": p.material_id, "from": p.driver_id, "to": driver.id}, now)
    return current(store, meeting_id)


def turn(store, person, meeting_id, page, scale=None, now=None):
    """The driver's page turn (and zoom): only the current driver may turn."""
    p = _active(store, meeting_id)
    if person.id != p.driver_id:
        raise Forbidden("not_driving", _l("Only %(name)s, who is presenting now, can turn the pages. Ask the chair to hand the presentation to you.",
                                          name=p.driver_name))
    if not isinstance(page, int) or isinstance(page, bool) or page < 1 or page > p.pages:
        raise UserError("bad_page", _l("This document has pages 1 to %(n)d.", n=p.pages), field="page")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float)) or not MIN_SCALE <= scale <= MAX_SCALE):
        raise UserError("bad_scale", _l("Choose a zoom from 0.25 to 6 (25 to 600 percent)."), field="scale")
    now = time.time() if now is None else now
    with store.write() as db:
        db.execute("UPDATE presentations SET page = ?, scale = ?, seq = seq + 1, updated_at = ? WHERE meeting_id = ?",
                   (page, None if scale is None else float(scale), now, meeting_id))
    return current(store, meeting_id)


def stop(store, actor, meeting_id, now=None):
    """Release every tablet. Returns whether something was being presented."""
    now = time.time() if now is None else now
    with store.write() as db:
        row = db.execute("SELECT material_id, driver_id FROM presentations WHERE meeting_id = ?", (meeting_id,)).fetchone()
        if row is None:
            return False
        db.execute("DELETE FROM presentations WHERE meeting_id = ?", (meeting_id,))
        audit.record(db, actor.id, "presenter.stop", {"meeting": meeting_id, "material": row[0], "driver": row[1]}, now)
    return True
