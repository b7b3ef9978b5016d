"""The privileged USB helper (`yishi usb-helper DEVICE`): one process per stick, started by udev
through yishi-usb@<device>.service, and the only part of Yishi that mounts anything.

It owns the stick while it is plugged in: it probes it (blkid, sysfs, udev's database), unlocks a
LUKS volume with the passphrase staff typed (cryptsetup, passphrase on its stdin, never written
anywhere), mounts it `ro,nodev,nosuid,noexec` in the unit's private mount namespace, and then
does only what requests on the channel ask (appliance/usb/channel.py): copy a job's `out/` folder
onto the stick (remounted read-write for that, every file fsynced, the folder renamed into place
only when complete, then read-only again: safe to remove), or copy chosen files from the stick
into a job's `in/` folder, bounded in number and size, named by number. It never opens a file
on the stick other than to copy its bytes, never parses one, and never follows a symbolic link,
on the stick or in the spool. It reports every step in the channel's state file. A second stick
plugged in while one is held is named in the channel and refused until it is pulled.
"""

import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import stat
import subprocess
import tempfile
import time

from appliance.rules import usb as rules
from appliance.usb import channel as ch

log = logging.getLogger("yishi.usb")

CHUNK = 1024 * 1024
REPORT_EVERY = 0.1  # seconds between two "writing n of m" states
MAX_DEPTH = 4


class Pulled(Exception):
    """The stick went away (systemd stopped the unit as its device vanished, or the device is gone)."""


class Failed(Exception):
    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


def _run(*argv, input=None):
    return subprocess.run(argv, input=input, capture_output=True, timeout=120)


def _read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return default


@contextlib.contextmanager
def _shared_umask():
    """Folders the web process shares are made 0770 under umask 007 and inherit the setgid bit
    of the channel's and the spool's folders (tmpfiles.d makes those 2770 root:yishi). The helper
    never asks for a set-id bit itself: its unit's RestrictSUIDSGID= answers that with EPERM
    (the booted image found it: a chmod to 02770 ended the helper before its first state)."""
    old = os.umask(0o007)
    try:
        yield
    finally:
        os.umask(old)


def _dir_fd(parent_fd, name, create=False, mode=0o750):
    if create:
        try:
            os.mkdir(name, mode, dir_fd=parent_fd)
        except FileExistsError:
            pass
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)


