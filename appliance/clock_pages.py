"""The clock in the browser: the banner while it is unconfirmed, the admin's confirm-or-set page,
and the confirm that rides along with an unlock. Thin: appliance/timekeeping.py does the work.
"""

import logging
import time
from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from appliance import clock, timekeeping
from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.rules import timekeeping as rules
from appliance.web import auth
from appliance.web.core import HOME_LINKS

bp = Blueprint("clock", __name__)
HOME_LINKS.append((("admin",), "clock.admin_clock", _l("Device clock")))
# Who sees the banner: the people whose records carry the time (console, office, admin pages).
BANNER_ROLES = ("admin", "secretary", "staff", "chair")
# How often a worker moves the last good time forward (boot-clock seconds): one small file
# read per worker per half minute, not per request.
TICK_EVERY = 30
log = logging.getLogger("yishi")
_last_tick = {}  # data folder -> boot-clock time of this worker's last tick


def _data_dir():
    return auth.appliance().config.data_dir


def _setter():
    return auth.appliance().config.extra.get("clock_setter")


@bp.record_once
def _wire(state):
    appliance = state.app.extensions["yishi"]
    appliance.on_unlock(lambda store: timekeeping.audit_provisioning(store, appliance.config.data_dir))
    s = timekeeping.status(appliance.config.data_dir)
    if s.behind:  # the journal says so too, for whoever reads it before the pages
        log.warning("the wall clock is %.0f s behind the last time known to be good: it is wrong "
                    "until an administrator sets it (/admin/clock)", s.behind_by)


@bp.before_app_request
def tick():
    now, data_dir = clock.boot(), _data_dir()
    if data_dir in _last_tick and now - _last_tick[data_dir] < TICK_EVERY:
        return
    _last_tick[data_dir] = now
    try:
        timekeeping.tick(data_dir)
    except OSError:  # a full or read-only data folder is shown by the storage notice, not here
        pass


@bp.app_context_processor
def inject():
    def clock_state():
        return timekeeping.status(_data_dir())

    return {"clock_state": clock_state, "clock_banner_roles": BANNER_ROLES}


def local_text(ts):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def parse_local(text):
    """A time typed on the admin page (`datetime-local`: 2026-12-07T14:30 or with seconds), in
    the appliance's time zone. None if malformed."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime((text or "").strip(), fmt)
        except ValueError:
            continue
        return time.mktime(parsed.timetuple())
    return None


def proposed_from(form):
    """The time the admin gave: a typed one if any, else the browser's own clock."""
    typed = form.get("typed_time", "").strip()
    if typed:
        return parse_local(typed), "typed"
    return rules.parse_epoch_ms(form.get("browser_time", "")), "browser"


def _apply(actor):
    proposed, source = proposed_from(request.form)
    done = timekeeping.set_or_confirm(auth.store(), _data_dir(), actor, proposed,
                                      allow_backwards=request.form.get("allow_backwards") == "1",
                                      source=source, setter=_setter())
    if done["jump"]:
        return _("The clock was set to %(t)s (it said %(b)s). The change is in the audit log.",
                 t=local_text(done["after"]), b=local_text(done["before"]))
    return _("The clock is confirmed: %(t)s.", t=local_text(done["after"]))


@bp.route("/admin/clock", methods=["GET", "POST"])
@auth.page_login_required("admin")
def admin_clock():
    error = None
    if request.method == "POST":
        try:
            flash(_apply(g.person.id), "ok")
            return redirect(url_for("clock.admin_clock"))
        except UserError as e:
            error = e
    state = timekeeping.status(_data_dir())
    return render_template("clock/admin.html", state=state, now_text=local_text(state.wall),
                           last_good_text=local_text(state.last_good) if state.last_good else "",
                           error=error), (error.status if error else 200)


def confirm_at_unlock(form):
    """After a successful unlock: the admin ticked "the time on this computer is right"."""
    if form.get("clock_confirm") != "1":
        return
    try:
        flash(_apply("admin:web"), "ok")
    except UserError as e:
        flash(e.message, "error")
