"""Attendance pushes, coalesced: at most one `attendance` event per meeting per window.

Each 签到 used to push the attendance to every tablet of the meeting: N sign-ins, N² events
(250,000 for 500 tablets; in the benchmark the sign-in burst took 23 s, most of it in waking the
event-stream threads, bench/RESULTS.md). Here the first change of a quiet spell is pushed at
once, so a lone sign-in shows instantly; changes inside the window are folded into one push at
its end, made by one pusher thread that reads the attendance afresh (after every COMMIT so far),
so the last figure every tablet sees is the true one.
"""

import logging
import threading
import time

from appliance.meetings import core

WINDOW = 0.25  # seconds

log = logging.getLogger("yishi.attendance")


class AttendancePusher:
    def __init__(self, store, broadcaster, window=WINDOW):
        self.store, self.broadcaster, self.window = store, broadcaster, window
        self._cond = threading.Condition()
        self._due = {}  # meeting id -> when its trailing push is due (monotonic)
        self._quiet_until = {}  # meeting id -> end of its current window
        self._thread = None

    def changed(self, meeting_id, data):
        """The attendance of a meeting changed (its COMMIT has returned); `data` is the caller's
        fresh figures, pushed at once if the meeting has been quiet for a window."""
        now = time.monotonic()
        with self._cond:
            if now >= self._quiet_until.get(meeting_id, 0.0) and meeting_id not in self._due:
                self._quiet_until[meeting_id] = now + self.window
                # Under the lock, so that a trailing push can never overtake this one.
                self.broadcaster.publish(f"meeting:{meeting_id}", "attendance", data)
                return
            self._due.setdefault(meeting_id, self._quiet_until[meeting_id])
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="attendance-push", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                while not self._due:
                    self._cond.wait()
                meeting_id, at = min(self._due.items(), key=lambda kv: kv[1])
                delay = at - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                del self._due[meeting_id]
                self._quiet_until[meeting_id] = time.monotonic() + self.window
                try:
                    data = core.attendance(self.store, meeting_id).to_json()
                except Exception:  # the store was closed (sealed again): nothing to push to
                    log.exception("attendance of meeting %s could not be read", meeting_id)
                    continue
                self.broadcaster.publish(f"meeting:{meeting_id}", "attendance", data)


_lock = threading.Lock()


def pusher(app, store):
    """The app's pusher for this (unlocked) store."""
    from appliance.web.events import broadcaster

    with _lock:
        p = app.extensions.get("yishi_attendance")
        if p is None or p.store is not store:
            p = app.extensions["yishi_attendance"] = AttendancePusher(store, broadcaster(app))
        return p
