"""Document numbers (发文字号) such as 大安人大办〔2026〕12号: patterns and the next number.

A number is consecutive per (kind, year): never reused, never skipped. The store enforces it
(primary key on (kind, year, seq) and a trigger that accepts only max + 1); this module
holds the pure part: what a pattern may look like, and how a number is written.
"""

import re

PLACEHOLDERS = ("{year}", "{n}")
MAX_PATTERN = 60
KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")


class NumberingError(ValueError):
    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def validate_kind(kind):
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise NumberingError("bad_kind", repr(kind))
    return kind


def validate_pattern(pattern):
    """A pattern holds {year} and {n} exactly once each, and no other braces."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > MAX_PATTERN:
        raise NumberingError("bad_pattern", "length")
    pattern = pattern.strip()
    for ph in PLACEHOLDERS:
        if pattern.count(ph) != 1:
            raise NumberingError("bad_pattern", f"needs {ph} once")
    rest = pattern.replace("{year}", "").replace("{n}", "")
    if "{" in rest or "}" in rest:
        raise NumberingError("bad_pattern", "unknown placeholder")
    return pattern


def format_number(pattern, year, seq):
    if seq < 1 or year < 1900:
        raise NumberingError("bad_sequence", f"{year}/{seq}")
    return validate_pattern(pattern).replace("{year}", str(year)).replace("{n}", str(seq))


def next_seq(current_max):
    """The number after the highest one given so far this year (None: none yet)."""
    return 1 if current_max is None else current_max + 1
