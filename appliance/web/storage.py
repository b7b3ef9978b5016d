"""What people see when the disk under the store fails: a full disk, a damaged file.

The store (appliance/store/db.py) tells the two apart and remembers them in its `Health`; this
module puts them into words. A request that fails on them gets a message that says so (a
ballot's 507 "storage is full" is retryable, with the same ballot id), instead of "something
went wrong". The admin page and the secretary's console show a notice while the problem lasts,
and the admin's version names the file, the folder and what to do.

Templates get `storage_notice()` and `unlock_problem` through Flask's `before_render_template`
signal, so the pages that show them need no code of their own.
"""

import logging
import os

from flask import before_render_template, g, render_template, request

from appliance.i18n import lazy_gettext as _l
from appliance.store.db import DAMAGED, FULL, problem_of
from appliance.web import apispec

LOW_SPACE_BYTES = 64 * 1000 * 1000  # below this the admin is warned before the disk is full
log = logging.getLogger("yishi")

FAILED = {
    FULL: ("storage_full", 507, _l("The appliance's storage is full, so this was not saved. The admin page and the "
                                   "secretary's console show it; try again once space has been freed.")),
    DAMAGED: ("storage_damaged", 500, _l("The appliance's data file is damaged, so this could not be read. The admin "
                                         "page shows it; please tell the staff.")),
}


class Notice:
    def __init__(self, kind, text):
        self.kind, self.text = kind, text


def _mb(n):
    return f"{n / 1e6:.1f} MB"


def notice(appliance, person=None):
    """The storage notice for a page, or None: the admin's version names the file and what to do."""
    st = appliance.store
    if st is None:
        return None
    h = st.health
    admin = person is not None and person.has("admin")
    folder = os.path.dirname(os.path.abspath(st.path))
    if h.damage:
        if admin:
            return Notice(DAMAGED, _l(
                "The store %(path)s is damaged (%(detail)s). What can still be read keeps working, but some "
                "records cannot be read. Restore the last USB backup onto this appliance, then restart it.",
                path=st.path, detail=h.damage[:300]))
        return Notice(DAMAGED, _l("The appliance's data file is damaged: some records cannot be read. Tell the administrator."))
    free = h.free_bytes()
    if h.full_at:
        if admin:
            return Notice(FULL, _l(
                "The data partition %(folder)s is full (%(free)s left): votes, sign-ins and uploads cannot be saved. "
                "Free space there (old exports or logs; never yishi.db, yishi.db-wal, yishi.db-shm or keyring.json); "
                "saving resumes by itself.", folder=folder, free=_mb(free or 0)))
        return Notice(FULL, _l("The appliance's storage is full: votes and sign-ins are not being saved. Tell the administrator now."))
    if admin and free is not None and free < LOW_SPACE_BYTES:
        return Notice("low", _l("Only %(free)s left on the data partition %(folder)s: free space before the store fills up.",
                                free=_mb(free), folder=folder))
    return None


def error_response(appliance, exc):
    """For the crash handler: the response to a request that failed on the store's disk, or None."""
    st = appliance.store
    kind = st.saw(exc) if st is not None else problem_of(exc)  # saw() also drops a damaged connection
    if kind is None:
        return None
    log.error("%s %s failed: storage %s: %s", request.method, request.path, kind, exc)
    code, status, message = FAILED[kind]
    if request.path.startswith("/api/"):
        return apispec.json_error(code, message, status)
    return render_template("storage_problem.html", message=message, status=status), status


def _inject(app, template, context, **extra):
    appliance = app.extensions.get("yishi")
    if appliance is None:
        return
    context.setdefault("storage_notice", lambda: notice(appliance, g.get("person")))
    context.setdefault("unlock_problem", appliance.unlock_problem)


before_render_template.connect(_inject)
