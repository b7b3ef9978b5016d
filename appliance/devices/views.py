"""Pages for pairing, signing in and the admin's people and devices (thin: parse, call, render)."""

import time

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from appliance import clock
from appliance.devices import pairing, people, qr, sessions, signin
from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit
from appliance.web import auth
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS, safe_next

bp = Blueprint("devices", __name__)

HOME_LINKS.extend([
    (("admin",), "devices.admin_pair", _l("Pair a tablet")),
    (("admin",), "devices.admin_devices", _l("Devices")),
    (("admin", "staff", "secretary"), "devices.admin_people", _l("People")),
    (("admin",), "devices.admin_audit", _l("Audit log")),
])


@bp.get("/welcome")
def welcome():
    if g.device is not None:
        return redirect(url_for("devices.signin"))
    return render_template("devices/welcome.html")


@bp.get("/pair")
def pair():
    return render_template("devices/pair.html")


@bp.route("/signin", methods=["GET", "POST"], endpoint="signin")
def signin_page():
    if g.device is None:
        return redirect(url_for("devices.welcome"))
    st = auth.store()
    error = None
    chosen = request.form.get("person_id", type=int)
    if request.method == "POST":
        try:
            _, sid = signin.with_pin(st, auth.appliance().config, g.device, chosen, request.form.get("pin", ""))
        except UserError as e:
            error = e.message
        else:
            resp = redirect(safe_next(request.args.get("next")))
            auth.set_cookie(resp, auth.SESSION_COOKIE, sid)
            return resp
    choices = signin.choosable(st, g.device)
    if chosen is None and choices and g.device["person_id"]:
        chosen = choices[0].id
    return render_template("devices/signin.html", choices=choices, chosen=chosen, error=error), (401 if error else 200)



@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = request.form.get("username", "")
    if request.method == "POST":
        try:
            _, sid = signin.with_password(auth.store(), auth.appliance().config, username, request.form.get("password", ""))
        except UserError as e:
            error = e.message
        else:
            resp = redirect(safe_next(request.args.get("next")))
            auth.set_cookie(resp, auth.SESSION_COOKIE, sid)
            return resp
    return render_template("devices/login.html", username=username, error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    sessions.end(auth.store(), request.cookies.get(auth.SESSION_COOKIE) or "", "logout")
    resp = redirect(url_for("core.home"))
    auth.clear_cookie(resp, auth.SESSION_COOKIE)
    return resp


# -- admin -----------------------------------------------------------------------------------

@bp.get("/admin/pair")
@page_login_required("admin")
def admin_pair():
    a = auth.appliance()
    _, url, expires = pairing.create_invite(
        a.store, g.person.id, a.settings.public_url or request.host_url, a.config.pairing_invite_seconds
    )
    wifi = qr.wifi_string(a.settings.wifi_ssid, a.settings.wifi_passphrase)
    return render_template(
        "devices/admin_pair.html",
        wifi_svg=qr.svg(wifi), pair_svg=qr.svg(url), url=url, expires=expires,
        seconds=int(expires - clock.wall()), ssid=a.settings.wifi_ssid, wifi_passphrase=a.settings.wifi_passphrase,
    )


@bp.get("/admin/devices")
@page_login_required("admin")
def admin_devices():
    from appliance.usb import backup

    st = auth.store()
    now = time.time()
    return render_template(
        "devices/admin_devices.html",
        pending=pairing.pending(st), devices=pairing.devices(st), people=people.everyone(st), now=now,
        backup=backup.status(st, now),
    )


@bp.get("/admin/devices/pending")
@page_login_required("admin")
def admin_pending_fragment():
    st = auth.store()
    return render_template("devices/_pending.html", pending=pairing.pending(st), people=people.everyone(st))


@bp.post("/admin/pairing/<request_id>/<decision>")
@page_login_required("admin")
def admin_decide(request_id, decision):
    if decision not in ("approve", "reject"):
        return redirect(url_for("devices.admin_devices"))
    person_id = request.form.get("person_id", type=int) or None
    try:
        status = pairing.decide(auth.store(), g.person.id, request_id, decision == "approve", person_id)
        flash(_("Approved: the tablet is now paired.") if status == "approved" else _("Rejected: the tablet was not paired."), "ok")
    except UserError as e:
        flash(str(e.message), "error")
    return redirect(url_for("devices.admin_devices"))


@bp.post("/admin/devices/<int:device_id>/revoke")
@page_login_required("admin")
def admin_revoke(device_id):
    try:
        pairing.revoke(auth.store(), g.person.id, device_id)
        flash(_("The device is revoked; it is signed out at its next request."), "ok")
    except UserError as e:
        flash(str(e.message), "error")
    return redirect(url_for("devices.admin_devices"))


@bp.route("/admin/people", methods=["GET", "POST"])
@page_login_required("admin", "staff", "secretary")
def admin_people():
    st = auth.store()
    from werkzeug.datastructures import MultiDict

    errors, form = {}, MultiDict()
    if request.method == "POST":
        if not g.person.has("admin"):
            return redirect(url_for("devices.admin_people"))
        form = request.form
        seat = form.get("seat", "").strip()
        try:
            people.create(
                st, g.person.id, form.get("name", ""), form.getlist("roles"),
                seat=int(seat) if seat.isdigit() else (None if not seat else -1),
                pin=form.get("pin") or None, username=form.get("username") or None, password=form.get("password") or None,
            )
            flash(_("Added."), "ok")
            return redirect(url_for("devices.admin_people"))
        except UserError as e:
            errors = e.details.get("fields", {}) or {"_": e.message}
    return render_template(
        "devices/admin_people.html", people=people.everyone(st, active_only=False), roles=people.ROLES,
        role_labels=people.ROLE_LABELS, errors=errors, form=form, now=time.time(),
    ), (400 if errors else 200)


@bp.post("/admin/people/<int:person_id>/pin")
@page_login_required("admin")
def admin_set_pin(person_id):
    try:
        people.set_pin(auth.store(), g.person.id, person_id, request.form.get("pin", ""))
        flash(_("The PIN is changed and the lock is lifted."), "ok")
    except UserError as e:
        flash(str(e.message), "error")
    return redirect(url_for("devices.admin_people"))


@bp.post("/admin/people/<int:person_id>/unlock")
@page_login_required("admin", "staff", "secretary")
def admin_unlock(person_id):
    people.unlock(auth.store(), g.person.id, person_id)
    flash(_("Sign-in is unlocked."), "ok")
    return redirect(url_for("devices.admin_people"))


@bp.get("/admin/audit")
@page_login_required("admin")
def admin_audit():
    from appliance.devices import audit_ui

    st = auth.store()
    before = request.args.get("before", "")
    entries, older = audit_ui.rows(st, int(before) if before.isdigit() else None)
    return render_template("devices/admin_audit.html", entries=entries, older=older, newest=not before, verdict=audit.verify(st))
