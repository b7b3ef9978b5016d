"""审议意见 through the office's JSON API (appliance/office/opinions.py does the work): a tablet
gives an opinion on an item, the office runs the loop, a member follows their opinions."""

import time

from flask import Blueprint, g, jsonify

from appliance.office import OFFICE_ROLES, opinions
from appliance.office.api import EXPORT_TYPES, FILE, attachment, upload
from appliance.web import auth
from appliance.web.apispec import ID_SCHEMA, api_route, json_body

bp = Blueprint("opinions_api", __name__, url_prefix="/api/v1/office")
DOCX = EXPORT_TYPES["docx"]
STEPS = {"type": "array", "items": {"type": "object", "properties": {
    "step": {"type": "string", "enum": ["draft", "check", "sign", "number", "issue"]}, "person_id": ID_SCHEMA}},
    "description": "the 审议意见书's sign-off; default: drafting (me) -> checking -> leader sign-off -> numbering -> issue"}


def now():
    """The appliance's clock: config.extra["clock"] when a test or a demonstration sets one."""
    return auth.appliance().config.extra.get("clock", time.time)()


def _row(r):
    return dict(r) if r is not None else None


def loop_json(x):
    """A loop (opinions.loop / listing / mine) as plain JSON."""
    keep = {k: v for k, v in x.items() if not k.startswith("_") and k not in ("item", "opinions", "steps")}
    keep["state_label"] = str(opinions.STATE_LABELS[x["state"]])
    keep["steps"] = [{"step": s, "at": at, "label": str(opinions.STEP_LABELS[s])} for s, at in x["steps"]]
    if "opinions" in x:
        keep["opinions"] = [dict(o) for o in x["opinions"]]
    return keep


@api_route(bp, "/meetings/<int:meeting_id>/opinions", "GET", "A meeting's items, each with my opinions and whether it takes more")
def opinion_items(meeting_id):
    m, items = opinions.meeting_items(auth.store(), g.person, meeting_id)
    return jsonify({"meeting": {"id": m["id"], "title": m["title"], "status": m["status"]},
                    "items": [{"id": x["item"]["id"], "number": x["number"], "title": x["item"]["title"], "open": x["open"],
                               "mine": [dict(o) for o in x["mine"]]} for x in items]})


@api_route(bp, "/meetings/<int:meeting_id>/items/<int:item_id>/opinions", "POST",
           "发表审议意见: give an opinion on an item (staff: `person` gives it on that member's behalf)",
           body={"type": "object", "required": ["body"], "properties": {
               "body": {"type": "string", "maxLength": 100_000, "description": f"1 to {opinions.MAX_OPINION} characters"},
               "person": {**ID_SCHEMA, "description": "staff only: the member whose opinion this is"}}},
           response={"type": "object", "properties": {"id": {"type": "integer"}}})
def opinion_give(meeting_id, item_id):
    d = json_body()
    oid = opinions.give(auth.store(), g.person, item_id, d.get("body"), meeting_id=meeting_id, on_behalf_of=d.get("person"),
                        now=now())
    return jsonify({"id": oid}), 201


@api_route(bp, "/opinions", "GET", "Every 审议意见 loop and where it stands, overdue first", roles=OFFICE_ROLES)
def opinion_loops():
    return jsonify({"loops": [loop_json(x) for x in opinions.listing(auth.store(), g.person, now())]})


@api_route(bp, "/opinions/mine", "GET", "我的审议意见: my opinions, and where each item's loop stands")
def opinion_mine():
    return jsonify({"opinions": [{"opinion": dict(x["opinion"]), "loop": loop_json(x["loop"])}
                                 for x in opinions.mine(auth.store(), g.person, now())]})


@api_route(bp, "/items/<int:item_id>/opinions", "GET", "An item's 审议意见 loop: its opinions (mine, or all for the office) and steps")
def opinion_loop(item_id):
    return jsonify(loop_json(opinions.loop(auth.store(), g.person, item_id, now())))


@api_route(bp, "/items/<int:item_id>/opinions/compile", "POST",
           "Compile the item's opinions into its 审议意见书 and start its sign-off (closes the item for opinions)",
           roles=OFFICE_ROLES, body={"type": "object", "properties": {"steps": STEPS}})
def opinion_compile(item_id):
    oid = opinions.compile_(auth.store(), g.person, item_id, json_body().get("steps") or None, now=now())
    return jsonify({"outgoing": oid, **loop_json(opinions.loop(auth.store(), g.person, item_id, now()))}), 201


def document_response(item_id, fmt):
    st = auth.store()
    opinions.loop(st, g.person, item_id)  # the office, or 404
    blob, heading, _n = opinions.document(st, item_id, fmt)
    return attachment(blob, fmt, heading[:80])


@api_route(bp, "/items/<int:item_id>/opinions/document.docx", "GET", "The item's 审议意见书 as DOCX (its opinions so far)",
           roles=OFFICE_ROLES, response={"type": "string", "format": "binary"}, media_type=DOCX)
def opinion_docx(item_id):
    return document_response(item_id, "docx")


@api_route(bp, "/items/<int:item_id>/opinions/document.pdf", "GET", "The item's 审议意见书 as PDF (its opinions so far)",
           roles=OFFICE_ROLES, response={"type": "string", "format": "binary"}, media_type="application/pdf")
def opinion_pdf(item_id):
    return document_response(item_id, "pdf")


@api_route(bp, "/items/<int:item_id>/opinions/send", "POST", "交办: send the signed-off 审议意见书 to the body concerned, with a deadline",
           roles=OFFICE_ROLES, body={"type": "object", "required": ["to", "deadline"], "properties": {
               "to": {"type": "string", "maxLength": 1000, "description": "e.g. " + "、".join(opinions.ORGANS)},
               "deadline": {"type": ["string", "number"], "maxLength": 40, "description": "YYYY-MM-DD, YYYY-MM-DDTHH:MM or epoch seconds"}}})
def opinion_send(item_id):
    d = json_body()
    opinions.send(auth.store(), g.person, item_id, d.get("to"), d.get("deadline"), now=now())
    return jsonify(loop_json(opinions.loop(auth.store(), g.person, item_id, now())))


@api_route(bp, "/items/<int:item_id>/opinions/report", "POST", "Record the handling report (办理情况报告): its file and its date",
           roles=OFFICE_ROLES, multipart=True, body={"type": "object", "required": ["file", "report_date"], "properties": {
               "file": FILE, "report_date": {"type": "string", "maxLength": 40, "description": "YYYY-MM-DD"}}})
def opinion_report(item_id):
    d = json_body()
    filename, blob = upload(d)
    opinions.receive_report(auth.store(), g.person, item_id, filename, blob, d.get("report_date"), now=now())
    return jsonify(loop_json(opinions.loop(auth.store(), g.person, item_id, now()))), 201


@api_route(bp, "/items/<int:item_id>/opinions/assess", "POST",
           "满意度测评: put the report to an assessment at a later meeting (an agenda item there with an assessment poll)",
           roles=OFFICE_ROLES, body={"type": "object", "required": ["meeting"], "properties": {"meeting": ID_SCHEMA}},
           response={"type": "object", "properties": {"item": {"type": "integer"}, "poll": {"type": "integer"}}})
def opinion_assess(item_id):
    new_item, poll = opinions.assess(auth.store(), g.person, item_id, json_body().get("meeting"),
                                     settings=auth.appliance().settings, now=now())
    return jsonify({"item": new_item, "poll": poll}), 201
