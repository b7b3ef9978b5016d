"""What an upload really is (by its bytes, not its name), a PDF made safe to serve, and its text.

Parsing a stranger's PDF is the riskiest thing the appliance does, so the web process never
does it: qpdf (through pikepdf, in `sanitise.py`) and poppler's pdftotext run as child processes
whose address space, CPU time and wall time are bounded (prlimit, from util-linux), and whose
output is capped. They read the document from a memory file (memfd), never from a plain file on
the card. `clean_pdf` runs during the upload and is quick for any real document; `extract_text`
can be slow and runs on a worker thread (`text_jobs`), after the upload has answered.
"""

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l

MAX_BYTES = 50 * 1024 * 1024
ALLOWED = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}
MiB = 1024 * 1024

# A decompression bomb: page content (images aside) that inflates to far more than the file.
# Real documents inflate 3-10x (embedded CJK fonts included), a bomb 300-1000x; the floor keeps
# small files with large fonts clear, the ceiling bounds the work for the largest uploads.
EXPAND_RATIO = 50
EXPAND_FLOOR = 64 * MiB
EXPAND_CEILING = 1024 * MiB
MAX_TEXT_BYTES = 8 * MiB  # ~2.7 million Chinese characters: far beyond any document's text
SANITISER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sanitise.py")


@dataclass(frozen=True)
class Limits:
    memory: int  # bytes of address space
    cpu: int  # seconds of CPU
    wall: float  # seconds before the child is killed


# qpdf needs ~40 MB beside the document; a 50 MB upload parses in ~1 s here, a few on a Pi.
CLEAN_LIMITS = Limits(memory=768 * MiB, cpu=30, wall=60)
TEXT_LIMITS = Limits(memory=512 * MiB, cpu=60, wall=120)


def sniff(data):
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def check_upload(filename, data, max_bytes=MAX_BYTES):
    """Return the MIME type, or raise a UserError that says what is wrong with the file."""
    if not data:
        raise UserError("empty_file", _l("The file is empty. Choose the file again."))
    if len(data) > max_bytes:
        raise UserError(
            "file_too_large", _l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), status=413
        )
    mime = sniff(data)
    if mime is None:
        raise UserError("bad_file_type", _l("Only PDF files and PNG or JPEG images can be uploaded."), status=415)
    ext = os.path.splitext(filename or "")[1].lower()
    if ext and ext not in ALLOWED[mime]:
        raise UserError(
            "file_type_mismatch",
            _l("The file's name says %(ext)s but its content is %(kind)s. Check that it is the right file.",
               ext=ext, kind=mime.split("/")[1].upper()),
            status=415,
        )
    return mime


# ---- PDFs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CleanPdf:
    data: bytes  # what is stored and served: the upload itself, or qpdf's rewrite of it
    pages: int
    removed: dict = field(default_factory=dict)  # what was taken out, e.g. {"javascript": 2}


def expansion_budget(size):
    return max(EXPAND_FLOOR, min(EXPAND_RATIO * size, EXPAND_CEILING))


def clean_pdf(data):
    """The PDF without JavaScript, active actions, attachments, media or XFA (rewritten if it had
    any, or needed repair; else the same bytes); a PDF that cannot be parsed, needs a password,
    or inflates like a bomb is refused with a UserError."""
    budget = expansion_budget(len(data))
    ran = run_confined([sys.executable, "-I", SANITISER, "{doc}", str(budget)], data, CLEAN_LIMITS,
                       max_output=2 * len(data) + MiB)
    head, _, body = ran.stdout.partition(b"\n")
    try:
        report = json.loads(head) if ran.returncode == 0 and not ran.killed else None
    except ValueError:
        report = None
    if report is None:
        # A limit was hit (SIGXCPU, an allocation refused, the wall clock): too much work to be
        # a real document, and we have not seen all of it.
        raise UserError("pdf_too_complex", _l("This PDF is too complex to open safely. Export it again from the "
                                              "program that made it (or print it to PDF) and retry."), status=422)
    if report["ok"]:
        return CleanPdf(body if report["rewritten"] else data, report["pages"], report["removed"])
    reason = report["reason"]
    if reason == "encrypted":
        raise UserError("encrypted_pdf", _l("This PDF is protected by a password. Save it without a password "
                                            "and retry."), status=415)
    if reason == "expands":
        raise UserError("pdf_bomb", _l("This PDF expands to more than %(mb)d MB when opened, far more than a "
                                       "document of its size: it is damaged or built to stall the tablets. Export "
                                       "it again from the program that made it and retry.", mb=budget // MiB),
                        status=413)
    if reason == "too_complex":
        raise UserError("pdf_too_complex", _l("This PDF is too complex to open safely. Export it again from the "
                                              "program that made it (or print it to PDF) and retry."), status=422)
    raise UserError("bad_pdf", _l("This PDF is damaged or cannot be read. Export it again and retry."), status=415)


def extract_text(data, limits=None):
    """(text, problem) with pdftotext; problem is None, or why the text is partial or missing."""
    limits = limits or TEXT_LIMITS
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise RuntimeError("pdftotext (Debian package poppler-utils) is not installed")
    ran = run_confined([pdftotext, "-enc", "UTF-8", "-layout", "{doc}", "-"], data, limits, max_output=MAX_TEXT_BYTES)
    text = ran.stdout[:MAX_TEXT_BYTES].decode("utf-8", "ignore" if ran.overflowed else "replace")
    if ran.overflowed:
        return text, "truncated"
    if ran.killed:
        return text, "timeout"
    if ran.returncode != 0:
        return text, "limit" if ran.returncode < 0 else "unreadable"
    return text, None


def pdf_facts(data):
    """(pages, text) of a PDF, at once: for tools and tests (uploads use clean_pdf + a text job)."""
    clean = clean_pdf(data)
    return clean.pages, extract_text(clean.data)[0]


# ---- confined child processes -------------------------------------------------------------------

@dataclass
class Ran:
    returncode: int  # negative: killed by that signal (SIGXCPU: the CPU limit)
    stdout: bytes
    stderr: bytes  # the last 8 KiB
    killed: bool = False  # by us, at the wall-clock limit
    overflowed: bool = False  # stdout passed max_output; the child was stopped there


def run_confined(argv, data, limits, max_output):
    """Run argv (where "{doc}" stands for a path that reads `data`) under `limits`."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise RuntimeError("prlimit (Debian package util-linux) is not installed")
    fd = os.memfd_create("yishi-document", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        doc = f"/dev/fd/{fd}"
        from appliance.store.custody import disowned  # the child must not hold the unlocked key

        cmd = [prlimit, f"--as={limits.memory}", f"--cpu={limits.cpu}:{limits.cpu + 1}", "--core=0", "--",
               *disowned([doc if a == "{doc}" else a for a in argv])]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                pass_fds=(fd,), start_new_session=True)
    finally:
        os.close(fd)  # the child holds its own copy
    out, err = bytearray(), bytearray()
    killed = overflowed = False
    deadline = time.monotonic() + limits.wall
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        while sel.get_map() and not (killed or overflowed):
            left = deadline - time.monotonic()
            if left <= 0:
                killed = True
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.fileobj is proc.stdout:
                    out += chunk
                    overflowed = len(out) > max_output
                else:
                    err = (err + chunk)[-8192:]
    if killed or overflowed:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return Ran(proc.returncode, bytes(out), bytes(err), killed, overflowed)
