"""Backup and restore (备份与恢复): one file that brings the whole appliance back onto a new card.

A backup is a consistent snapshot of the store, taken with SQLite's online backup API on a
connection of its own (never a copy of the live file, whose WAL may hold committed pages the
file does not), plus every other file of the data folder a new card needs: the keyring, the
settings, the TLS CA and server certificate (so tablets keep trusting the appliance), the
export signing key, and whatever a later version keeps there. The snapshot stays SQLCipher-
encrypted with the same data key; the other files are sealed with AES-256-GCM under a key
derived (HKDF) from the data key. Only the keyring travels readable, as it does on the card:
it holds the data key wrapped, and is what lets `restore` turn the admin passphrase into it.

One file, laid out so that the snapshot is written straight to its place on the stick and
never copied again (on a Pi, writing the stick is what takes the time):

    [store snapshot: S bytes][header: H bytes, JSON][sealed: C bytes][footer: 32 bytes]
    footer = b"YISHIBK1" + S, H, C as big-endian 64-bit numbers

The header carries the keyring and the nonce and salt of the seal; the sealed part holds the
other files and the SHA-256 of the snapshot, and authenticates the header (it is the AEAD's
associated data). So a changed byte anywhere is found before anything is written, and named:
the footer, the header, the sealed part or the snapshot. This module owns the format, the
rotation of the backups kept in one folder, and the record of each backup in the store
(`backups` table and the audit log); the stick itself is appliance/usb's door helper's.
"""

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import tempfile
import time
from pathlib import Path

import sqlcipher3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit
from appliance.store.db import DB_FILE, FULL, HEALTH_SUFFIX, WRITER_LOCK_SUFFIX, problem_of
from appliance.store.keys import KEYRING, Keyring, KeyringDamaged

FORMAT = "yishi-backup"
VERSION = 1
MAGIC = b"YISHIBK1"
FOOTER = struct.Struct(">8sQQQ")
SUFFIX = ".yishi-backup"
PARTIAL = ".partial"
NAME = re.compile(r"^yishi-backup-(\d{8}T\d{6}Z)(?:-(\d+))?" + re.escape(SUFFIX) + "$")
HKDF_INFO = b"yishi backup v1/sealed files"
DEFAULT_KEEP = 7
# The admin page warns when the newest backup is older than this.
STALE_AFTER = 24 * 3600
# The nightly run asks `backup_due` whenever the stick is in; a backup counts for "tonight" when
# it is younger than 20 h, so a run that drifts by an hour or two still makes one per night.
DUE_AFTER = 20 * 3600
CHUNK = 1 << 20
# Files of the data folder that are not data: the live store and SQLite's companions (the
# snapshot is the store), its shared health record (it describes this card, not the next one),
# nginx's runtime folder (rewritten at every start), probes and the half-written temporaries of
# write-then-rename.
LIVE = {DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", DB_FILE + "-journal", DB_FILE + WRITER_LOCK_SUFFIX,
        DB_FILE + HEALTH_SUFFIX, KEYRING}
RUNTIME_DIRS = {"edge"}


def N_(msgid):
    """Marks a message for the catalogue (Babel's default keyword); BackupRefused translates it."""
    return msgid


class BackupRefused(UserError):
    """A backup or restore that cannot go ahead; nothing was written. `msgid` and `params` let
    the CLI print the message in Chinese and English (there is no request to pick one)."""

    def __init__(self, code, msgid, status=400, **params):
        super().__init__(code, _l(msgid, **params), status=status)
        self.msgid, self.params = msgid, params

    def in_both(self):
        zh = _catalogue()
        return f"{zh.gettext(self.msgid) % self._params(zh.gettext)} / {self.msgid % self._params(str)}"

    def _params(self, translate):
        return self.params


class BackupDamaged(BackupRefused):
    """Which part of the backup file is damaged (`part`, one of PARTS) and what was seen there."""

    def __init__(self, part, detail):
        super().__init__("backup_damaged", N_("The backup file is damaged (%(part)s: %(detail)s). Nothing was written; use an older backup."),
                         part=_l(part), detail=detail)
        self.part, self.detail = part, detail

    def _params(self, translate):
        return {"part": translate(self.part), "detail": self.detail}


PARTS = (N_("end marker"), N_("header"), N_("keyring"), N_("sealed files or header"), N_("sealed files"), N_("store snapshot"))


def _catalogue():
    from babel.support import Translations

    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "webui", "translations", "backup")
    return Translations.load(folder, ["zh_CN"])


