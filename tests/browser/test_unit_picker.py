"""The dispatcher finds the lead unit by typing (issue 19): pinyin initials or words, the
arrow keys and Enter, then Ctrl+Enter dispatches, all without the mouse; the suggested unit
stays preselected; without scripts the plain select does the same job."""

import pytest

from hotline.tickets.models import Status
from hotline.web import advice
from tests.tickets.factory import ticket_at

from .journeys import record, settled, ticket_page, without_stream
from .test_accessibility import violations

# The routing caches renewed and its category rows in place for this test's province (autouse).
from .test_advice_journey import fresh_routing_caches  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

SELECTED = "() => document.getElementById('to_unit').value"


def options(page) -> list[str]:
    return page.locator("#unit-list [role=option]").evaluate_all(
        "els => els.map(e => e.dataset.code)"
    )


def test_the_dispatcher_finds_the_unit_by_initials_with_the_keyboard(province, as_role):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    page = without_stream(as_role("fz_dispatcher", bypass_csp=True))  # axe is an inline script
    ticket_page(page, t.number)
    settled(page)
    finder = page.get_by_role("combobox", name="查找主办单位（名称或拼音首字母）")
    assert finder.is_visible()

    finder.focus()
    page.keyboard.type("zjj")
    page.locator("#unit-list [role=option]").first.wait_for()
    assert options(page) == ["fz_housing", "gl_housing", "tj_housing"]
    assert finder.get_attribute("aria-expanded") == "true"
    assert violations(page) == []  # the open listbox too
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert finder.get_attribute("aria-activedescendant") == "unit-option-2"
    page.keyboard.press("Enter")

    assert page.evaluate(SELECTED) == "gl_housing"
    assert finder.input_value() == "鼓楼区住建局"
    assert finder.get_attribute("aria-expanded") == "false"
    assert record(t.number).status == Status.PENDING_DISPATCH  # Enter took it, sent nothing

    # Words work as well, and Esc closes the list without taking anything.
    finder.fill("")
    page.keyboard.type("人社")
    page.locator("#unit-list [data-code=fz_hrss]").wait_for()
    page.keyboard.press("Escape")
    assert page.evaluate(SELECTED) == "gl_housing"

    page.keyboard.press("Control+Enter")
    page.get_by_text("已派单。").wait_for()
    assert record(t.number).lead_unit.code == "gl_housing"


def test_the_suggested_unit_stays_preselected(province, as_role):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    suggestion = advice.unit_suggestion(t)
    assert suggestion is not None
    page = without_stream(as_role("fz_dispatcher"))
    ticket_page(page, t.number)
    settled(page)

    assert page.evaluate(SELECTED) == suggestion["code"]
    page.get_by_role("button", name="派单", exact=True).click()
    page.get_by_text("已派单。").wait_for()
    assert record(t.number).lead_unit.code == suggestion["code"]


def test_without_scripts_the_select_dispatches(province, as_role):
    t = ticket_at(province, Status.PENDING_DISPATCH)
    page = as_role("fz_dispatcher", java_script_enabled=False)
    ticket_page(page, t.number)

    assert not page.locator("#to_unit_q").is_visible()
    page.select_option("#to_unit", value="gl_town")
    page.get_by_role("button", name="派单", exact=True).click()
    page.get_by_text("已派单。").wait_for()
    assert record(t.number).lead_unit.code == "gl_town"
