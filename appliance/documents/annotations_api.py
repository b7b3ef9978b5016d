"""The API of annotations (批注) on the reader, and the member's annotated copy. Registered on
the documents API blueprint (imported at the end of appliance/documents/views.py).

The list answers with the labels the reader's tools show (annotate.js has no template of its
own: the reader's page is another area's), in the reader's language.
"""

import time
from urllib.parse import quote

from flask import Response, g, jsonify

from appliance.documents import annotated_pdf, annotations, library
from appliance.documents import annotation_shapes as shapes
from appliance.documents.views import api
from appliance.errors import Forbidden
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit
from appliance.web import auth
from appliance.web.apispec import api_route, json_body

POINTS_DOC = (f"[[x, y], …] or [[x, y, pressure], …]: x and y from 0 to 1 across and down the page as shown, pressure "
              f"from 0 to 1 where the pen reports it; at most {shapes.MAX_POINTS} points")
ANNOTATION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "page": {"type": "integer"}, "kind": {"enum": list(shapes.KINDS)},
    "colour": {"enum": list(shapes.COLOURS)}, "points": {"type": "array", "description": POINTS_DOC},
    "width": {"type": "number"}, "at": {"type": "array"}, "text": {"type": "string"}, "shared": {"type": "boolean"},
    "mine": {"type": "boolean"}, "author": {"type": "string"}, "written_on": {"type": "integer"},
    "created_at": {"type": "number"}, "updated_at": {"type": "number"}}}
NEW = {"type": "object", "required": ["page", "kind"], "properties": {
    "page": {"type": "integer", "description": "1 to the number of pages of the version shown"},
    "kind": {"enum": list(shapes.KINDS)},
    "colour": {"enum": list(shapes.COLOURS)},
    "points": {"type": "array", "description": POINTS_DOC + " (pen and highlighter)"},
    "width": {"type": "number", "description": f"of the page's width, {shapes.MIN_WIDTH} to {shapes.MAX_WIDTH}"},
    "at": {"type": "array", "description": "a note's position [x, y], each from 0 to 1"},
    "text": {"type": "string", "description": f"a note's text, at most {shapes.MAX_NOTE} characters"},
    "shared": {"type": "boolean", "description": "share the note with the meeting (default: private)"},
    "version": {"type": "integer", "description": "the version the reader shows; refused (409) if the document was replaced"}}}
CHANGE = {"type": "object", "properties": {k: NEW["properties"][k] for k in ("colour", "at", "text", "shared")}}


def _labels():
    return {
        "tools": _("Annotation tools"), "read": _("Reading mode"), "pen": _("Pen"), "highlighter": _("Highlighter"),
        "note": _("Note"), "eraser": _("Eraser"), "colour": _("Colour"),
        "colours": {"black": _("Black"), "red": _("Red"), "blue": _("Blue"), "green": _("Green"),
                    "yellow": _("Yellow"), "pink": _("Pink")},
        "share": _("Share with the meeting"), "shared": _("Shared with the meeting"), "private": _("Private"),
        "shared_by": _("Shared by %(name)s"), "written_on": _("Written on version %(v)d"),
        "save": _("Save"), "cancel": _("Cancel"), "delete": _("Delete"), "placeholder": _("Write your note"),
        "saving": _("Saving…"), "saved": _("Saved"), "not_saved": _("Not saved: %(why)s"),
        "offline": _("The appliance cannot be reached; your stroke was not saved."),
        "download": _("Download my annotated copy"), "confirm_delete": _("Delete this note?"),
        "erase_hint": _("Tap a stroke or a note to erase it."), "note_hint": _("Tap the page where the note goes."),
    }


def _doc(document_id):
    return annotations.document_for(auth.store(), g.person, document_id)


@api_route(api, "/documents/<int:document_id>/annotations", "GET",
           "My annotations (批注) on the document's current version, and the notes shared with me",
           response={"type": "object", "properties": {"document": {"type": "integer"}, "version": {"type": "integer"},
                                                      "pages": {"type": "integer"}, "annotations": {"type": "array", "items": ANNOTATION},
                                                      "shareable": {"type": "boolean"}, "labels": {"type": "object"},
                                                      "limits": {"type": "object"}}})
def annotation_list(document_id):
    st = auth.store()
    doc = _doc(document_id)
    rows = annotations.visible(st, g.person, document_id)
    return jsonify({
        "document": document_id, "version": doc["version"], "pages": doc["pages"] or 1, "classified": bool(doc["classified"]),
        "annotations": [annotations.to_json(r, g.person) for r in rows],
        "shareable": annotations.shareable(st, g.person.id, document_id),
        "colours": list(shapes.COLOURS),
        "limits": {"points": shapes.MAX_POINTS, "note": shapes.MAX_NOTE, "per_document": annotations.MAX_PER_DOCUMENT},
        "labels": _labels(),
    })


@api_route(api, "/documents/<int:document_id>/annotations", "POST",
           "Save one finished stroke or note on a page of the version shown (private unless shared)",
           body=NEW, response=ANNOTATION)
def annotation_create(document_id):
    row = annotations.create(auth.store(), g.person, document_id, json_body())
    return jsonify(annotations.to_json(row, g.person))


@api_route(api, "/annotations/<int:annotation_id>", "GET", "One annotation: mine, or a note shared with me", response=ANNOTATION)
def annotation_get(annotation_id):
    st = auth.store()
    row = annotations.get(st, g.person, annotation_id)
    annotations.document_for(st, g.person, row["document_id"])
    return jsonify(annotations.to_json(row, g.person))


@api_route(api, "/annotations/<int:annotation_id>", "PATCH", "Change my note's text or place, a colour, or whether it is shared",
           body=CHANGE, response=ANNOTATION)
def annotation_update(annotation_id):
    row = annotations.update(auth.store(), g.person, annotation_id, json_body())
    return jsonify(annotations.to_json(row, g.person))


@api_route(api, "/annotations/<int:annotation_id>", "DELETE", "Erase one of my annotations",
           response={"type": "object", "properties": {"deleted": {"type": "integer"}}})
def annotation_delete(annotation_id):
    annotations.delete(auth.store(), g.person, annotation_id)
    return jsonify({"deleted": annotation_id})


@api_route(api, "/documents/<int:document_id>/annotated.pdf", "GET",
           "My annotated copy: the current version with my own annotations and my watermark on every page (audited)",
           response={"type": "string", "format": "binary"}, media_type="application/pdf")
def annotated_copy(document_id):
    st = auth.store()
    doc = _doc(document_id)
    if doc["classified"]:
        raise Forbidden("classified", _l("A classified document is never downloaded, with annotations or without."))
    rows = annotations.own(st, g.person.id, document_id)
    data = b"".join(library.stream(st, doc["version_id"]))
    watermark = f"{g.person.name} {time.strftime('%Y-%m-%d %H:%M')}"
    pdf = annotated_pdf.render(data, doc["mime"], rows, watermark, doc["title"], doc["version"])
    with st.write() as db:
        audit.record(db, g.person.id, "annotation.export", {"document": document_id, "version": doc["version"], "annotations": len(rows)})
    name = _("%(title)s (annotated copy).pdf", title=doc["title"])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
