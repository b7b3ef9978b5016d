"""What each change pushes, to whom. Topics: `meeting:<id>` (every tablet, the console and the
big screen), `console:<id>` (the secretary's console and the big screen: progress, the list of
members yet to vote, the floor), `document:<id>` (open readers of one document), `members:<id>`
(members and staff of the meeting: events about a confidential item, which an attendee's stream
never carries; `item_topic` chooses)."""

from flask import current_app

from appliance import clock
from appliance.meetings import confidential, core, polls, result_words
from appliance.meetings.attendance_push import pusher
from appliance.web import auth
from appliance.web.events import broadcaster
from appliance.web.live import TOPIC_PROVIDERS


def _pub(topic, event, data):
    return broadcaster(current_app).publish(topic, event, data)


def _meeting_topics(store, person, args):
    mid = args.get("meeting", type=int)
    if not mid:
        return
    if store.one("SELECT 1 FROM meetings WHERE id = ?", (mid,)) is None:
        return
    if core.may_follow(store, person, mid):
        yield f"meeting:{mid}"
        if confidential.sees_all(store, person, mid):
            yield f"members:{mid}"
    if person.has(*core.STAFF_ROLES):
        yield f"console:{mid}"


TOPIC_PROVIDERS.append(_meeting_topics)


def item_topic(store, item_id, meeting_id):
    """Where an event about this item goes: everyone on the list, or members and staff only."""
    if item_id is not None and store.scalar("SELECT confidential FROM agenda_items WHERE id = ?", (item_id,)):
        return f"members:{meeting_id}"
    return f"meeting:{meeting_id}"


def agenda(meeting_id):
    """The agenda changed (order, an item marked confidential): pages reload it."""
    _pub(f"meeting:{meeting_id}", "agenda", {"meeting": meeting_id})
    _pub(f"console:{meeting_id}", "agenda", {"meeting": meeting_id})


def screen(meeting_id):
    """The chair revealed (or hid again) a confidential item on the big screen."""
    _pub(f"console:{meeting_id}", "screen", {"meeting": meeting_id})


def attendance(store, meeting_id):
    """Fresh figures for the caller; pushed to the tablets at most once per 250 ms per meeting
    (appliance/meetings/attendance_push.py: a 签到 burst of N tablets was N² events)."""
    data = core.attendance(store, meeting_id).to_json()
    pusher(current_app, store).changed(meeting_id, data)
    return data


def meeting_changed(meeting_id):
    """The meeting's own state changed (sign-in opened, current item): tablets reload it."""
    _pub(f"meeting:{meeting_id}", "meeting.changed", {"meeting": meeting_id})


def person_changed(meeting_id, person_id):
    """Someone else changed this person's state (signed in on their behalf, excused)."""
    _pub(f"person:{person_id}", "meeting.changed", {"meeting": meeting_id})


def _closes_in(poll):
    left = clock.poll_left(poll)
    return None if left is None else max(0.0, round(left, 1))


def poll_opened(store, poll):
    data = {"poll": poll["id"], "title": poll["title"], "mode": poll["mode"], "rule": poll["rule"],
            "closes_at": poll["closes_at"], "closes_in": _closes_in(poll), "item": poll["item_id"]}
    _pub(item_topic(store, poll["item_id"], poll["meeting_id"]), "poll.opened", data)


def poll_progress(store, poll_id, meeting_id):
    cast, eligible = polls.progress(store, poll_id)
    _pub(f"console:{meeting_id}", "poll.progress", {"poll": poll_id, "cast": cast, "eligible": eligible})


def poll_closed(store, result, meeting_id):
    data = {**result.to_json(), **result_words.payload(result)}
    item_id = store.scalar("SELECT item_id FROM polls WHERE id = ?", (result.poll,))
    _pub(item_topic(store, item_id, meeting_id), "poll.closed", data)


def materials(meeting_id, document_id=None, version=None, item_id=None):
    _pub(item_topic(auth.store(), item_id, meeting_id), "materials", {"document": document_id, "version": version})
    if document_id is not None:
        _pub(f"document:{document_id}", "document.updated", {"document": document_id, "version": version})


def recalled(meeting_id, document_ids):
    for d in document_ids:
        _pub(f"document:{d}", "recalled", {"document": d})
    secret = {r[0] for r in auth.store().all(
        "SELECT ma.document_id FROM materials ma JOIN agenda_items i ON i.id = ma.item_id WHERE ma.meeting_id = ? AND i.confidential = 1",
        (meeting_id,))}
    _pub(f"meeting:{meeting_id}", "recalled", {"documents": [d for d in document_ids if d not in secret]})
    if secret:
        _pub(f"members:{meeting_id}", "recalled", {"documents": document_ids})


def floor(meeting_id):
    _pub(f"console:{meeting_id}", "floor", {})


def meeting_closed(meeting_id, minutes_document):
    _pub(f"meeting:{meeting_id}", "meeting.closed", {"minutes": minutes_document})


def leave(store, person_id, request_id, status, meetings=()):
    """A leave request (请假) was asked for, withdrawn or decided: the member's and the approvers'
    pages reload it; an approval changes the roster and 应到/实到/请假 of every meeting it covers."""
    data = {"request": request_id, "status": status}
    _pub(f"person:{person_id}", "leave", data)
    for role in ("chair", "secretary"):
        _pub(f"role:{role}", "leave", data)
    for mid in meetings:
        attendance(store, mid)
        person_changed(mid, person_id)
