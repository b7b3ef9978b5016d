"""The opinion summary sheet (意见汇总表) as DOCX (python-docx) and PDF (reportlab).

Always in Chinese, the form offices file: number, paragraph, original text, comment or
proposed text, who, when, and the drafter's response. The PDF embeds a TrueType CJK font from
Debian (fonts-wqy-zenhei; reportlab cannot embed the CFF-outlined Noto CJK fonts) and falls
back to reportlab's built-in STSong-Light CID font if none is installed. It renders the plain
rows of consultation.summary(), labels included, and imports nothing of the office's domain.
The sheet itself (sheet_docx, sheet_pdf: a heading, facts, captioned tables) is shared with
the 审议意见书 of appliance/office/opinions.py.
"""

import io
import os
import time
from dataclasses import dataclass

from flask_babel import force_locale

from appliance import timekeeping
from appliance.i18n import gettext as _

FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
_font = None


def _headers():
    return [_("No."), _("Paragraph"), _("Original text"), _("Comment or proposed text"), _("Proposed by"),
            _("Time"), _("Response (adopted or not, and why)")]


def _cells(row):
    para = _("Whole draft") if row["paragraph"] is None else _("Paragraph %(n)d", n=row["paragraph"])
    body = row["body"] if row["kind"] == "comment" else _("Proposed text: %(t)s", t=row["body"])
    response = ""
    if row["disposition_label"]:
        response = str(row["disposition_label"]) + (f"：{row['reason']}" if row["reason"] else "")
    return [str(row["no"]), para, row["original"], body, row["author"],
            time.strftime("%Y-%m-%d %H:%M", time.localtime(row["at"])), response]


def _heading(summary):
    return _("Opinion summary sheet: %(title)s (version %(v)d)", title=summary["title"], v=summary["version"])


def _facts(summary):
    return _("Asked: %(n)d; responded: %(r)d; comments: %(c)d. Deadline: %(d)s",
             n=summary["invited"], r=summary["responded"], c=len(summary["rows"]),
             d=time.strftime("%Y-%m-%d %H:%M", time.localtime(summary["deadline"])))


@dataclass(frozen=True)
class Table:
    """One table of a sheet: an optional caption above it, the header row, the rows (lists of
    strings, as many as headers) and the PDF's column widths in cm (landscape A4 holds 26.7)."""

    caption: str | None
    headers: list
    rows: list
    widths: tuple


def summary_tables(summary):
    return [Table(None, _headers(), [_cells(r) for r in summary["rows"]], (1.2, 2.0, 6.0, 6.5, 2.2, 3.0, 5.8))]


def summary_docx(summary):
    with force_locale("zh_CN"):
        return sheet_docx(_heading(summary), _facts(summary), summary_tables(summary))


def sheet_docx(heading, facts, tables):
    """A landscape DOCX: a heading, a line of facts, then each table with its caption. The
    意见汇总表 and the 审议意见书 (appliance/office/opinions.py) are both made by it."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for m in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, m, Cm(1.8))
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(str(heading), level=1)
    doc.add_paragraph(str(facts))
    if clock_note := timekeeping.request_note():
        doc.add_paragraph(clock_note)
    for t in tables:
        if t.caption:
            doc.add_heading(str(t.caption), level=2)
        table = doc.add_table(rows=1, cols=len(t.headers))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, t.headers):
            cell.text = str(text)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in t.rows:
            for cell, text in zip(table.add_row().cells, row):
                cell.text = str(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _register_font():
    global _font
    if _font:
        return _font
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in FONT_CANDIDATES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("YishiCJK", path, subfontIndex=index))
            _font = "YishiCJK"
            return _font
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    _font = "STSong-Light"
    return _font


def summary_pdf(summary):
    with force_locale("zh_CN"):
        return sheet_pdf(_heading(summary), _facts(summary), summary_tables(summary))


def sheet_pdf(heading, facts, tables):
    """The same sheet as sheet_docx, as a landscape A4 PDF with an embedded CJK font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle
    from xml.sax.saxutils import escape

    font = _register_font()
    body = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=6)
    caption = ParagraphStyle("caption", fontName=font, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    note = ParagraphStyle("note", fontName=font, fontSize=10, leading=14)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm, title=str(heading))
    flow = [Paragraph(escape(str(heading)), title), Paragraph(escape(str(facts)), note)]
    if clock_note := timekeeping.request_note():
        flow.append(Paragraph(escape(clock_note), note))
    flow.append(Spacer(1, 0.3 * cm))
    for t in tables:
        if t.caption:
            flow.append(Paragraph(escape(str(t.caption)), caption))
        data = [[Paragraph(escape(str(h)), body) for h in t.headers]]
        data += [[Paragraph(escape(str(c)).replace("\n", "<br/>"), body) for c in r] for r in t.rows]
        table = PdfTable(data, colWidths=[w * cm for w in t.widths], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        flow.append(table)
    doc.build(flow)
    return out.getvalue()
