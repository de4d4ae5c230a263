"""Drill-down from every scorecard figure to its tickets: same counts, scoped pages."""

import re

import pytest

from hotline.errors import InvalidInput
from hotline.evaluation import drilldown, scorecards
from hotline.evaluation.figures import FIGURES
from hotline.tickets.models import Ticket

from .test_scorecards import october  # noqa: F401 - the constructed month, shared


def test_every_figure_lists_exactly_the_tickets_it_counts(october):  # noqa: F811
    unit = october.units["gl_housing"]
    (card,) = scorecards.compute([unit], "2025-10")

    for f in FIGURES:
        num, den = card.counts[f.name]
        listed = drilldown.queryset(unit, "2025-10", f.name, "numerator").count()
        if f.kind == "score":  # a sum of scores over checks: one row per checked ticket
            assert listed == Ticket.objects.filter(reply_reviews__isnull=False).distinct().count()
            continue
        assert listed == num, f.name
        if den is not None:
            assert drilldown.queryset(unit, "2025-10", f.name, "denominator").count() == den


def test_response_numerator_is_the_replied_tickets(october):  # noqa: F811
    page = drilldown.tickets(october.units["gl_housing"], "2025-10", "response", "numerator")

    assert page.total == 3
    assert all(t.replied_at is not None for t in page.rows)


def test_bad_figure_or_part(october):  # noqa: F811
    unit = october.units["gl_housing"]
    with pytest.raises(InvalidInput) as exc:
        drilldown.queryset(unit, "2025-10", "nope", "numerator")
    assert exc.value.field == "figure"
    with pytest.raises(InvalidInput) as exc:
        drilldown.queryset(unit, "2025-10", "supervision", "denominator")
    assert exc.value.field == "part"


def test_drill_page_lists_the_tickets(client, october):  # noqa: F811
    client.force_login(october.users["fz_supervisor"])

    page = client.get("/evaluation/scorecards/gl_housing/response/?period=2025-10&part=denominator")

    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'data-testid="drill-total">6<', html)
    numbers = set(Ticket.objects.filter(lead_unit__code="gl_housing", dispatched_at__month=10)
                  .values_list("number", flat=True))  # fmt: skip
    assert len(numbers) == 6
    assert all(n in html for n in numbers)
    assert "口径：已答复的工单 ÷ 派单数" in html


@pytest.mark.parametrize(
    ("user", "url", "status"),
    [
        pytest.param(None, "gl_housing/response/", 302, id="anonymous-redirect"),
        pytest.param("gl_housing_handler", "gl_housing/response/", 404, id="handler-404"),
        pytest.param("xm_dispatcher", "gl_housing/response/", 404, id="other-city-404"),
        pytest.param("fz_supervisor", "xm_housing/response/", 404, id="unit-out-of-scope-404"),
        pytest.param("fz_supervisor", "gl_housing/nope/", 404, id="unknown-figure-404"),
        pytest.param("fz_housing_leader", "gl_housing/response/", 404, id="leader-other-unit"),
        pytest.param("fz_housing_leader", "fz_housing/response/", 200, id="leader-own-unit"),
        pytest.param("fz_analyst", "gl_housing/quality/", 200, id="analyst-of-the-city"),
        pytest.param("fz_supervisor", "gl_housing/response/?part=x", 400, id="bad-part-400"),
        pytest.param("fz_supervisor", "gl_housing/response/?period=2025-13", 400, id="bad-period"),
    ],
)
def test_drill_page_scope(client, october, user, url, status):  # noqa: F811
    if user:
        client.force_login(october.users[user])
    sep = "&" if "?" in url else "?"
    response = client.get(f"/evaluation/scorecards/{url}{sep}period=2025-10"
                          if "period" not in url else f"/evaluation/scorecards/{url}")  # fmt: skip
    assert response.status_code == status
