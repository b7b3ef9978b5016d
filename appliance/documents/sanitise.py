"""The child program that makes an uploaded PDF safe to serve: run by `files.clean_pdf` under
memory and CPU limits, never imported by the web process.

Usage: `sanitise.py PATH BUDGET`. It reads the PDF at PATH (a memory file) and writes one JSON
line to stdout, then the rewritten PDF if it had to be rewritten. qpdf (through pikepdf) parses
the file; everything that could act when the document is opened is taken out: JavaScript (name
tree, /JS, OpenAction, additional actions /AA), actions other than going to a page or following
an http(s)/mailto link (Launch, SubmitForm, ImportData, GoToR/GoToE, Rendition, RichMediaExecute
…), embedded files and file attachments, rich media, movies, sounds, 3D, and XFA forms. The page
content is untouched. A PDF that had any of that, or needed repair or decryption, is served as
qpdf wrote it, so a viewer never sees an object that qpdf did not; a well-formed PDF with
nothing active is kept byte for byte.

A decompression bomb is refused before any viewer or pdftotext meets it: the streams that are
interpreted as page content (everything but images, whose decoding a viewer bounds by their
declared size) are inflated with a cap and never kept; more than BUDGET bytes is refused.

Standalone on purpose (stdlib and pikepdf only): it runs as `python -I`, without the appliance
package, so a crash or a limit hit here costs a child process, not a request thread.
"""

import collections
import io
import json
import re
import sys
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

# The actions a reader may keep: moving inside the document, and ordinary links.
SAFE_NAMED = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
SAFE_URI = re.compile(r"^(https?|mailto):", re.IGNORECASE)
# Annotations that carry files, media or scripts of their own: removed from the pages.
ACTIVE_ANNOTS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# Keys removed wherever they occur, with the name they are reported under.
DROPPED_KEYS = {
    "/JS": "javascript",
    "/JavaScript": "javascript",      # the document-level name tree (/Names)
    "/AA": "additional_actions",
    "/EmbeddedFiles": "embedded_files",
    "/EF": "embedded_files",          # a file specification's embedded stream
    "/XFA": "xfa",
    "/NeedsRendering": "xfa",
    "/RichMediaContent": "rich_media",
    "/RichMediaSettings": "rich_media",
}
# Filters that only compress (measured here); images' own codecs (DCT, JPX, JBIG2, CCITT) are not.
INFLATE = {"/FlateDecode", "/Fl"}
GENERALIZED = INFLATE | {"/LZWDecode", "/LZW", "/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85",
                         "/RunLengthDecode", "/RL"}
STEP = 1 << 20
# Every action type of PDF 2.0: a dictionary whose /S is one of these is an action. (/S also
# names structure types, transitions, page-label styles and group kinds: those are left alone.)
ACTION_TYPES = {"/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie",
                "/Hide", "/Named", "/SubmitForm", "/ResetForm", "/ImportData", "/JavaScript", "/SetOCGState",
                "/Rendition", "/Trans", "/GoTo3DView", "/RichMediaExecute"}


def is_action(d):
    return isinstance(d, Dictionary) and str(d.get("/S")) in ACTION_TYPES


def action_is_safe(action):
    if not is_action(action):
        return False
    kind = str(action.get("/S"))
    if kind == "/GoTo":
        return True
    if kind == "/Named":
        return str(action.get("/N")) in SAFE_NAMED
    if kind == "/URI":
        uri = action.get("/URI")
        return uri is not None and bool(SAFE_URI.match(str(uri).strip()))
    return False


def action_name(action):
    if not is_action(action):
        return "malformed"
    kind = str(action.get("/S"))
    if kind == "/URI":
        return "uri_" + (str(action.get("/URI", "")).split(":", 1)[0].strip().lower()[:16] or "relative")
    return kind.lstrip("/").lower()


def _walk(pdf):
    """Every dictionary and array of the file: the indirect objects and what is nested in them."""
    stack = [pdf.trailer, *pdf.objects]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (Dictionary, Stream)):
            yield obj
            children = obj.values()
        elif isinstance(obj, Array):
            children = list(obj)
        else:
            continue
        stack.extend(c for c in children if isinstance(c, (Dictionary, Array)) and not c.is_indirect)


