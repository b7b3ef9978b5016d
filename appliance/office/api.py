"""The office's JSON API under /api/v1/office: every action the pages offer, for tablets and
scripts. Thin: parse, call the domain module, answer."""

import base64
import binascii

from flask import Blueprint, Response, g, jsonify, request

from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, archive, circulation, consultation, export, outgoing
from appliance.rules.lockout import LockoutPolicy
from appliance.web import auth
from appliance.web.apispec import api_route, field, json_body
from appliance.web.params import to_int

bp = Blueprint("office_api", __name__, url_prefix="/api/v1/office")

FILE = {"type": "object", "properties": {"name": {"type": "string"}, "data_base64": {"type": "string", "contentEncoding": "base64"}},
        "description": "A PDF, PNG or JPEG file (or send multipart/form-data with a `file` part instead)"}
IDS = {"type": "array", "items": {"type": "integer"}}
GROUPS = {"type": "array", "items": {"type": "string", "enum": ["members", "attendees", "staff", "leaders", "everyone"]}}


def _rows(rows):
    return [dict(r) for r in rows]


def _data():
    """The validated body: JSON, or the typed fields of a multipart upload (api_route multipart=True)."""
    return json_body()


def upload(data, required=True):
    f = request.files.get("file")
    if f is not None and f.filename:
        return f.filename, f.read()
    raw = data.get("file")
    if raw is None:
        if required:
            raise UserError("missing_file", _l("Choose a file to upload."), field="file")
        return None, None
    if not isinstance(raw, dict) or not isinstance(raw.get("data_base64"), str):
        raise UserError("bad_file", _l("Send the file as {name, data_base64}."), field="file")
    try:
        blob = base64.b64decode(raw["data_base64"], validate=True)
    except (binascii.Error, ValueError) as e:
        raise UserError("bad_file", _l("Send the file as {name, data_base64}."), field="file") from e
    return str(raw.get("name") or "file")[:200], blob


def _policy():
    cfg = auth.appliance().config
    return LockoutPolicy(cfg.pin_attempts, cfg.lockout_seconds)


# ---- inbox ---------------------------------------------------------------------------------

@api_route(bp, "/inbox", "GET", "What is waiting for me: circulations to read, drafts to comment on, documents to sign off")
def inbox():
    st = auth.store()
    return jsonify({
        "circulations": _rows(circulation.inbox(st, g.person)),
        "consultations": _rows(consultation.waiting_for(st, g.person)),
        "signoff": _rows(outgoing.pending_for(st, g.person.id)),
    })


# ---- circulation ---------------------------------------------------------------------------

@api_route(bp, "/circulations", "POST", "Circulate a document (传阅) to people and groups", roles=OFFICE_ROLES,
           multipart=True, body={"type": "object", "required": ["title"], "properties": {
               "title": {"type": "string"}, "note": {"type": "string"}, "recipients": IDS, "groups": GROUPS,
               "classified": {"type": "boolean"}, "document_id": {"type": "integer"}, "file": FILE}})
def circulation_send():
    d = _data()
    doc_id = d.get("document_id")
    filename, blob = (None, None) if doc_id is not None else upload(d)
    cid = circulation.send(auth.store(), g.person, d.get("title"), d.get("recipients") or [], d.get("groups") or [],
                           note=d.get("note") or "", filename=filename, data=blob,
                           document_id=doc_id if isinstance(doc_id, int) else None,
                           classified=d.get("classified") in (True, "1", "on"))
    return jsonify(_circulation_json(cid)), 201


def _circulation_json(cid):
    v = circulation.view(auth.store(), g.person, cid)
    return {"circulation": dict(v["circulation"]), "mine": dict(v["mine"]) if v["mine"] else None,
            "receipts": _rows(v["receipts"]), "not_read": [r["name"] for r in v["pending"]]}


@api_route(bp, "/circulations", "GET", "Circulations I sent (all of them for office staff), with read counts")
def circulation_list():
    return jsonify({"circulations": _rows(circulation.sent(auth.store(), g.person, request.args.get("status")))})


@api_route(bp, "/circulations/<int:cid>", "GET", "A circulation: my receipt, or everyone's for the sender and staff")
def circulation_get(cid):
    return jsonify(_circulation_json(cid))


@api_route(bp, "/circulations/<int:cid>/open", "POST", "Record that I opened a circulated document")
def circulation_open(cid):
    circulation.view(auth.store(), g.person, cid)
    row = circulation.mark_opened(auth.store(), g.person, cid)
    return jsonify({"receipt": dict(row) if row else None})


