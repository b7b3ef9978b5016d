"""What an annotation (批注) may look like: pure checks of a stroke or a note, no store, no Flask.

A pen or highlighter stroke is a list of points [x, y] or [x, y, pressure] in page-normalised
coordinates (0..1 of the page as the reader shows it, origin top left), with a width as a
fraction of the page's width; a note is a position [x, y] and its text. Everything a tablet
sends is checked here before anything is stored: a NaN, an infinity, a point off the page, a
string where a number belongs, too many points or too long a note is refused with a message
that says which point and what to do. JSON allows none of NaN and Infinity, but Python's json
module reads them, and a JSON Schema `minimum` does not catch a NaN: hence `_unit`.
"""

import math

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l

KINDS = ("pen", "highlighter", "note")
COLOURS = ("black", "red", "blue", "green", "yellow", "pink")
DEFAULT_COLOUR = {"pen": "black", "highlighter": "yellow", "note": "yellow"}
# A stroke of a minute's steady writing at 60 events/s is ~3,600 points; a tablet splits longer.
MAX_POINTS = 4000
MAX_NOTE = 1000
MIN_WIDTH, MAX_WIDTH = 0.0005, 0.06
DEFAULT_WIDTH = {"pen": 0.003, "highlighter": 0.02}
DEFAULT_PRESSURE = 0.5
DIGITS = 5  # 1e-5 of an A4 page is 2 µm: finer than any pen, and the stored JSON stays small


def _unit(value):
    """A finite number within 0..1, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return None
    return value


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        return None
    return float(value)


def points(raw):
    """[[x, y, pressure], …] rounded, from what the tablet sent; UserError naming the point."""
    if not isinstance(raw, list):
        raise UserError("bad_points", _l("A stroke is a list of points, each [x, y] or [x, y, pressure]."), field="points")
    if not raw:
        raise UserError("no_points", _l("A stroke needs at least one point."), field="points")
    if len(raw) > MAX_POINTS:
        raise UserError("too_many_points", _l("A stroke may have at most %(n)d points. Lift the pen and go on with a new stroke.",
                                              n=MAX_POINTS), field="points")
    out = []
    for i, p in enumerate(raw, start=1):
        if not isinstance(p, list) or len(p) not in (2, 3) or any(_number(v) is None for v in p):
            raise UserError("bad_point", _l("Point %(i)d of the stroke is not [x, y] or [x, y, pressure] in numbers.", i=i),
                            field="points", point=i)
        x, y = _unit(p[0]), _unit(p[1])
        if x is None or y is None:
            raise UserError("off_page", _l("Point %(i)d of the stroke lies outside the page (x and y go from 0 to 1).", i=i),
                            field="points", point=i)
        pressure = DEFAULT_PRESSURE if len(p) == 2 else _unit(p[2])
        if pressure is None:
            raise UserError("bad_pressure", _l("The pen pressure of point %(i)d must be between 0 and 1.", i=i),
                            field="points", point=i)
        out.append([round(x, DIGITS), round(y, DIGITS), round(pressure, 3)])
    return out


def width(raw, kind):
    if raw is None:
        return DEFAULT_WIDTH[kind]
    w = _number(raw)
    if w is None or not MIN_WIDTH <= w <= MAX_WIDTH:
        raise UserError("bad_width", _l("The stroke width must be between %(lo)s and %(hi)s of the page's width.",
                                        lo=MIN_WIDTH, hi=MAX_WIDTH), field="width")
    return round(w, DIGITS)


def anchor(raw):
    if not isinstance(raw, list) or len(raw) != 2 or any(_unit(v) is None for v in raw):
        raise UserError("bad_anchor", _l("A note's position is [x, y], each between 0 and 1."), field="at")
    return [round(float(raw[0]), DIGITS), round(float(raw[1]), DIGITS)]


def note_text(raw):
    if not isinstance(raw, str):
        raise UserError("note_empty", _l("Write the text of the note."), field="text")
    text = raw.strip()
    if not text:
        raise UserError("note_empty", _l("Write the text of the note."), field="text")
    if len(text) > MAX_NOTE:
        raise UserError("note_too_long", _l("A note may have at most %(n)d characters.", n=MAX_NOTE), field="text")
    return text


def colour(raw, kind):
    if raw is None:
        return DEFAULT_COLOUR[kind]
    if raw not in COLOURS:
        raise UserError("bad_colour", _l("Choose one of the offered colours."), field="colour")
    return raw


def shape(kind, data):
    """(geometry, note text) of a new annotation of `kind` from the request's fields."""
    if kind not in KINDS:
        raise UserError("bad_kind", _l("An annotation is a pen stroke, a highlighter stroke or a note."), field="kind")
    if kind == "note":
        if data.get("points") is not None:
            raise UserError("note_points", _l("A note has a position, not a stroke."), field="points")
        return {"at": anchor(data.get("at"))}, note_text(data.get("text"))
    if data.get("text") not in (None, ""):
        raise UserError("stroke_text", _l("Only a note has text; a stroke has none."), field="text")
    return {"points": points(data.get("points")), "width": width(data.get("width"), kind)}, ""
