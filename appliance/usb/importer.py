"""收文 from a USB stick: what is on a mounted stick (`scan`) and taking the chosen files into
the encrypted store (`ingest`), as archive entries (归档) or new circulations (传阅).

Everything on a stick is untrusted, its names included. The walk never follows a link, never
crosses into another file system, and stops at a bounded number of entries and depth; each
file is typed by its bytes, never by its name (an ELF called 通知.pdf is a program); a name is
only ever shown, made harmless first (control characters, bidi overrides, slashes), and never
becomes a path on our side. `ingest` opens each chosen file again, component by component
(O_NOFOLLOW), reads it once with a bound and checks it anew, since the stick may have changed
since the listing; every chosen file is checked (and an OFD rendered) before the first one is
stored, so a bad file stores nothing. An OFD is rendered to PDF in a confined child
(appliance/usb/ofd.py) and its original is kept beside the PDF (document_originals). The import
is audited: who, which stick when the caller knows it, and each file's SHA-256.
"""

import errno
import hashlib
import io
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field

from appliance.documents import files, library
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit
from appliance.usb import ofd

MiB = 1024 * 1024
CHUNK = library.CHUNK
OFD_SCRIPT = os.path.abspath(ofd.__file__)
# easyofd with reportlab and PyMuPDF loaded takes ~150 MB of address space; a page-heavy OFD
# renders in well under a second here.
OFD_LIMITS = files.Limits(memory=1024 * MiB, cpu=60, wall=120)
# Where the OFD child unpacks: memory, so a document from the stick never lies plain on the card.
WORK_PARENT = "/dev/shm"
# What Windows and macOS leave on every stick: not documents, not worth a line in the list.
# (Other names beginning with a dot are listed: a document someone hid is still theirs to see.)
SYSTEM_ENTRIES = {"System Volume Information", "$RECYCLE.BIN", "RECYCLER", "FOUND.000", "lost+found", ".Trashes",
                  ".Spotlight-V100", ".fseventsd", ".TemporaryItems", ".DS_Store"}

