"""A member's annotated copy (批注副本): the document's pages with their own strokes and notes
drawn on, the reader's watermark (their name and the time) on every page, and a last page that
lists the notes. The only export that carries annotations, and only the author's own.

The strokes are drawn by reportlab on an overlay of each page and laid over the original with
pikepdf (the page's own content stays as stored). Annotations are in the coordinates of the
page as pdf.js shows it (its crop box, turned by its /Rotate), so the overlay draws in that
frame: `_display_matrix` maps it onto the page's unrotated user space. An image document
becomes a one-page PDF first. Text is in the embedded CJK TrueType font of the minutes, so
`pdftotext` reads the notes and the watermark back.
"""

import io
import json

from appliance.i18n import gettext as _

COLOURS = {"black": "#1a1a1a", "red": "#c62828", "blue": "#1565c0", "green": "#2e7d32", "yellow": "#f9d71c", "pink": "#f06292"}
WATERMARK = "#9e1b1b"
NOTE_FILL = "#fff6bf"
IMAGE_LONG_SIDE = 842.0  # an image page is drawn as large as an A4 page's long side, in points


def _display_matrix(box, rotate, origin):
    """(a, b, c, d, e, f, display width, display height): from display points (origin top left,
    y down, as the reader shows the page) to the overlay's space (the page's user space moved
    so that the media box starts at 0, 0, which is where the overlay is placed)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    ox, oy = origin
    if rotate == 90:
        return 0, 1, 1, 0, x0 - ox, y0 - oy, h, w
    if rotate == 180:
        return -1, 0, 0, 1, x1 - ox, y0 - oy, w, h
    if rotate == 270:
        return 0, -1, -1, 0, x1 - ox, y1 - oy, h, w
    return 1, 0, 0, -1, x0 - ox, y1 - oy, w, h


def _upright_text(c, font, size, x, y, text):
    """Text at display point (x, y) as its baseline's start, upright in the display frame (which
    is flipped in y, so each run is flipped back)."""
    c.saveState()
    c.translate(x, y)
    c.scale(1, -1)
    c.setFont(font, size)
    c.drawString(0, 0, text)
    c.restoreState()


def _watermark(c, font, w, h, text):
    size = max(12.0, w / 28)
    c.saveState()
    c.setFillColor(WATERMARK)
    c.setFillAlpha(0.13)
    c.translate(w / 2, h / 2)
    c.scale(1, -1)  # back to y up, so the rotation reads as the reader's (rising to the right)
    c.rotate(30)
    c.setFont(font, size)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    step_x = stringWidth(text, font, size) + size * 3
    step_y = size * 7
    y = -h
    while y < h:
        x = -w
        while x < w:
            c.drawString(x, y, text)
            x += step_x
        y += step_y
    c.restoreState()


def _stroke(c, row, w, h):
    g = json.loads(row["geometry"])
    pts = g["points"]
    base = g["width"] * w
    c.saveState()
    c.setStrokeColor(COLOURS[row["colour"]])
    c.setLineCap(1)
    c.setLineJoin(1)
    if row["kind"] == "highlighter":
        c.setStrokeAlpha(0.35)
        c.setLineWidth(base)
        path = c.beginPath()
        path.moveTo(pts[0][0] * w, pts[0][1] * h)
        for x, y, _p in pts[1:] or pts:
            path.lineTo(x * w, y * h)
        c.drawPath(path, stroke=1, fill=0)
    else:  # a pen: as wide as its pressure (0.5, where none is known, is the base width)
        if len(pts) == 1:
            pts = pts + pts
        # One path per run of segments of the same width (in eighths): a segment per path made a
        # 400-stroke copy 5x slower to draw and 3x larger.
        run, run_width = None, None
        for (xa, ya, pa), (xb, yb, pb) in zip(pts, pts[1:]):
            wid = base * round((0.4 + 1.2 * (pa + pb) / 2) * 8) / 8
            if wid != run_width:
                if run is not None:
                    c.drawPath(run, stroke=1, fill=0)
                c.setLineWidth(wid)
                run, run_width = c.beginPath(), wid
                run.moveTo(xa * w, ya * h)
            run.lineTo(xb * w, yb * h)
        c.drawPath(run, stroke=1, fill=0)
    c.restoreState()


def _note(c, font, row, number, w, h):
    from appliance.meetings.minutes import _wrap

    g = json.loads(row["geometry"])
    size = max(7.0, min(11.0, w / 60))
    box_w = min(w * 0.34, 220.0)
    lines = [f"[{number}]"] + [ln for part in row["note"].split("\n") for ln in _wrap(part, font, size, box_w - 8)]
    lines = lines[:12] + (["…"] if len(lines) > 12 else [])
    box_h = len(lines) * size * 1.3 + 6
    x = min(max(g["at"][0] * w, 2), w - box_w - 2)
    y = min(max(g["at"][1] * h, 2), h - box_h - 2)
    c.saveState()
    c.setFillColor(NOTE_FILL)
    c.setFillAlpha(0.9)
    c.setStrokeColor(COLOURS[row["colour"]])
    c.setLineWidth(0.8)
    c.rect(x, y, box_w, box_h, stroke=1, fill=1)
    c.setFillColor("#1a1a1a")
    c.setFillAlpha(1)
    for i, line in enumerate(lines):
        _upright_text(c, font, size, x + 4, y + 3 + size * (1.3 * i + 1), line)
    c.restoreState()


def _overlay_page(c, font, rows, numbers, w, h, watermark, footer):
    for row in rows:
        if row["kind"] != "note":
            _stroke(c, row, w, h)
    for row in rows:
        if row["kind"] == "note":
            _note(c, font, row, numbers[row["id"]], w, h)
    _watermark(c, font, w, h, watermark)
    c.saveState()
    c.setFillColor(WATERMARK)
    c.setFillAlpha(0.6)
    _upright_text(c, font, max(6.0, min(9.0, w / 70)), 12, h - 8, footer)
    c.restoreState()


def _lay_over(page, overlay_page, media):
    """pikepdf's add_overlay, but in the page's own unrotated space: the overlay is drawn in it
    already (`_display_matrix`), so QPDF must not turn it upright once more."""
    import pikepdf

    formx = overlay_page.as_form_xobject()
    name = page.add_resource(formx, pikepdf.Name.XObject)
    placement = page.calc_form_xobject_placement(formx, name, pikepdf.Rectangle(*media), invert_transformations=False,
                                                 allow_shrink=True, allow_expand=True)
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n", prepend=False)
    page.contents_add(placement, prepend=False)
    page.contents_coalesce()


def _image_as_pdf(data):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = ImageReader(io.BytesIO(data))
    iw, ih = img.getSize()
    scale = IMAGE_LONG_SIDE / max(iw, ih)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(iw * scale, ih * scale), invariant=1)
    c.drawImage(img, 0, 0, iw * scale, ih * scale)
    c.showPage()
    c.save()
    return buf.getvalue()


def render(data, mime, rows, watermark, title, version):
    """The annotated copy's bytes. `data`: the version's stored bytes; `rows`: the author's
    annotation rows on that version (`version`, its number); `watermark`: the reader's
    "name time" line."""
    import pikepdf
    from reportlab.pdfgen import canvas

    from appliance.meetings.minutes import _font

    font = _font()
    if mime != "application/pdf":
        data = _image_as_pdf(data)
    pdf = pikepdf.open(io.BytesIO(data))
    by_page = {}
    for row in rows:
        by_page.setdefault(row["page"], []).append(row)
    notes = [r for r in rows if r["kind"] == "note"]
    numbers = {r["id"]: n for n, r in enumerate(notes, start=1)}
    footer = _("Annotated copy of %(name)s. The annotations are the member's own, not part of the document.", name=watermark)

    overlay_buf = io.BytesIO()
    c = canvas.Canvas(overlay_buf, invariant=1, initialFontName=font)
    frames = []
    for n, page in enumerate(pdf.pages, start=1):
        media = [float(v) for v in page.mediabox]
        crop = [float(v) for v in page.cropbox]
        box = [max(crop[0], media[0]), max(crop[1], media[1]), min(crop[2], media[2]), min(crop[3], media[3])]
        rotate = int(page.obj.get("/Rotate", 0)) % 360
        a, b, cc, d, e, f, w, h = _display_matrix(box, rotate if rotate in (0, 90, 180, 270) else 0, media[:2])
        c.setPageSize((media[2] - media[0], media[3] - media[1]))
        c.saveState()
        c.transform(a, b, cc, d, e, f)
        _overlay_page(c, font, by_page.get(n, []), numbers, w, h, watermark, footer)
        c.restoreState()
        c.showPage()
        frames.append((media, w, h))
    c.save()
    overlay = pikepdf.open(io.BytesIO(overlay_buf.getvalue()))
    for page, over, (media, _w, _h) in zip(pdf.pages, overlay.pages, frames):
        _lay_over(page, over, media)

    if notes:
        pdf.pages.extend(_notes_pages(font, notes, numbers, watermark, title, version).pages)
    pdf.docinfo["/Title"] = _("%(title)s (annotated copy)", title=title)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _notes_pages(font, notes, numbers, watermark, title, version):
    """The last pages: every note in full, by page (a long note is cut short on its page)."""
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from appliance.meetings.minutes import _wrap

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)
    width, height = A4
    margin = 56

    def new_page():
        c.saveState()
        c.transform(1, 0, 0, -1, 0, height)
        _watermark(c, font, width, height, watermark)
        c.restoreState()
        return height - margin

    y = new_page()
    c.setFont(font, 16)
    c.drawString(margin, y, _("My notes on %(title)s", title=title))
    y -= 30
    for row in notes:
        head = _("[%(n)d] page %(p)d", n=numbers[row["id"]], p=row["page"])
        if row["written_on"] != version:
            head += "  " + _("written on version %(v)d", v=row["written_on"])
        lines = [(16, head)] + [(18, ln) for part in row["note"].split("\n") for ln in _wrap(part, font, 11, width - 2 * margin)]
        for step, text in lines:
            if y < margin:
                c.showPage()
                y = new_page()
            c.setFont(font, 11)
            c.drawString(margin, y, text)
            y -= step
        y -= 8
    c.showPage()
    c.save()
    return pikepdf.open(io.BytesIO(buf.getvalue()))
