"""The 导出 / 导入 / 备份 pages (office staff and admin): the stick's live state, the meeting
picker, the import list and the backup stick.

Thin like every blueprint: read the form, call appliance.usb.door, render or redirect with a
flash. The stick's state panel is one fragment (`/office/usb/panel`), rendered here for every
page and fetched again by webui/static/js/usb.js on each `usb.state` event through live.js.
"""

import functools
import time

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.rules import usb as rules
from appliance.usb.door import TOPIC, Door, Watcher
from appliance.web import auth
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS
from appliance.web.live import TOPIC_PROVIDERS

bp = Blueprint("usb", __name__, url_prefix="/office/usb")
USB_ROLES = ("staff", "admin")
PAGES = ("export", "import", "backup")

HOME_LINKS.append((USB_ROLES, "usb.export_page", _l("USB stick: export, import, backup")))


def _usb_topics(store, person, args):
    return {TOPIC} if args.get("usb") and person.has(*USB_ROLES) else set()


TOPIC_PROVIDERS.append(_usb_topics)


@bp.record_once
def _watch_from_the_start(setup_state):
    """Serving (not under tests, which make hundreds of apps), each worker starts its watcher at
    once, so the nightly backup runs even when nobody opens a USB page."""
    if not setup_state.app.config.get("TESTING"):
        door(setup_state.app)


def door(app=None):
    """The app's door (channel and spool from the config, else the appliance's defaults), with
    its watcher started in this process (only one process watches at a time)."""
    app = app or current_app._get_current_object()  # the thread outlives the request
    d = app.extensions.get("yishi_usb")
    if d is None:
        from appliance.web.events import broadcaster

        extra = app.extensions["yishi"].config.extra
        d = app.extensions["yishi_usb"] = Door(extra.get("usb_channel"), extra.get("usb_spool"))
        appliance = app.extensions["yishi"]
        Watcher(d, lambda *event: broadcaster(app).publish(*event), lambda: appliance.store,
                data_dir=appliance.config.data_dir).start()
    return d


def action(view):
    """POST actions: a UserError becomes a flash on the page the user came from."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except UserError as e:
            if e.status in (401, 403):
                raise
            flash(str(e.message), "error")
            return _back()

    return wrapped


def _back():
    page = request.form.get("page")
    return redirect(url_for(f"usb.{page}_page" if page in PAGES else "usb.export_page"))


def _panel_context(page):
    from appliance.usb.importer import safe_name

    state = door().status()
    # A stick's names and descriptors are untrusted: shown only made harmless (no control or
    # bidi characters), and Jinja escapes them as well.
    for f in state.get("files") or ():
        f["shown"] = " / ".join(safe_name(part) for part in str(f.get("name", "")).split("/"))
    stick = {k: (safe_name(v, 64) if isinstance(v, str) else v) for k, v in (state.get("stick") or {}).items()}
    state["others"] = [{k: (safe_name(v, 64) if isinstance(v, str) else v) for k, v in o.items()}
                       for o in state.get("others") or ()]
    return {"usb": state, "stick": stick, "page": page, "rules": rules, "mb": _mb,
            "progress": _progress(state)}


def _mb(n):
    return f"{(n or 0) / 2**20:,.1f}"


def _progress(state):
    total = state.get("bytes_total") or 0
    return int(100 * (state.get("bytes_done") or 0) / total) if total else 0


# ---- pages --------------------------------------------------------------------------------------

@bp.get("/")
@page_login_required(*USB_ROLES)
def index():
    return redirect(url_for("usb.export_page"))


@bp.get("/panel")
@page_login_required(*USB_ROLES)
def panel():
    page = request.args.get("page")
    return render_template("usb/_panel.html", **_panel_context(page if page in PAGES else "export"))


@bp.get("/state")
@page_login_required(*USB_ROLES)
def state_json():
    """The helper's state as the page sees it (the passphrase never is in it)."""
    return jsonify(door().status())


@bp.get("/export")
@page_login_required(*USB_ROLES)
def export_page():
    from appliance.usb import export

    year = request.args.get("year", type=int)
    meetings = export.exportable_meetings(auth.store())
    years = sorted({m["year"] for m in meetings}, reverse=True)
    shown = [m for m in meetings if year is None or m["year"] == year]
    return render_template("usb/export.html", meetings=shown, years=years, year=year, **_panel_context("export"))


