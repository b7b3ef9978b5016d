"""`GET /api/v1/events`: the one Server-Sent Events stream a page opens.

Its topics are worked out on the server from who is asking: `person:<id>`, `role:<role>` for
each role, and whatever the areas add from the query (`?meeting=3`, `?document=9`), each area
checking that the person may follow it.
"""

from flask import Blueprint, Response, current_app, g, request

from appliance.web import auth
from appliance.web.apispec import api_route
from appliance.web.events import NchanPublisher, broadcaster

bp = Blueprint("live", __name__, url_prefix="/api/v1")

TOPIC_PROVIDERS = []  # fn(store, person, args) -> iterable of extra topics


def topics_for(person, args):
    topics = {f"person:{person.id}", *(f"role:{r}" for r in person.roles)}
    for provider in TOPIC_PROVIDERS:
        topics.update(provider(auth.store(), person, args))
    return topics


@api_route(bp, "/events", "GET", "Server-Sent Events for this person (and ?meeting=ID, ?document=ID)",
           response={"type": "string", "description": "one event per line pair"}, media_type="text/event-stream")
def events():
    topics = topics_for(g.person, request.args)
    b = broadcaster(current_app)
    if isinstance(b, NchanPublisher):  # nginx holds the stream (appliance/edge.py)
        resp = Response(status=200)
        resp.headers["X-Accel-Redirect"] = b.stream_redirect(topics, request.args.get("last_event_id"))
        return resp
    sub = b.subscribe(topics)
    resp = Response(b.stream(sub, hello={"topics": sorted(topics)}), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
