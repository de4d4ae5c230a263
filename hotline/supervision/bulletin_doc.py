"""The issued 典型曝光 bulletin in Word: the center's masthead, the number of the issue, a
short lead, then one section per named case (what the unit replied or did, why it is wrong,
the handler and the responsible leader: 点名批评), a summary table and the requirements."""

import datetime as dt

from hotline.officedoc import HEAD_FONT, finish, new_document, para, table

from .models import Bulletin, BulletinCase

NUMERALS = "一二三四五六七八九十"


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _numeral(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens - 1] + "十")
    return head + (NUMERALS[ones - 1] if ones else "")


def build(b: Bulletin, cases: list[BulletinCase], *, day: dt.date) -> bytes:
    """The bulletin as .docx bytes."""
    issuer = b.center.name
    doc = new_document(issuer=issuer, title=b.title,
                       subtitle=f"典型曝光〔{day.year}〕第{b.serial}期")  # fmt: skip
    para(doc, "各承办单位：", indent=False)
    para(doc, f"经审核退回、质量抽查和暗访，现将{len(cases)}个办理不实、敷衍塞责的典型问题"
              "予以通报，点名批评如下。")  # fmt: skip
    for n, c in enumerate(cases, start=1):
        where = f"（工单{c.ticket.number}）" if c.ticket_id else ""
        para(doc, f"{_numeral(n)}、{c.unit.name}{where}", face=HEAD_FONT, bold=True)
        para(doc, f"来源：{c.get_source_display()}。")
        para(doc, f"单位答复/表现：{c.reply}")
        para(doc, f"存在问题：{c.why_wrong}")
        para(doc, f"点名批评：承办人{c.handler}；责任领导{c.leader}。")
    table(
        doc, ["序号", "单位", "来源", "承办人", "责任领导"],
        [[str(n), c.unit.name, c.get_source_display(), c.handler, c.leader]
         for n, c in enumerate(cases, start=1)],
        caption="被通报案例一览", widths=[1, 4, 2, 2, 2],
    )  # fmt: skip
    para(doc, "被通报单位要认真对照检查，于5个工作日内将整改情况和对相关责任人的处理意见"
              "书面报送热线中心效能督查部门。")  # fmt: skip
    return finish(doc, issuer=issuer, date=chinese_date(day))
