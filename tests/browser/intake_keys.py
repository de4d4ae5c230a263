"""An agent registering a demand at /intake/, by keyboard alone or by mouse, every step counted.

Shared by the keyboard-only browser test and bench/bench_keyboard_intake.py, so that the
figures recorded are those of the path the test proves works.
"""

import contextlib
import re
from dataclasses import dataclass, field

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The focused element shows a ring: an outline at least 2 px wide, or a box shadow.
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {ok: false, what: "body"};
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  const what = el.tagName + (el.id ? "#" + el.id : "") + (el.name ? "[" + el.name + "]" : "");
  return {ok: el.matches(":focus-visible") && (outline || s.boxShadow !== "none"), what: what,
          outline: s.outlineStyle + " " + s.outlineWidth + " " + s.outlineColor};
}"""


@dataclass
class Demand:
    phone: str
    name: str
    typed_category: str  # what the agent types into the picker (pinyin initials)
    category: str  # the option taken
    address: str
    content: str


@dataclass
class Counted:
    """The page's keyboard and mouse, counting what the agent does with them."""

    page: object
    keys: int = 0  # keys pressed that are not text (Tab, arrows, Enter, Alt+H, …)
    characters: int = 0  # text typed
    clicks: int = 0
    switches: int = 0  # the hand moving between keyboard and mouse
    device: str = "keyboard"
    typed: list = field(default_factory=list)
    focus_checks: list = field(default_factory=list)
    check_focus: bool = False

    def press(self, key: str, check: bool = True):
        """`check=False` for a key that swaps the focused element away (the submit)."""
        self.keys += 1
        self._use("keyboard")
        self.page.keyboard.press(key)
        if check:
            self._focus()

    def type(self, text: str):
        self.characters += len(text)
        self.typed.append(text)
        self._use("keyboard")
        self.page.keyboard.type(text)
        self._focus()

    def click(self, locator):
        self.clicks += 1
        self._use("mouse")
        locator.click()

    def _use(self, device: str):
        if device != self.device:
            self.switches += 1
            self.device = device

    def focused(self) -> str:
        return self.page.evaluate(
            "document.activeElement.id || document.activeElement.name || "
            "document.activeElement.tagName"
        )

    def focus_lands_on(self, name: str, timeout: float = 5000) -> str:
        """The focus after a swap: htmx moves it to the new form's autofocus once settled."""
        # On a timeout the caller's assertion names where the focus is instead.
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_function(
                "name => [document.activeElement.id, document.activeElement.name].includes(name)",
                arg=name,
                timeout=timeout,
            )
        return self.focused()

    def _focus(self):
        if self.check_focus:
            self.focus_checks.append(self.page.evaluate(FOCUS_RING))


def tab_to(agent: Counted, name: str, back: bool = False, limit: int = 25):
    """Tab (or Shift+Tab) until `name` (an id, else a name) has the focus."""
    for _ in range(limit):
        agent.press("Shift+Tab" if back else "Tab")
        if agent.focused() == name:
            return
    raise AssertionError(f"{'Shift+Tab' if back else 'Tab'} never reached {name}")


def saved_number(page) -> str:
    saved = page.get_by_test_id("saved")
    saved.wait_for()
    return re.search(r"工单编号 (\d+)", saved.inner_text()).group(1)


def _active_option(page) -> str | None:
    active = page.locator("#category-list [aria-selected=true]")
    return active.get_attribute("data-value") if active.count() else None


def register_by_keyboard(agent: Counted, demand: Demand) -> str:
    """Phone, caller's history (Alt+H), name, type, category by pinyin, address, content."""
    page = agent.page
    assert agent.focused() == "citizen_phone"  # the form opens on the caller's number
    agent.type(demand.phone)
    page.get_by_test_id("history").wait_for()
    agent.press("Alt+H")  # a look at the caller's earlier tickets
    assert agent.focused() == "A"
    agent.press("Shift+Tab")  # back to the caller's name, just before the history
    assert agent.focused() == "citizen_name"
    agent.type(demand.name)
    tab_to(agent, "appeal_type")
    agent.press("ArrowRight")  # 咨询 → 求助 → 投诉
    agent.press("ArrowRight")
    agent.press("Alt+C")  # the category picker
    agent.type(demand.typed_category)
    page.locator("#category-list [role=option]", has_text=demand.category).first.wait_for()
    for _ in range(30):  # ↓ to the option meant (the picker lists at most 30)
        agent.press("ArrowDown")
        if _active_option(page) == demand.category:
            break
    agent.press("Enter")  # takes the option, does not submit
    assert page.input_value("#category_name") == demand.category
    tab_to(agent, "address")
    agent.type(demand.address)
    tab_to(agent, "content")
    agent.type(demand.content)
    agent.press("Control+Enter", check=False)
    return saved_number(page)


def register_by_mouse(agent: Counted, demand: Demand) -> str:
    """The same demand by pointing and clicking, typing only the text itself."""
    page = agent.page
    agent.click(page.locator("#citizen_phone"))
    agent.type(demand.phone)
    page.get_by_test_id("history").wait_for()
    agent.click(page.locator("#citizen_name"))
    agent.type(demand.name)
    agent.click(page.get_by_label("投诉", exact=True))
    agent.click(page.locator("#category_name"))
    agent.type(demand.typed_category)
    agent.click(page.locator("#category-list [role=option]", has_text=demand.category).first)
    assert page.input_value("#category_name") == demand.category
    agent.click(page.locator("#address"))
    agent.type(demand.address)
    agent.click(page.locator("#content"))
    agent.type(demand.content)
    agent.click(page.get_by_role("button", name="登记并转派单（Ctrl+Enter）"))
    return saved_number(page)
