"""Where the unlocked data key waits for the workers: the Linux kernel keyring of the service.

`yishi serve` runs several gunicorn workers. Each opens the store with the raw data key, so an
unlock in one worker must reach the others, a worker gunicorn restarts after a crash (kill -9,
an OOM kill) must find the key by itself, and no disk may ever hold the key unwrapped.

The gunicorn master joins a new, anonymous *session keyring* before it forks (`join_service_keyring`),
so the master and every worker it ever forks possess it, and no other process does: not a
shell of the same user, not the CLI, not another `yishi serve`. The unlocking worker adds the
key there as a `user` key whose permissions are possessor-only; every worker looks it up on
each request (one `keyctl` search, a few microseconds) and opens or closes its store to match.
Sealing invalidates the key, so every worker closes its store on its next request. The keyring
lives in kernel memory only and dies with the last process that holds it: stopping the service
or pulling the power seals the appliance, as before.

Outside `yishi serve` (the test client, the CLI) there is no service keyring: `ProcessCustody`
keeps the key in the one process, which is all there is.

Bindings: the syscalls through ctypes (`add_key`, `keyctl`), numbered per architecture. The
`keyutils` PyPI package (0.6, 2019) builds from C against libkeyutils-dev and Debian's
python3-keyutils is not in every release; two syscalls need neither.
"""

import ctypes
import errno
import hashlib
import os
import platform

# syscall numbers: asm-generic (aarch64, the Pi) and x86_64 (this build machine).
_SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219), "arm64": (217, 219)}
KEY_SPEC_SESSION_KEYRING = -3
KEYCTL_JOIN_SESSION_KEYRING = 1
KEYCTL_SETPERM = 5
KEYCTL_SEARCH = 10
KEYCTL_READ = 11
KEYCTL_INVALIDATE = 21
# possessor: view, read, write, search, link, setattr; user, group, other: nothing.
KEY_POS_ALL = 0x3F000000
ENV_MARK = "YISHI_SERVICE_KEYRING"  # set by the master once it has joined its own keyring

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _numbers():
    try:
        return _SYSCALLS[platform.machine()]
    except KeyError:
        raise OSError(errno.ENOSYS, f"no kernel keyring syscall numbers known for {platform.machine()}") from None


def _call(nr, *args):
    r = _libc.syscall(ctypes.c_long(nr), *args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def _keyctl(op, *args):
    return _call(_numbers()[1], ctypes.c_long(op), *args)


def available():
    try:
        _keyctl(KEYCTL_SEARCH, ctypes.c_long(KEY_SPEC_SESSION_KEYRING), b"keyring", b"yishi-probe-none", ctypes.c_long(0))
    except OSError as e:
        return e.errno in (errno.ENOKEY, errno.EKEYEXPIRED, errno.EKEYREVOKED, errno.EACCES)
    return True


def join_service_keyring():
    """Give this process (the gunicorn master, before it forks) a new anonymous session
    keyring; children inherit it. Returns its serial, or None where the kernel refuses."""
    try:
        serial = _keyctl(KEYCTL_JOIN_SESSION_KEYRING, None)
    except OSError:
        return None
    os.environ[ENV_MARK] = str(serial)
    return serial


class KernelCustody:
    """The data key of one data folder, in the session keyring this process possesses."""

    kind = "kernel-keyring"

    def __init__(self, data_dir):
        self.description = ("yishi:data-key:" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:16]).encode()

    def serial(self):
        """The key's serial, or None when it is not there (sealed)."""
        try:
            return _keyctl(KEYCTL_SEARCH, ctypes.c_long(KEY_SPEC_SESSION_KEYRING), b"user", self.description, ctypes.c_long(0))
        except OSError as e:
            if e.errno in (errno.ENOKEY, errno.EKEYREVOKED, errno.EKEYEXPIRED):
                return None
            raise

    def get(self, serial=None):
        serial = self.serial() if serial is None else serial
        if serial is None:
            return None
        buf = ctypes.create_string_buffer(64)
        try:
            n = _keyctl(KEYCTL_READ, ctypes.c_long(serial), buf, ctypes.c_long(len(buf)))
        except OSError as e:
            if e.errno in (errno.ENOKEY, errno.EKEYREVOKED, errno.EKEYEXPIRED):
                return None
            raise
        key = buf.raw[:n]
        ctypes.memset(buf, 0, len(buf))
        return key

    def put(self, key):
        serial = _call(_numbers()[0], b"user", self.description, key, ctypes.c_size_t(len(key)),
                       ctypes.c_long(KEY_SPEC_SESSION_KEYRING))
        _keyctl(KEYCTL_SETPERM, ctypes.c_long(serial), ctypes.c_long(KEY_POS_ALL))
        return serial

    def drop(self):
        serial = self.serial()
        if serial is not None:
            try:
                _keyctl(KEYCTL_INVALIDATE, ctypes.c_long(serial))
            except OSError as e:
                if e.errno not in (errno.ENOKEY, errno.EKEYREVOKED):
                    raise


class ProcessCustody:
    """One process, no service keyring: the key is where the open store is."""

    kind = "process"

    def __init__(self, data_dir=None):
        self._key = None
        self._serial = 0

    def serial(self):
        return self._serial if self._key is not None else None

    def get(self, serial=None):
        return self._key

    def put(self, key):
        self._key = key
        self._serial += 1
        return self._serial

    def drop(self):
        self._key = None


def for_service(data_dir):
    """KernelCustody inside `yishi serve` (the master joined a keyring), else ProcessCustody."""
    if os.environ.get(ENV_MARK) and available():
        return KernelCustody(data_dir)
    return ProcessCustody(data_dir)


# A child that parses untrusted input (pdftotext on an upload) must not possess the service
# keyring it would inherit: it first joins a new anonymous session keyring of its own, then
# becomes the program. Python's preexec_fn could do it without the extra exec, but is unsafe in
# a process with threads (a lock held at fork); ~15 ms per child is nothing beside pdftotext.
_DISOWN = ("import ctypes,os,platform,sys;"
           "n={'x86_64':250,'aarch64':219,'arm64':219}.get(platform.machine());"
           "l=ctypes.CDLL(None,use_errno=True);"
           "n is None or l.syscall(ctypes.c_long(n),ctypes.c_long(1),None)>=0 or sys.exit('cannot leave the service keyring');"
           "os.execvp(sys.argv[1],sys.argv[1:])")


def disowned(argv):
    """argv, run so that it does not possess this service's keyring (where there is one)."""
    if not os.environ.get(ENV_MARK):
        return list(argv)
    import sys

    return [sys.executable, "-S", "-c", _DISOWN, *argv]


FLASH_SECRET = "flask-secret"


def make_shared_secret(name=FLASH_SECRET):
    """The master, after joining its keyring: a random secret every worker reads (Flask signs
    its flash messages with it; with a key per worker, a message set by one worker and shown
    after the redirect by another was dropped as forged)."""
    c = KernelCustody(name)
    c.description = f"yishi:{name}".encode()
    c.put(os.urandom(32))


def shared_secret(name=FLASH_SECRET):
    """That secret, or None outside `yishi serve`."""
    if not os.environ.get(ENV_MARK):
        return None
    c = KernelCustody(name)
    c.description = f"yishi:{name}".encode()
    try:
        return c.get()
    except OSError:
        return None