class Cleaner:
    """Takes active content out of an open pikepdf.Pdf, counting what it took."""

    def __init__(self, pdf):
        self.pdf = pdf
        self.removed = collections.Counter()
        self.content_streams = set()  # objgens a viewer interprets as content, whatever they claim to be

    def run(self):
        for page in self.pdf.pages:
            self._prune_annotations(page.obj)
        dicts = [d for d in _walk(self.pdf) if not isinstance(d, Array)]
        for d in dicts:  # first the references (so that what they pointed at is named) …
            self._drop_references(d)
            self._note_content(d)
        for d in dicts:  # … then whatever active object is left, unreferenced or not, is emptied
            if is_action(d) and not action_is_safe(d):
                self._empty(d, keep=("/Type",))
            elif str(d.get("/Subtype")) in ACTIVE_ANNOTS and "/Rect" in d:
                self._empty(d, keep=("/Type", "/Subtype", "/Rect"))

    def _prune_annotations(self, page):
        annots = page.get("/Annots")
        if not isinstance(annots, Array):
            return
        keep = []
        for a in annots:
            subtype = str(a.get("/Subtype")) if isinstance(a, Dictionary) else ""
            if subtype in ACTIVE_ANNOTS:
                self.removed[subtype.lstrip("/").lower() + "_annotation"] += 1
            else:
                keep.append(a)
        if len(keep) != len(annots):
            page.Annots = Array(keep)

    def _drop_references(self, d):
        for key, label in DROPPED_KEYS.items():
            if key in d:
                del d[key]
                self.removed[label] += 1
        open_action = d.get("/OpenAction")
        if open_action is not None and not isinstance(open_action, Array) and not action_is_safe(open_action):
            self.removed["open_action_" + action_name(open_action)] += 1
            del d["/OpenAction"]
        action = d.get("/A")
        if isinstance(action, Dictionary) and not action_is_safe(action):  # (a Measure's /A is an array)
            self.removed["action_" + action_name(action)] += 1
            del d["/A"]
        if is_action(d) and "/Next" in d:
            chain = d.get("/Next")
            if not all(action_is_safe(a) for a in (chain if isinstance(chain, Array) else [chain])):
                self.removed["chained_action"] += 1
                del d["/Next"]

    @staticmethod
    def _empty(d, keep):
        for key in list(d.keys()):
            if key not in keep:
                del d[key]

    def _note_content(self, d):
        """Streams a viewer interprets as content, so that a bomb labelled /Image is still measured."""
        def mark(value):
            if isinstance(value, Stream):
                self.content_streams.add(value.objgen)
            elif isinstance(value, (Array, Dictionary)):
                for v in (value if isinstance(value, Array) else value.values()):
                    if isinstance(v, Stream):
                        self.content_streams.add(v.objgen)
        mark(d.get("/Contents"))
        for key in ("/CharProcs", "/Pattern"):
            if isinstance(d.get(key), Dictionary):
                mark(d.get(key))
        appearance = d.get("/AP")
        if isinstance(appearance, Dictionary):
            for v in appearance.values():
                mark(v)


def _filters(stream):
    f = stream.get("/Filter")
    if f is None:
        return []
    return [str(x) for x in f] if isinstance(f, Array) else [str(f)]


def _inflated_size(raw, limit):
    d = zlib.decompressobj()
    total, buf = 0, raw
    try:
        while not d.eof and total <= limit:
            out = d.decompress(buf, STEP)
            buf = d.unconsumed_tail
            if not out and not buf:
                break
            total += len(out)
    except zlib.error:
        pass  # a damaged stream: a viewer reads what inflates, so do we
    return total


def decoded_content_size(pdf, content_streams, budget):
    """Bytes of content the viewer would decode (images excepted), counting up to just over budget."""
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, Stream):
            continue
        if obj.get("/Type") == Name.EmbeddedFile:  # taken out above, dropped when saved
            continue
        if obj.get("/Subtype") == Name.Image and obj.objgen not in content_streams:
            continue
        filters = _filters(obj)
        try:
            if not filters or any(f not in GENERALIZED for f in filters):
                total += len(obj.read_raw_bytes())
            elif len(filters) == 1 and filters[0] in INFLATE:
                total += _inflated_size(obj.read_raw_bytes(), budget - total)
            else:  # a chain of filters: qpdf decodes it whole, under the child's memory limit
                total += len(obj.read_bytes(pikepdf.StreamDecodeLevel.generalized))
        except pikepdf.PdfError:
            continue  # data that cannot be read is data no viewer decodes either
        if total > budget:
            break
    return total


def clean(data, budget):
    """(report, bytes or None) for one PDF."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return {"ok": False, "reason": "encrypted"}, None
    except (pikepdf.PdfError, ValueError, RuntimeError) as e:
        return {"ok": False, "reason": "unreadable", "detail": str(e)[:300]}, None
    with pdf:
        pages = len(pdf.pages)
        if pages == 0:
            return {"ok": False, "reason": "unreadable", "detail": "no pages"}, None
        cleaner = Cleaner(pdf)
        cleaner.run()
        decoded = decoded_content_size(pdf, cleaner.content_streams, budget)
        if decoded > budget:
            return {"ok": False, "reason": "expands", "budget": budget}, None
        report = {"ok": True, "pages": pages, "removed": dict(cleaner.removed), "decoded": decoded,
                  "warnings": len(pdf.get_warnings()), "rewritten": False}
        # A well-formed file with nothing to take out is kept byte for byte (its checksum and any
        # signature stay valid): every reader sees the objects qpdf saw. Anything else is served
        # as qpdf rewrote it: repaired, decrypted, without what was taken out.
        if not (cleaner.removed or report["warnings"] or pdf.is_encrypted):
            return report, None
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, encryption=False, compress_streams=True,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none, deterministic_id=True)
        report["rewritten"] = True
        return report, out.getvalue()


def main(argv):
    path, budget = argv[1], int(argv[2])
    with open(path, "rb") as f:
        data = f.read()
    try:
        report, out = clean(data, budget)
    except MemoryError:
        report, out = {"ok": False, "reason": "too_complex", "detail": "memory limit"}, None
    except Exception as e:  # qpdf gave up half-way: the file is not one we can vouch for
        report, out = {"ok": False, "reason": "unreadable", "detail": f"{type(e).__name__}: {e}"[:300]}, None
    sys.stdout.buffer.write(json.dumps(report).encode() + b"\n")
    if out is not None:
        sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
