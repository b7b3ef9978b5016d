"""HTTP Range requests on a document's bytes (RFC 9110 §14): which part of a stored version to send.

pdf.js asks for the parts of a PDF it needs (the cross-reference table at the end, then the
objects of the page on screen), so the first page of a 20 MB file shows after a few hundred
kilobytes. One range is answered (206); a header that is not a valid single byte range is
ignored, as the RFC allows, and the whole file is sent (200): several ranges would need a
multipart body that no reader here asks for, and coalescing them is a way to make the server do
work for nothing. A range that starts at or beyond the end cannot be satisfied (416).
"""

import re

_SPEC = re.compile(r"^[ \t]*bytes[ \t]*=[ \t]*([0-9]{0,19})[ \t]*-[ \t]*([0-9]{0,19})[ \t]*$", re.IGNORECASE | re.ASCII)


class Unsatisfiable(Exception):
    """The range lies wholly outside the file: answer 416 with `Content-Range: bytes */size`."""


def parse(header, size):
    """(first, last) byte positions, inclusive, for a `Range` header and a file of `size` bytes;
    None when the header is absent or not one valid byte range (send the whole file)."""
    if not header or len(header) > 200:
        return None
    m = _SPEC.match(header)
    if m is None:  # garbage, another unit, several ranges ("0-1,5-9"), a negative first byte
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":  # a suffix: the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            raise Unsatisfiable()
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last != "" else size - 1
    if last != "" and end < start:  # "5-3": not a valid range, ignored
        return None
    if start >= size:
        raise Unsatisfiable()
    return start, min(end, size - 1)


def if_range_allows(if_range, etag):
    """A range is sent only if `If-Range` (when present) names this version's strong ETag; a
    date, a weak tag or another version's tag means the client's copy is stale: whole file."""
    if not if_range:
        return True
    value = if_range.strip()
    return not value.startswith("W/") and value == etag
