"""The machine's advice in a real browser (issue 17, part 6): the dispatcher accepts the
suggested unit in one click; the reviewer sees why a reply should go back, sentence marked."""

import pytest

from hotline.routing import jurisdiction, recommender
from hotline.routing.defaults import default_rows
from hotline.routing.models import CategoryFunction, DispatchDecision
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from hotline.web import advice
from tests.tickets.factory import _handler, ticket_at

from .journeys import go, record


@pytest.fixture(autouse=True)
def fresh_routing_caches(transactional_db):
    """Routing caches units and regions by id; each test's province has new ids on PostgreSQL.
    An earlier transactional test's flush also took the migration's category → function rows."""
    for code, name, function in default_rows():
        CategoryFunction.objects.get_or_create(
            category_code=code, defaults={"category_name": name, "function": function}
        )
    jurisdiction.invalidate()
    recommender.invalidate()
    yield
    jurisdiction.invalidate()
    recommender.invalidate()


pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dispatcher_accepts_the_suggested_unit_in_one_click(province, as_role):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    suggested = advice.unit_suggestion(t)
    dispatcher = as_role("fz_dispatcher")
    dispatcher.set_default_timeout(60_000)  # a shared, loaded machine: the page is not timed
    go(dispatcher, "/dispatch/")

    cell = dispatcher.get_by_test_id(f"advice-{t.number}")
    assert suggested["name"] in cell.inner_text()
    assert f"{suggested['confidence']}%" in cell.inner_text()
    dispatcher.get_by_test_id(f"accept-{t.number}").click()
    dispatcher.get_by_test_id("bulk-done").wait_for()

    assert t.number in dispatcher.get_by_test_id("bulk-done").inner_text()
    assert record(t.number).status == Status.DISPATCHED
    assert record(t.number).lead_unit.code == suggested["code"]
    assert DispatchDecision.objects.get(ticket__number=t.number).accepted is True


def test_the_reviewer_sees_the_flagged_sentence_scores_and_reason(province, as_role):
    t = ticket_at(province, Status.IN_PROGRESS)
    lifecycle.reply(
        ticket=t,
        by=_handler(province, "gl_housing"),
        body="您反映的问题已转交相关部门调查处理。感谢您的留言。",
    )
    reviewer = as_role("fz_reviewer")
    reviewer.set_default_timeout(60_000)
    go(reviewer, "/review/")

    box = reviewer.get_by_test_id("auto-review")
    assert reviewer.get_by_test_id("auto-verdict").inner_text() == "建议退回"
    assert "只称已转办或交办，没有办理结果" in box.inner_text()
    assert reviewer.get_by_test_id("flagged").inner_text() == "您反映的问题已转交相关部门调查处理。"
    assert [s.inner_text() for s in reviewer.get_by_test_id("score").all()] == [
        "相关性 0",
        "完整性 0",
        "可解释性 0",
    ]
