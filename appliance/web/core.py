"""Pages that belong to no one area: health, sealed/unlock, language, CA certificate, home."""

import os
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for

from appliance import __version__
from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.web import apispec, auth

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    a = auth.appliance()
    return jsonify({"ok": True, "sealed": a.sealed, "version": __version__})


@bp.get("/sealed")
def sealed():
    a = auth.appliance()
    if not a.sealed:
        return redirect(url_for("core.home"))
    return render_template("sealed.html", initialised=a.initialised), 503


@bp.post("/unlock")
def unlock():
    a = auth.appliance()
    if not a.sealed:
        return redirect(url_for("core.home"))
    try:
        a.unlock(passphrase=request.form.get("passphrase", ""), actor="admin:web")
    except UserError as e:
        return render_template("sealed.html", initialised=a.initialised, error=e.message), e.status
    flash(_("The appliance is unlocked."), "ok")
    from appliance import clock_pages

    clock_pages.confirm_at_unlock(request.form)
    return redirect(url_for("devices.login"))


@bp.get("/lang/<code>")
def set_language(code):
    from appliance.i18n import LOCALES

    if code not in LOCALES:
        abort(404)
    resp = redirect(safe_next(request.args.get("next")))
    resp.set_cookie("lang", code, max_age=auth.TEN_YEARS, samesite="Strict", secure=auth.appliance().config.secure_cookies)
    return resp


@bp.get("/large/<int:on>")
def set_large_type(on):
    resp = redirect(safe_next(request.args.get("next")))
    resp.set_cookie("large", "1" if on else "0", max_age=auth.TEN_YEARS, samesite="Strict", secure=auth.appliance().config.secure_cookies)
    return resp


@bp.get("/ca.crt")
def ca_cert():
    path = os.path.join(auth.appliance().config.data_dir, "tls", "ca.crt")
    if not os.path.exists(path):
        abort(404)
    return send_file(path, mimetype="application/x-x509-ca-cert", as_attachment=True, download_name="yishi-ca.crt")


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(apispec.document())


@bp.get("/")
def home():
    if g.person is None:
        return redirect(url_for("devices.signin" if g.device else "devices.welcome"))
    panels = [entry for provider in HOME_PANELS for entry in provider(auth.store(), g.person)]
    return render_template("home.html", links=home_links(g.person), panels=panels)


HOME_LINKS = []  # (roles or None, endpoint, label): areas add their own entries
HOME_PANELS = []  # fn(store, person) -> [(url, title, note)]: what needs the person now, shown first


def home_links(person):
    return [(ep, label) for roles, ep, label in HOME_LINKS if roles is None or person.has(*roles)]


def safe_next(target):
    """A `next=` target that stays on this appliance: a path of ours, or home.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    `/%09/evil.example` is `//evil.example` to them: anything with those is refused."""
    home = url_for("core.home")
    if not isinstance(target, str) or not target.startswith("/"):
        return home
    if any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in target):
        return home
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return home
    return target
