"""What a request's query string and form fields may hold, checked once for every page and API.

Every value arrives cleaned of control characters (NUL first of all: SQLite's `length()` stops
at it, so a title that starts with NUL fails a CHECK deep in the store), and a number asked for
with `get(name, type=int)` or `to_id()` is a decimal that fits SQLite's 64-bit integer or it is
not there at all (the caller's default), never an OverflowError in the store.
"""

import re

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from appliance.web.apispec import INT_MAX, INT_MIN, clean_text

_DECIMAL = re.compile(r"-?[0-9]{1,19}")


def to_int(value, default=None):
    """A decimal integer within SQLite's range, or `default` (also for ² or ١ or 10**30)."""
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        n = int(value.strip())
    else:
        return default
    return n if INT_MIN <= n <= INT_MAX else default


def to_id(value):
    """A row id as typed into a form or a query (a positive 64-bit integer), or None."""
    n = to_int(value)
    return n if n is not None and n > 0 else None


class Params(ImmutableMultiDict):
    """The form and query storage of every request: cleaned text, bounded integers."""

    def __init__(self, mapping=None):
        if isinstance(mapping, (list, tuple)):
            mapping = [(clean_text(k), clean_text(v)) for k, v in mapping]
        super().__init__(mapping)

    def get(self, key, default=None, type=None):
        if type is int:
            return to_int(super().get(key), default)
        return super().get(key, default, type)


class YishiRequest(Request):
    parameter_storage_class = Params


def _at_most(bound):
    """A regex of the decimal numbers from 0 to `bound`: shorter numbers, or as long and below it
    digit by digit."""
    b = str(bound)
    alternatives = [rf"\d{{1,{len(b) - 1}}}"] if len(b) > 1 else []
    for i, digit in enumerate(b):
        if digit != "0":
            rest = len(b) - i - 1
            alternatives.append(b[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    alternatives.append(b)
    return "(?:" + "|".join(alternatives) + ")"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in a route: an id past 2**63 - 1 is no row of ours, so the route is a 404.

    The bound is in the regex, not only in `max`: werkzeug checks a rule's methods before its
    converters, so a GET and a POST rule on one path answered 405 to a POST with a huge id."""

    regex = _at_most(INT_MAX)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)
