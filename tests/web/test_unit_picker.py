"""The dispatch form's unit finder (issue 19): the lead unit found by name or pinyin initials
(鼓楼区住建局 → glqzjj) among the units the ticket may go to; the select stays the field."""

import re

import pytest

from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .helpers import HX, as_user, reload, text

pytestmark = pytest.mark.django_db


def found(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', text(response))


@pytest.mark.parametrize(
    "typed, codes",
    [
        ("zjj", ["fz_housing", "gl_housing", "tj_housing"]),
        ("ZJJ", ["fz_housing", "gl_housing", "tj_housing"]),
        ("glq", ["gl", "gl_housing"]),
        ("rsj", ["fz_hrss"]),  # 福州市人社局: initials inside the name count too
        ("住建", ["fz_housing", "gl_housing", "tj_housing"]),
        ("鼓东", ["gl_town"]),
        ("xmsjsj", []),  # 厦门市建设局: another city's unit is never a target
        ("建设局", []),
        ("福州市12345", []),  # the center itself is not a target
        ("", []),
    ],
    ids=[
        "initials",
        "upper-case",
        "county",
        "inside",
        "words",
        "town",
        "other-city-initials",
        "other-city-words",
        "the-center",
        "empty",
    ],
)
def test_the_finder_searches_the_tickets_targets(client, province, typed, codes):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    as_user(client, province, "fz_dispatcher")

    response = client.get(f"/t/{t.number}/units/", {"unit_q": typed}, **HX)

    assert response.status_code == 200
    assert sorted(found(response)) == codes


def test_initials_at_the_start_come_first(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    as_user(client, province, "fz_dispatcher")

    # "q" is in 鼓楼区… and 台江区… (…qzjj / …q12345…) and starts none of them: tree order;
    # "tjq" starts 台江区's units only.
    assert found(client.get(f"/t/{t.number}/units/", {"unit_q": "tjq"}, **HX)) == [
        "tj",
        "tj_housing",
    ]
    options = text(client.get(f"/t/{t.number}/units/", {"unit_q": "zjj"}, **HX))
    assert 'role="option"' in options and "鼓楼区住建局" in options


@pytest.mark.parametrize(
    "username", ["gl_housing_handler", "fz_agent", "xm_dispatcher", "fz_supervisor"]
)
def test_only_a_dispatcher_of_the_tickets_center_may_search(client, province, username):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    as_user(client, province, username)

    response = client.get(f"/t/{t.number}/units/", {"unit_q": "zjj"}, **HX)

    assert response.status_code == 404


def test_a_dispatched_ticket_has_no_finder(client, province):
    t = ticket_at(province, Status.DISPATCHED)
    as_user(client, province, "fz_dispatcher")

    assert client.get(f"/t/{t.number}/units/", {"unit_q": "zjj"}).status_code == 404
    assert client.post(f"/t/{t.number}/units/", {"unit_q": "zjj"}).status_code == 405


def test_the_form_keeps_the_select_and_works_without_scripts(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    as_user(client, province, "fz_dispatcher")

    page = text(client.get(f"/t/{t.number}/"))
    assert '<div class="combo" data-js-only hidden>' in page
    assert '<select id="to_unit" name="to_unit" required>' in page
    # What a browser without scripts sends: the select's value (and the finder's empty text).
    client.post(f"/t/{t.number}/dispatch/", {"to_unit": "gl_housing", "unit_q": ""})
    assert reload(t).lead_unit.code == "gl_housing"