KINDS = {  # kind: (stored mime, extension the stored file is named with)
    "pdf": ("application/pdf", ".pdf"),
    "ofd": ("application/ofd", ".ofd"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
}


@dataclass(frozen=True)
class Limits:
    entries: int = 1000  # files and folders listed; beyond it the listing is refused whole
    depth: int = 8  # folders below the stick's top
    file_bytes: int = files.MAX_BYTES  # one file (the upload limit: the same documents)
    total_bytes: int = 1024 * MiB  # one import, all chosen files together
    zip: ofd.ZipLimits = field(default_factory=ofd.ZipLimits)


# ---- what the staff see ------------------------------------------------------------------------

REFUSALS = {
    "too_big": _l("Larger than %(mb)d MB: too large to import."),
    "empty": _l("The file is empty."),
    "program": _l("This is a program, not a document: it is not imported."),
    "unknown": _l("Not a PDF, OFD, JPEG or PNG file (judged by its content, not its name)."),
    "zip_not_ofd": _l("A zip archive, not an OFD document: it is not imported."),
    "zip_bomb": _l("This OFD expands to far more than its size (a zip bomb): it is not imported."),
    "zip_bad": _l("This OFD is damaged, encrypted or built in a way the appliance does not open."),
    "ofd_unreadable": _l("This OFD cannot be rendered. Ask the sender for a PDF of it."),
    "image_bomb": _l("This image has too many pixels to open safely."),
    "image_bad": _l("This image is damaged or cannot be read."),
    "link": _l("A link, not a file: links on a stick are never followed."),
    "special": _l("Not a regular file."),
    "too_deep": _l("A folder nested too deep: its contents are not listed."),
    "other_disk": _l("A folder on another disk: not listed."),
    "gone": _l("The file is no longer on the stick, or cannot be read."),
    "changed": _l("The file changed on the stick while it was being read."),
}


def refusal_text(code, limits=Limits()):
    """The staff's sentence for a refusal code (a lazy string: translated where it is shown)."""
    message = REFUSALS[code]
    if code == "too_big":
        return _l("Larger than %(mb)d MB: too large to import.", mb=limits.file_bytes // MiB)
    return message


_NEUTRAL = str.maketrans({"/": "_", "\\": "_", ":": "_"})


def safe_name(raw, limit=120):
    """A stick's file name as it may be shown: no control or format characters (bidi overrides,
    zero-width), no undecodable bytes, no slashes; never used as a path."""
    text = unicodedata.normalize("NFC", raw)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cs":  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
            out.append("\ufffd")
        elif cat in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp"):
            out.append("_")
        else:
            out.append(ch)
    name = "".join(out).translate(_NEUTRAL).strip()
    if name in ("", ".", ".."):
        name = "_" + name
    if len(name) > limit:
        name = name[:limit - 1] + "…"
    return name


def title_of(name):
    """The document's title from a safe display name: without its extension."""
    stem, dot, ext = name.rpartition(".")
    title = (stem if dot and stem and len(ext) <= 5 else name).strip(" ._")
    return (title or "收文")[:200]


@dataclass(frozen=True)
class Candidate:
    ref: str  # the path below the stick's top, '/'-separated: what `ingest` is given back
    name: str  # the display name, safe to show
    path: str  # the display path (safe names joined by ' / ')
    size: int | None
    kind: str | None  # 'pdf' | 'ofd' | 'jpeg' | 'png', by content; None when refused
    refusal: str | None = None  # a REFUSALS code

    @property
    def importable(self):
        return self.refusal is None

    def reason(self, limits=Limits()):
        return refusal_text(self.refusal, limits) if self.refusal else None


@dataclass(frozen=True)
class ScanResult:
    candidates: list
    entries: int  # files and folders seen

    @property
    def importable(self):
        return [c for c in self.candidates if c.importable]

    @property
    def refused(self):
        return [c for c in self.candidates if not c.importable]


# ---- reading a stick safely --------------------------------------------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO someone left on an ext4 stick must not hang the listing.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOATIME", 0)


def _open_file(dir_fd, name):
    try:
        return os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except PermissionError:  # O_NOATIME is refused on files we do not own: open without it
        return os.open(name, _FILE_FLAGS & ~getattr(os, "O_NOATIME", 0), dir_fd=dir_fd)


def _open_root(root):
    try:
        fd = os.open(os.fspath(root), _DIR_FLAGS)
    except OSError as e:
        raise UserError("usb_no_folder", _l("The stick's folder cannot be opened. Plug the stick in again."),
                        status=409, path=os.fspath(root), errno=e.errno) from None
    return fd


def _read_bounded(fd, limit):
    """The whole file, or None when it has more than `limit` bytes (read at most limit + 1)."""
    parts, left = [], limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    data = b"".join(parts)
    return None if len(data) > limit else data


def _kind_of_head(head):
    """(kind, refusal) from a file's first bytes; 'zip' still needs a look inside."""
    if head.startswith(b"%PDF-"):
        return "pdf", None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", None
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg", None
    if ofd.looks_like_zip(head):
        return "zip", None
    if head.startswith((b"\x7fELF", b"MZ", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")):
        return None, "program"
    return None, "unknown"


_ZIP_REFUSAL = {"not_zip": "zip_bad", "not_ofd": "zip_not_ofd", "encrypted": "zip_bad", "method": "zip_bad",
                "names": "zip_bad", "members": "zip_bomb", "bomb": "zip_bomb"}


def _zip_refusal(source, limits, inflate):
    problem = ofd.zip_problem(source, limits.zip, inflate=inflate)
    return _ZIP_REFUSAL[problem] if problem else None


def _image_refusal(data):
    """Pillow's look at an image, with its decompression-bomb limit as an error, not a warning."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "image_bomb"
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a damaged image
        return "image_bad"
    return None


def _look(dir_fd, name, limits):
    """(size, kind, refusal) of one directory entry that is not a folder, without following it."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        return None, None, "link"
    if not stat.S_ISREG(st.st_mode):
        return None, None, "special"
    if st.st_size > limits.file_bytes:
        return st.st_size, None, "too_big"
    if st.st_size == 0:
        return 0, None, "empty"
    try:
        fd = _open_file(dir_fd, name)
    except OSError as e:
        return st.st_size, None, "link" if e.errno == errno.ELOOP else "gone"
    with os.fdopen(fd, "rb") as f:
        head = f.read(16)
        kind, refusal = _kind_of_head(head)
        if kind == "zip":
            f.seek(0)
            # The listing reads the zip's directory only; the members are inflated at ingest.
            refusal = _zip_refusal(f, limits, inflate=False)
            kind = None if refusal else "ofd"
    return st.st_size, kind, refusal


def scan(root, *, limits=Limits()):
    """What a mounted (read-only) stick holds, as candidates to import or refusals with reasons.
    Refuses the whole listing (UserError) beyond `limits.entries` files and folders."""
    root_fd = _open_root(root)
    try:
        device = os.fstat(root_fd).st_dev
        candidates, seen = [], 0
        # Depth first with an explicit stack of open folders, so a deep tree cannot exhaust the
        # interpreter's recursion and every folder is opened by name below its parent (no path).
        stack = [(root_fd, (), (), 0)]
        while stack:
            dir_fd, refs, shown, depth = stack.pop()
            entries = []
            try:
                with os.scandir(dir_fd) as it:
                    for entry in it:  # counted as read: a folder of a million names stops at the bound
                        seen += 1
                        if seen > limits.entries:
                            raise UserError("usb_too_many_files", _l(
                                "The stick holds more than %(n)d files and folders: too many to list. Put "
                                "the documents to import in a folder of their own on a stick with fewer files.",
                                n=limits.entries), status=413, entries=seen)
                        entries.append(entry)
            except OSError:
                pass  # an unreadable folder (a damaged stick) lists what could be read
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name in SYSTEM_ENTRIES or entry.name.startswith("._"):  # macOS's AppleDouble
                    continue
                ref = "/".join((*refs, entry.name))
                name = safe_name(entry.name)
                path = " / ".join((*shown, name))
                if entry.is_dir(follow_symlinks=False):
                    if depth + 1 > limits.depth:
                        candidates.append(Candidate(ref, name, path, None, None, "too_deep"))
                        continue
                    try:
                        sub = os.open(entry.name, _DIR_FLAGS, dir_fd=dir_fd)
                    except OSError:
                        candidates.append(Candidate(ref, name, path, None, None, "gone"))
                        continue
                    if os.fstat(sub).st_dev != device:
                        os.close(sub)
                        candidates.append(Candidate(ref, name, path, None, None, "other_disk"))
                        continue
                    stack.append((sub, (*refs, entry.name), (*shown, name), depth + 1))
                    continue
                try:
                    size, kind, refusal = _look(dir_fd, entry.name, limits)
                except OSError:
                    size, kind, refusal = None, None, "gone"
                candidates.append(Candidate(ref, name, path, size, kind, refusal))
            if dir_fd != root_fd:
                os.close(dir_fd)
        candidates.sort(key=lambda c: c.ref)
        return ScanResult(candidates, seen)
    finally:
        for dir_fd, *_ in stack:
            if dir_fd != root_fd:
                os.close(dir_fd)
        os.close(root_fd)


# ---- taking files in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ToArchive:
    """File each document in the archive (归档) under a category, e.g. 收文 or 来文."""
    category: str = "收文"
    year: int | None = None


@dataclass(frozen=True)
class ToCirculation:
    """Start a new circulation (传阅) of each document; by default to the leaders (领导阅示)."""
    title: str
    recipients: tuple = ()
    groups: tuple = ("leaders",)
    note: str = ""


@dataclass
class _Prepared:
    candidate: Candidate
    original: bytes  # the file as read from the stick
    document: bytes  # what becomes the document: the file, or the PDF rendered from an OFD
    kind: str
    sha256: str


def _refuse(candidate, code, limits, message=None):
    message = message or refusal_text(code, limits)
    raise UserError(f"usb_{code}", _l("%(name)s: %(reason)s Nothing was imported.", name=candidate.path,
                                      reason=message), status=422, file=candidate.path, reason=code)


def _reopen(root_fd, ref, device, limits):
    """Open the file `ref` names again, one component at a time without following any link,
    on the stick's own file system; returns (fd, Candidate)."""
    parts = ref.split("/")
    shown = [safe_name(p) for p in parts]
    candidate = Candidate(ref, shown[-1], " / ".join(shown), None, None)
    if (not ref or len(parts) > limits.depth + 1 or any(p in ("", ".", "..") for p in parts)
            or "\x00" in ref):
        _refuse(candidate, "gone", limits)
    fds = []
    try:
        dir_fd = root_fd
        for part in parts[:-1]:
            dir_fd = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            fds.append(dir_fd)
            if os.fstat(dir_fd).st_dev != device:
                _refuse(candidate, "other_disk", limits)
        try:
            fd = _open_file(dir_fd, parts[-1])
        except OSError as e:
            _refuse(candidate, "link" if e.errno == errno.ELOOP else "gone", limits)
    except OSError as e:
        _refuse(candidate, "link" if e.errno in (errno.ELOOP, errno.ENOTDIR) else "gone", limits)
    finally:
        for d in fds:
            os.close(d)
    return fd, candidate


def _prepare(root_fd, device, ref, limits, budget):
    """Read one chosen file once (bounded), type it by its bytes, check it, render an OFD."""
    fd, candidate = _reopen(root_fd, ref, device, limits)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            _refuse(candidate, "special", limits)
        if st.st_size > limits.file_bytes:
            _refuse(candidate, "too_big", limits)
        os.set_blocking(fd, True)
        data = _read_bounded(fd, min(limits.file_bytes, budget))
        after = os.fstat(fd)
        if data is not None and (len(data) != after.st_size or (after.st_size, after.st_mtime_ns) !=
                                 (st.st_size, st.st_mtime_ns)):
            _refuse(candidate, "changed", limits)  # written to while we read: not what was chosen
    except OSError:
        _refuse(candidate, "gone", limits)
    finally:
        os.close(fd)
    if data is None:
        if budget < limits.file_bytes:
            raise UserError("usb_import_too_large", _l(
                "The chosen files are larger than %(mb)d MB together. Import them in smaller groups.",
                mb=limits.total_bytes // MiB), status=413)
        _refuse(candidate, "too_big", limits)
    if not data:
        _refuse(candidate, "empty", limits)
    kind, refusal = _kind_of_head(data[:16])
    if kind == "zip":
        refusal = _zip_refusal(data, limits, inflate=True)
        kind = None if refusal else "ofd"
    if refusal:
        _refuse(candidate, refusal, limits)
    document = data
    if kind in ("jpeg", "png"):
        refusal = _image_refusal(data)
        if refusal:
            _refuse(candidate, refusal, limits)
    elif kind == "ofd":
        document = render_ofd(data, candidate, limits)
    if kind in ("pdf", "ofd"):
        # The store's own check (files.clean_pdf: damaged, encrypted, a bomb) runs here too, so
        # a bad PDF is refused before the first file of the import is stored. library.create
        # runs it again on the same bytes; that second pass is the price of storing nothing.
        try:
            files.clean_pdf(document)
        except UserError as e:
            _refuse(candidate, e.code, limits, e.message)
    return _Prepared(candidate, data, document, kind, hashlib.sha256(data).hexdigest())


def render_ofd(data, candidate=None, limits=Limits()):
    """The PDF easyofd draws from an OFD, made in a confined child in a private folder in memory."""
    from appliance.office.export import FONT_CANDIDATES

    font = next(([path, str(index)] for path, index in FONT_CANDIDATES if os.path.exists(path)), [])
    shm = WORK_PARENT if os.access(WORK_PARENT, os.W_OK | os.X_OK) else None
    # easyofd unpacks into its current folder, and on import puts that folder and ".." first on
    # sys.path: both must be ours alone, never a shared folder such as /dev/shm itself.
    private = tempfile.mkdtemp(prefix="yishi-ofd-", dir=shm)  # 0700
    work = os.path.join(private, "work")
    os.mkdir(work, 0o700)
    try:
        ran = files.run_confined([sys.executable, "-I", OFD_SCRIPT, "render", "{doc}", work, *font], data, OFD_LIMITS,
                                 max_output=files.MAX_BYTES + MiB)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    head, _, body = ran.stdout.partition(b"\n")
    try:
        report = json.loads(head) if ran.returncode == 0 and not (ran.killed or ran.overflowed) else None
    except ValueError:
        report = None
    candidate = candidate or Candidate("", "OFD", "OFD", len(data), "ofd")
    if report is None or not report.get("ok"):
        reason = (report or {}).get("reason")
        _refuse(candidate, _ZIP_REFUSAL.get(reason, "ofd_unreadable"), limits)
    if not body.startswith(b"%PDF-") or len(body) != report.get("size"):
        _refuse(candidate, "ofd_unreadable", limits)
    return body


def _stored_name(prepared, kind):
    """The file name the document is stored under: the title and the extension of its content."""
    return title_of(prepared.candidate.name)[:190] + KINDS[kind][1]


def _keep_original(db, version_id, prepared, now):
    data = prepared.original
    db.execute("INSERT INTO document_originals (version_id, filename, mime, size, sha256, created_at) "
               "VALUES (?,?,?,?,?,?)", (version_id, _stored_name(prepared, "ofd"), KINDS["ofd"][0], len(data),
                                        prepared.sha256, now))
    db.executemany("INSERT INTO document_original_chunks (version_id, seq, data) VALUES (?,?,?)",
                   ((version_id, i, data[off:off + CHUNK]) for i, off in enumerate(range(0, len(data), CHUNK))))


def _actor(store, actor_id):
    from appliance.devices import people

    if actor_id is None:
        return None
    person = people.get(store, actor_id)
    if person is None:
        raise UserError("usb_no_actor", _l("The person importing is not known to the appliance."), status=403)
    return person


def ingest(store, root, chosen, *, actor_id, target, stick=None, limits=Limits(), now=None):
    """Import the chosen files (refs from `scan`, or its Candidates) into the store as `target`
    (ToArchive or ToCirculation); returns the new document ids in the order chosen. `stick`:
    what the caller knows of the stick (vendor, serial, label …), recorded in the audit log.
    Every file is checked before the first is stored: a refused one raises UserError naming it,
    and nothing is imported."""
    from appliance.office import archive, circulation
    from appliance.office.common import clean_text, resolve_recipients

    refs = list(dict.fromkeys(c.ref if isinstance(c, Candidate) else c for c in chosen))
    if not refs:
        raise UserError("usb_nothing_chosen", _l("Choose at least one file to import."), status=400)
    if not isinstance(target, (ToArchive, ToCirculation)):
        raise TypeError(f"target: expected ToArchive or ToCirculation, got {target!r}")
    person = _actor(store, actor_id)
    if isinstance(target, ToCirculation):
        if person is None:
            raise UserError("usb_no_actor", _l("A circulation needs a sender: sign in as office staff."), status=403)
        title = clean_text(target.title, "title", 180)
        note = clean_text(target.note, "note", circulation.MAX_NOTE, required=False)
        recipients = resolve_recipients(store, target.recipients, target.groups, exclude=person.id)
    else:
        category = (target.category or "").strip()[:40]

    root_fd = _open_root(root)
    try:
        device = os.fstat(root_fd).st_dev
        prepared, budget = [], limits.total_bytes
        for ref in refs:
            p = _prepare(root_fd, device, ref, limits, budget)
            budget -= len(p.original)
            prepared.append(p)
    finally:
        os.close(root_fd)

    now = time.time() if now is None else now
    ids = []
    for i, p in enumerate(prepared):
        kind = "pdf" if p.kind == "ofd" else p.kind
        doc_title = title_of(p.candidate.name)
        if isinstance(target, ToCirculation):
            doc_title = title if len(prepared) == 1 else f"{title}：{doc_title}"[:200]
        doc_id = library.create(store, actor_id, doc_title, _stored_name(p, kind), p.document, now=now)
        with store.write() as db:
            version_id = db.execute("SELECT current_version FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
            if p.kind == "ofd":
                _keep_original(db, version_id, p, now)
            detail = {"document": doc_id, "file": p.candidate.path, "kind": p.kind, "size": len(p.original),
                      "sha256": p.sha256, "target": "archive" if isinstance(target, ToArchive) else "circulation"}
            if stick:
                detail["stick"] = {k: str(v)[:100] for k, v in dict(stick).items()}
            if isinstance(target, ToArchive):
                detail["entry"] = archive.file(db, actor_id or "cli", "document", doc_id, doc_id, doc_title,
                                               category=category, year=target.year, now=now)
            else:
                detail["circulation"] = circulation.insert(db, person.id, doc_id, doc_title, note, recipients, now)
            audit.record(db, actor_id or "cli", "usb.import", detail, now)
        if isinstance(target, ToCirculation):
            circulation.announce(store, detail["circulation"], recipients)
        ids.append(doc_id)
    return ids


# ---- the original beside the PDF ---------------------------------------------------------------

def original(store, person, document_id, version=None):
    """The OFD a document was rendered from (a row: version_id, filename, mime, size, sha256),
    or None; access as for the document itself (library.open_for, which audits classified)."""
    _, row = library.open_for(store, person, document_id, version)
    return store.one("SELECT * FROM document_originals WHERE version_id = ?", (row["id"],))


def stream_original(store, version_id):
    """The original's bytes chunk by chunk."""
    seq = 0
    while True:
        row = store.one("SELECT data FROM document_original_chunks WHERE version_id = ? AND seq = ?",
                        (version_id, seq))
        if row is None:
            return
        yield bytes(row[0])
        seq += 1
