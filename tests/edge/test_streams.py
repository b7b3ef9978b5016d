"""Live events through nchan: the app decides who reads which channel; a reconnecting page gets
what it missed; one session cannot open streams without end; the publisher is not reachable."""

import json
import time

import httpx
import pytest

from appliance import edge
from appliance.demo import MEMBERS, member_pin
from tests.edge.helpers import Stream, client, publish, staff, tablet, tls_socket

pytestmark = pytest.mark.server


def test_a_subscriber_gets_nothing_of_a_channel_it_may_not_read(demo_server):
    admin, sec = staff(demo_server)
    other = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "别人的会", "starts_at": "2026-06-29T09:00"}).json()["id"]
    member = tablet(demo_server, admin, MEMBERS[0], member_pin(1))
    someone = tablet(demo_server, admin, MEMBERS[1], member_pin(2))
    # The member is on no meeting's roster: ?meeting= of another meeting adds no channel.
    roster = sec.get(f"/api/v1/meetings/{other}").json()
    s = Stream(member, f"/api/v1/events?meeting={other}")
    assert s.status == 200
    publish(demo_server, f"person:{someone.person_id}", "secret.for.someone", {"n": 1})
    publish(demo_server, "role:admin", "secret.for.admins", {"n": 2})
    if roster.get("id") and not any(p.get("id") == member.person_id for p in roster.get("attendees", [])):
        publish(demo_server, f"members:{other}", "secret.for.members", {"n": 3})
    publish(demo_server, f"person:{member.person_id}", "mine", {"n": 4})  # the control: its own channel arrives
    assert s.wait_for("mine")
    assert [e["event"] for e in s.events()] == ["mine"], s.text
    # The subscriber location itself is internal: naming channels in the URL reaches nothing.
    r = member.get(f"/_live/person:{someone.person_id}", headers={"Accept": "text/event-stream"})
    assert r.status_code == 404
    # Nor is the publisher reachable from outside.
    assert member.post(f"/pub/person:{someone.person_id}", json={"x": 1}).status_code == 404
    assert httpx.post(demo_server.http_url + f"/pub/person:{someone.person_id}", json={"x": 1}, follow_redirects=False).status_code == 308


def test_a_stream_that_comes_back_gets_what_it_missed(demo_server):
    admin, _ = staff(demo_server)
    member = tablet(demo_server, admin, MEMBERS[2], member_pin(3))
    topic = f"person:{member.person_id}"
    c1 = client(demo_server, cookies=member.cookies)
    s = Stream(c1, "/api/v1/events")
    publish(demo_server, topic, "first", {"n": 1})
    assert s.wait_for("first")
    last = s.events()[-1]["id"]
    s.close()  # the tablet goes away (not c1.close() under the reading thread: see Stream)
    time.sleep(0.5)
    publish(demo_server, topic, "missed", {"n": 2})
    publish(demo_server, topic, "missed.too", {"n": 3})
    again = Stream(client(demo_server, cookies=member.cookies), "/api/v1/events", headers={"Last-Event-ID": last})
    assert again.wait_for("missed.too"), (last, s.text, again.text)
    assert [e["event"] for e in again.events()] == ["missed", "missed.too"], (last, s.text, again.text)
    # as live.js asks after it made a new EventSource: ?last_event_id=
    third = Stream(client(demo_server, cookies=member.cookies), "/api/v1/events?last_event_id=" + httpx.QueryParams({"x": last})["x"])
    assert third.wait_for("missed.too")


def _raw_stream(server, jar):
    """An event stream on a socket of its own (closing it is a tablet going away); its status."""
    sock = tls_socket(server)
    sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAccept: text/event-stream\r\n"
                 f"Cookie: {'; '.join(f'{k}={v}' for k, v in jar.items())}\r\n\r\n".encode())
    head = b""
    while b"\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, int(head.split(b" ", 2)[1])


def test_one_session_cannot_open_streams_without_end(demo_server):
    admin, _ = staff(demo_server)
    member = tablet(demo_server, admin, MEMBERS[3], member_pin(4))
    cookie = dict(member.cookies.items())
    streams = [_raw_stream(demo_server, cookie) for _ in range(edge.STREAMS_PER_SESSION)]
    assert [status for _, status in streams] == [200] * edge.STREAMS_PER_SESSION
    r = member.get("/api/v1/events", headers={"Accept": "text/event-stream"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests", r.text
    # another session is not affected
    other = tablet(demo_server, admin, MEMBERS[4], member_pin(5))
    assert _raw_stream(demo_server, dict(other.cookies.items()))[1] == 200
    # and a stream given up frees its place
    streams[0][0].close()
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline and status != 200:
        sock, status = _raw_stream(demo_server, cookie)
        time.sleep(0.3)
    assert status == 200
    for sock, _ in streams:
        sock.close()


def test_events_reach_the_tablets_once_each_and_in_order(demo_server):
    admin, sec = staff(demo_server)
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "顺序测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
    member = tablet(demo_server, admin, MEMBERS[5], member_pin(6))
    s = Stream(client(demo_server, cookies=member.cookies), f"/api/v1/events?meeting={mid}")
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200  # published by the app itself
    assert s.wait_for("attendance")
    for n in range(30):
        publish(demo_server, f"meeting:{mid}", "counted", {"n": n})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sum(e["event"] == "counted" for e in s.events()) < 30:
        time.sleep(0.1)
    got = [json.loads(e["data"])["n"] for e in s.events() if e["event"] == "counted"]
    assert got == list(range(30))
    ids = [e["id"] for e in s.events() if "id" in e]
    assert len(set(ids)) == len(ids)  # each its own id, for Last-Event-ID
