"""The accountability notice (效能问责通报) as a Word document, in the usual official layout:
red issuing-unit header, title, addressees, numbered sections (一、二、三…), the table of units
and facts, then the issuing unit and the date at the bottom right."""

import datetime as dt
from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .accountability import FACTS, Entry

NUMERALS = "一二三四五六七八九十"
RED = RGBColor(0xC0, 0x00, 0x00)


def _font(run, size, *, bold=False, color=None, face="仿宋"):
    run.font.size, run.font.bold = Pt(size), bold
    run.font.name = face
    run._element.rPr.rFonts.set(qn("w:eastAsia"), face)  # CJK text ignores font.name alone
    if color is not None:
        run.font.color.rgb = color


def _para(doc, text, *, size=16, bold=False, align=None, face="仿宋", color=None, indent=True):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), size, bold=bold, color=color, face=face)
    return p


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def build(*, entries: list[Entry], period: str, issuer: str, day: dt.date) -> bytes:
    """The notice as .docx bytes."""
    doc = Document()
    _para(doc, f"{issuer}文件", size=26, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
          face="宋体", color=RED, indent=False)  # fmt: skip
    _para(doc, f"关于{period}效能问责情况的通报", size=22, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, face="宋体", indent=False)  # fmt: skip
    _para(doc, "各承办单位：", indent=False)
    totals = {k: sum(e.counts.get(k, 0) for e in entries) for k, _ in FACTS}
    sections = [
        ("基本情况", [
            f"根据12345热线工单办理情况，经效能督查，{period}共有{len(entries)}个承办单位存在"
            f"推诿、超期或未处置问题：推诿（不合理退单）{totals['unjustified']}件，"
            f"超期未办结{totals['overdue']}件，周期内未处置{totals['idle']}件。现予以通报。",
        ]),
        ("问责单位名单", None),  # the table
        ("具体情况", [_fact_line(i, e) for i, e in enumerate(entries, start=1)]
         or ["本期无需问责的单位。"]),
        ("工作要求", [
            "被通报单位要认真查找原因，于5个工作日内将整改情况书面报送热线中心效能督查部门。",
            "各承办单位要严格落实首接负责制，不得推诿、拖延，按时限办结群众诉求。",
        ]),
    ]  # fmt: skip
    for n, (heading, paragraphs) in enumerate(sections):
        _para(doc, f"{NUMERALS[n]}、{heading}", bold=True, face="黑体")
        if paragraphs is None:
            _table(doc, entries)
            continue
        for text in paragraphs:
            _para(doc, text)
    for text in (issuer, chinese_date(day)):
        _para(doc, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _fact_line(i: int, e: Entry) -> str:
    parts = [
        f"{label}{count}件（{'、'.join(numbers)}{'等' if count > len(numbers) else ''}）"
        for label, count, numbers in e.facts()
        if count
    ]
    return f"{i}. {e.unit.name}：" + "；".join(parts) + "。"


def _table(doc, entries: list[Entry]):
    header = ["序号", "单位", *(label for _, label in FACTS)]
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for i, e in enumerate(entries, start=1):
        cells = table.add_row().cells
        values = [str(i), e.unit.name, *(str(e.counts.get(k, 0)) for k, _ in FACTS)]
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
