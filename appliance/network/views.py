"""The network's pages and API (thin): the admin page's network section and the red air-gap
banner come from here into every template that includes them, and `GET /api/v1/network` gives
live.js pages the banner again when an `airgap` event arrives.
"""

import os
import time

from flask import Blueprint, before_render_template, g

from appliance.network import alerts, status
from appliance.web import auth
from appliance.web.apispec import api_route
from appliance.web.events import broadcaster

bp = Blueprint("network", __name__, url_prefix="/api/v1")

BANNER_ROLES = ("admin", "secretary", "chair")


def _follow(state):
    app = state.app
    appliance = app.extensions.get("yishi")
    if appliance is None or appliance.config.extra.get("airgap_follow") is False:
        return
    if not os.path.exists(status.network_file(appliance.config)):
        return  # no network provisioned (a development machine): nothing to follow, no thread
    follower = alerts.Follower(appliance, lambda *a: broadcaster(app).publish(*a))
    app.extensions["yishi_airgap"] = follower
    appliance.on_unlock(lambda store: follower.start())


bp.record_once(_follow)


def _banner(appliance):
    person = g.get("person")
    if person is None or not person.has(*BANNER_ROLES):
        return []
    report = alerts.current(appliance.config)
    return alerts.messages(report.findings) if report is not None else []


def _inject(app, template, context, **extra):
    appliance = app.extensions.get("yishi")
    if appliance is None:
        return
    context.setdefault("airgap_banner", lambda: _banner(appliance))
    context.setdefault("network_overview", lambda: status.overview(appliance.config))


before_render_template.connect(_inject)


@api_route(bp, "/network", "GET", "The meeting network: mode, tablets on it against its limit, air-gap findings",
           roles=BANNER_ROLES, tags=["network"],
           response={"type": "object", "properties": {"mode": {"type": ["string", "null"]},
                                                      "stations": {"type": ["integer", "null"]},
                                                      "limit": {"type": ["integer", "null"]},
                                                      "level": {"type": "string"},
                                                      "airgap": {"type": "array"}}})
def network():
    a = auth.appliance()
    o = status.overview(a.config)
    net, cap = o["network"], o["capacity"]
    return {"mode": net.mode if net else None, "stations": cap.count, "limit": cap.limit, "level": cap.level,
            "airgap": _banner(a), "at": time.time()}
