"""The JSON API under /api/v1 and its OpenAPI 3.1 description, kept in one place.

`api_route` registers a view and its description together, so an endpoint cannot exist without
being in `/api/openapi.json`. It also turns every failure into a JSON error
`{"error": {"code", "message"}}` in the caller's language: 401 without a session, never a
login page or a traceback.
"""

import functools
import json
import re
import unicodedata

import jsonschema

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


# SQLite stores integers in 64 bits; a larger id or number is simply not there.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": INT_MAX}
_KEEP = {"\t", "\n", "\r"}


def clean_text(value):
    """Text as a person typed it: control characters (NUL first of all) and lone surrogates
    removed. SQLite's length() stops at NUL and a surrogate cannot be encoded as UTF-8."""
    if not isinstance(value, str):
        return value
    if value.isprintable():
        return value
    return "".join(ch for ch in value if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs"))


def _clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean(v) for k, v in value.items()}
    return value


def _bounded(schema):
    """The schema as validated and published: every integer within SQLite's 64 bits, every
    string bounded (a title of a megabyte is a mistake, not a title)."""
    if isinstance(schema, list):
        return [_bounded(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: (_bounded(v) if k in ("items", "anyOf", "oneOf", "allOf") else
               {n: _bounded(s) for n, s in v.items()} if k == "properties" else v) for k, v in schema.items()}
    types = out.get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        out.setdefault("minimum", INT_MIN)
        out.setdefault("maximum", INT_MAX)
    if "string" in types and "enum" not in out and "format" not in out and "contentEncoding" not in out:
        out.setdefault("maxLength", 10_000)
    return out


def _problem(err):
    """A jsonschema error as the UserError a person reads: which field, and what is wrong."""
    path = [str(p) for p in err.absolute_path]
    if err.validator == "required":
        name = ".".join(path + [re.findall(r"'([^']+)'", err.message)[0]])
        return UserError("missing_field", _l("The field %(f)s is required.", f=name), field=name)
    name = ".".join(path) or "body"
    if err.validator == "maxLength":
        msg = _l("The field %(f)s is too long.", f=name)
    elif err.validator in ("enum", "const"):
        msg = _l("The field %(f)s must be one of the offered choices.", f=name)
    elif err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        msg = _l("The field %(f)s is out of range.", f=name)
    elif err.validator in ("pattern", "format", "minLength"):
        msg = _l("The field %(f)s is not in the expected form.", f=name)
    elif name == "body":
        msg = _l("Send a JSON object in the request body.")
    else:
        msg = _l("The field %(f)s has the wrong type.", f=name)
    return UserError("bad_json" if name == "body" else "bad_field", msg, field=name)


def _validator(schema):
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate(validator, data):
    err = jsonschema.exceptions.best_match(validator.iter_errors(data), key=jsonschema.exceptions.relevance)
    if err is not None:
        raise _problem(err)
    return data


def _form_value(values, schema):
    """One multipart field, typed as the schema says (a form knows only strings)."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if "array" in types:
        return [_form_value([v], schema.get("items", {})) for v in values]
    v = clean_text(values[-1])
    if "integer" in types and re.fullmatch(r"-?[0-9]{1,19}", v.strip()):
        return int(v)
    if "null" in types and v == "":
        return None
    if "boolean" in types and v in ("1", "on", "true", "0", "off", "false", ""):
        return v in ("1", "on", "true")
    return v


def _form_body(schema):
    props = schema.get("properties", {})
    data = {}
    for name in request.form:
        data[name] = _form_value(request.form.getlist(name), props.get(name, {}))
    return data


def _parse_body(spec):
    """The request body as a dict checked against the operation's schema (g.body)."""
    if request.mimetype == "multipart/form-data" and spec["multipart"]:
        data = _form_body(spec["schema"])
        if request.files.get("file") is not None:
            data.pop("file", None)
            return validate(spec["form_validator"], data)
        return validate(spec["validator"], data)
    raw = request.get_data(cache=True)
    if not raw.strip() and not spec["required"]:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise UserError("bad_json", _l("Send a JSON object in the request body.")) from None
    return validate(spec["validator"], _clean(data))


def json_body():
    """The validated body of this request (a dict), or a clear 400 when there is none."""
    data = g.get("body")
    if data is None:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise UserError("bad_json", _l("Send a JSON object in the request body."))
        data = _clean(data)
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
    if kind is int and not INT_MIN <= v <= INT_MAX:
        raise UserError("bad_field", _l("The field %(f)s is out of range.", f=name), field=name)
    return v


def _openapi_path(rule):
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def _form_schema(schema):
    """The multipart variant of a body: the file as a binary part, every field as form text."""
    props = {}
    for name, s in schema.get("properties", {}).items():
        props[name] = {"type": "string", "format": "binary"} if name == "file" else s
    return {**schema, "properties": props}


def api_route(bp, rule, method, summary, *, roles=None, auth=True, body=None, multipart=False, query=None,
              response=None, media_type="application/json", tags=None):
    """Register `rule` on an /api/v1 blueprint with its OpenAPI description.

    auth: a signed-in person is required (401 otherwise); roles: and one of these roles (403).
    body: the JSON schema of the request body: the view finds it validated in `g.body` (and
    `json_body()`); a body that does not match answers 400 naming the field, before the view
    runs. multipart: the same fields may come as multipart/form-data with a `file` part.
    query: {name: schema} of the query parameters, validated the same way (into `g.query`).
    media_type: what a successful answer is (a document's bytes, a DOCX, an event stream), or
    a tuple of the types it may be.
    """
    body = _bounded(body) if body else None
    query = {k: _bounded(v) for k, v in (query or {}).items()}
    spec_body = None
    if body:
        form = _form_schema(body)
        form_required = [r for r in form.get("required", []) if r != "file"]
        spec_body = {
            "schema": body, "required": bool(body.get("required")), "multipart": multipart,
            "validator": _validator(body),
            "form_validator": _validator({**form, "properties": {k: v for k, v in form["properties"].items() if k != "file"},
                                          "required": form_required}),
        }
    query_validator = _validator({"type": "object", "properties": query}) if query else None
    media_types = (media_type,) if isinstance(media_type, str) else tuple(media_type)

    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if auth and g.get("person") is None:
                return json_error("unauthenticated", _l("Please sign in first."), 401)
            if roles and not g.person.has(*roles):
                return json_error("forbidden", _l("You are not allowed to do this."), 403)
            if spec_body is not None:
                g.body = _parse_body(spec_body)
            if query_validator is not None:
                g.query = validate(query_validator, {k: _form_value(request.args.getlist(k), query[k])
                                                     for k in query if k in request.args})
            return view(*args, **kwargs)

        wrapped._api_auth = auth
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        path = _openapi_path((bp.url_prefix or "") + rule)
        int_params = set(re.findall(r"<int:([a-z_]+)>", rule))
        params = re.findall(r"{([a-z_]+)}", path)
        op = {
            "summary": summary,
            "operationId": f"{bp.name}.{view.__name__}",
            "tags": tags or [bp.name],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {m: {"schema": response or {"type": "object"}} for m in media_types},
                },
                "default": {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            },
        }
        if media_types != ("application/json",):
            # Refusals before the content (not found, not allowed) still answer JSON.
            op["responses"]["200"]["content"]["application/json"] = {"schema": ERROR_SCHEMA}
        if params or query:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": ID_SCHEMA if p in int_params else {"type": "string", "maxLength": 200}}
                for p in params
            ] + [{"name": k, "in": "query", "required": False, "schema": s} for k, s in query.items()]
        if body:
            content = {"application/json": {"schema": body}}
            if multipart:
                content["multipart/form-data"] = {"schema": _form_schema(body)}
            op["requestBody"] = {"required": spec_body["required"], "content": content}
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
