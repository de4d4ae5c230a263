"""The Word version (python-docx) in the layout of an official document (公文): a red
masthead with the issuing center, a red rule, the title, 一、二、三 sections, tables, the
issuing unit and the date at the end.

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

from .outline import Chart, Heading, Outline, Para, Table

BODY_FONT = "Noto Serif CJK SC"
HEAD_FONT = "Noto Sans CJK SC"
RED = RGBColor(0xC0, 0x00, 0x00)
TEXT_WIDTH_CM = 15.6  # A4 less the margins below


def _font(run, name: str, size: float, *, bold=False, color=None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str, *, font=BODY_FONT, size=16.0, bold=False, color=None,
          align=None, indent=True, space_after=0):  # fmt: skip
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.first_line_indent = Pt(size * 2) if indent else None
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = Pt(28) if size <= 16 else None
    _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _red_rule(paragraph) -> None:
    """A red line under the masthead: a bottom border on its paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "6"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def _table(doc, block: Table) -> None:
    if block.caption:
        _para(doc, block.caption, font=HEAD_FONT, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
              indent=False, space_after=4)  # fmt: skip
    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if block.widths:
        table.autofit = False
        scale = TEXT_WIDTH_CM / sum(block.widths)
        for i, w in enumerate(block.widths):
            # The grid's width (LibreOffice reads it) and each cell's (Word reads those).
            table.columns[i].width = Cm(w * scale)
            for cell in table.columns[i].cells:
                cell.width = Cm(w * scale)
    for cell, text in zip(table.rows[0].cells, block.header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), HEAD_FONT, 10.5, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in block.rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = ""
            if block.widths:
                cell.width = Cm(block.widths[i] * scale)
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 10.5)
            if i:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()


def render(outline: Outline, charts: dict[str, tuple[str, bytes]]) -> bytes:
    """The .docx file as bytes."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, GB/T 9704
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    masthead = _para(doc, outline.issuer, font=HEAD_FONT, size=26, bold=True, color=RED,
                     align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=6)  # fmt: skip
    _red_rule(masthead)
    _para(doc, "", indent=False)
    _para(doc, outline.title, font=HEAD_FONT, size=20, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=12)  # fmt: skip
    _para(doc, f"{outline.issuer}　{outline.date}", size=14, align=WD_ALIGN_PARAGRAPH.CENTER,
          indent=False, space_after=12)  # fmt: skip

    for block in outline.blocks:
        if isinstance(block, Heading):
            font = HEAD_FONT if block.level == 1 else BODY_FONT
            _para(doc, block.text, font=font, size=16, bold=block.level > 1)
        elif isinstance(block, Para):
            _para(doc, block.text)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Chart):
            caption, png = charts[block.key]
            doc.add_picture(io.BytesIO(png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _para(doc, caption, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
                  space_after=8)  # fmt: skip

    _para(doc, "", indent=False)
    _para(doc, outline.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, outline.date, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
