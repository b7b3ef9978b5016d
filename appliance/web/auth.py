"""Who is asking: the device credential, the sign-in session, and the checks on them.

Two cookies, both HttpOnly, SameSite=Strict, and Secure whenever served over HTTPS:
`yishi_device` (the paired tablet's credential) and `yishi_session` (a server-side session).
A revoked device or an ended session is out at its very next request.
"""

import functools
from flask import abort, current_app, g, redirect, request, url_for

from appliance.devices import pairing, people, sessions
from appliance.errors import Forbidden
from appliance.i18n import lazy_gettext as _l

DEVICE_COOKIE = "yishi_device"
SESSION_COOKIE = "yishi_session"
PAIRING_COOKIE = "yishi_pairing"
TEN_YEARS = 10 * 365 * 86400


def appliance():
    return current_app.extensions["yishi"]


def store():
    return appliance().store


def set_cookie(response, name, value, max_age=None):
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=appliance().config.secure_cookies,
        samesite="Strict",
        path="/",
    )


def clear_cookie(response, name):
    response.delete_cookie(name, path="/", httponly=True, samesite="Strict", secure=appliance().config.secure_cookies)


def load_identity():
    """before_request: fill g.device, g.session, g.person from the cookies."""
    g.device = g.session = g.person = None
    st = store()
    if st is None:
        return
    cfg = appliance().config
    g.device = pairing.device_for_token(st, request.cookies.get(DEVICE_COOKIE))
    row = sessions.current(
        st,
        request.cookies.get(SESSION_COOKIE),
        g.device["id"] if g.device else None,
        cfg.session_idle_seconds,
        cfg.session_absolute_seconds,
    )
    if row is not None:
        person = people.get(st, row["person_id"])
        if person and person.active:
            g.session, g.person = row, person


def appliance_origin():
    """The one origin this appliance's pages are served from, as a browser names it."""
    scheme = "https" if appliance().config.secure_cookies else request.scheme
    return f"{scheme}://{request.host}"


def check_origin():
    """Refuse state-changing requests from anywhere but our own pages (CSRF), on top of
    SameSite=Strict: the exact origin, scheme and port included. Every browser sends Origin on
    a POST (fetch and forms alike); a script must send it too. `null` (sandboxed frames, file:
    pages, some redirects) and a missing Origin are refused, as is plain http:// for the same host.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("Origin") != appliance_origin():
        raise Forbidden("bad_origin", _l("This request did not come from the appliance's own pages. Reload the page and try again."))


def page_login_required(*roles):
    """For HTML pages: send a visitor without a session to the right sign-in page."""

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.person is None:
                target = "devices.signin" if g.device else "devices.login"
                return redirect(url_for(target, next=request.path))
            if roles and not g.person.has(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco
