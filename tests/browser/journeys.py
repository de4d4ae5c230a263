"""Steps shared by the browser journeys, each done the way the role does it in the page."""

from hotline.tickets.models import Ticket


def go(page, path):
    page.goto(page.base + path)


def ticket_page(page, number):
    go(page, f"/t/{number}/")


def status_of(page) -> str:
    return page.get_by_test_id("status").inner_text()


def timeline_actions(page) -> list[str]:
    return page.locator("[data-testid=timeline] li").evaluate_all(
        "els => els.map(e => e.dataset.action)"
    )


def record(number) -> Ticket:
    return Ticket.objects.select_related("lead_unit").get(number=number)


def dispatch(page, number, lead_name, assisting=()):
    ticket_page(page, number)
    page.select_option("#to_unit", label=_option(page, "#to_unit", lead_name))
    if assisting:
        page.select_option("#assisting", label=[_option(page, "#assisting", a) for a in assisting])
    page.get_by_role("button", name="派单", exact=True).click()
    page.get_by_text("已派单。").wait_for()


def _option(page, select, name) -> str:
    """The option's label as shown (indented by the unit tree)."""
    labels = page.locator(f"{select} option").all_inner_texts()
    return next(label for label in labels if label.strip() == name)


def acknowledge_and_reply(page, number, body):
    ticket_page(page, number)
    page.get_by_role("button", name="签收").click()
    page.get_by_text("已签收。").wait_for()
    page.fill("#reply-body", body)
    page.get_by_role("button", name="提交答复").click()
    page.get_by_text("已答复。").wait_for()


def settled(page):
    """The page loaded and htmx's own requests done (not "networkidle": the event stream
    and the pollers keep the network busy for ever)."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def without_stream(page):
    """The live event stream refused for this page: on the test's threaded WSGI server one
    open stream holds the shared SQLite connection, and every other request waits behind it.
    The pages under test still load; their live parts say they are reconnecting."""
    page.route("**/realtime/stream/**", lambda route: route.abort())
    return page
