"""What an upload really is (by its bytes, not its name), and the text inside a PDF."""

import os
import subprocess
import tempfile

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l

MAX_BYTES = 50 * 1024 * 1024
ALLOWED = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


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


def pdf_facts(data, timeout=60):
    """(pages, text) of a PDF, with poppler's pdfinfo/pdftotext. A PDF they cannot read is refused."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        try:
            info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError as e:
            raise RuntimeError("pdfinfo (Debian package poppler-utils) is not installed") from e
        if info.returncode != 0:
            raise UserError("bad_pdf", _l("This PDF is damaged or cannot be read. Export it again and retry."), status=415)
        pages = next((int(line.split()[-1]) for line in info.stdout.splitlines() if line.startswith("Pages:")), None)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-layout", f.name, "-"], capture_output=True, timeout=timeout
        ).stdout.decode("utf-8", "replace")
    return pages, text
