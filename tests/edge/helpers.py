"""A room on a real server (nginx in front): signed-in tablets as HTTP clients, a poll, ballots
with retries; and the edge's own files (nginx.conf, its sockets)."""

import contextlib
import os
import re
import secrets
import socket
import ssl
import time

import httpx

from appliance.demo import MEMBERS, member_pin

TRACKER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def client(server, **kw):
    return httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=30, **kw)


def staff(server):
    admin, sec = client(server), client(server)
    assert admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
    assert sec.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
    return admin, sec


def tablet(server, admin, name, pin, **kw):
    """A paired tablet, signed in as `name`."""
    t = client(server, **kw)
    token = admin.post("/api/v1/admin/invites").json()["url"].split("#t=")[1]
    code = t.post("/api/v1/pair/start", json={"token": token, "device_name": f"座位 {name}"}).json()["short_code"]
    req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
    assert admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={}).status_code == 200
    assert t.get("/api/v1/pair/status").json()["status"] == "approved"
    people = {p["name"]: p["id"] for p in t.get("/api/v1/signin/people").json()["people"]}
    r = t.post("/api/v1/signin", json={"person_id": people[name], "pin": pin})
    assert r.status_code == 200, r.text
    t.person_id = people[name]
    return t


class Room:
    """A meeting with every demo member's tablet signed in to it, and the secretary."""

    def __init__(self, server, n=len(MEMBERS)):
        self.server = server
        self.admin, self.sec = staff(server)
        self.mid = self.sec.post("/api/v1/meetings", json={"kind": "standing", "title": "边缘测试会议",
                                                           "starts_at": "2026-06-29T09:00"}).json()["id"]
        self.tablets = [tablet(server, self.admin, name, member_pin(seat)) for seat, name in enumerate(MEMBERS[:n], start=1)]
        assert self.sec.post(f"/api/v1/meetings/{self.mid}/signin/open").status_code == 200
        for t in self.tablets:
            assert t.post(f"/api/v1/meetings/{self.mid}/signin", json={}).status_code == 200

    def open_poll(self, title="议题"):
        item = self.sec.post(f"/api/v1/meetings/{self.mid}/items", json={"title": title, "kind": "bill"}).json()["id"]
        poll = self.sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret"}).json()["id"]
        r = self.sec.post(f"/api/v1/polls/{poll}/open", json={})
        assert r.status_code == 200, r.text
        return poll

    def close(self):
        for c in (self.admin, self.sec, *self.tablets):
            c.close()


def ballot():
    return {"choice": secrets.choice(("yes", "no", "abstain")), "ballot_id": secrets.token_hex(16),
            "tracker": "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(8))}


def cast_until_acknowledged(t, poll, body, deadline=60, errors=None):
    """POST one ballot, and again with the same ballot id after any failure, as the tablet page
    does, until the server acknowledges it. Returns the number of attempts."""
    end = time.monotonic() + deadline
    attempts = 0
    while time.monotonic() < end:
        attempts += 1
        try:
            r = t.post(f"/api/v1/polls/{poll}/ballots", json=body, timeout=10)
            if r.status_code == 200 and r.json().get("recorded"):
                return attempts
            if errors is not None:
                errors.append((r.status_code, r.text[:200]))
        except httpx.HTTPError as e:
            if errors is not None:
                errors.append((type(e).__name__, str(e)[:200]))
        time.sleep(0.2)
    raise AssertionError(f"ballot {body['ballot_id']} never acknowledged after {attempts} attempts")


def conf_text(server):
    with open(os.path.join(server.data_dir, "edge", "nginx.conf"), encoding="utf-8") as f:
        return f.read()


def publish_socket(server):
    return re.search(r"listen unix:(\S+publish\.sock);", conf_text(server)).group(1)


def publish(server, topic, event, data):
    """Publish as the app does, from outside any worker (NchanPublisher on the internal socket)."""
    from appliance.web.events import NchanPublisher

    return NchanPublisher(publish_socket(server), background=False).publish(topic, event, data)


def tls_socket(server, source="127.0.0.1"):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=(source, 0))
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx.wrap_socket(raw, server_hostname="yishi.lan")


def raw_request(server, head, body=b"", source="127.0.0.1"):
    """One HTTP/1.1 request over TLS, written as given (a Content-Length may lie); the status and
    the response's text."""
    s = tls_socket(server, source)
    try:
        s.sendall(head.encode("utf-8") + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_text, _, rest = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length: (\d+)", head_text)
        if length:
            while len(rest) < int(length.group(1)):
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
        status = int(head_text.split(b" ", 2)[1])
        return status, head_text.decode("latin-1"), rest.decode("utf-8", "replace")
    finally:
        s.close()


class Stream:
    """An event stream read on a thread, as EventSource reads it (Accept: text/event-stream).

    End it with `close()`, never by closing its client under the reading thread: that thread is
    blocked in a read of the socket's file descriptor, the kernel gives the freed number to the
    next socket the test opens, and the old thread then reads (and swallows) that socket's bytes,
    the server's TLS handshake included, which the new connection reports as "wrong version
    number". That was test_a_stream_that_comes_back_gets_what_it_missed failing 2 runs in 25."""

    def __init__(self, c, path, headers=None):
        import threading

        self.text, self.status, self.ready = "", None, threading.Event()
        self._c, self._path, self._headers = c, path, {"Accept": "text/event-stream", **(headers or {})}
        self._stop = False
        self._sock = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.ready.wait(15), "no answer to the stream request"

    def _read(self):
        try:
            with self._c.stream("GET", self._path, headers=self._headers, timeout=httpx.Timeout(30, read=None)) as r:
                self._sock = r.extensions["network_stream"].get_extra_info("socket")
                self.status = r.status_code
                self.ready.set()
                for chunk in r.iter_text():
                    self.text += chunk
                    if self._stop:
                        return
        except httpx.HTTPError:
            pass
        except (OSError, ValueError):  # the socket shut down by close()
            if not self._stop:
                raise
        finally:
            self.ready.set()

    def close(self):
        """Go away as a tablet does, and only then free the socket: shut the connection down
        (the reading thread wakes to its end, on its own file descriptor still), wait for the
        thread, then close the client."""
        import socket

        self._stop = True
        if self._sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)  # the TCP socket under TLS
        self._thread.join(30)
        assert not self._thread.is_alive(), "the stream's reading thread did not end"
        self._c.close()

    def events(self):
        out = []
        for block in self.text.split("\n\n"):
            fields = {}
            for line in block.splitlines():
                if ": " in line and not line.startswith(":"):
                    k, v = line.split(": ", 1)
                    fields[k] = v
            if "event" in fields:
                out.append(fields)
        return out

    def wait_for(self, event, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(e["event"] == event for e in self.events()):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        self._stop = True
