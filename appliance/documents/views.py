"""Reading documents: the pdf.js viewer page with a watermark, and the streamed bytes.

The bytes are served with a policy of their own (CONTENT_CSP): opened directly in a browser,
a document is a sandboxed page that may load nothing and run nothing, should anything active
have slipped past the sanitiser. pdf.js fetches them from the viewer page, where that policy
does not apply. This blueprint also starts the process's text worker once the store is open.
"""

import os
import time

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from appliance.documents import files, library, ranges, text_jobs
from appliance.web import auth
from appliance.web.apispec import api_route
from appliance.web.auth import page_login_required
from appliance.web.events import broadcaster
from appliance.web.live import TOPIC_PROVIDERS

bp = Blueprint("documents", __name__)
api = Blueprint("documents_api", __name__, url_prefix="/api/v1")


def _document_topics(store, person, args):
    doc_id = args.get("document", type=int)
    if doc_id and library.can_read(store, person, doc_id):
        yield f"document:{doc_id}"


TOPIC_PROVIDERS.append(_document_topics)

# fn(store, person, document_id) -> a meeting id or None: the meeting whose live events the reader
# follows (appliance/meetings/presenter.py: 同屏 on this document), first answer wins.
READER_MEETING = []
# fn(store, person, meeting_id) -> the ballot's words (a dict) or None: a vote of that meeting
# opens its ballot sheet over the reader as over the meeting page (appliance/meetings/views.py
# answers for a voting member; the reader knows nothing of polls).
READER_BALLOT = []

CONTENT_CSP = "sandbox; default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def _start_text_worker(state):
    appliance = state.app.extensions.get("yishi")
    if appliance is not None:  # every process starts its own, once its store is unlocked
        appliance.on_unlock(lambda store: text_jobs.start(store, alive=lambda: appliance.store is store))


bp.record_once(_start_text_worker)


@bp.after_app_request
def _content_policy(resp):
    # The blueprint is registered before build_app adds its headers hook, and Flask runs an app's
    # after-request functions last-registered first: this one runs last, its policy is the one sent.
    policy = getattr(resp, "document_csp", None)
    if policy:
        resp.headers["Content-Security-Policy"] = policy
    return resp


def publish_replaced(document_id, version):
    broadcaster(current_app).publish(f"document:{document_id}", "document.updated", {"document": document_id, "version": version})


def _content_response(doc, row, download=False):
    etag = f'"{row["sha256"]}"'
    size = row["size"]
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if doc["classified"]:
        # Classified: never cached by the browser, never offered as a download.
        headers["Cache-Control"] = "no-store"
        headers["Content-Disposition"] = "inline"
    else:
        headers["Cache-Control"] = "private, no-cache"
        kind = "attachment" if download else "inline"
        headers["Content-Disposition"] = f"{kind}; filename*=UTF-8''{_quote(row['filename'])}"
    wanted = None
    if ranges.if_range_allows(request.headers.get("If-Range"), etag):
        try:
            wanted = ranges.parse(request.headers.get("Range"), size)
        except ranges.Unsatisfiable:
            headers["Content-Range"] = f"bytes */{size}"
            resp = Response(b"", status=416, headers=headers)
            resp.document_csp = CONTENT_CSP
            return resp
    if wanted is None:
        if not doc["classified"] and _matches(request.headers.get("If-None-Match"), etag):
            resp = Response(status=304, headers=headers)
            resp.document_csp = CONTENT_CSP
            return resp
        headers["Content-Length"] = str(size)
        body, status = library.stream(auth.store(), row["id"]), 200
    else:
        first, last = wanted
        headers["Content-Length"] = str(last - first + 1)
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        body, status = library.stream_range(auth.store(), row["id"], first, last), 206
    resp = Response(body, status=status, mimetype=row["mime"], headers=headers, direct_passthrough=True)
    resp.document_csp = CONTENT_CSP
    return resp


def _matches(if_none_match, etag):
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def _open(document_id):
    # pdf.js opens with one plain GET, then asks for ranges: a classified view is audited once.
    return library.open_for(auth.store(), g.person, document_id, request.args.get("v", type=int),
                            part=bool(request.headers.get("Range")))


def _quote(name):
    from urllib.parse import quote

    return quote(name, safe="")


@bp.get("/documents/<int:document_id>")
@page_login_required()
def view(document_id):
    doc, row = library.open_for(auth.store(), g.person, document_id)
    watermark = f"{g.person.name} {time.strftime('%Y-%m-%d %H:%M')}"
    meeting_id = next((m for m in (f(auth.store(), g.person, document_id) for f in READER_MEETING) if m), None)
    screen = bool(meeting_id) and request.args.get("screen") == "1"
    ballot = None if screen or not meeting_id else next(
        (b for b in (f(auth.store(), g.person, meeting_id) for f in READER_BALLOT) if b), None)
    return render_template("documents/view.html", doc=doc, version=row, watermark=watermark,
                           versions=library.versions(auth.store(), document_id), meeting_id=meeting_id,
                           screen=screen, ballot_labels=ballot,
                           annotate_js=_has_static("js/annotate.js"))


def _has_static(name):
    """The annotation tools are an optional module: the page loads it only where it exists."""
    return os.path.exists(os.path.join(current_app.static_folder, name))


@bp.get("/documents/<int:document_id>/content")
@page_login_required()
def content(document_id):
    doc, row = _open(document_id)
    return _content_response(doc, row, download=request.args.get("download") == "1")


@api_route(api, "/documents/<int:document_id>", "GET", "A document's title, current version and history")
def document_info(document_id):
    doc, row = library.open_for(auth.store(), g.person, document_id)
    return jsonify({
        "id": doc["id"], "title": doc["title"], "classified": bool(doc["classified"]),
        "version": row["version"], "mime": row["mime"], "size": row["size"], "pages": row["pages"],
        "versions": [{"version": v["version"], "at": v["created_at"], "note": v["note"]} for v in library.versions(auth.store(), document_id)],
    })


@api_route(api, "/documents/<int:document_id>/content", "GET", "The document's bytes (current version, or ?v=N)",
           response={"type": "string", "format": "binary"}, media_type=tuple(files.ALLOWED),
           query={"v": {"type": "integer", "minimum": 1, "maximum": 1_000_000}})
def document_content(document_id):
    doc, row = _open(document_id)
    return _content_response(doc, row)


from appliance.documents import annotations_api  # noqa: E402,F401 (批注: its routes go on this blueprint)
