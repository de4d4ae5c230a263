"""The report's figures on a constructed month equal the counts set up by hand, in the
figures and in the Word file read back with python-docx."""

import io
from decimal import Decimal

import docx
import pytest

from hotline.reports import periods, service
from hotline.reports.figures import change, pct
from hotline.tickets.models import Ticket

from .conftest import local

OCT = periods.parse("monthly", "2026-10")
NOW = local(2026, 11, 30, 9, 0)


def rows(rs):
    return {r.key: (r.now, r.prev, r.last_year) for r in rs}


@pytest.fixture
def figures(october):
    return service.build_figures(OCT, october.p.regions["350000"], now=NOW)


def test_volume_and_channels_with_both_comparisons(figures):
    f = figures
    assert (f.volume.now, f.volume.prev, f.volume.last_year) == (9, 6, 4)
    assert f.volume.mom == Decimal("50.0")
    assert f.volume.yoy == Decimal("125.0")
    assert rows(f.channels) == {"phone": (3, 2, 4), "web": (4, 4, 0), "wechat": (2, 0, 0)}
    assert [r.key for r in f.channels] == ["web", "phone", "wechat"]
    assert f.channels[0].share == Decimal("44.4")


def test_categories_regions_and_appeal_types(figures):
    f = figures
    # Leaf 物业管理 folds into its top 城乡建设; September's first ticket has no category.
    assert rows(f.categories) == {"01": (4, 0, 0), "02": (1, 5, 0), "None": (4, 1, 4)}
    assert {r.key: r.label for r in f.categories}["01"] == "城乡建设"
    # 鼓楼区 and 台江区 fold into 福州市, 思明区 into 厦门市.
    assert rows(f.regions) == {"350100": (7, 6, 1), "350200": (2, 0, 3)}
    assert rows(f.appeal_types)["complaint"] == (4, 6, 4)
    assert rows(f.appeal_types)["praise"] == (1, 0, 0)


def test_satisfaction_and_statuses(figures):
    f = figures
    t = f.totals
    assert (t["closed"], t["rated"], t["good"], t["unreachable"]) == (5, 4, 3, 1)
    assert f.satisfaction_rate == Decimal("75.0")
    assert f.prev_satisfaction_rate == Decimal("100.0")  # three closed satisfied in September
    assert rows(f.satisfaction)["basically"] == (1, 0, 0)
    # The scorecards' population: tickets dispatched in October. The praise ticket was
    # registered on 31 October at 23:00 and dispatched on 1 November, so it is not one.
    assert f.rates["response"] == (4, 5)  # the dispatched one has not replied
    assert f.rates["satisfaction"] == (2, 3)  # unreachable is no rating
    assert f.rate("satisfaction") == Decimal("66.7")
    assert [r.unit for r in f.ranking] == ["鼓楼区住建局"]


def test_database_counts_agree(figures, october):
    start, end = OCT.bounds
    in_oct = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    assert figures.volume.now == in_oct.count()
    assert dict(rows(figures.channels))["web"][0] == in_oct.filter(channel="web").count()


def test_findings_are_written_from_the_figures(figures):
    text = "\n".join(figures.findings)
    assert "2026年10月共受理群众诉求9件，环比增长50.0%，同比增长125.0%" in text
    assert "增量主要来自微信渠道（增加2件）" in text
    assert "回访满意率（满意与基本满意占有效评价）为75.0%，较上期下降25.0个百分点" in text


