"""The air-gap watchdog's findings inside the app: put into words for the red banner (what was
seen, what to unplug), recorded in the audit log once each, and pushed as a live `airgap` event
to the admin's and the secretary's pages.

The watchdog (appliance/network/watchdog.py, its own sandboxed service with CAP_NET_RAW) and the
web app share nothing but its state file, read-only here: the narrowest channel there is. Every
worker process follows the file on a small thread; the audit entry is written once for all of
them (under a lock file, after checking the log), and the worker that wrote it publishes.
"""

import contextlib
import fcntl
import json
import logging
import os
import threading
import time

from appliance.i18n import lazy_gettext as _l
from appliance.network import status
from appliance.store import audit

log = logging.getLogger("yishi.airgap")

FOLLOW_SECONDS = 3.0  # the file is read this often: the banner is due within 30 s of a sighting
TOPICS = ("role:admin", "role:secretary", "role:chair")
SEEN, GONE = "airgap.seen", "airgap.gone"
LOCK_FILE = ".airgap.lock"

WHAT = {
    "dhcp": _l("A second DHCP server is answering on the meeting network (address %(source)s, device %(mac)s): "
               "tablets may take their address from it and leave the appliance."),
    "gateway": _l("A device offers tablets a way out of the meeting network (gateway %(routers)s, from %(source)s, "
                  "device %(mac)s)."),
    "ipv6_ra": _l("A device is announcing an IPv6 router on the meeting network (device %(mac)s)."),
    "dns": _l("A name server other than the appliance answers on the meeting network (address %(source)s, "
              "device %(mac)s)."),
}
DO = {
    "dhcp": _l("Unplug that device, or switch its DHCP off (an access point must run in AP or bridge mode)."),
    "gateway": _l("Unplug it now, and pull any cable from the access point's WAN or Internet port."),
    "ipv6_ra": _l("Unplug it: a router or a phone sharing its mobile data does this."),
    "dns": _l("Unplug that device, or switch its DNS off."),
}


def messages(findings):
    """One sentence pair per finding, in the reader's language: what was seen, what to do."""
    out = []
    for f in findings:
        kind = f.get("kind")
        if kind not in WHAT:
            continue
        detail = f.get("detail") or {}
        routers = ", ".join(detail.get("routers") or []) or str(f.get("source", "?"))
        what = WHAT[kind] % {"source": f.get("source", "?"), "mac": f.get("mac", "?"), "routers": routers}
        out.append({"kind": kind, "id": f.get("id"), "text": f"{what} {DO[kind]}"})
    return out


def current(config, now=None):
    """The watchdog's report for this appliance, or None where no network was provisioned."""
    try:
        net = status.load(status.network_file(config))
    except status.NetworkFileError:
        return None
    if net is None:
        return None
    return status.watch_report(net.watch_state, now)


# -- once into the audit log, and out as a live event ---------------------------------------------

def _open_ids(store):
    """Finding ids with an `airgap.seen` entry and no `airgap.gone` after it."""
    opened = set()
    for action, detail in store.all("SELECT action, detail FROM audit WHERE action IN (?, ?) ORDER BY seq",
                                    (SEEN, GONE)):
        fid = json.loads(detail).get("id")
        if action == SEEN:
            opened.add(fid)
        else:
            opened.discard(fid)
    return opened


@contextlib.contextmanager
def _one_worker(data_dir):
    fd = os.open(os.path.join(data_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def record(store, data_dir, report, now=None):
    """Audit what appeared and what went away since the log last said; returns (seen, gone).

    A watchdog that stopped writing is not taken to mean the rogue left: nothing is closed then."""
    now = time.time() if now is None else now
    findings = {f["id"]: f for f in report.findings}
    with _one_worker(data_dir):
        opened = _open_ids(store)
        seen = [f for fid, f in findings.items() if fid not in opened]
        gone = sorted(opened - set(findings)) if report.running else []
        if not seen and not gone:
            return [], []
        with store.write() as db:
            for f in seen:
                audit.record(db, "airgap-watch", SEEN, {"id": f["id"], "kind": f["kind"], "source": f.get("source"),
                                                        "mac": f.get("mac"), "detail": f.get("detail") or {}}, now)
            for fid in gone:
                audit.record(db, "airgap-watch", GONE, {"id": fid}, now)
    for f in seen:
        log.error("air gap: %s from %s (%s) recorded in the audit log", f["kind"], f.get("source"), f.get("mac"))
    return seen, gone


class Follower:
    """One per worker process: reads the watchdog's file every few seconds, records, publishes."""

    def __init__(self, appliance, publish, every=FOLLOW_SECONDS):
        self.appliance, self.publish, self.every = appliance, publish, every
        self._pid = None
        self._lock = threading.Lock()

    def start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="airgap-follow", daemon=True).start()

    def step(self):
        store = self.appliance.store
        report = current(self.appliance.config)
        if store is None or report is None or report.updated_at is None:
            return [], []
        seen, gone = record(store, self.appliance.config.data_dir, report)
        if seen or gone:
            data = {"findings": [{"id": f["id"], "kind": f["kind"]} for f in report.findings]}
            for topic in TOPICS:
                self.publish(topic, "airgap", data)
        return seen, gone

    def _run(self):
        while True:
            try:
                self.step()
            except Exception:  # a bad moment (store sealed meanwhile, a disk problem): try again
                log.exception("following the air-gap watchdog failed; trying again")
            time.sleep(self.every)
