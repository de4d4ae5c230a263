"""Word primitives in the layout of an official document (公文, GB/T 9704): A4 page and margins,
the red masthead with its rule, body and heading paragraphs, gridded tables, the issuing unit
and date at the end. Pure python-docx: no app of the product, so any floor may build a
document with them (the monthly report, the 典型曝光 bulletin).

Fonts: East Asian runs name the Noto CJK faces installed by fonts-noto-cjk (serif for the
body like 仿宋/宋体, sans for headings like 黑体); Word or WPS without them substitutes its
own Chinese fonts, never boxes.
"""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

BODY_FONT = "Noto Serif CJK SC"
HEAD_FONT = "Noto Sans CJK SC"
RED = RGBColor(0xC0, 0x00, 0x00)
TEXT_WIDTH_CM = 15.6  # A4 less the margins below


def font(run, name: str, size: float, *, bold=False, color=None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def para(doc, text: str, *, face=BODY_FONT, size=16.0, bold=False, color=None,
         align=None, indent=True, space_after=0):  # fmt: skip
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.first_line_indent = Pt(size * 2) if indent else None
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = Pt(28) if size <= 16 else None
    font(p.add_run(text), face, size, bold=bold, color=color)
    return p


def red_rule(paragraph) -> None:
    """A red line under the masthead: a bottom border on its paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "6"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def table(doc, header: list[str], rows: list[list[str]], *, caption: str = "",
          widths: list[float] | None = None) -> None:  # fmt: skip
    """A gridded table; `widths` are relative column widths."""
    if caption:
        para(doc, caption, face=HEAD_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
             indent=False, space_after=4)  # fmt: skip
    grid = doc.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths:
        grid.autofit = False
        scale = TEXT_WIDTH_CM / sum(widths)
        for i, w in enumerate(widths):
            # The grid's width (LibreOffice reads it) and each cell's (Word reads those).
            grid.columns[i].width = Cm(w * scale)
            for cell in grid.columns[i].cells:
                cell.width = Cm(w * scale)
    for cell, text in zip(grid.rows[0].cells, header, strict=True):
        cell.text = ""
        font(cell.paragraphs[0].add_run(text), HEAD_FONT, 10.5, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = grid.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = ""
            if widths:
                cell.width = Cm(widths[i] * scale)
            font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
            if i:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()


def new_document(*, issuer: str, title: str, subtitle: str):
    """An A4 document with the red masthead of `issuer`, its rule, the title and a subtitle
    line (the issuer and date, or a document number)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, GB/T 9704
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    masthead = para(doc, issuer, face=HEAD_FONT, size=26, bold=True, color=RED,
                    align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=6)  # fmt: skip
    red_rule(masthead)
    para(doc, "", indent=False)
    para(doc, title, face=HEAD_FONT, size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
         indent=False, space_after=12)  # fmt: skip
    para(doc, subtitle, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=12)
    return doc


def finish(doc, *, issuer: str, date: str) -> bytes:
    """The issuing unit and the date at the bottom right; the file as bytes."""
    para(doc, "", indent=False)
    para(doc, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    para(doc, date, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
