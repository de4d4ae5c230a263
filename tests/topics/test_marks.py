import pytest

from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.tickets.models import Status
from hotline.topics import services
from hotline.topics.models import MarkKind, MarkSource, TicketMark
from hotline.topics.tasks import carry_over_new
from tests.api.helpers import assert_error, post, url
from tests.tickets.factory import ticket_at


def test_marks_set_at_registration_carry_over_to_the_citizens_next_ticket(province):
    # given an elderly veteran marked on a first ticket, the sweep's watermark set
    first = ticket_at(province, Status.PENDING_DISPATCH, external_ref="c1")
    services.set_marks(ticket=first, by=province.users["fz_agent"],
                       kinds=[MarkKind.VETERAN, MarkKind.ELDERLY, MarkKind.ELDERLY])  # fmt: skip
    carry_over_new()

    # when the same phone calls again (and another citizen too)
    second = ticket_at(province, Status.PENDING_DISPATCH, external_ref="c2")
    other = ticket_at(province, Status.PENDING_DISPATCH, external_ref="c3",
                      citizen_phone="13900000009")  # fmt: skip
    carry_over_new()

    # then the second ticket carries both marks from history; the other citizen none
    assert sorted(TicketMark.objects.filter(ticket=second).values_list("kind", "source")) == [
        (MarkKind.ELDERLY, MarkSource.HISTORY), (MarkKind.VETERAN, MarkSource.HISTORY)]  # fmt: skip
    assert not TicketMark.objects.filter(ticket=other).exists()
    assert services.callback_by_phone(second) is True
    assert services.callback_by_phone(other) is False


def test_an_unknown_mark_is_refused_and_nothing_is_set(province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    with pytest.raises(InvalidInput) as exc:
        services.set_marks(ticket=t, by=province.users["fz_agent"], kinds=["elderly", "rich"])
    assert exc.value.field == "kinds"
    assert not TicketMark.objects.exists()


@pytest.mark.parametrize(
    "username, error",
    [("xm_agent", NotFound), ("gl_housing_handler", Forbidden)],
    ids=["other-city-404", "unit-403"],
)
def test_only_the_tickets_center_sets_marks(province, username, error):
    t = ticket_at(province, Status.DISPATCHED)
    with pytest.raises(error):
        services.set_marks(ticket=t, by=province.users[username], kinds=["elderly"])
    assert not TicketMark.objects.exists()


@pytest.mark.parametrize(
    "username, status",
    [("fz_agent", 200), ("gl_housing_handler", 200), ("fz_supervisor", 200),
     ("xm_agent", 404), ("tj_housing_handler", 404)],
    ids=["center", "handling-unit", "supervisor", "other-city", "other-county"],
)  # fmt: skip
def test_marks_are_seen_only_where_the_ticket_is(client, province, username, status):
    t = ticket_at(province, Status.DISPATCHED)
    services.set_marks(ticket=t, by=province.users["fz_agent"], kinds=["disabled"])
    client.force_login(province.users[username])

    r = client.get(url(f"/tickets/{t.number}/marks"))

    if status == 404:
        assert_error(r, 404, "not_found", "number")
    else:
        assert r.json() == {
            "marks": [{"kind": "disabled", "label": "残疾人", "source": "registration"}],
            "callback_by_phone": True,
        }


def test_the_api_sets_marks_and_refuses_bad_ones(client, province):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    client.force_login(province.users["fz_agent"])
    r = post(client, f"/tickets/{t.number}/marks", {"kinds": ["minor"]})
    assert r.json()["marks"] == [{"kind": "minor", "label": "未成年人", "source": "registration"}]
    bad = post(client, f"/tickets/{t.number}/marks", {"kinds": ["x"]})
    assert_error(bad, 400, "validation_error", "kinds")
    assert list(TicketMark.objects.values_list("kind", flat=True)) == ["minor"]