@dataclasses.dataclass(frozen=True)
class LastBackup:
    at: float
    size: int
    where: str
    file: str
    sha256: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class Restored:
    data_dir: str
    files: int
    store_bytes: int
    audit_entries: int
    audit_head: str
    created: float


# -- the record -------------------------------------------------------------------------------

def last_backup(store):
    """The newest backup recorded in this store (time, size, where), or None."""
    row = store.one("SELECT at, size, place, file, sha256, seconds FROM backups ORDER BY at DESC, id DESC LIMIT 1")
    return None if row is None else LastBackup(*row)


def backup_due(store, now):
    """Whether the nightly run should write a backup now: none yet, or the last is from an earlier night."""
    last = last_backup(store)
    return last is None or now - last.at >= DUE_AFTER


def status(store, now):
    """What the admin page shows: the last backup (or None) and whether to warn."""
    last = last_backup(store)
    return {"last": last, "stale": last is None or now - last.at > STALE_AFTER,
            "age_hours": None if last is None else max(0, int((now - last.at) // 3600))}


# -- writing ----------------------------------------------------------------------------------

def _seal_key(data_key, salt):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=HKDF_INFO).derive(data_key)


def _b64(b):
    return base64.b64encode(b).decode("ascii")


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def data_files(data_dir, skip=()):
    """Every regular file of the data folder a new card needs, as (relative path, mode, bytes);
    sorted, so two backups of the same folder seal the same list."""
    found = []
    for root, dirs, files in os.walk(data_dir):
        rel_root = os.path.relpath(root, data_dir)
        dirs[:] = sorted(d for d in dirs if not (rel_root == "." and d in RUNTIME_DIRS)
                         and not any(_inside(os.path.join(root, d), s) for s in skip))
        for name in sorted(files):
            rel = os.path.normpath(os.path.join(rel_root, name))
            if (rel in LIVE or name.startswith(".yishi-write-test") or name.endswith(".tmp")):
                continue
            path = os.path.join(root, name)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):  # sockets, links: made again at start, never data
                continue
            with open(path, "rb") as f:
                found.append((rel, stat.S_IMODE(st.st_mode), f.read()))
    return found


def _stamp(now):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def _final_name(dest_dir, now):
    base = f"yishi-backup-{_stamp(now)}"
    name, n = base + SUFFIX, 1
    while os.path.exists(os.path.join(dest_dir, name)):
        n += 1
        name = f"{base}-{n}{SUFFIX}"
    return name


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hash_range(f, start, length, progress=None, done=0, total=0):
    """SHA-256 of `length` bytes of `f` from `start`: (hash object, bytes actually there)."""
    h = hashlib.sha256()
    f.seek(start)
    left = length
    while left:
        block = f.read(min(CHUNK, left))
        if not block:
            break
        h.update(block)
        left -= len(block)
        if progress:
            progress(done + (length - left), total)
    return h, length - left


def _snapshot(store, path):
    """The store as of one moment, into `path`: one `sqlite3_backup_step(-1)` under a single read
    transaction. Stepping page by page would let writers in (WAL) and SQLite restarts a backup
    whose source another connection changed, so under a steady stream of ballots it might never
    finish; one step holds one snapshot, and writers go on into the WAL meanwhile."""
    from appliance.store.db import _connect

    key = store._key
    src = _connect(store.path, key, create=False)
    try:
        dst = sqlcipher3.connect(path, isolation_level=None)
        try:
            # The same raw key: SQLCipher's backup copies pages between databases keyed alike,
            # so the snapshot is the same encrypted store, openable with the same data key.
            dst.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            src.backup(dst)
            # Rollback journal for the copy: it is a file on a stick, not a live store, and
            # WAL would leave -wal/-shm companions beside it. `open_store` turns WAL on again.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def write_backup(store, data_dir, dest_dir, *, keep=None, progress=None, now=None, actor="backup"):
    """Write one backup file of the unlocked `store` and `data_dir` into `dest_dir`; keep the
    newest `keep` backups there (None: all). `progress(done, total)` gets byte counts. Returns
    the file's Path. Refuses (BackupRefused, nothing left behind) a missing folder or too
    little space."""
    now = time.time() if now is None else now
    dest_dir = os.path.abspath(dest_dir)
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        raise BackupRefused("backup_keep", N_("The number of backups to keep must be a whole number of at least 1."))
    if not os.path.isdir(dest_dir):
        raise BackupRefused("backup_no_folder", N_("The backup folder %(folder)s does not exist. Is the backup stick plugged in?"),
                            folder=dest_dir)
    if os.path.realpath(dest_dir) == os.path.realpath(data_dir):
        raise BackupRefused("backup_into_data", N_("A backup cannot be written into the data folder itself."))
    started = time.monotonic()
    files = data_files(data_dir, skip=(dest_dir,))
    with open(os.path.join(data_dir, KEYRING), "rb") as f:
        keyring_text = f.read().decode("utf-8")
    # The snapshot's size is the store's page count now (the WAL may hold pages the file does not
    # have yet, and old frames the snapshot will not need).
    live = int(store.scalar("PRAGMA page_count")) * int(store.scalar("PRAGMA page_size"))
    estimate = live + sum(len(b) for _, _, b in files) * 2 + 64 * 1024
    st = os.statvfs(dest_dir)
    if st.f_bavail * st.f_frsize < estimate:
        raise BackupRefused("backup_no_space",
                            N_("Not enough space for the backup: about %(need)d MB are needed, %(free)d MB are free."),
                            need=-(-estimate // 2**20), free=st.f_bavail * st.f_frsize // 2**20)
    if progress:
        progress(0, estimate)
    _remove_stale_partials(dest_dir)
    name = _final_name(dest_dir, now)
    tmp = os.path.join(dest_dir, "." + name + PARTIAL)
    try:
        _snapshot(store, tmp)
        store_size = os.path.getsize(tmp)
        total = store_size * 2 + sum(len(b) for _, _, b in files)
        with open(tmp, "r+b") as f:
            # The snapshot is hashed as written (read back, mostly from the page cache): the
            # backup API gives no stream to hash in flight.
            os.fsync(f.fileno())
            store_hash, _ = _hash_range(f, 0, store_size, progress, store_size, total)
            store_sha = store_hash.hexdigest()
            salt, nonce = os.urandom(16), os.urandom(12)
            header = json.dumps({
                "format": FORMAT, "version": VERSION, "created": now, "software": _software(),
                "store_size": store_size, "keyring": keyring_text,
                "salt": _b64(salt), "nonce": _b64(nonce), "cipher": "AES-256-GCM, HKDF-SHA256 of the data key",
            }, ensure_ascii=False, sort_keys=True).encode("utf-8")
            payload = json.dumps({
                "store": {"size": store_size, "sha256": store_sha},
                "files": [{"path": rel, "mode": mode, "data": _b64(data)} for rel, mode, data in files],
            }, sort_keys=True).encode("utf-8")
            sealed = AESGCM(_seal_key(store._key, salt)).encrypt(nonce, payload, header)
            footer = FOOTER.pack(MAGIC, store_size, len(header), len(sealed))
            f.seek(store_size)
            for part in (header, sealed, footer):
                f.write(part)
                store_hash.update(part)  # becomes the whole file's hash, for the record
            digest = store_hash.hexdigest()
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
        final = os.path.join(dest_dir, name)
        os.replace(tmp, final)
        _fsync_dir(dest_dir)
    except (OSError, sqlcipher3.Error) as e:
        _discard(tmp)
        # ENOSPC from our writes, SQLITE_FULL from the snapshot's (whose error from the backup
        # step carries no error code in sqlcipher3, only SQLite's words): the stick filled up
        if problem_of(e) == FULL or (isinstance(e, sqlcipher3.OperationalError) and "is full" in str(e)):
            raise BackupRefused("backup_no_space_left", N_("The backup stick became full while writing; nothing was kept. Free space or use a larger stick.")) from e
        raise
    except BaseException:
        _discard(tmp)
        raise
    seconds = time.monotonic() - started
    with store.write() as db:
        db.execute("INSERT INTO backups (at, size, place, file, sha256, seconds) VALUES (?,?,?,?,?,?)",
                   (now, size, dest_dir, name, digest, seconds))
        audit.record(db, actor, "backup.written", {"file": name, "place": dest_dir, "size": size, "sha256": digest,
                                                   "files": [rel for rel, _, _ in files]}, now=now)
    if keep is not None:
        rotate(dest_dir, keep)
    if progress:
        progress(total, total)
    return Path(final)


def _discard(tmp):
    """A failed backup's partial file, and the rollback journal SQLite may have left beside it."""
    for path in (tmp, tmp + "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(path)


def _software():
    from appliance import __version__

    return __version__


def _remove_stale_partials(dest_dir, older_than=3600):
    """Half-written backups of a run that lost its power or its stick take space the next night
    needs. Only our own names, and only those nobody has written to for an hour (a run in
    progress touches its file all the time)."""
    cutoff = time.time() - older_than
    for name in os.listdir(dest_dir):
        if name.startswith(".yishi-backup-") and name.endswith(PARTIAL):
            path = os.path.join(dest_dir, name)
            with contextlib.suppress(OSError):
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)


def backups_in(dest_dir):
    """The backup files in a folder, oldest first (by the time in their names)."""
    found = []
    for name in os.listdir(dest_dir):
        m = NAME.match(name)
        if m:
            found.append((m.group(1), int(m.group(2) or 1), name))
    return [os.path.join(dest_dir, name) for _, _, name in sorted(found)]


def rotate(dest_dir, keep):
    """Remove all but the newest `keep` backups (only files named as ours; nothing else on the
    stick is touched). Returns the removed paths."""
    old = backups_in(dest_dir)[:-keep] if keep else []
    for path in old:
        os.unlink(path)
    if old:
        _fsync_dir(dest_dir)
    return old


# -- reading and restoring --------------------------------------------------------------------

def _damaged(part, detail):
    assert part in PARTS, part
    return BackupDamaged(part, detail)


@dataclasses.dataclass
class _Opened:
    header: dict
    header_bytes: bytes
    store_size: int
    sealed_at: int
    sealed_size: int


def _open_backup(f, size, name):
    if size < FOOTER.size:
        raise _damaged("end marker", f"{name} has {size} bytes, too short to be a backup (truncated?)")
    f.seek(size - FOOTER.size)
    magic, s, h, c = FOOTER.unpack(f.read(FOOTER.size))
    if magic != MAGIC:
        raise _damaged("end marker", f"{name} does not end with a Yishi backup's marker: truncated, or not a backup")
    if s + h + c + FOOTER.size != size:
        raise _damaged("end marker", f"the parts add up to {s + h + c + FOOTER.size} bytes, the file has {size}")
    f.seek(s)
    header_bytes = f.read(h)
    try:
        header = json.loads(header_bytes.decode("utf-8"))
    except ValueError as e:
        raise _damaged("header", f"not valid JSON ({e})") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("store_size") != s:
        raise _damaged("header", "format or sizes do not match the file")
    if header.get("version") != VERSION:
        raise BackupRefused("backup_version", N_("This backup was made by a newer Yishi (format %(v)s); install that version to restore it."),
                            v=str(header.get("version")))
    return _Opened(header, header_bytes, s, s + h, c)


def _unwrap_key(header, passphrase):
    with tempfile.TemporaryDirectory() as tmp:
        # The keyring's own checks (shape, check values) before any KDF runs.
        with open(os.path.join(tmp, KEYRING), "w", encoding="utf-8") as f:
            f.write(header.get("keyring") if isinstance(header.get("keyring"), str) else "")
        try:
            ring = Keyring.load(tmp)
            return ring.unlock_with_passphrase(passphrase)
        except KeyringDamaged as e:
            raise _damaged("keyring", e.detail) from e
        except Exception as e:  # a keyring of a newer version, or not one at all
            raise _damaged("keyring", str(e)) from e


def _unb64(value):
    return base64.b64decode(value.encode("ascii"), validate=True)


def read_backup(backup_file, passphrase):
    """Check a backup completely with the passphrase, writing nothing: (data key, opened, files).
    Raises BackupRefused for a wrong passphrase, BackupDamaged naming the damaged part."""
    backup_file = os.fspath(backup_file)
    try:
        f = open(backup_file, "rb")
    except OSError as e:
        raise BackupRefused("backup_unreadable", N_("Cannot read the backup file %(file)s (%(why)s)."),
                            file=backup_file, why=e.strerror) from e
    with f:
        size = os.fstat(f.fileno()).st_size
        opened = _open_backup(f, size, os.path.basename(backup_file))
        key = _unwrap_key(opened.header, passphrase)
        if key is None:
            raise BackupRefused("wrong_passphrase", N_("The passphrase is wrong for this backup. Nothing was written."), status=403)
        try:
            salt, nonce = _unb64(opened.header["salt"]), _unb64(opened.header["nonce"])
        except (KeyError, ValueError, AttributeError) as e:
            raise _damaged("header", "salt or nonce missing or malformed") from e
        f.seek(opened.sealed_at)
        sealed = f.read(opened.sealed_size)
        try:
            payload = json.loads(AESGCM(_seal_key(key, salt)).decrypt(nonce, sealed, opened.header_bytes))
        except InvalidTag as e:
            raise _damaged("sealed files or header", "the authentication tag does not match (AES-GCM)") from e
        digest, got = _hash_range(f, 0, opened.store_size)
        digest = digest.hexdigest()
        if got != opened.store_size or digest != payload["store"]["sha256"]:
            raise _damaged("store snapshot", f"SHA-256 {digest[:16]}… differs from the sealed {payload['store']['sha256'][:16]}…")
        files = []
        for item in payload["files"]:
            rel = os.path.normpath(item["path"])
            if rel.startswith(("/", "..")) or rel in LIVE or rel.split(os.sep)[0] in RUNTIME_DIRS:
                raise _damaged("sealed files", f"unexpected path {item['path']!r}")
            files.append((rel, int(item["mode"]) & 0o777, _unb64(item["data"])))
    return key, opened, files


# What a new card's data folder holds before anyone restores or initialises it: first boot's
# `yishi init --secrets-only` (settings, a TLS CA nobody trusts yet) and a sealed start's nginx
# runtime folder. A restore replaces the first two with the backup's; anything else in the folder
# (a keyring, a store, any other file) means it is not a new card, and it is refused.
FIRST_BOOT = {"config.json", "tls", "edge"}


def _in_the_way(data_dir):
    if not os.path.exists(data_dir):
        return []
    if not os.path.isdir(data_dir):
        return [os.path.basename(data_dir)]
    return sorted(n for n in os.listdir(data_dir) if n not in FIRST_BOOT)


def restore(backup_file, data_dir, passphrase):
    """Restore a backup onto a new card's data folder: missing, empty, or holding only what first
    boot made (FIRST_BOOT, replaced by the backup's). Everything is checked before the first
    byte is written; a refusal or a failure leaves the folder as it was. Returns `Restored`."""
    from appliance.store import open_store

    data_dir = os.path.abspath(data_dir)
    in_the_way = _in_the_way(data_dir)
    if in_the_way:
        raise BackupRefused("restore_not_empty",
                            N_("The folder %(folder)s is not a new card's data folder (it holds %(found)s). Restore only onto a new card; nothing was changed."),
                            folder=data_dir, found=", ".join(in_the_way[:5]), status=409)
    key, opened, files = read_backup(backup_file, passphrase)
    made_dir = not os.path.exists(data_dir)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    found = set(os.listdir(data_dir))
    aside = None
    try:
        stage = tempfile.mkdtemp(prefix=".yishi-restore-", dir=data_dir)
        with open(backup_file, "rb") as src, open(os.path.join(stage, DB_FILE), "wb") as dst:
            os.fchmod(dst.fileno(), 0o600)
            left = opened.store_size
            while left:
                block = src.read(min(CHUNK, left))
                dst.write(block)
                left -= len(block)
            dst.flush()
            os.fsync(dst.fileno())
        for rel, mode, data in files:
            path = os.path.join(stage, rel)
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        fd = os.open(os.path.join(stage, KEYRING), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(opened.header["keyring"])
            out.flush()
            os.fsync(out.fileno())
        # First boot's settings and CA step aside (and come back if anything below fails).
        names = sorted(os.listdir(stage), key=lambda n: n == KEYRING)
        replaced = [n for n in names if n in found]
        if replaced:
            aside = tempfile.mkdtemp(prefix=".yishi-replaced-", dir=data_dir)
            for name in replaced:
                os.replace(os.path.join(data_dir, name), os.path.join(aside, name))
        # Into place, the keyring last: a folder with a keyring says "this appliance has a store".
        for name in names:
            os.replace(os.path.join(stage, name), os.path.join(data_dir, name))
        os.rmdir(stage)
        _fsync_dir(data_dir)
        store = open_store(data_dir, key)
        try:
            verdict = audit.verify(store)
        finally:
            store.close()
    except BaseException:
        _roll_back(data_dir, found, aside, made_dir)
        raise
    if aside:
        shutil.rmtree(aside, ignore_errors=True)
    return Restored(data_dir, len(files), opened.store_size, verdict.entries, verdict.head, opened.header["created"])


def _roll_back(data_dir, found, aside, made_dir):
    """Put a failed restore's folder back the way it was found."""
    for name in os.listdir(data_dir):
        path = os.path.join(data_dir, name)
        if (name in found and not (aside and name in os.listdir(aside))) or path == aside:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    if aside:
        for name in os.listdir(aside):
            os.replace(os.path.join(aside, name), os.path.join(data_dir, name))
        os.rmdir(aside)
    if made_dir:
        with contextlib.suppress(OSError):
            os.rmdir(data_dir)