class Helper:
    def __init__(self, device, channel=None, spool=None, mount_base=None, sys_root="/sys", dev_root="/dev",
                 udev_data="/run/udev/data", poll=0.2):
        self.kname = os.path.basename(device)
        if not self.kname or self.kname.startswith(".") or "/" in self.kname:
            raise ValueError(f"bad device name: {device!r}")
        self.device = os.path.join(dev_root, self.kname)
        self.channel, self.spool = ch.paths(channel, spool)
        self.mount_base = mount_base or tempfile.gettempdir()  # PrivateTmp: the unit's own /tmp
        self.sys = os.path.join(sys_root, "class", "block", self.kname)
        self.udev_data = udev_data
        self.poll = poll
        self.seq = 0
        self.stick = {}
        self.mapped = None       # /dev/mapper/... once a LUKS volume is open
        self.mountpoint = None
        self.listing = []        # [(id, parts tuple, size)] of files offered for import
        self.current = None      # the state last written
        self._lock_fd = None

    # ---- the state file -------------------------------------------------------------------

    def report(self, state, **fields):
        self.seq += 1
        self.current = {"v": 1, "seq": self.seq, "at": time.time(), "pid": os.getpid(), "state": state,
                        "stick": self.stick or None, **fields}
        path = os.path.join(self.channel, "state.json")
        ch.write_atomically(path, json.dumps(self.current, ensure_ascii=False).encode("utf-8"))
        self._give_to_channel_group(path)
        log.info("state %s %s", state, {k: v for k, v in fields.items() if k not in ("files",)})

    def _give_to_channel_group(self, path):
        try:
            os.chown(path, -1, os.stat(self.channel).st_gid)
        except OSError:
            pass

    # ---- the device -------------------------------------------------------------------------

    def present(self):
        size = _read(os.path.join(self.sys, "size"))
        return size is not None and size != "0" and os.path.exists(self.device)

    def read_only(self):
        return _read(os.path.join(self.sys, "ro")) == "1"

    def probe(self):
        """What staff see of the stick: label, size, file system, vendor, model, serial."""
        info = {"device": self.kname, "size": int(_read(os.path.join(self.sys, "size"), "0") or 0) * 512,
                "read_only": self.read_only()}
        # A partition's vendor and model are its disk's.
        for base in (self.sys, os.path.join(self.sys, "..")):
            if os.path.exists(os.path.join(base, "device", "vendor")):
                info["vendor"] = _read(os.path.join(base, "device", "vendor"))
                info["model"] = _read(os.path.join(base, "device", "model"))
                break
        dev = _read(os.path.join(self.sys, "dev"))
        if dev:
            try:
                with open(os.path.join(self.udev_data, f"b{dev}"), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        if line.startswith("E:ID_SERIAL_SHORT="):
                            info["serial"] = line.split("=", 1)[1].strip()[:64]
                        elif line.startswith("E:ID_VENDOR=") and not info.get("vendor"):
                            info["vendor"] = line.split("=", 1)[1].strip()[:64]
            except OSError:
                pass
        info.update(self._blkid(self.device))
        return info

    @staticmethod
    def _blkid(device):
        r = _run("blkid", "-p", "-o", "export", device)
        fields = {}
        for line in r.stdout.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition("=")
            if key in ("TYPE", "LABEL", "UUID"):
                fields[key.lower()] = value[:64]
        return {"fs": fields.get("type"), "label": fields.get("label"), "uuid": fields.get("uuid")}

    # ---- one stick at a time ----------------------------------------------------------------

    def _take_the_door(self):
        path = os.path.join(self.channel, "stick.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _refuse_as_second(self):
        """Another stick holds the door: name this one in the channel until it is pulled."""
        folder = os.path.join(self.channel, "others")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.kname}.json")
        info = self.probe()
        info.pop("uuid", None)
        ch.write_atomically(path, json.dumps(info, ensure_ascii=False).encode("utf-8"))
        self._give_to_channel_group(path)
        log.warning("second stick %s refused: another stick is in use", self.kname)
        try:
            while self.present():
                time.sleep(self.poll)
        except Pulled:
            pass
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        return 3

    # ---- the main loop ------------------------------------------------------------------------

    def run(self):
        for sub in ("requests", "others"):
            folder = os.path.join(self.channel, sub)
            if not os.path.isdir(folder):
                with _shared_umask():  # the web process (group yishi) puts its requests here
                    os.makedirs(folder, 0o770, exist_ok=True)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGHUP, self._on_term)
        if not self._take_the_door():
            return self._refuse_as_second()
        for stale in os.listdir(os.path.join(self.channel, "requests")):  # meant for a stick now gone
            self._unlink_request(stale)
        try:
            self.stick = self.probe()
            if self.stick.get("fs") == "crypto_LUKS":
                self.stick["encrypted"] = True
                self.report(rules.LOCKED)
            else:
                self._mount(self.device, self.stick.get("fs"))
            while True:
                if not self.present():
                    raise Pulled()
                for msg in self._take_requests():
                    self._handle(msg)
                time.sleep(self.poll)
        except Pulled:
            if self.current and self.current["state"] in (rules.WRITING, rules.FETCHING):
                job = self.current.get("job")
                self.report(rules.ERROR, error="removed", job=job, during=self.current["state"])
            elif not (self.current and self.current["state"] == rules.ERROR):
                self.stick = {}
                self.report(rules.NO_STICK)
            return 0
        except Failed as e:
            log.error("stick %s: %s", self.kname, e)
            self.report(rules.ERROR, error=e.code, job=(self.current or {}).get("job"))
            self._wait_until_pulled()
            return 1
        finally:
            self._unmount()

    def _on_term(self, signum, frame):
        raise Pulled()

    def _wait_until_pulled(self):
        try:
            while self.present():
                time.sleep(self.poll)
        except Pulled:
            pass

    def _unlink_request(self, name):
        try:
            os.unlink(os.path.join(self.channel, "requests", name))
        except OSError:
            pass

    def _take_requests(self):
        folder = os.path.join(self.channel, "requests")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".tmp"):
                continue
            path = os.path.join(folder, name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                try:
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        raise rules.Refused("not_a_file")
                    raw = os.read(fd, rules.MAX_REQUEST_BYTES + 1)
                finally:
                    os.close(fd)
                if len(raw) > rules.MAX_REQUEST_BYTES:
                    raise rules.Refused("too_large")
                try:
                    msg = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    raise rules.Refused("not_json") from None
                yield rules.check_request(msg)
            except rules.Refused as e:
                self._unlink_request(name)
                log.warning("request %r refused: %s", name[:80], e)
                self._refused(e.reason)
            except OSError as e:
                self._unlink_request(name)
                log.warning("request %r refused: %s", name[:80], e)
                self._refused("unreadable")
            finally:
                self._unlink_request(name)

    def _refused(self, reason):
        current = dict(self.current or {})
        state = current.pop("state", rules.NO_STICK)
        for k in ("v", "seq", "at", "pid", "stick"):
            current.pop(k, None)
        current["refused"] = {"reason": reason, "at": time.time()}
        self.report(state, **current)

    def _handle(self, msg):
        op, job = msg["op"], msg["job"]
        state = self.current["state"] if self.current else rules.NO_STICK
        if op == "unlock":
            if state not in (rules.LOCKED, rules.WRONG_PASSPHRASE):
                return self._refused("not_locked")
            return self._unlock(msg["passphrase"], job)
        if state not in rules.IDLE:
            return self._refused("busy")
        if op == "write":
            return self._write(job, msg["folder"], msg["merge"], msg["keep"])
        if op == "fetch":
            return self._fetch(job, msg["files"])
        if op == "eject":
            self._unmount()
            self.report(rules.DONE, job=job, ejected=True)

    # ---- LUKS and mounting ----------------------------------------------------------------

    def _unlock(self, passphrase, job):
        name = f"yishi-usb-{self.kname}"
        r = _run("cryptsetup", "open", "--type", "luks", "--key-file", "-", self.device, name,
                 input=passphrase.encode("utf-8"))
        del passphrase
        if r.returncode == 2:  # cryptsetup: "No key available with this passphrase"
            return self.report(rules.WRONG_PASSPHRASE, job=job)
        if r.returncode != 0:
            log.error("cryptsetup open %s: %s", self.kname, r.stderr.decode("utf-8", "replace")[-300:])
            return self.report(rules.ERROR, error="unlock_failed", job=job)
        self.mapped = f"/dev/mapper/{name}"
        inner = self._blkid(self.mapped)
        self.stick.update(fs=inner.get("fs"), label=inner.get("label") or self.stick.get("label"))
        self._mount(self.mapped, inner.get("fs"))

    def _mount(self, device, fs):
        if fs not in ("vfat", "exfat", "ext4", "ext3", "ext2"):
            raise Failed("unsupported", str(fs))
        self.mountpoint = tempfile.mkdtemp(prefix=f"yishi-usb-{self.kname}-", dir=self.mount_base)
        options = "ro,nodev,nosuid,noexec"
        if fs == "vfat":
            options += ",utf8,shortname=mixed"
        r = _run("mount", "-t", fs, "-o", options, device, self.mountpoint)
        if r.returncode != 0:
            os.rmdir(self.mountpoint)
            self.mountpoint = None
            raise Failed("mount_failed", r.stderr.decode("utf-8", "replace")[-300:])
        self._device_mounted = device
        self.stick.update(self._space())
        self.listing = self._list_files()
        self.report(rules.FOUND, files=[{"id": i, "name": "/".join(parts), "size": size}
                                        for i, parts, size in self.listing],
                    files_truncated=len(self.listing) >= rules.MAX_LISTED)

    def _space(self):
        st = os.statvfs(self.mountpoint)
        return {"free": st.f_bavail * st.f_frsize, "block": st.f_bsize}

    def _remount(self, mode):
        r = _run("mount", "-o", f"remount,{mode},nodev,nosuid,noexec", self._device_mounted, self.mountpoint)
        if r.returncode != 0:
            raise OSError(errno.EIO, r.stderr.decode("utf-8", "replace")[-300:])

    def _unmount(self):
        if self.mountpoint:
            r = _run("umount", self.mountpoint)
            if r.returncode != 0:  # the stick is gone: detach what is left of the mount
                _run("umount", "-l", self.mountpoint)
            try:
                os.rmdir(self.mountpoint)
            except OSError:
                pass
            self.mountpoint = None
        if self.mapped:
            _run("cryptsetup", "close", os.path.basename(self.mapped))
            self.mapped = None

    # ---- import: list and fetch -----------------------------------------------------------

    def _list_files(self):
        """Regular files on the stick, depth-first, bounded; no symbolic links, no dot names."""
        found = []

        def walk(fd, parts):
            try:
                entries = sorted(os.scandir(fd), key=lambda e: e.name)
            except OSError:
                return
            for entry in entries:
                if len(found) >= rules.MAX_LISTED:
                    return
                if entry.name.startswith(".") or entry.is_symlink():
                    continue
                if entry.is_file(follow_symlinks=False):
                    found.append((len(found), (*parts, entry.name), entry.stat(follow_symlinks=False).st_size))
                elif entry.is_dir(follow_symlinks=False) and len(parts) < MAX_DEPTH:
                    try:
                        sub = _dir_fd(fd, entry.name)
                    except OSError:
                        continue
                    try:
                        walk(sub, (*parts, entry.name))
                    finally:
                        os.close(sub)

        root = os.open(self.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        try:
            walk(root, ())
        finally:
            os.close(root)
        return found

    def _job_dir(self, job, part, create=False, mode=0o750):
        """The spool's jobs/<job>/<part>, opened without following a link at any step."""
        fd = os.open(self.spool, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name in ("jobs", job, part):
                nxt = _dir_fd(fd, name, create=create and name == part, mode=mode)
                os.close(fd)
                fd = nxt
        except OSError:
            os.close(fd)
            raise
        return fd

    def _fetch(self, job, ids):
        by_id = {i: (parts, size) for i, parts, size in self.listing}
        chosen = [(i, *by_id[i]) for i in ids if i in by_id]
        if len(chosen) != len(ids):
            return self._refused("unknown_file")
        if sum(size for _, _, size in chosen) > rules.MAX_FETCH_TOTAL or any(
                size > rules.MAX_FETCH_FILE for _, _, size in chosen):
            return self.report(rules.ERROR, error="too_large", job=job)
        try:
            with _shared_umask():  # the web process moves the files out of it
                dest = self._job_dir(job, "in", create=True, mode=0o770)
        except OSError as e:
            log.warning("fetch %s: spool folder: %s", job, e)
            return self.report(rules.ERROR, error="source_missing", job=job)
        index = []
        try:
            for n, (i, parts, _) in enumerate(chosen):
                self.report(rules.FETCHING, job=job, done=n, total=len(chosen))
                size = self._fetch_one(parts, dest, str(i))
                index.append({"id": i, "name": "/".join(parts), "size": size})
            data = json.dumps(index, ensure_ascii=False).encode("utf-8")
            fd = os.open("index.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640, dir_fd=dest)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            log.error("fetch %s failed: %s", job, e)
            if not self.present():
                raise Pulled() from None
            return self.report(rules.ERROR, error="write_failed", job=job)
        finally:
            os.close(dest)
        self.report(rules.FETCHED, job=job, done=len(chosen), total=len(chosen))

    def _fetch_one(self, parts, dest_fd, name):
        fd = os.open(self.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                nxt = _dir_fd(fd, part)
                os.close(fd)
                fd = nxt
            src = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        finally:
            os.close(fd)
        try:
            if not stat.S_ISREG(os.fstat(src).st_mode):
                raise OSError(errno.EINVAL, "not a regular file")
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640, dir_fd=dest_fd)
            try:
                copied = 0
                while chunk := os.read(src, CHUNK):
                    copied += len(chunk)
                    if copied > rules.MAX_FETCH_FILE:  # it grew after the listing: not a stick we trust
                        raise OSError(errno.EFBIG, "file larger than listed")
                    os.write(out, chunk)
                os.fsync(out)
            finally:
                os.close(out)
        finally:
            os.close(src)
        return copied

    # ---- export and backup: write ----------------------------------------------------------

    def _collect(self, fd, parts=()):
        """[(parts, size)] of the job's out/ tree; a link or anything but files and folders is refused."""
        files = []
        for entry in sorted(os.scandir(fd), key=lambda e: e.name):
            if not rules.folder_name_ok(entry.name):
                raise rules.Refused("path_escape", repr(entry.name)[:80])
            if entry.is_symlink():
                raise rules.Refused("path_escape", f"link {entry.name!r}"[:80])
            if entry.is_dir(follow_symlinks=False):
                sub = _dir_fd(fd, entry.name)
                try:
                    files += self._collect(sub, (*parts, entry.name))
                finally:
                    os.close(sub)
            elif entry.is_file(follow_symlinks=False):
                files.append(((*parts, entry.name), entry.stat(follow_symlinks=False).st_size))
            else:
                raise rules.Refused("path_escape", f"special file {entry.name!r}"[:80])
        return files

    def _write(self, job, folder, merge=False, keep=None):
        try:
            src = self._job_dir(job, "out")
        except OSError as e:
            log.warning("write %s: spool folder: %s", job, e)
            return self._refused("source_missing")
        try:
            try:
                files = self._collect(src)
            except rules.Refused as e:
                log.warning("write %s refused: %s", job, e)
                return self._refused(e.reason)
            if not files:
                return self._refused("source_missing")
            if self.read_only():
                return self.report(rules.READ_ONLY, job=job)
            self.stick.update(self._space())
            ok, needed = rules.fits([s for _, s in files], self.stick["free"], self.stick["block"])
            if not ok:
                return self.report(rules.NO_SPACE, job=job, needed=needed, free=self.stick["free"])
            self._copy_out(job, folder, src, files, merge, keep)
        finally:
            os.close(src)

    def _copy_out(self, job, folder, src, files, merge=False, keep=None):
        total_bytes = sum(s for _, s in files)
        self.report(rules.WRITING, job=job, done=0, total=len(files), bytes_done=0, bytes_total=total_bytes)
        try:
            self._remount("rw")
        except OSError as e:
            log.error("remount rw %s: %s", self.kname, e)
            if self.read_only() or "read-only" in str(e):
                return self.report(rules.READ_ONLY, job=job)
            return self.report(rules.ERROR, error="write_failed", job=job)
        root = os.open(self.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        partial = f"{folder}.未完成"
        try:
            if merge and _is_dir(root, folder):
                # The backup stick's folder: each file lands under a temporary name and gets its
                # own only when it is whole; nothing there is replaced.
                final = folder
                top = _dir_fd(root, folder)
                try:
                    self._copy_files(job, src, top, files, total_bytes, suffix=".未完成")
                    # Only after the new backup is whole: the oldest beyond `keep` go.
                    for name in rules.backups_to_remove(os.listdir(top), keep):
                        if stat.S_ISREG(os.stat(name, dir_fd=top, follow_symlinks=False).st_mode):
                            os.unlink(name, dir_fd=top)
                    os.fsync(top)
                finally:
                    os.close(top)
            else:
                final = folder
                n = 2
                while True:  # never replace an earlier export of the same day
                    try:
                        os.stat(final, dir_fd=root, follow_symlinks=False)
                    except FileNotFoundError:
                        break
                    final, n = f"{folder}-{n}", n + 1
                _remove_tree(root, partial)  # left by a stick pulled during an earlier export
                os.mkdir(partial, 0o755, dir_fd=root)
                top = _dir_fd(root, partial)
                try:
                    self._copy_files(job, src, top, files, total_bytes)
                finally:
                    os.close(top)
                # Only a folder whose every file reached the stick gets the name staff look for.
                os.rename(partial, final, src_dir_fd=root, dst_dir_fd=root)
            os.fsync(root)
        except OSError as e:
            log.error("write %s to %s failed: %s", job, self.kname, e)
            if not self.present():
                raise Pulled() from None
            code = "no_space" if e.errno == errno.ENOSPC else "write_failed"
            try:
                _remove_tree(root, partial)
                if merge:
                    top = _dir_fd(root, folder)
                    try:
                        for parts, _ in files:
                            with contextlib.suppress(FileNotFoundError):
                                os.unlink(parts[-1] + ".未完成", dir_fd=top)
                    finally:
                        os.close(top)
                self._remount("ro")
            except OSError:
                pass
            return self.report(rules.ERROR, error=code, job=job)
        finally:
            os.close(root)
        try:
            self._remount("ro")  # flushes everything: the stick may be pulled now
            os.sync()
        except OSError as e:
            log.error("remount ro %s: %s", self.kname, e)
            if not self.present():
                raise Pulled() from None
            return self.report(rules.ERROR, error="write_failed", job=job)
        self.stick.update(self._space())
        self.report(rules.DONE, job=job, folder=final, done=len(files), total=len(files),
                    bytes_done=total_bytes, bytes_total=total_bytes)

    def _copy_files(self, job, src, top, files, total_bytes, suffix=""):
        done_bytes, reported = 0, time.monotonic()
        for n_done, (parts, _) in enumerate(files, 1):
            done_bytes += self._copy_file(src, top, parts, suffix)
            # At most ten states a second: each is a file replaced in the channel, and the page
            # fetches its panel again for each.
            if time.monotonic() - reported >= REPORT_EVERY or n_done == len(files):
                reported = time.monotonic()
                self.report(rules.WRITING, job=job, done=n_done, total=len(files),
                            bytes_done=done_bytes, bytes_total=total_bytes)
        # Every folder once, after its files (each file was fsynced as it was written): only
        # then may the export's folder get its final name.
        for folder in sorted({parts[:-1] for parts, _ in files}, key=len, reverse=True):
            fd = os.dup(top)
            try:
                for part in folder:
                    nxt = _dir_fd(fd, part)
                    os.close(fd)
                    fd = nxt
                os.fsync(fd)
            finally:
                os.close(fd)

    def _copy_file(self, src_root, dest_root, parts, suffix=""):
        sfd, dfd = os.dup(src_root), os.dup(dest_root)
        try:
            for part in parts[:-1]:
                nxt = _dir_fd(sfd, part)
                os.close(sfd)
                sfd = nxt
                nxt = _dir_fd(dfd, part, create=True, mode=0o755)
                os.close(dfd)
                dfd = nxt
            if suffix and os.path.lexists(f"/proc/self/fd/{dfd}/{parts[-1]}"):
                raise OSError(errno.EEXIST, f"{parts[-1]!r} is already on the stick")
            src = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=sfd)
            try:
                if not stat.S_ISREG(os.fstat(src).st_mode):
                    raise OSError(errno.EINVAL, f"not a regular file: {parts[-1]!r}")
                out = os.open(parts[-1] + suffix, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=dfd)
                try:
                    copied = 0
                    while chunk := os.read(src, CHUNK):
                        view = memoryview(chunk)
                        while view:
                            view = view[os.write(out, view):]
                        copied += len(chunk)
                    os.fsync(out)
                finally:
                    os.close(out)
            finally:
                os.close(src)
            if suffix:
                os.rename(parts[-1] + suffix, parts[-1], src_dir_fd=dfd, dst_dir_fd=dfd)
            return copied
        finally:
            os.close(sfd)
            os.close(dfd)


def _is_dir(dir_fd, name):
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def _remove_tree(dir_fd, name):
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    fd = _dir_fd(dir_fd, name)
    try:
        for entry in os.scandir(fd):
            _remove_tree(fd, entry.name)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def main(args):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    helper = Helper(args.device, channel=args.channel, spool=args.spool, mount_base=args.mount_base)
    return helper.run()
