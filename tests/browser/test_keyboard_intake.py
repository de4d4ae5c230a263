"""Keyboard-first intake (issue 19): an agent registers a demand without touching the mouse.

Every step shows where the focus is (a visible ring, read from the computed style), the
category is found by its pinyin initials and taken by a key, and no part of the page keeps the
focus: Tab walks through the whole form and out of it, Shift+Tab walks back.
"""

from urllib.parse import unquote

import pytest

from hotline.catalog.models import Category
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at

from .intake_keys import (
    FOCUS_RING,
    Counted,
    Demand,
    register_by_keyboard,
    saved_number,
    tab_to,
)
from .journeys import go, record, settled, without_stream
from .test_accessibility import violations

pytestmark = pytest.mark.django_db(transaction=True)

DEMAND = Demand(
    phone="13900002222",
    name="陈六",
    typed_category="wygl",
    category="城乡建设/物业管理",
    address="鼓楼区东街口某小区3号楼",
    content="小区电梯三天两次困人，物业一直不来修，请督促物业尽快维修。",
)
# The form from the caller's number to the knowledge search beside it, as Tab walks it.
TAB_ORDER = [
    "citizen_phone",
    "citizen_name",
    "appeal_type",
    "category_name",
    "region_q",
    "region_1",
    "address",
    "urgency",
    "title",
    "content",
    "anonymous",
    "confidential",
]


@pytest.fixture
def categories(db):
    root = Category.objects.create(code="01", name="城乡建设", level=1, full_name="城乡建设")
    for code, name in [("0101", "物业管理"), ("0102", "供水"), ("0103", "市容环卫")]:
        Category.objects.create(
            code=code, name=name, level=2, parent=root, full_name=f"城乡建设/{name}"
        )


def here(page) -> str:
    """The focused element: its id, else its name (with the value: the marks share a name)."""
    return page.evaluate(
        "(e => e.id || (e.type === 'checkbox' && e.name === 'marks' ? 'marks=' + e.value"
        " : e.name) || e.tagName + ':' + e.textContent.trim())(document.activeElement)"
    )


def intake_page(as_role, **options):
    page = without_stream(as_role("fz_agent", **options))
    go(page, "/intake/")
    settled(page)
    return page


def test_an_agent_registers_a_demand_by_keyboard_alone(province, categories, as_role):
    earlier = ticket_at(province, Status.CLOSED, citizen_phone=DEMAND.phone)
    agent = Counted(intake_page(as_role), check_focus=True)

    number = register_by_keyboard(agent, DEMAND)

    assert agent.clicks == 0
    unseen = [step for step in agent.focus_checks if not step["ok"]]
    assert unseen == [], "every step shows where the focus is"
    assert {step["what"] for step in agent.focus_checks} >= {
        "INPUT#citizen_phone[citizen_phone]",
        "A",
        "INPUT#citizen_name[citizen_name]",
        "INPUT[appeal_type]",
        "INPUT#category_name[category_name]",
        "INPUT#address[address]",
        "TEXTAREA#content[content]",
    }
    t = record(number)
    assert (t.status, t.appeal_type, t.category.full_name) == (
        Status.PENDING_DISPATCH,
        "complaint",
        DEMAND.category,
    )
    assert (t.citizen_name, t.address, t.content) == (DEMAND.name, DEMAND.address, DEMAND.content)
    assert t.number != earlier.number
    # Ready for the next caller at once (the new form's autofocus, once htmx has settled it).
    assert agent.focus_lands_on("citizen_phone") == "citizen_phone"


def test_tab_walks_the_form_and_out_of_it_and_shift_tab_walks_back(province, categories, as_role):
    page = intake_page(as_role)
    agent = Counted(page, check_focus=True)
    seen = [here(page)]
    while seen[-1] != "kb-q":  # the knowledge search, beside the form
        agent.press("Tab")
        assert here(page) != seen[-1], f"Tab stayed on {seen[-1]}"
        seen.append(here(page))
        assert len(seen) < 60, seen
    assert [name for name in seen if name in TAB_ORDER] == TAB_ORDER
    tab_to(agent, "citizen_phone", back=True, limit=len(seen))
    assert [step for step in agent.focus_checks if not step["ok"]] == []