@api_route(bp, "/circulations/<int:cid>/read", "POST", "Confirm 已阅, optionally with a remark (阅示/批示)",
           body={"type": "object", "properties": {"remark": {"type": "string", "maxLength": 500}}})
def circulation_read(cid):
    d = json_body()
    row = circulation.confirm_read(auth.store(), g.person, cid, field(d, "remark", required=False, max_len=500) or "")
    return jsonify({"receipt": dict(row)})


@api_route(bp, "/circulations/<int:cid>/remind", "POST", "Remind everyone who has not read it yet (pushed to their tablets)")
def circulation_remind(cid):
    return jsonify({"reminded": circulation.remind(auth.store(), g.person, cid)})


@api_route(bp, "/circulations/<int:cid>/close", "POST", "Close a circulation; it goes to the archive with its receipts")
def circulation_close(cid):
    return jsonify({"circulation": dict(circulation.close(auth.store(), g.person, cid))})


# ---- consultations -------------------------------------------------------------------------

@api_route(bp, "/consultations", "POST", "Publish a draft for comment (征求意见稿) to people with a deadline", roles=OFFICE_ROLES,
           multipart=True, body={"type": "object", "required": ["title", "deadline"], "properties": {
               "title": {"type": "string"}, "text": {"type": "string", "maxLength": 500_000}, "file": FILE, "note": {"type": "string"},
               "deadline": {"type": ["string", "number"], "description": "YYYY-MM-DD, YYYY-MM-DDTHH:MM or epoch seconds"},
               "recipients": IDS, "groups": GROUPS}})
def consultation_publish():
    d = _data()
    filename, blob = upload(d, required=False)
    cid = consultation.publish_draft(auth.store(), g.person, d.get("title"), d.get("deadline"), d.get("recipients") or [],
                                     d.get("groups") or [], text=d.get("text"), filename=filename, data=blob,
                                     note=d.get("note") or "")
    return jsonify(_consultation_json(cid)), 201


def _consultation_json(cid):
    v = consultation.view(auth.store(), g.person, cid)
    return {"consultation": dict(v["consultation"]), "paragraphs": _rows(v["paragraphs"]), "comments": _rows(v["comments"]),
            "open": v["open"], "people": _rows(v["people"]), "not_responded": [r["name"] for r in v["pending"]]}


@api_route(bp, "/consultations", "GET", "Drafts for comment: mine to answer, or all for office staff")
def consultation_list():
    return jsonify({"consultations": _rows(consultation.listing(auth.store(), g.person))})


@api_route(bp, "/consultations/<int:cid>", "GET", "A draft: numbered paragraphs, comments, who has not responded")
def consultation_get(cid):
    return jsonify(_consultation_json(cid))


@api_route(bp, "/consultations/<int:cid>/comments", "POST", "Comment on a paragraph or the whole draft, or propose replacement text",
           body={"type": "object", "required": ["body"], "properties": {
               "paragraph": {"type": ["integer", "null"]}, "kind": {"type": "string", "enum": ["comment", "replace"]},
               "body": {"type": "string", "maxLength": 5000}}})
def consultation_comment(cid):
    d = json_body()
    kid = consultation.comment(auth.store(), g.person, cid, d.get("body"), d.get("paragraph"), d.get("kind") or "comment")
    return jsonify({"comment": kid}), 201


@api_route(bp, "/consultations/<int:cid>/no-comment", "POST", "Respond 无意见 (no comments)")
def consultation_no_comment(cid):
    return jsonify({"participant": dict(consultation.no_comment(auth.store(), g.person, cid))})


@api_route(bp, "/consultations/comments/<int:comment_id>/disposition", "POST",
           "Record the drafter's response to a comment: adopted, partly adopted or not adopted with the reason",
           roles=OFFICE_ROLES, body={"type": "object", "required": ["disposition"], "properties": {
               "disposition": {"type": "string", "enum": ["adopted", "partly", "not_adopted"]}, "reason": {"type": "string"}}})
def consultation_dispose(comment_id):
    d = json_body()
    row = consultation.dispose(auth.store(), g.person, comment_id, d.get("disposition"), d.get("reason") or "")
    return jsonify({"comment": dict(row)})


def _check_manage(cid):
    v = consultation.view(auth.store(), g.person, cid)
    if not v["manage"]:
        raise UserError("forbidden", _l("You are not allowed to do this."), status=403)
    return v


