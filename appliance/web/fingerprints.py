"""Fingerprinted static files: a page links `js/live.js` as `js/live.3fa2c1d9ab04.js`, the first
12 hex digits of the SHA-256 of its content, so nginx can let tablets keep it for a year
(`Cache-Control: immutable`: not even a revalidation on reload) and a new version still
reaches every tablet at once, under a new name. Names that are not fingerprinted (pdf.js's
modules and character maps, fetched by relative URL from pdf.js itself; an image named in CSS)
keep the short cache.

There are no copies on disk: the fingerprinted name is an alias. Templates get it from Flask's
own `url_for('static', filename=…)` (a URL-defaults hook, so no template changes and no second
helper to forget); nginx gets the list of every fingerprinted name with its file when its
configuration is written at start (appliance/edge.py), and answers 404 to a name with any
other fingerprint, so a year-long cache never holds content that does not match its name.
Without nginx (`--edge none`, the test client) the app's static view does the same.
"""

import hashlib
import os
import re
import threading

HASH_LEN = 12
EXTENSIONS = (".css", ".js", ".mjs", ".svg", ".png", ".gif", ".woff", ".woff2")
PATTERN = re.compile(r"^(?P<base>.+)\.(?P<hash>[0-9a-f]{%d})(?P<ext>\.[A-Za-z0-9]+)$" % HASH_LEN)
YEAR = 365 * 24 * 3600

_cache = {}  # absolute path -> (mtime_ns, size, hash)
_lock = threading.Lock()


def _digest(path):
    """The content hash of a file, read again only when its mtime or size changed; None if it
    is not a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    with _lock:
        hit = _cache.get(path)
    if hit and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
        return hit[2]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    value = h.hexdigest()[:HASH_LEN]
    with _lock:
        _cache[path] = (st.st_mtime_ns, st.st_size, value)
    return value


def _inside(static_dir, name):
    root = os.path.realpath(static_dir)
    path = os.path.realpath(os.path.join(root, name))
    return path if path.startswith(root + os.sep) else None


def url_name(static_dir, name):
    """The name to link: fingerprinted for a file of a cacheable kind, else `name` unchanged."""
    if not name.endswith(EXTENSIONS):
        return name
    path = _inside(static_dir, name)
    digest = path and _digest(path)
    if not digest:
        return name
    stem, ext = os.path.splitext(name)
    return f"{stem}.{digest}{ext}"


def real_name(static_dir, name):
    """The file a fingerprinted name stands for, or None if `name` is not one or its fingerprint
    is not the file's content now."""
    m = PATTERN.match(name)
    if not m or not name.endswith(EXTENSIONS):
        return None
    real = m["base"] + m["ext"]
    path = _inside(static_dir, real)
    if not path or _digest(path) != m["hash"]:
        return None
    return real


def manifest(static_dir):
    """{fingerprinted name: real name} for every fingerprintable file (for nginx's map)."""
    out = {}
    for folder, _, files in os.walk(static_dir):
        for f in files:
            rel = os.path.relpath(os.path.join(folder, f), static_dir).replace(os.sep, "/")
            hashed = url_name(static_dir, rel)
            if hashed != rel:
                out[hashed] = rel
    return out


def install(app):
    """Fingerprint every `url_for('static', …)` of this app, and serve those names (when no
    nginx is in front) with the year-long immutable cache."""
    static_dir = app.static_folder

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = url_name(static_dir, values["filename"])

    plain = app.view_functions["static"]

    def static(filename):
        real = real_name(static_dir, filename)
        if real is None:  # a plain name; a wrong fingerprint names no file, so 404
            return plain(filename=filename)
        resp = plain(filename=real)
        resp.cache_control.public = True
        resp.cache_control.max_age = YEAR
        resp.cache_control.immutable = True
        return resp

    app.view_functions["static"] = static
