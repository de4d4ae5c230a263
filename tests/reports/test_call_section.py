"""The monthly report's section on the telephone: the table and the hourly chart."""

import datetime as dt
import io

import docx

from hotline.reports import periods, service
from tests.calls.month import load_october

NOW = dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC)


def test_the_word_report_has_the_calls_section_with_table_and_chart(province, settings):
    load_october(province, settings)

    rendered = service.render(
        periods.parse("monthly", "2026-10"), province.regions["350100"], now=NOW
    )

    document = docx.Document(io.BytesIO(rendered.docx))
    texts = [p.text for p in document.paragraphs]
    heading = next(t for t in texts if t.endswith("、话务接听"))
    body = texts[texts.index(heading) + 1]
    assert body == (
        "本期热线呼入6通，座席接听3通，接通率60.00%（5秒内挂机的短时放弃1通不计入）；"
        "15秒服务水平40.00%，平均应答速度11.7秒，平均处理时长70秒；放弃2通，留言0通。"
    )
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "中心")
    assert [[c.text for c in row.cells] for row in table.rows] == [
        [
            "中心",
            "呼入",
            "接听",
            "放弃",
            "接通率",
            "15秒服务水平",
            "平均应答（秒）",
            "平均处理（秒）",
        ],
        ["福州市12345热线中心", "4", "2", "1", "66.67%", "33.33%", "15", "75"],
        ["鼓楼区12345热线中心", "2", "1", "1", "50.00%", "50.00%", "5", "60"],
    ]
    assert "图6 分时段呼入量与接听量" in texts
    assert len(document.inline_shapes) == 6  # five charts before, and the calls by hour
    hourly = {h["hour"]: (h["offered"], h["answered"]) for h in rendered.figures.calls.hourly}
    assert {h: v for h, v in hourly.items() if v != (0, 0)} == {
        9: (1, 1),
        10: (1, 1),
        11: (1, 0),
        14: (1, 1),
        15: (1, 0),
        23: (1, 0),
    }


def test_a_region_without_calls_has_no_calls_section(province, settings):
    load_october(province, settings)

    rendered = service.render(
        periods.parse("monthly", "2026-10"), province.regions["350200"], now=NOW
    )

    assert "话务接听" not in rendered.html
    assert rendered.figures.calls is None
