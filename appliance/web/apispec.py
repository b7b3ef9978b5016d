"""The JSON API under /api/v1 and its OpenAPI 3.1 description, kept in one place.

`api_route` registers a view and its description together, so an endpoint cannot exist without
being in `/api/openapi.json`. It also turns every failure into a JSON error
`{"error": {"code", "message"}}` in the caller's language: 401 without a session, never a
login page or a traceback.
"""

import functools
import re

from flask import g, jsonify, request

from appliance import __version__
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l

OPERATIONS = {}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def json_error(code, message, status, **extra):
    body = {"error": {"code": code, "message": str(message), **extra}}
    return jsonify(body), status


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise UserError("bad_json", _l("Send a JSON object in the request body."))
    return data


def field(data, name, kind=str, required=True, max_len=500):
    v = data.get(name)
    if v is None:
        if required:
            raise UserError("missing_field", _l("The field %(f)s is required.", f=name), field=name)
        return None
    if kind is int and isinstance(v, bool) or not isinstance(v, kind):
        raise UserError("bad_field", _l("The field %(f)s has the wrong type.", f=name), field=name)
    if kind is str and len(v) > max_len:
        raise UserError("bad_field", _l("The field %(f)s is too long.", f=name), field=name)
    return v


def _openapi_path(rule):
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def api_route(bp, rule, method, summary, *, roles=None, auth=True, body=None, response=None, tags=None):
    """Register `rule` on an /api/v1 blueprint with its OpenAPI description.

    auth: a signed-in person is required (401 otherwise); roles: and one of these roles (403).
    """

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if auth and g.get("person") is None:
                return json_error("unauthenticated", _l("Please sign in first."), 401)
            if roles and not g.person.has(*roles):
                return json_error("forbidden", _l("You are not allowed to do this."), 403)
            return view(*args, **kwargs)

        wrapped._api_auth = auth
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        path = _openapi_path((bp.url_prefix or "") + rule)
        params = re.findall(r"{([a-z_]+)}", path)
        op = {
            "summary": summary,
            "operationId": f"{bp.name}.{view.__name__}",
            "tags": tags or [bp.name],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": response or {"type": "object"}}},
                },
                "default": {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            },
        }
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
            ]
        if body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if auth:
            op["security"] = [{"session": []}]
            if roles:
                op["x-roles"] = list(roles)
        else:
            op["security"] = []
        OPERATIONS.setdefault(path, {})[method.lower()] = op
        return wrapped

    return deco


def document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Yishi (议事) tablet API",
            "version": __version__,
            "description": "Everything a paired tablet does. Errors are JSON objects "
            "{error: {code, message}} with the message in the caller's language.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "yishi_session"},
            },
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "paths": {p: OPERATIONS[p] for p in sorted(OPERATIONS)},
    }
