"""Live updates over Server-Sent Events: one broadcaster per (single) gunicorn worker.

A client subscribes to topics (`person:7`, `meeting:3`, `screen:3`, `staff`); `publish` puts the
event on every matching subscriber's queue and wakes it. Clients wait on an in-memory
condition, never poll the database, so a result reaches hundreds of tablets in milliseconds.
"""

import collections
import itertools
import json
import threading
import time

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


def broadcaster(app):
    return app.extensions.setdefault("yishi_events", Broadcaster())