@bp.post("/export")
@page_login_required(*USB_ROLES)
@action
def export_start():
    from appliance.usb import export

    ids = _ids("meeting")
    year = request.form.get("whole_year", type=int)
    if year and not ids:
        ids = [m["id"] for m in export.exportable_meetings(auth.store(), year=year)]
        if not ids:
            raise UserError("usb_empty_year", _l("No closed meeting with minutes in %(year)d.", year=year))
    door().start_export(auth.store(), current_app.extensions["yishi"].config.data_dir, ids, actor_id=g.person.id,
                        archive_passphrase=request.form.get("archive_passphrase") or None)
    flash(_("The export is being written to the stick. Do not pull it out until it says it is safe."), "ok")
    return redirect(url_for("usb.export_page"))


@bp.get("/import")
@page_login_required(*USB_ROLES)
def import_page():
    from appliance.usb import importer

    job = request.args.get("job", "")
    scanned = None
    if job:
        folder = door().fetched_folder(job)
        if folder is not None:
            scanned = importer.scan(folder)
    return render_template("usb/import.html", job=job, scanned=scanned, **_panel_context("import"))


@bp.post("/import/fetch")
@page_login_required(*USB_ROLES)
@action
def import_fetch():
    job = door().start_fetch(_ids("file"), actor_id=g.person.id, store=auth.store())
    return redirect(url_for("usb.import_page", job=job))


@bp.post("/import/ingest")
@page_login_required(*USB_ROLES)
@action
def import_ingest():
    from appliance.usb import importer

    d = door()
    job = request.form.get("job", "")
    folder = d.fetched_folder(job)
    if folder is None:
        raise UserError("usb_no_files", _l("These files are no longer waiting: read them from the stick again."))
    if request.form.get("target") == "circulation":
        target = importer.ToCirculation(title=request.form.get("title", ""))
    else:
        target = importer.ToArchive(category=request.form.get("category") or "收文")
    facts = d.job_facts(job) or {}
    ids = importer.ingest(auth.store(), folder, request.form.getlist("ref"), actor_id=g.person.id, target=target,
                          stick=facts.get("stick"))
    d.forget(job)
    flash(_("%(n)d documents imported.", n=len(ids)), "ok")
    return redirect(url_for("usb.import_page"))


@bp.get("/backup")
@page_login_required(*USB_ROLES)
def backup_page():
    from appliance.usb import backup

    st = auth.store()
    status = backup.status(st, time.time())
    return render_template("usb/backup.html", backup=status, designated=door_designated(st), **_panel_context("backup"))


def door_designated(store):
    from appliance.usb.door import designated_stick

    return designated_stick(store)


@bp.post("/backup")
@page_login_required(*USB_ROLES)
@action
def backup_start():
    door().start_backup(auth.store(), current_app.extensions["yishi"].config.data_dir, actor_id=g.person.id)
    flash(_("The backup is being written to the stick. Do not pull it out until it says it is safe."), "ok")
    return redirect(url_for("usb.backup_page"))


@bp.post("/backup/designate")
@page_login_required(*USB_ROLES)
@action
def backup_designate():
    from appliance.usb.door import designate

    designate(auth.store(), door().status(), actor_id=g.person.id)
    flash(_("This stick is now the backup stick: leave it in the appliance for the nightly backup."), "ok")
    return redirect(url_for("usb.backup_page"))


@bp.post("/unlock")
@page_login_required(*USB_ROLES)
@action
def unlock():
    door().unlock(request.form.get("passphrase", ""), store=auth.store(), actor_id=g.person.id)
    return _back()


@bp.post("/eject")
@page_login_required(*USB_ROLES)
@action
def eject():
    door().eject(store=auth.store(), actor_id=g.person.id)
    return _back()


def _ids(name):
    out = []
    for x in request.form.getlist(name):
        try:
            out.append(int(x))
        except ValueError:
            raise UserError("usb_bad_choice", _l("Choose from the list.")) from None
    return out
