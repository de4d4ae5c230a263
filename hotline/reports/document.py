"""The Word version (python-docx) in the layout of an official document (公文): a red
masthead with the issuing center, a red rule, the title, 一、二、三 sections, tables, the
issuing unit and the date at the end. The primitives are `hotline.officedoc`'s, shared with
the documents of the floors below (the 典型曝光 bulletin)."""

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from hotline.officedoc import BODY_FONT, HEAD_FONT, finish, new_document, para, table

from .outline import Chart, Heading, Outline, Para, Table


def render(outline: Outline, charts: dict[str, tuple[str, bytes]]) -> bytes:
    """The .docx file as bytes."""
    doc = new_document(issuer=outline.issuer, title=outline.title,
                       subtitle=f"{outline.issuer}　{outline.date}")  # fmt: skip
    for block in outline.blocks:
        if isinstance(block, Heading):
            face = HEAD_FONT if block.level == 1 else BODY_FONT
            para(doc, block.text, face=face, size=16, bold=block.level > 1)
        elif isinstance(block, Para):
            para(doc, block.text)
        elif isinstance(block, Table):
            table(doc, block.header, block.rows, caption=block.caption, widths=block.widths)
        elif isinstance(block, Chart):
            caption, png = charts[block.key]
            doc.add_picture(io.BytesIO(png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            para(doc, caption, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
                 space_after=8)  # fmt: skip
    return finish(doc, issuer=outline.issuer, date=outline.date)
