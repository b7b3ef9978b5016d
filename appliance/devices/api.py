"""The tablet API for pairing, signing in and out, and the admin's device and people lists."""

from flask import Blueprint, g, jsonify, request

from appliance.devices import pairing, people, signin
from appliance.devices import sessions as sessions_mod
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.web import auth
from appliance.web.apispec import api_route, field, json_body, json_error

bp = Blueprint("devices_api", __name__, url_prefix="/api/v1")

PERSON = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "seat": {"type": ["integer", "null"]},
        "roles": {"type": "array", "items": {"type": "string"}},
    },
}


def _base_url():
    st = auth.appliance().settings
    return st.public_url or request.host_url


@api_route(
    bp, "/pair/start", "POST", "Present a pairing token from the QR code; get a short code to show",
    auth=False,
    body={"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}, "device_name": {"type": "string"}}},
    response={"type": "object", "properties": {"short_code": {"type": "string"}, "expires_at": {"type": "number"}}},
)
def pair_start():
    data = json_body()
    cfg = auth.appliance().config
    _, secret, code = pairing.start(
        auth.store(), field(data, "token"), field(data, "device_name", required=False, max_len=200), cfg.pairing_request_seconds
    )
    resp = jsonify({"short_code": code, "status": "pending"})
    auth.set_cookie(resp, auth.PAIRING_COOKIE, secret, max_age=cfg.pairing_request_seconds)
    return resp


@api_route(
    bp, "/pair/status", "GET", "How this tablet's pairing request stands; collects the device credential once approved",
    auth=False,
    response={"type": "object", "properties": {"status": {"enum": ["pending", "approved", "rejected", "expired", "collected"]}, "short_code": {"type": "string"}}},
)
def pair_status():
    status, code, device_token = pairing.poll(auth.store(), request.cookies.get(auth.PAIRING_COOKIE))
    resp = jsonify({"status": status, "short_code": code})
    if device_token:
        auth.set_cookie(resp, auth.DEVICE_COOKIE, device_token, max_age=auth.TEN_YEARS)
        auth.clear_cookie(resp, auth.PAIRING_COOKIE)
    if status == "rejected":
        auth.clear_cookie(resp, auth.PAIRING_COOKIE)
    return resp


@api_route(
    bp, "/signin/people", "GET", "Whom this paired tablet may sign in (name and seat)", auth=False,
    response={"type": "object", "properties": {"people": {"type": "array", "items": PERSON}}},
)
def signin_people():
    if g.device is None:
        return json_error("device_not_paired", _l("PIN sign-in works only on a paired tablet. Ask the staff to pair this device."), 403)
    return jsonify({"people": [p.to_json() for p in signin.choosable(auth.store(), g.device)]})


@api_route(
    bp, "/signin", "POST", "Sign in with a PIN on a paired tablet", auth=False,
    body={"type": "object", "required": ["person_id", "pin"], "properties": {"person_id": {"type": "integer"}, "pin": {"type": "string"}}},
    response={"type": "object", "properties": {"person": PERSON}},
)
def signin_pin():
    data = json_body()
    person, sid = signin.with_pin(auth.store(), auth.appliance().config, g.device, data.get("person_id"), data.get("pin"))
    resp = jsonify({"person": person.to_json()})
    auth.set_cookie(resp, auth.SESSION_COOKIE, sid)
    return resp


@api_route(
    bp, "/login", "POST", "Sign in with a user name and password (admins and office staff)", auth=False,
    body={"type": "object", "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}},
    response={"type": "object", "properties": {"person": PERSON}},
)
def login_password():
    data = json_body()
    person, sid = signin.with_password(auth.store(), auth.appliance().config, data.get("username"), data.get("password"))
    resp = jsonify({"person": person.to_json()})
    auth.set_cookie(resp, auth.SESSION_COOKIE, sid)
    return resp


@api_route(bp, "/signout", "POST", "End this session on the server")
def signout():
    sessions_mod.end(auth.store(), request.cookies.get(auth.SESSION_COOKIE), "logout")
    resp = jsonify({"ok": True})
    auth.clear_cookie(resp, auth.SESSION_COOKIE)
    return resp


@api_route(bp, "/me", "GET", "Who is signed in, on which device", response={"type": "object", "properties": {"person": PERSON}})
def me():
    d = g.device
    return jsonify({"person": g.person.to_json(), "device": {"id": d["id"], "name": d["name"]} if d else None})


# -- admin -----------------------------------------------------------------------------------

@api_route(
    bp, "/admin/invites", "POST", "Make a one-time pairing invitation (URL for the QR code)", roles=("admin",),
    response={"type": "object", "properties": {"url": {"type": "string"}, "wifi": {"type": "string"}, "expires_at": {"type": "number"}}},
)
def admin_invite():
    from appliance.devices import qr

    a = auth.appliance()
    _, url, expires = pairing.create_invite(a.store, g.person.id, _base_url(), a.config.pairing_invite_seconds)
    return jsonify({"url": url, "wifi": qr.wifi_string(a.settings.wifi_ssid, a.settings.wifi_passphrase), "expires_at": expires})


@api_route(bp, "/admin/pairing", "GET", "Pending pairing requests with their short codes", roles=("admin",))
def admin_pending():
    return jsonify({"requests": [dict(r) for r in pairing.pending(auth.store())]})


@api_route(
    bp, "/admin/pairing/<request_id>/approve", "POST", "Approve a pairing request (optionally for one person)", roles=("admin",),
    body={"type": "object", "properties": {"person_id": {"type": ["integer", "null"]}}},
)
def admin_approve(request_id):
    data = json_body()
    person_id = field(data, "person_id", int, required=False)
    return jsonify({"status": pairing.decide(auth.store(), g.person.id, request_id, True, person_id)})


@api_route(bp, "/admin/pairing/<request_id>/reject", "POST", "Reject a pairing request", roles=("admin",))
def admin_reject(request_id):
    return jsonify({"status": pairing.decide(auth.store(), g.person.id, request_id, False)})


@api_route(bp, "/admin/devices", "GET", "Paired devices: name, who, last seen, revoked", roles=("admin",))
def admin_devices():
    return jsonify({"devices": [
        {k: d[k] for k in ("id", "name", "person_name", "last_person_name", "created_at", "last_seen_at", "revoked_at")}
        for d in pairing.devices(auth.store())
    ]})


@api_route(bp, "/admin/devices/<int:device_id>/revoke", "POST", "Revoke a device: it is out at its next request", roles=("admin",))
def admin_revoke(device_id):
    pairing.revoke(auth.store(), g.person.id, device_id)
    return jsonify({"ok": True})


@api_route(bp, "/admin/people", "GET", "Everyone with their roles and seats", roles=("admin", "staff", "secretary"),
           response={"type": "object", "properties": {"people": {"type": "array", "items": PERSON}}})
def admin_people():
    return jsonify({"people": [p.to_json() for p in people.everyone(auth.store())]})


@api_route(
    bp, "/admin/people", "POST", "Add a person", roles=("admin",),
    body={"type": "object", "required": ["name", "roles"], "properties": {
        "name": {"type": "string"}, "roles": {"type": "array", "items": {"enum": list(people.ROLES)}},
        "seat": {"type": ["integer", "null"]}, "pin": {"type": "string"}, "username": {"type": "string"}, "password": {"type": "string"}}},
    response={"type": "object", "properties": {"person": PERSON}},
)
def admin_add_person():
    data = json_body()
    roles = data.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise UserError("bad_field", _l("Choose at least one role from the list."), field="roles")
    p = people.create(
        auth.store(), g.person.id, field(data, "name", max_len=64), roles,
        seat=field(data, "seat", int, required=False), pin=field(data, "pin", required=False),
        username=field(data, "username", required=False), password=field(data, "password", required=False),
    )
    return jsonify({"person": p.to_json()})


@api_route(bp, "/admin/seal", "POST", "Seal the appliance: every worker closes the store until an admin unlocks it again",
           roles=("admin",), response={"type": "object", "properties": {"sealed": {"type": "boolean"}}})
def seal():
    auth.appliance().seal(actor=g.person.id)
    return jsonify({"sealed": True})
