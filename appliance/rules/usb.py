"""USB door rules (U盘): the stick's states, what a message on the channel may say, and whether
an export fits. Plain values in and out; the privileged helper (appliance/usb/helper.py) and the
web side (appliance/usb/door.py) both obey them, and tests call them with no stick at all.

The states borrow the shape of SecureDrop's export statuses: one code per thing staff can see
or do something about, never a stack trace.
"""

import re
import unicodedata

# The stick's states, in the order a session usually walks them.
NO_STICK = "no_stick"            # nothing plugged in (or the helper ended)
FOUND = "found"                  # mounted read-only; label, size, file system, vendor/serial known
LOCKED = "locked"                # LUKS: a passphrase is needed
WRONG_PASSPHRASE = "wrong_passphrase"
READ_ONLY = "read_only"          # a write was asked of a write-protected stick: refused, import still fine
NO_SPACE = "no_space"            # a write would not fit: refused before a byte was written
WRITING = "writing"              # n of m files copied to the stick
DONE = "done"                    # written, flushed, remounted read-only: safe to remove
FETCHING = "fetching"            # copying chosen files from the stick into the spool
FETCHED = "fetched"
ERROR = "error"                  # something failed; `error` says what and the page what to do
STATES = (NO_STICK, FOUND, LOCKED, WRONG_PASSPHRASE, READ_ONLY, NO_SPACE, WRITING, DONE, FETCHING, FETCHED, ERROR)

# States in which the stick takes new requests (the others are busy or gone).
IDLE = (FOUND, READ_ONLY, NO_SPACE, DONE, FETCHED, ERROR)

# Error codes the helper may report (the page has a sentence for each).
ERRORS = ("removed", "write_failed", "mount_failed", "unlock_failed", "unsupported", "bad_request",
          "source_missing", "too_large")

OPS = {
    # op: (required fields besides v/op/job, optional fields)
    "unlock": ({"passphrase"}, set()),
    # merge: add to the folder if it exists (the backup stick's); keep: then leave only the
    # newest `keep` backup files in it (nothing else there is ever removed)
    "write": ({"folder"}, {"merge", "keep"}),
    "fetch": ({"files"}, set()),
    "eject": (set(), set()),
}

JOB_ID = re.compile(r"\A[0-9a-f]{32}\Z")
MAX_REQUEST_BYTES = 64 * 1024
MAX_FOLDER_CHARS = 120
MAX_PASSPHRASE_CHARS = 512
MAX_LISTED = 1000                # files shown from a stick for import
MAX_FETCH = 200                  # files fetched in one request
MAX_FETCH_FILE = 200 * 1024 ** 2  # bytes per file fetched
MAX_FETCH_TOTAL = 1024 ** 3      # bytes per fetch
SPACE_MARGIN = 1024 ** 2         # kept free on the stick beyond the rounded file sizes
# The only files a write's `keep` may remove: backups as appliance/usb/backup.py names them.
BACKUP_FILE = re.compile(r"\Ayishi-backup-\d{8}T\d{6}Z(?:-\d+)?\.yishi-backup\Z")


class Refused(ValueError):
    """A message on the channel that the helper will not act on; `reason` is a short code."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


def folder_name_ok(name):
    """One plain path component: no separators, no dot names, no control or format characters
    (which a file manager would show as something else), not too long."""
    if not isinstance(name, str) or not name or len(name) > MAX_FOLDER_CHARS:
        return False
    if name in (".", "..") or name.startswith(".") or name != name.strip():
        return False
    if any(c in '/\\:*?"<>|' or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for c in name):
        return False
    return True


def check_request(msg):
    """The validated request (a new dict), or Refused. Unknown ops, unknown or missing fields,
    a bad job id and a folder that is not a single plain name are all refused."""
    if not isinstance(msg, dict):
        raise Refused("not_an_object")
    if msg.get("v") != 1:
        raise Refused("bad_version")
    op = msg.get("op")
    if op not in OPS:
        raise Refused("unknown_op", str(op)[:40])
    job = msg.get("job")
    if not isinstance(job, str) or not JOB_ID.match(job):
        raise Refused("bad_job")
    required, optional = OPS[op]
    fields = set(msg) - {"v", "op", "job"}
    if not required <= fields or fields - required - optional:
        raise Refused("bad_fields", ",".join(sorted(str(f)[:20] for f in fields ^ required))[:80])
    out = {"op": op, "job": job}
    if op == "unlock":
        p = msg["passphrase"]
        if not isinstance(p, str) or not 1 <= len(p) <= MAX_PASSPHRASE_CHARS or "\n" in p or "\0" in p:
            raise Refused("bad_passphrase")
        out["passphrase"] = p
    elif op == "write":
        if not folder_name_ok(msg["folder"]):
            raise Refused("path_escape", repr(msg["folder"])[:80])
        out["folder"] = msg["folder"]
        merge = msg.get("merge", False)
        if not isinstance(merge, bool):
            raise Refused("bad_fields", "merge")
        out["merge"] = merge
        keep = msg.get("keep")
        if keep is not None and (type(keep) is not int or not 1 <= keep <= 366 or not merge):
            raise Refused("bad_fields", "keep")
        out["keep"] = keep
    elif op == "fetch":
        files = msg["files"]
        if (not isinstance(files, list) or not 1 <= len(files) <= MAX_FETCH
                or not all(type(i) is int and 0 <= i < MAX_LISTED for i in files) or len(set(files)) != len(files)):
            raise Refused("bad_files")
        out["files"] = list(files)
    return out


def backups_to_remove(names, keep):
    """Of the file names in the backup stick's folder, the backups beyond the newest `keep`
    (their names sort by time); any other name is never chosen."""
    backups = sorted(n for n in names if BACKUP_FILE.match(n))
    return backups[:-keep] if keep and len(backups) > keep else []


def rounded(size, block):
    """Bytes a file of `size` takes on a file system with `block`-sized clusters."""
    block = max(int(block), 512)
    return -(-int(size) // block) * block


def fits(sizes, free, block):
    """(fits, needed): whether files of these sizes fit in `free` bytes, rounding each to the
    cluster size and keeping a margin (a stick filled to the last byte is a stick that fails)."""
    needed = sum(rounded(s, block) for s in sizes) + block * (len(sizes) + 2) + SPACE_MARGIN
    return needed <= free, needed
