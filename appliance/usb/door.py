"""The web process's side of the USB door (U盘): what the 导出 / 导入 / 备份 pages call.

It never mounts and never touches the stick. It reads the privileged helper's state from the
channel, builds what should go onto the stick in a spool job folder (the signed export bag of
appliance.usb.export, a backup of appliance.usb.backup) and asks the helper to copy it, or asks
the helper for chosen files from the stick and checks them by content (appliance.usb.importer)
before anything reaches the store. Each job's folder carries `job.json` (what, who, when), so
the outcome the helper reports later is audited with the person who asked. The watcher turns
every change of the helper's state into one live event (`usb.state` on the topic `usb`).
"""

import fcntl
import json
import logging
import os
import shutil
import threading
import time

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.rules import usb as rules
from appliance.store import audit
from appliance.usb import channel as ch

log = logging.getLogger("yishi.usb")

TOPIC = "usb"
EVENT = "usb.state"
BACKUP_FOLDER = "议事备份"
STICK_FIELDS = ("vendor", "model", "serial", "label", "fs", "size", "uuid", "encrypted")


class Door:
    """The channel and spool folders the web process uses (docs/usb.md)."""

    def __init__(self, channel=None, spool=None):
        self.channel, self.spool = ch.paths(channel, spool)

    # ---- what the page shows -------------------------------------------------------------

    def status(self):
        state = ch.read_state(self.channel)
        state["others"] = ch.read_others(self.channel)
        return state

    def _idle_stick(self):
        """The current stick, if it takes a request now; else the reason as a UserError."""
        state = ch.read_state(self.channel)
        if state["state"] == rules.NO_STICK:
            raise UserError("usb_no_stick", _l("No stick is plugged in. Plug the stick into the appliance and wait for it to appear here."), status=409)
        if state["state"] in (rules.LOCKED, rules.WRONG_PASSPHRASE):
            raise UserError("usb_locked", _l("The stick is encrypted: type its passphrase first."), status=409)
        if state["state"] not in rules.IDLE:
            raise UserError("usb_busy", _l("The stick is busy: wait until the current step has finished."), status=409)
        if state.get("ejected"):
            raise UserError("usb_ejected", _l("The stick was prepared for removal: pull it out and plug it in again."), status=409)
        return state

    # ---- jobs ---------------------------------------------------------------------------------

    def _new_job(self, kind, actor_id, **facts):
        jobs = os.path.join(self.spool, "jobs")
        if not os.path.isdir(jobs):
            os.makedirs(jobs, exist_ok=True)
            os.chmod(jobs, 0o2770)  # the web service's umask is 0077; the helper enters as a group member
        job = ch.make_job(self.spool)
        folder = os.path.join(self.spool, "jobs", job)
        os.chmod(folder, 0o2770)  # the helper reads and writes it as a member of the group (setgid keeps it)
        with open(os.path.join(folder, "job.json"), "w", encoding="utf-8") as f:
            json.dump({"kind": kind, "actor": actor_id, "at": time.time(), **facts}, f, ensure_ascii=False)
        return job, folder

    def job_facts(self, job):
        if not rules.JOB_ID.match(job or ""):
            return None
        try:
            with open(os.path.join(self.spool, "jobs", job, "job.json"), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def forget(self, job):
        """Remove a job's spool folder (export files are plain files: they do not stay)."""
        if rules.JOB_ID.match(job or ""):
            shutil.rmtree(os.path.join(self.spool, "jobs", job), ignore_errors=True)

    @staticmethod
    def _share(top):
        """The web service's umask is 0077: open what it wrote to the helper's group."""
        for root, dirs, names in os.walk(top):
            os.chmod(root, 0o2770)
            for name in names:
                os.chmod(os.path.join(root, name), 0o640)

    # ---- export (导出) ----------------------------------------------------------------------

    def start_export(self, store, data_dir, meeting_ids, *, actor_id, archive_passphrase=None):
        """Build the signed export of these meetings in the spool and ask the helper to write it."""
        from appliance.usb import export

        state = self._idle_stick()
        stick = _stick(state)
        if stick.get("read_only"):
            raise UserError("usb_read_only", _l("The stick is write-protected: slide its lock switch off, or use another stick."), status=409)
        needed = export.estimate_bytes(store, meeting_ids)
        if needed > (state.get("stick") or {}).get("free", 0):
            raise UserError("usb_no_space", _l("Not enough space on the stick: %(needed)d MB needed, %(free)d MB free. Nothing was written.",
                                               needed=-(-needed // 2**20), free=(state["stick"].get("free") or 0) // 2**20), status=409)
        job, folder = self._new_job("export", actor_id, meetings=list(meeting_ids))
        stage = os.path.join(folder, "stage")
        os.mkdir(stage)
        try:
            result = export.export_minutes(store, data_dir, meeting_ids, stage, actor_id=actor_id, stick=stick,
                                           encrypted_target=bool(stick.get("encrypted")),
                                           archive_passphrase=archive_passphrase or None)
            name = os.path.basename(result.path)
            out = os.path.join(folder, "out")
            if os.path.isdir(result.path):
                os.rename(result.path, out)
            else:  # the 7z archive: one file in the stick's folder
                os.mkdir(out)
                os.rename(result.path, os.path.join(out, name))
                name = name.removesuffix(".7z")
            self._share(folder)
            ch.submit(self.channel, "write", job, folder=name)
        except BaseException:
            self.forget(job)
            raise
        return job

    # ---- backup (备份) -------------------------------------------------------------------------

    def start_backup(self, store, data_dir, *, actor_id, keep=None):
        from appliance.usb import backup

        state = self._idle_stick()
        if _stick(state).get("read_only"):
            raise UserError("usb_read_only", _l("The stick is write-protected: slide its lock switch off, or use another stick."), status=409)
        job, folder = self._new_job("backup", actor_id)
        out = os.path.join(folder, "out")
        os.mkdir(out)
        try:
            path = backup.write_backup(store, data_dir, out, actor=actor_id)
            self._share(folder)
            if keep is None:
                from appliance.config import Settings

                keep = Settings.load(data_dir).backup_keep
            ch.submit(self.channel, "write", job, folder=BACKUP_FOLDER, merge=True, keep=keep)
        except BaseException:
            self.forget(job)
            raise
        return job, str(path)

    # ---- import (导入) --------------------------------------------------------------------------

    def start_fetch(self, ids, *, actor_id, store=None):
        state = self._idle_stick()
        listed = {f["id"] for f in state.get("files") or ()}
        ids = [i for i in dict.fromkeys(ids) if i in listed]
        if not ids:
            raise UserError("usb_nothing_chosen", _l("Choose at least one file to import."), status=400)
        if len(ids) > rules.MAX_FETCH:
            raise UserError("usb_too_many", _l("At most %(n)d files at a time.", n=rules.MAX_FETCH), status=400)
        job, _ = self._new_job("import", actor_id, files=ids, stick=_stick(state))
        ch.submit(self.channel, "fetch", job, files=ids)
        _audit(store, actor_id, "usb.fetch", {"job": job, "files": len(ids), "stick": _stick(state)})
        return job

    def fetched_folder(self, job):
        """The fetched files under harmless names (the stick's own names made safe, never used
        as given), ready for appliance.usb.importer.scan; None until the helper has fetched them."""
        from appliance.usb.importer import safe_name

        base = os.path.join(self.spool, "jobs", job)
        if not rules.JOB_ID.match(job or "") or not os.path.isdir(base):
            return None
        view = os.path.join(base, "view")
        if os.path.isdir(view):
            return view
        got = os.path.join(base, "in")
        try:
            with open(os.path.join(got, "index.json"), "rb") as f:
                index = json.loads(f.read(1024 * 1024))
        except (OSError, ValueError):
            return None
        os.mkdir(view, 0o700)
        taken = set()
        for entry in index:
            i = entry.get("id")
            if type(i) is not int:
                continue
            name = safe_name(str(entry.get("name", "")).rsplit("/", 1)[-1]) or str(i)
            if name in taken:
                stem, dot, ext = name.rpartition(".")
                name = f"{stem}-{i}.{ext}" if dot else f"{name}-{i}"
            taken.add(name)
            os.rename(os.path.join(got, str(i)), os.path.join(view, name))
        return view

    # ---- LUKS, eject ----------------------------------------------------------------------------

    def unlock(self, passphrase, store=None, actor_id=None):
        state = ch.read_state(self.channel)
        if state["state"] not in (rules.LOCKED, rules.WRONG_PASSPHRASE):
            raise UserError("usb_not_locked", _l("The stick is not waiting for a passphrase."), status=409)
        if not passphrase or len(passphrase) > rules.MAX_PASSPHRASE_CHARS or "\n" in passphrase or "\0" in passphrase:
            raise UserError("usb_bad_passphrase", _l("Type the stick's passphrase (one line, at most %(n)d characters).",
                                                     n=rules.MAX_PASSPHRASE_CHARS), status=400)
        job = ch.submit(self.channel, "unlock", ch.new_job(), passphrase=passphrase)
        _audit(store, actor_id, "usb.unlock", {"job": job, "stick": _stick(state)})  # never the passphrase
        return job

    def eject(self, store=None, actor_id=None):
        state = self._idle_stick()
        job = ch.submit(self.channel, "eject", ch.new_job())
        _audit(store, actor_id, "usb.eject", {"job": job, "stick": _stick(state)})
        return job

    # ---- outcomes ---------------------------------------------------------------------------------

    def settle(self, store, state):
        """Audit the outcome of a job the helper has finished, once, and drop its spool files."""
        job = state.get("job")
        kind_of = {rules.DONE: "usb.written", rules.ERROR: "usb.write_failed", rules.NO_SPACE: "usb.write_refused",
                   rules.READ_ONLY: "usb.write_refused", rules.FETCHED: None}
        if state["state"] not in kind_of or not job:
            return False
        facts = self.job_facts(job)
        if facts is None or facts.get("settled"):
            return False
        action = kind_of[state["state"]]
        if action is None:
            return False  # fetched files wait for staff to choose; the import audits itself
        if facts["kind"] == "import" and state["state"] == rules.ERROR:
            action = "usb.fetch_failed"
        detail = {"job": job, "kind": facts["kind"], "state": state["state"], "stick": _stick(state)}
        for key in ("folder", "error", "done", "total", "bytes_total", "needed", "free"):
            if key in state:
                detail[key] = state[key]
        if store is not None:
            with store.write() as db:
                audit.record(db, facts.get("actor") or "usb", action, detail)
        if facts["kind"] in ("export", "backup"):
            self.forget(job)
        else:
            self._mark_settled(job, facts)
        return True

    def _mark_settled(self, job, facts):
        path = os.path.join(self.spool, "jobs", job, "job.json")
        try:
            with open(path, "w", encoding="utf-8") as f:
                json.dump({**facts, "settled": True}, f, ensure_ascii=False)
        except OSError:
            pass


# ---- the backup stick (备份U盘) ---------------------------------------------------------------------

def designated_stick(store):
    row = store.one("SELECT uuid, label, vendor, model, serial, designated_at, designated_by FROM backup_sticks WHERE id = 1")
    return None if row is None else dict(zip(("uuid", "label", "vendor", "model", "serial", "at", "by"), row))


def designate(store, state, *, actor_id, now=None):
    """Make the stick plugged in now the backup stick (it is known by its UUID from then on)."""
    stick = _stick(state)
    if state["state"] == rules.NO_STICK or not stick.get("uuid"):
        raise UserError("usb_no_stick", _l("No stick is plugged in. Plug the stick into the appliance and wait for it to appear here."), status=409)
    now = time.time() if now is None else now
    fields = [str(stick.get(k))[:64] if stick.get(k) else None for k in ("uuid", "label", "vendor", "model", "serial")]
    with store.write() as db:
        db.execute("INSERT INTO backup_sticks (id, uuid, label, vendor, model, serial, designated_at, designated_by) "
                   "VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET uuid = excluded.uuid, "
                   "label = excluded.label, vendor = excluded.vendor, model = excluded.model, serial = excluded.serial, "
                   "designated_at = excluded.designated_at, designated_by = excluded.designated_by",
                   (*fields, now, str(actor_id)))
        audit.record(db, actor_id, "usb.backup_stick", {"stick": stick}, now)


def nightly_backup_due(door, store, state, now):
    """Whether the nightly backup should start now: the designated stick is in and idle, and
    appliance.usb.backup says one is due."""
    from appliance.usb import backup

    if store is None or state["state"] not in (rules.FOUND, rules.DONE) or state.get("ejected"):
        return False
    chosen = designated_stick(store)
    stick = _stick(state)
    return (chosen is not None and stick.get("uuid") == chosen["uuid"] and not stick.get("read_only")
            and backup.backup_due(store, now))


def _audit(store, actor_id, action, detail):
    if store is not None:
        with store.write() as db:
            audit.record(db, actor_id if actor_id is not None else "usb", action, detail)


def _stick(state):
    stick = state.get("stick") or {}
    out = {k: stick[k] for k in STICK_FIELDS if stick.get(k) not in (None, "")}
    out["read_only"] = bool(stick.get("read_only"))
    return out


# ---- the watcher: one live event per state change ----------------------------------------------

class Watcher:
    """Publishes `usb.state` whenever the helper's state or the list of refused sticks changes,
    and audits finished jobs. Every worker starts one; a lock in the channel lets only one of
    them watch at a time (the next takes over if its process dies)."""

    def __init__(self, door, publish, store_getter, data_dir=None, interval=0.25, nightly_every=60):
        self.door, self.publish, self.store_getter, self.interval = door, publish, store_getter, interval
        self.data_dir, self.nightly_every = data_dir, nightly_every
        self._thread = None
        self._next_nightly = 0.0

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="usb-watch", daemon=True)
            self._thread.start()
        return self

    def _run(self):
        while True:
            try:
                lock = os.open(os.path.join(self.door.channel, "watch.lock"), os.O_RDWR | os.O_CREAT, 0o660)
                break
            except OSError:
                time.sleep(5)  # the channel folder is made at boot; wait for it
        fcntl.flock(lock, fcntl.LOCK_EX)
        last = None
        while True:
            try:
                state = self.door.status()
                key = (state.get("pid"), state.get("seq"), json.dumps(state.get("others"), sort_keys=True))
                if key != last:
                    last = key
                    try:
                        self.door.settle(self.store_getter(), state)
                    except Exception:
                        log.exception("USB job outcome not audited")
                    self.publish(TOPIC, EVENT, {"state": state["state"], "seq": state.get("seq"), "job": state.get("job")})
                self._nightly(state)
            except Exception:
                log.exception("USB state not read")
            time.sleep(self.interval)

    def _nightly(self, state):
        now = time.monotonic()
        if self.data_dir is None or now < self._next_nightly:
            return
        self._next_nightly = now + self.nightly_every
        store = self.store_getter()
        if nightly_backup_due(self.door, store, state, time.time()):
            try:
                self.door.start_backup(store, self.data_dir, actor_id="backup")
            except Exception:
                log.exception("nightly backup not started")
