"""The Flask application factory and what every request passes through.

A request flows one way: blueprint (thin) -> domain function -> store. Here live the pieces
every area shares: the sealed gate, identity, security headers, error pages and JSON errors.
"""

import logging
import os
import time

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

import webui
from appliance import __version__, i18n
from appliance.config import Config
from appliance.errors import UserError
from appliance.store import custody
from appliance.web import apispec, auth, fingerprints, params
from appliance.web.state import Appliance, try_unlock_at_start

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; worker-src 'self' blob:"
)
OPEN_WHEN_SEALED = {"core.healthz", "core.sealed", "core.unlock", "core.set_language", "static", "core.ca_cert"}
log = logging.getLogger("yishi")


def build_app(config):
    if config is None:
        config = Config(data_dir=os.environ.get("YISHI_DATA", "data"))
    if isinstance(config, dict):
        config = Config(**config)
    app = Flask(
        "appliance",
        template_folder=webui.TEMPLATES,
        static_folder=webui.STATIC,
        static_url_path="/static",
    )
    app.request_class = params.YishiRequest
    fingerprints.install(app)
    app.url_map.converters["int"] = params.BoundedIntConverter
    app.config.update(
        # Only signs flash messages (sessions are server-side); one for all workers (custody.py).
        SECRET_KEY=custody.shared_secret() or os.urandom(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=config.extra.get("max_upload_bytes", 64 * 1024 * 1024),
        TESTING=config.testing,
    )
    i18n.init_app(app, webui.translation_dirs())
    appliance = Appliance(config)
    from appliance.devices import secrets_

    secrets_.set_pin_cost(appliance.settings.pin_hash_time_cost, appliance.settings.pin_hash_memory_kib)
    app.extensions["yishi"] = appliance
    try_unlock_at_start(appliance)

    from appliance.devices.api import bp as devices_api
    from appliance.devices.views import bp as devices_pages
    from appliance.documents.views import api as documents_api
    from appliance.documents.views import bp as documents_pages
    from appliance.office.api import bp as office_api
    from appliance.office.views import bp as office_pages
    from appliance.office.opinions_api import bp as opinions_api
    from appliance.office.opinions_views import bp as opinions_pages
    from appliance.meetings.api import bp as meetings_api
    from appliance.meetings.views import bp as meetings_pages
    from appliance.meetings.scrutiny_api import bp as scrutiny_api
    from appliance.meetings.scrutiny_views import bp as scrutiny_pages
    from appliance.usb.views import bp as usb_pages
    from appliance.clock_pages import bp as clock_pages
    from appliance.network.views import bp as network
    from appliance.web.core import bp as core
    from appliance.web.live import bp as live

    for bp in (core, live, devices_pages, devices_api, documents_pages, documents_api, meetings_pages, meetings_api,
               office_pages, office_api, opinions_pages, opinions_api, scrutiny_pages, scrutiny_api, usb_pages,
               clock_pages, network):
        app.register_blueprint(bp)
    for hook in config.extra.get("blueprints", ()):
        hook(app)

    @app.before_request
    def gate():
        g.t0 = time.monotonic()
        auth.check_origin()
        appliance.sync()  # unlocked or sealed by another worker meanwhile
        if appliance.sealed and request.endpoint not in OPEN_WHEN_SEALED:
            if request.path.startswith("/api/"):
                return apispec.json_error("sealed", i18n.gettext("The appliance is sealed: an administrator must unlock it."), 503)
            return render_template("sealed.html", initialised=appliance.initialised), 503
        auth.load_identity()
        return None

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` on its own
        # pages' POSTs (Fetch spec), and the Origin check could not tell our pages from any other.
        # Nothing is ever sent to another origin either way.
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers.setdefault("Cache-Control", "no-store" if request.endpoint != "static" else "public, max-age=3600")
        if config.secure_cookies:
            resp.headers["Strict-Transport-Security"] = "max-age=31536000"
        return resp

    @app.errorhandler(UserError)
    def user_error(e):
        if request.path.startswith("/api/"):
            return apispec.json_error(e.code, e.message, e.status, **_jsonable(e.details))
        return render_template("error.html", message=e.message, status=e.status), e.status

    @app.errorhandler(HTTPException)
    def http_error(e):
        messages = {
            401: i18n.gettext("Please sign in first."),
            403: i18n.gettext("You are not allowed to do this."),
            404: i18n.gettext("This page does not exist."),
            405: i18n.gettext("This action is not possible here."),
            413: i18n.gettext("The file is too large."),
        }
        msg = messages.get(e.code, e.name)
        if request.path.startswith("/api/"):
            return apispec.json_error(e.name.lower().replace(" ", "_"), msg, e.code)
        return render_template("error.html", message=msg, status=e.code), e.code

    @app.errorhandler(Exception)
    def crash(e):
        from appliance.web import storage

        failed = storage.error_response(appliance, e)  # a full disk or a damaged file says so
        if failed is not None:
            return failed
        log.exception("unhandled error on %s %s", request.method, request.path)
        msg = i18n.gettext("Something went wrong on the appliance. The staff have been told; please try again.")
        if request.path.startswith("/api/"):
            return apispec.json_error("internal", msg, 500)
        return render_template("error.html", message=msg, status=500), 500

    @app.template_filter("datetime")
    def fmt_datetime(ts):
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""  # minutes: seconds mean nothing on a page

    @app.template_filter("timeago")
    def fmt_timeago(ts, now=None):
        delta = int((now or time.time()) - ts)
        if delta < 90:
            return i18n.gettext("just now")
        if delta < 3600:
            return i18n.gettext("%(n)d minutes ago", n=delta // 60)
        return fmt_datetime(ts)

    @app.context_processor
    def inject():
        return {
            "me": g.get("person"),
            "device": g.get("device"),
            "locale": i18n.select_locale(),
            # a label and its value (反馈情况：1 / 1): Chinese text takes the full-width colon
            "colon": "：" if i18n.select_locale() == "zh_CN" else ": ",
            "large_type": request.cookies.get("large") == "1",
            "settings": appliance.settings,
            "version": __version__,
        }

    return app


def _jsonable(details):
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else {kk: str(vv) for kk, vv in v.items()} if isinstance(v, dict) else str(v)) for k, v in details.items()}


__all__ = ["build_app", "jsonify"]