def test_the_category_picker_keeps_no_focus_and_closes(province, categories, as_role):
    page = intake_page(as_role, bypass_csp=True)
    agent = Counted(page)
    agent.press("Alt+C")
    agent.type("cxjs")
    listbox = page.locator("#category-list")
    listbox.locator("[role=option]").first.wait_for()
    # The search for the whole "cxjs" answered (typing waits 250 ms before asking): a list
    # arriving later replaces the options, and with them the one ↓ marks.
    page.wait_for_timeout(400)
    settled(page)
    assert page.get_attribute("#category_name", "aria-expanded") == "true"
    assert violations(page) == []  # the open list, read by axe-core as well
    agent.press("ArrowDown")
    active = page.get_attribute("#category_name", "aria-activedescendant")
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    agent.press("Escape")
    assert listbox.is_hidden()
    # A search still on its way (typing waits 250 ms before asking) does not open it again.
    page.wait_for_timeout(400)
    settled(page)
    assert listbox.is_hidden()
    assert page.input_value("#category_name") == "cxjs"  # Esc closes, takes nothing
    agent.press("ArrowDown")  # opens it again
    assert listbox.is_visible()
    agent.press("Tab")  # and Tab leaves the field with the list closed
    assert agent.focused() == "region_q"
    assert listbox.is_hidden()
    assert page.evaluate(FOCUS_RING)["ok"] is True


def test_a_late_search_list_keeps_the_option_marked_with_the_arrow_key(
    province, categories, as_role
):
    """The agent marks an option of the list shown while the search for what they typed last
    is still on its way: the late list keeps the mark (by value, not place), and Enter takes it."""
    page = intake_page(as_role)
    held = []

    def hold_refined(route):
        # The first search answers at once; the refined one waits until the test lets it go.
        if "物业" in unquote(route.request.url) and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/intake/categories/**", hold_refined)
    agent = Counted(page)
    agent.press("Alt+C")
    agent.type("城乡")
    listbox = page.locator("#category-list")
    page.wait_for_function("() => document.querySelectorAll('#category-list li').length === 4")
    settled(page)
    agent.type(" 物业")
    for _ in range(100):  # the 250 ms delay, then the request reaches the route
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    agent.press("ArrowDown")
    agent.press("ArrowDown")
    marked = listbox.locator("[aria-selected=true]")
    assert marked.get_attribute("data-value") == "城乡建设/物业管理"
    assert marked.get_attribute("id") == "category-option-2"

    held[0].continue_()
    page.wait_for_function("() => document.querySelectorAll('#category-list li').length === 1")
    settled(page)
    assert listbox.is_visible()
    assert page.eval_on_selector_all(
        "#category-list [aria-selected=true]", "els => els.map(e => e.dataset.value)"
    ) == ["城乡建设/物业管理"]
    assert page.get_attribute("#category_name", "aria-activedescendant") == "category-option-1"
    agent.press("Enter")
    assert page.input_value("#category_name") == "城乡建设/物业管理"
    assert listbox.is_hidden()


def test_the_region_is_found_by_its_initials_and_sets_the_cascade(province, as_role):
    page = intake_page(as_role)
    agent = Counted(page, check_focus=True)
    agent.type(DEMAND.phone)
    agent.press("Alt+R")
    assert agent.focused() == "region_q"
    agent.type("gdjd")  # 鼓东街道
    page.locator("#region-list [role=option]").first.wait_for()
    agent.press("ArrowDown")
    agent.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#region-levels select[name=region_2]')?.value"
        " === '350102001000'"
    )
    assert page.input_value("#region-levels select[name=region_1]") == "350102"
    assert page.input_value("#region_q") == "鼓楼区 / 鼓东街道"
    tab_to(agent, "content")
    agent.type(DEMAND.content)
    agent.press("Control+Enter", check=False)
    number = saved_number(page)
    assert record(number).region.code == "350102001000"
    assert [step for step in agent.focus_checks if not step["ok"]] == []