def summary_response(cid, fmt):
    _check_manage(cid)
    s = consultation.summary(auth.store(), cid)
    blob = export.summary_docx(s) if fmt == "docx" else export.summary_pdf(s)
    return attachment(blob, fmt, f"{s['title']}-意见汇总表")


EXPORT_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}


def attachment(blob, fmt, stem):
    """A DOCX or PDF export as a download named `stem`.`fmt` (UTF-8, never cached)."""
    from urllib.parse import quote

    name = quote(f"{stem}.{fmt}", safe="")
    return Response(blob, mimetype=EXPORT_TYPES[fmt], headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}",
                                                              "Cache-Control": "no-store"})


@api_route(bp, "/consultations/<int:cid>/summary.docx", "GET", "The opinion summary sheet (意见汇总表) as DOCX",
           roles=OFFICE_ROLES, response={"type": "string", "format": "binary"},
           media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
def consultation_summary_docx(cid):
    return summary_response(cid, "docx")


@api_route(bp, "/consultations/<int:cid>/summary.pdf", "GET", "The opinion summary sheet (意见汇总表) as PDF",
           roles=OFFICE_ROLES, response={"type": "string", "format": "binary"}, media_type="application/pdf")
def consultation_summary_pdf(cid):
    return summary_response(cid, "pdf")


@api_route(bp, "/consultations/<int:cid>/reissue", "POST", "Reissue the draft as a new version (every comment needs a response first)",
           roles=OFFICE_ROLES, body={"type": "object", "required": ["text", "deadline"], "properties": {
               "text": {"type": "string", "maxLength": 500_000}, "deadline": {"type": ["string", "number"]}}})
def consultation_reissue(cid):
    d = json_body()
    new_id = consultation.reissue(auth.store(), g.person, cid, d.get("text"), d.get("deadline"))
    return jsonify(_consultation_json(new_id)), 201


@api_route(bp, "/consultations/<int:cid>/close", "POST", "Close the draft; its summary sheet goes to the archive", roles=OFFICE_ROLES)
def consultation_close(cid):
    doc_id = consultation.close(auth.store(), g.person, cid)
    return jsonify({"summary_document_id": doc_id})


# ---- sign-off ------------------------------------------------------------------------------

@api_route(bp, "/numbering", "GET", "Kinds of outgoing document and their number patterns")
def numbering_list():
    return jsonify({"kinds": _rows(outgoing.kinds(auth.store()))})


@api_route(bp, "/numbering", "POST", "Add or change a kind and its number pattern, e.g. 大安人大办〔{year}〕{n}号",
           roles=("staff", "admin"), body={"type": "object", "required": ["kind", "label", "pattern"], "properties": {
               "kind": {"type": "string"}, "label": {"type": "string"}, "pattern": {"type": "string"}}})
def numbering_save():
    d = json_body()
    return jsonify({"kind": dict(outgoing.save_kind(auth.store(), g.person, d.get("kind"), d.get("label"), d.get("pattern")))})


@api_route(bp, "/outgoing", "POST", "Start the sign-off (发文审签) of an outgoing document", roles=OFFICE_ROLES,
           multipart=True, body={"type": "object", "required": ["title", "kind", "file"], "properties": {
               "title": {"type": "string"}, "kind": {"type": "string"}, "file": FILE, "classified": {"type": "boolean"},
               "steps": {"type": "array", "items": {"type": "object", "properties": {
                   "step": {"type": "string", "enum": ["draft", "check", "sign", "number", "issue"]}, "person_id": {"type": "integer"}}},
                   "description": "default: drafting (me) -> checking -> leader sign-off -> numbering -> issue"},
               "distribution": IDS, "groups": GROUPS}})
def outgoing_create():
    d = _data()
    filename, blob = upload(d)
    steps = d.get("steps") or [{"step": k, "person_id": p} for k, p in outgoing.default_steps(auth.store(), g.person)]
    oid = outgoing.create(auth.store(), g.person, d.get("title"), d.get("kind") or "ban", filename, blob, steps,
                          d.get("distribution") or [], d.get("groups") or [], classified=d.get("classified") is True)
    return jsonify(_outgoing_json(oid)), 201


def _outgoing_json(oid):
    v = outgoing.view(auth.store(), g.person, oid)
    return {"outgoing": dict(v["outgoing"]), "steps": _rows(v["steps"]), "decisions": _rows(v["decisions"]),
            "my_turn": v["my_turn"], "needs_pin": v["needs_pin"],
            "versions": [{"version": x["version"], "at": x["created_at"], "note": x["note"]} for x in v["versions"]]}


@api_route(bp, "/outgoing", "GET", "Outgoing documents: mine to decide, or all for office staff")
def outgoing_list():
    return jsonify({"outgoing": _rows(outgoing.listing(auth.store(), g.person))})


@api_route(bp, "/outgoing/<int:oid>", "GET", "An outgoing document: steps, decisions, versions, number")
def outgoing_get(oid):
    return jsonify(_outgoing_json(oid))


@api_route(bp, "/outgoing/<int:oid>/decide", "POST",
           "Approve (sign-off: with PIN) or return with a reason to an earlier step; repeat-safe with request_key",
           body={"type": "object", "required": ["decision"], "properties": {
               "decision": {"type": "string", "enum": ["approve", "return"]}, "remark": {"type": "string", "maxLength": 500},
               "to_position": {"type": "integer"}, "pin": {"type": "string"},
               "request_key": {"type": "string", "description": "random per tap: a repeat records nothing new"},
               "position": {"type": "integer", "description": "the step the page showed: refuses a stale decision"}}})
def outgoing_decide(oid):
    d = json_body()
    row, fresh = outgoing.decide(auth.store(), g.person, oid, d.get("decision"), d.get("remark") or "", d.get("to_position"),
                                 d.get("request_key"), d.get("position"), d.get("pin"), _policy())
    return jsonify({"decision": row, "recorded": fresh, **_outgoing_json(oid)})


@api_route(bp, "/outgoing/<int:oid>/versions", "POST", "Upload a corrected version (the person of the current step)",
           multipart=True, body={"type": "object", "required": ["file"], "properties": {"file": FILE, "note": {"type": "string"}}})
def outgoing_revise(oid):
    d = _data()
    filename, blob = upload(d)
    version = outgoing.revise(auth.store(), g.person, oid, filename, blob, d.get("note") or "")
    return jsonify({"version": version}), 201


# ---- archive -------------------------------------------------------------------------------

@api_route(bp, "/archive/search", "GET", "Full-text search of the archive (?q=&year=&kind=&category=&offset=)",
           query={"q": {"type": "string", "maxLength": 200}, "year": {"type": "integer", "minimum": 1900, "maximum": 9999},
                  "kind": {"type": "string", "maxLength": 50}, "category": {"type": "string", "maxLength": 100},
                  "offset": {"type": "integer", "minimum": 0, "maximum": 1_000_000}})
def archive_search():
    a = g.query
    res = archive.search(auth.store(), g.person, a.get("q", ""), a.get("year"), a.get("kind") or None,
                         a.get("category") or None, offset=a.get("offset", 0))
    if res["notice"] == "symbols_only":
        res["message"] = _("Type at least one letter, digit or Chinese character to search.")
    return jsonify(res)


@api_route(bp, "/archive/facets", "GET", "The years, kinds and categories there are to filter by")
def archive_facets():
    return jsonify(archive.facets(auth.store(), g.person))


@api_route(bp, "/archive/<int:entry_id>", "GET", "One archive entry")
def archive_get(entry_id):
    return jsonify({"entry": {k: v for k, v in dict(archive.entry(auth.store(), g.person, entry_id)).items() if k != "body"}})


@api_route(bp, "/archive", "POST", "File a document straight into the archive (收文, 资料)", roles=OFFICE_ROLES,
           multipart=True, body={"type": "object", "required": ["title", "file"], "properties": {
               "title": {"type": "string"}, "file": FILE, "category": {"type": "string"}, "year": {"type": "integer"},
               "retention_years": {"type": ["integer", "null", "string"], "maxLength": 20,
                                   "description": "years; null or \"permanent\": kept for ever; \"default\": the category's"}, "classified": {"type": "boolean"}, "readers": IDS}})
def archive_file():
    d = _data()
    filename, blob = upload(d)
    year = d.get("year")
    retention = d.get("retention_years", "default")
    if isinstance(retention, str) and retention != "default":
        retention = None if retention in ("", "permanent") else to_int(retention, -1)
    entry_id = archive.file_document(auth.store(), g.person, d.get("title"), filename, blob, d.get("category") or "",
                                     year, retention, classified=d.get("classified") in (True, "1", "on"),
                                     readers=d.get("readers") or [])
    return jsonify({"entry": entry_id}), 201


