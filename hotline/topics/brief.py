"""The weekly topic brief (专题周报) in Word: the week's new tickets of the topic, the running
totals, where they went and the list of the week's tickets. python-docx, with the Noto CJK
faces named for East Asian text (Word or WPS without them substitute their own)."""

import datetime as dt
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from hotline.catalog.calendar import to_local

from . import board, services
from .models import Topic

BODY_FONT = "Noto Serif CJK SC"
HEAD_FONT = "Noto Sans CJK SC"
RED = RGBColor(0xC0, 0x00, 0x00)
LIST_LIMIT = 200


def _run(p, text, *, font=BODY_FONT, size=12.0, bold=False, color=None):
    r = p.add_run(text)
    r.font.name = font
    r.font.size = Pt(size)
    r.font.bold = bold
    if color is not None:
        r.font.color.rgb = color
    r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return r


def _para(doc, text, **kw):
    p = doc.add_paragraph()
    align = kw.pop("align", None)
    if align is not None:
        p.alignment = align
    _run(p, text, **kw)
    return p


def _table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _run(cell.paragraphs[0], text, font=HEAD_FONT, size=10.5, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = ""
            _run(cell.paragraphs[0], str(text), size=10.5)


def render(user, topic: Topic, monday: dt.date, *, now=None) -> bytes:
    """The brief of the week beginning `monday`, as the reader may see it."""
    start, end = board.week_bounds(monday)
    week = board.figures(user, topic, start=start, end=end, now=now)
    total = board.figures(user, topic, now=now)
    doc = Document()
    _para(doc, topic.center.name, font=HEAD_FONT, size=22, bold=True, color=RED,
          align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
    _para(doc, f"「{topic.name}」专题周报", font=HEAD_FONT, size=18, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER)  # fmt: skip
    last = monday + dt.timedelta(days=6)
    _para(doc, f"（{monday:%Y年%m月%d日}至{last:%Y年%m月%d日}）", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "一、本周情况", font=HEAD_FONT, size=14, bold=True)
    _para(doc, f"本周新增专题诉求{week['total']}件，已办结{week['closed']}件，"
               f"在办{week['open']}件，超期{week['overdue']}件，督办{week['supervised']}件。")  # fmt: skip
    _para(doc, "二、累计情况", font=HEAD_FONT, size=14, bold=True)
    _para(doc, f"专题累计诉求{total['total']}件，已办结{total['closed']}件，"
               f"在办{total['open']}件，超期{total['overdue']}件，督办{total['supervised']}件。")  # fmt: skip
    if total["by_unit"]:
        _table(doc, ["主办单位", "件数"], total["by_unit"])
    _para(doc, "三、本周工单", font=HEAD_FONT, size=14, bold=True)
    rows = services.ledger(user, topic).filter(
        ticket__created_at__gte=start, ticket__created_at__lt=end
    )[:LIST_LIMIT]
    listed = [
        (r.ticket.number, r.ticket.title, r.ticket.lead_unit.name if r.ticket.lead_unit else "—",
         r.ticket.get_status_display(), f"{to_local(r.ticket.created_at):%m-%d %H:%M}")
        for r in rows
    ]  # fmt: skip
    if listed:
        _table(doc, ["工单编号", "标题", "主办单位", "状态", "受理时间"], listed)
    else:
        _para(doc, "本周无新增专题工单。")
    rule = "；".join(
        part for part in [
            "关键词：" + "、".join(topic.keywords) if topic.keywords else "",
            "时限：" + f"{topic.limit_days}个工作日" if topic.limit_days else "",
            "必督办" if topic.mandatory_supervision else "",
        ] if part
    )  # fmt: skip
    if rule:
        _para(doc, f"专题规则：{rule}。", size=10.5)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