def test_word_report_states_the_figures(october, tmp_path):
    region = october.p.regions["350000"]
    docx_path, html_path, f = service.generate(OCT, region, folder=tmp_path, now=NOW)
    doc = docx.Document(io.BytesIO(docx_path.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.startswith("福建省12345热线中心")  # the masthead: the issuing center
    assert "福建省12345热线2026年10月诉求月度分析报告" in text
    assert "2026年11月30日" in text
    assert "一、总体情况" in text and "二、受理量与受理渠道" in text
    assert "共受理诉求9件，上期6件，环比增长50.0%；去年同期4件，同比增长125.0%" in text
    assert "满意率75.0%（上期100.0%）" in text
    tables = {t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows[1:]]
              for t in doc.tables}  # fmt: skip
    assert ["电话", "3", "33.3%", "2", "+50.0%", "4", "-25.0%"] in tables["渠道"]
    assert ["微信", "2", "22.2%", "0", "—", "0", "—"] in tables["渠道"]
    assert ["福州市", "7", "77.8%", "6", "+16.7%", "1", "+600.0%"] in tables["区域"]
    assert len(doc.inline_shapes) == 5  # the five charts are pictures in the document
    html = html_path.read_text()
    assert "共受理诉求9件" in html and html.count("data:image/png;base64,") == 5


def test_change_and_pct_helpers():
    assert change(9, 6) == Decimal("50.0")
    assert change(1, 0) is None
    assert pct(1, 3) == Decimal("33.3")
    assert pct(1, 0) is None


def test_hot_topics_and_early_warnings_sections(october, tmp_path):
    from hotline.analytics.models import EarlyWarning
    from hotline.analytics.topics import hot_topics

    p = october.p
    at = local(2026, 10, 20, 8)
    for code, title, day in [("350102", "鼓楼区物业管理诉求突增", 20), ("350203", "思明区噪音扰民集中", 21),
                             ("350102", "九月的预警", 30)]:  # fmt: skip
        EarlyWarning.objects.create(
            kind="spike", level="orange", title=title, region=p.regions[code],
            day=local(2026, 10 if day != 30 else 9, day).date(), fingerprint=title,
            created_at=at, updated_at=at,
        )  # fmt: skip
    start, end = OCT.bounds
    expected = hot_topics(Ticket.objects.all(), start, end, limit=8)

    province = service.build_figures(OCT, p.regions["350000"], now=NOW)
    fuzhou = service.build_figures(OCT, p.regions["350100"], now=NOW)

    assert [t.title for t in province.hot_topics] == [t.title for t in expected]
    assert [t.size for t in province.hot_topics] == [t.size for t in expected]
    # Equal scores: the newer day first; September's warning is outside the month.
    assert [w.title for w in province.early_warnings] == [
        "思明区噪音扰民集中",
        "鼓楼区物业管理诉求突增",
    ]
    assert [w.title for w in fuzhou.early_warnings] == ["鼓楼区物业管理诉求突增"]
    assert province.early_warnings[0].kind == "诉求突增"

    docx_path, _, _ = service.generate(OCT, p.regions["350100"], folder=tmp_path, now=NOW)
    doc = docx.Document(io.BytesIO(docx_path.read_bytes()))
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert "鼓楼区物业管理诉求突增" in cells and "思明区噪音扰民集中" not in cells
    for topic in fuzhou.hot_topics:
        assert topic.title in cells


def test_typical_cases_come_from_the_period(figures, october):
    # Nothing supervised, reopened or red in October: the praise and the unsatisfied one.
    assert [c.why for c in figures.cases] == ["群众表扬", "回访不满意"]
    assert figures.cases[1].number == october.tickets[4].number
    case = figures.cases[0]
    assert case.outcome.startswith("10月31日受理；主办单位鼓楼区住建局；已办结，回访满意")


def test_a_case_s_place_names_its_district_once():
    from hotline.reports.sections import place_of

    assert place_of("鼓楼区", "鼓楼区八一七路8号") == "鼓楼区八一七路8号"
    assert place_of("鼓楼区", "福州市鼓楼区八一七路8号") == "福州市鼓楼区八一七路8号"
    assert place_of("鼓楼区", "八一七路8号") == "鼓楼区八一七路8号"
    assert place_of("", "八一七路8号") == "八一七路8号"


def test_hot_topics_from_a_sample_are_said_to_be_estimates(figures):
    from hotline.reports import findings, outline
    from hotline.reports.figures import Topic

    figures.hot_topics = [Topic(title="鼓楼区 阳光花园 · 电梯", place="阳光花园", size=1200,
                                citizens=1150, heat=1300.5, phrases=["电梯"], estimated=True)]  # fmt: skip
    figures.findings = findings.write(figures)

    o = outline.build(figures, "2026年11月2日")
    texts = [b.text for b in o.blocks if isinstance(b, outline.Para)]

    assert any("涉及约1,200件诉求" in t for t in texts)
    assert any("热点按随机抽取的50,000件诉求分析" in t and "约数" in t for t in texts)
