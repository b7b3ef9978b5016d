"""Live updates over Server-Sent Events.

A client subscribes to topics (`person:7`, `meeting:3`, `screen:3`, `staff`); `publish(topic,
event, data)` reaches every subscriber of the topic. Behind `yishi serve` the carrier is nchan in
nginx (`NchanPublisher`: one internal HTTP request per event, from any worker; nginx holds the
streams, keeps a message buffer for Last-Event-ID and the keep-alives; appliance/edge.py). Without
a server (the Flask test client) it is the in-process `Broadcaster`: each subscriber a queue,
woken by a condition.
"""

import collections
import http.client
import itertools
import json
import logging
import os
import socket
import threading
import time
from urllib.parse import quote

log = logging.getLogger("yishi.events")

KEEPALIVE_SECONDS = 15
MAX_QUEUE = 256


class Subscriber:
    def __init__(self, topics):
        self.topics = frozenset(topics)
        self.queue = collections.deque(maxlen=MAX_QUEUE)
        self.cond = threading.Condition()
        self.closed = False

    def push(self, item):
        with self.cond:
            self.queue.append(item)
            self.cond.notify()

    def next(self, timeout):
        with self.cond:
            if not self.queue and not self.closed:
                self.cond.wait(timeout)
            return self.queue.popleft() if self.queue else None


class Broadcaster:
    def __init__(self):
        self._subs = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def subscribe(self, topics):
        sub = Subscriber(topics)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub):
        with self._lock:
            self._subs.discard(sub)
        with sub.cond:
            sub.closed = True
            sub.cond.notify()

    def publish(self, topic, event, data):
        item = (next(self._ids), event, json.dumps(data, ensure_ascii=False), time.time())
        with self._lock:
            targets = [s for s in self._subs if topic in s.topics]
        for s in targets:
            s.push(item)
        return len(targets)

    def count(self, topic=None):
        with self._lock:
            return sum(1 for s in self._subs if topic is None or topic in s.topics)

    def stream(self, sub, hello=None):
        """The text/event-stream body for one subscriber; ends when the client goes away."""
        try:
            yield "retry: 2000\n\n"
            if hello is not None:
                yield f"event: hello\ndata: {json.dumps(hello, ensure_ascii=False)}\n\n"
            while not sub.closed:
                item = sub.next(KEEPALIVE_SECONDS)
                if item is None:
                    yield ": keep-alive\n\n"
                    continue
                eid, event, data, _ = item
                yield f"id: {eid}\nevent: {event}\ndata: {data}\n\n"
        finally:
            self.unsubscribe(sub)


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class NchanPublisher:
    """Publishes to nchan's internal location on a Unix socket (appliance/edge.py): every worker
    process reaches the same subscribers, and nchan keeps the order of one channel's messages.
    The subscribers are nginx's (`stream_redirect` hands a request over to them)."""

    def __init__(self, path, timeout=5.0, background=True):
        self.path, self.timeout, self.background = path, timeout, background
        self._local = threading.local()
        self._queue = None
        self._lock = threading.Lock()

    def publish(self, topic, event, data):
        """Hand the event to this process's sender thread and return: nchan writes to every
        subscriber inside the publish request (~4 ms for 200 streams here), which a ballot's
        acknowledgement must not wait for. One thread per process keeps the process's order."""
        if not self.background:
            return self.send(topic, event, data)
        with self._lock:
            if self._queue is None or self._queue_pid != os.getpid():  # started after gunicorn forked
                import queue

                self._queue, self._queue_pid = queue.SimpleQueue(), os.getpid()
                threading.Thread(target=self._sender, args=(self._queue,), name="nchan-publish", daemon=True).start()
        self._queue.put((topic, event, json.dumps(data, ensure_ascii=False).encode("utf-8")))
        return 0

    def _sender(self, q):
        while True:
            topic, event, body = q.get()
            try:
                self._send(topic, event, body)
            except Exception:  # never let one bad event stop the live channel
                log.exception("live event %s on %s not published", event, topic)

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._local.conn = _UnixHTTP(self.path, self.timeout)
            c.used = False
        return c

    def send(self, topic, event, data):
        """Publish now, in this thread; the number of subscribers nchan reached."""
        return self._send(topic, event, json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def _send(self, topic, event, body):
        headers = {"Content-Type": "application/json", "X-EventSource-Event": event}
        while True:
            conn = self._conn()
            reused = conn.used
            try:
                conn.request("POST", "/pub/" + quote(topic, safe=":"), body, headers)
                resp = conn.getresponse()
                info = resp.read()
                conn.used = True
                if resp.status >= 300:
                    log.warning("nchan refused %s on %s: %s %s", event, topic, resp.status, info[:200])
                    return 0
                return _subscribers(info)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                self._local.conn = None
                # Only a kept-alive connection that nginx had closed (a restart, its keep-alive
                # timeout) is tried again: the request may have been published otherwise, and
                # twice would be worse than never (pages re-fetch their state on reconnect).
                if not (reused and isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError))):
                    log.warning("live event %s on %s not published: %s", event, topic, e)
                    return 0

    def count(self, topic=None):
        return 0

    @staticmethod
    def stream_redirect(topics, last_event_id=None):
        """The internal location nginx hands an /api/v1/events request to (X-Accel-Redirect)."""
        uri = "/_live/" + ",".join(quote(t, safe=":") for t in sorted(topics))
        if last_event_id:
            uri += "?last_event_id=" + quote(last_event_id, safe="")
        return uri


def _subscribers(info):
    for line in info.decode("utf-8", "replace").splitlines():
        if line.startswith("active subscribers:"):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                return 0
    return 0


def broadcaster(app):
    b = app.extensions.get("yishi_events")
    if b is None:
        path = app.extensions["yishi"].config.extra.get("nchan_socket") if "yishi" in app.extensions else None
        b = app.extensions.setdefault("yishi_events", NchanPublisher(path) if path else Broadcaster())
    return b
