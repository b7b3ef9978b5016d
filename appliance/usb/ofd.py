"""OFD (GB/T 33190, the national fixed-layout format government systems send) as bytes: what
makes a zip an OFD, the zip-bomb guard that runs before anything parses it, and its rendering
to PDF for the reader with easyofd (Apache-2.0, maintained, offline: it draws with reportlab and
the fonts on the box).

An OFD is a zip of XML and resources from outside the air gap; easyofd unzips it to its working
folder and parses every XML in it. So the rendering never runs in the web process: this file is
also a script (`python -I ofd.py render DOC WORKDIR`) that appliance/usb/importer.py starts
under prlimit through `files.run_confined`, in a private folder in memory that it removes after.
The script re-applies the guard itself, so a caller that forgot it still cannot feed it a bomb.
It needs nothing from the appliance package (it runs isolated, -I).
"""

import io
import json
import os
import stat
import sys
import types
import zipfile
from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    # A real OFD from a government system has a few dozen members (XML per page, fonts,
    # images, signatures); thousands are a sign of a crafted file, not of a long document.
    members: int = 5000
    total: int = 256 * MiB  # all members, uncompressed
    ratio: int = 100  # uncompressed / compressed, over the whole archive (XML deflates ~10x)
    floor: int = 16 * MiB  # below this total the ratio is not asked (small XML compresses well)
    name: int = 255  # bytes of one member name


def looks_like_zip(head):
    return head.startswith(b"PK\x03\x04")


def _declared_members(source, size):
    """The member count the end-of-central-directory record declares (0xFFFF: a ZIP64 archive,
    which no OFD needs), or None when there is no such record; reads at most 64 KiB."""
    tail = min(size, 22 + 0xFFFF)
    source.seek(size - tail)
    end = source.read(tail)
    source.seek(0)
    at = end.rfind(b"PK\x05\x06")
    if at < 0 or len(end) - at < 22:
        return None
    count = int.from_bytes(end[at + 10:at + 12], "little")
    return 1 << 32 if count == 0xFFFF else count


def zip_problem(source, limits=ZipLimits(), inflate=True):
    """None when `source` (bytes, or a seekable binary file) is an OFD that is safe to unpack,
    else a short reason code: 'not_zip', 'not_ofd' (no OFD.xml at its root), 'encrypted',
    'method', 'names' (absolute, '..', backslash, control characters, duplicates, too long),
    'members', 'bomb'. Without `inflate` only the zip's directory is read (its declared sizes);
    with it every member is inflated too, bounded, since declared sizes can lie."""
    if isinstance(source, (bytes, bytearray)):
        size, source = len(source), io.BytesIO(source)
    else:
        size = source.seek(0, io.SEEK_END)
        source.seek(0)
    declared = _declared_members(source, size)
    if declared is None:
        return "not_zip"
    if declared > limits.members:
        return "members"  # refused before zipfile builds an object per member
    try:
        z = zipfile.ZipFile(source)  # reads the central directory only
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return "not_zip"
    with z:
        infos = z.infolist()
        if len(infos) > limits.members:
            return "members"
        seen, total, packed = set(), 0, 0
        for info in infos:
            name = info.filename
            if (not name or len(name.encode("utf-8", "surrogateescape")) > limits.name or name.startswith("/")
                    or "\\" in name or any(ord(c) < 32 or ord(c) == 127 for c in name)
                    or ".." in name.split("/") or name in seen):
                return "names"
            seen.add(name)
            if info.flag_bits & 0x1:
                return "encrypted"
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                return "method"
            total += info.file_size
            packed += info.compress_size
            if total > limits.total:
                return "bomb"
        if total > limits.floor and total > limits.ratio * max(packed, size // 2, 1):
            return "bomb"
        if not any(n.lower() == "ofd.xml" for n in seen):
            return "not_ofd"
        if not inflate:
            return None
        # The declared sizes can lie: inflate every member with the limit as the bound, so what
        # easyofd later unpacks is exactly what was counted here.
        left = limits.total
        try:
            for info in infos:
                if info.is_dir():
                    continue
                with z.open(info) as member:
                    while True:
                        chunk = member.read(1 << 16)
                        if not chunk:
                            break
                        left -= len(chunk)
                        if left < 0:
                            return "bomb"
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
            return "not_zip"  # a CRC or stream error: damaged
    return None


# easyofd draws all text in the font it registers as 宋体, whatever font the OFD names (from
# Windows' simsun.ttc, which a Pi does not have; without it the text silently falls back to
# Helvetica and Chinese disappears). That one name gets the appliance's CJK font
# (fonts-wqy-zenhei, the one the minutes are printed in); loading it takes ~0.7 s, so only once.
CJK_FONT_NAME = "宋体"


def _cjk_font(path, index):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, path, subfontIndex=index))


def render(data, font=None):
    """The OFD's pages as a PDF (bytes). Only in the confined child: it unpacks into the cwd.
    font: (path, subfont index) of a TrueType CJK font for the text."""
    import logging

    from loguru import logger

    logger.remove()  # easyofd logs every drawing step at DEBUG
    logging.disable(logging.WARNING)
    # easyofd imports PyMuPDF (fitz) for its PDF→OFD and image paths only; OFD→PDF never calls
    # it, so the child does not load MuPDF: seconds of start-up on a Pi, and a parser unused.
    sys.modules.setdefault("fitz", types.ModuleType("fitz"))
    from easyofd.ofd import OFD

    # easyofd put the current folder and ".." first on sys.path when it was imported: nothing
    # imported later may come from the folder the stranger's OFD is unpacked into.
    sys.path[:] = [p for p in sys.path if p not in ("", ".", "..", os.getcwd())]

    if font:
        _cjk_font(*font)  # after easyofd's own registrations, which it would otherwise replace

    doc = OFD()
    doc.read(data, fmt="binary", save_xml=False)
    pdf = doc.to_pdf()
    if not isinstance(pdf, (bytes, bytearray)) or not bytes(pdf).startswith(b"%PDF-"):
        raise ValueError("easyofd returned no PDF")
    return bytes(pdf)


def _main(argv):
    """render DOC WORKDIR [FONT.ttc INDEX]: one JSON line ({"ok": true} or {"ok": false,
    "reason": …}), then the PDF."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # easyofd print()s as it draws; only our answer goes to stdout
    if len(argv) not in (3, 5) or argv[0] != "render":
        out.write(b'{"ok": false, "reason": "usage"}\n')
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    work = argv[2]
    if not stat.S_ISDIR(os.lstat(work).st_mode):
        out.write(b'{"ok": false, "reason": "usage"}\n')
        return 2
    os.chdir(work)  # easyofd writes the zip and its members into the current folder
    problem = zip_problem(data)
    if problem:
        out.write(json.dumps({"ok": False, "reason": problem}).encode() + b"\n")
        return 0
    try:
        pdf = render(data, (argv[3], int(argv[4])) if len(argv) == 5 else None)
    except Exception as e:  # noqa: BLE001 - any failure of the parser is an unreadable file
        out.write(json.dumps({"ok": False, "reason": "unreadable", "detail": type(e).__name__}).encode() + b"\n")
        return 0
    out.write(json.dumps({"ok": True, "size": len(pdf)}).encode() + b"\n")
    out.write(pdf)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
