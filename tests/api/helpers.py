"""Shared pieces of the API tests: paths, the error shape, tickets in every state, snapshots."""

from hotline.exchange.models import OutboxMessage
from hotline.tickets import lifecycle
from hotline.tickets.models import Assignment, Status, Ticket, TicketEvent, TicketRequest
from tests.tickets.factory import demand, ticket_at

API = "/api/v1"
ERROR_KEYS = {"code", "field", "message_zh", "message_en"}


def url(path: str) -> str:
    return f"{API}{path}"


def post(client, path: str, body=None, **extra):
    """POST a JSON body (an empty object when `body` is None)."""
    return client.post(
        url(path), {} if body is None else body, content_type="application/json", **extra
    )


def assert_error(response, status: int, code=..., field=...):
    """The one error shape of the API; `code` and `field` are checked unless left out."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == ERROR_KEYS
    if code is not ...:
        assert body["code"] == code
    if field is not ...:
        assert body["field"] == field
    assert isinstance(body["message_zh"], str) and body["message_zh"].strip()
    assert isinstance(body["message_en"], str) and body["message_en"].strip()
    return body


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [item["number"] for item in response.json()["items"]]


# ---- tickets in a given state (a 鼓楼区 ticket of the 福州 center, lead unit gl_housing) -------

STATES = {
    "registered": Status.REGISTERED,
    "pending_dispatch": Status.PENDING_DISPATCH,
    "dispatched": Status.DISPATCHED,
    "in_progress": Status.IN_PROGRESS,
    "replied": Status.REPLIED,
    "reviewed": Status.REVIEWED,
    "closed": Status.CLOSED,
}


def ticket_in(province, state: str, **overrides) -> Ticket:
    """A ticket in `state`: a lifecycle status, or a pending return or extension request."""
    u = province.users
    if state == "return_requested":
        t = ticket_at(province, Status.IN_PROGRESS, **overrides)
        return lifecycle.request_return(
            ticket=t, by=u["gl_housing_handler"], reason="不属于本单位职责范围"
        )
    if state == "extension_pending":
        t = ticket_at(province, Status.IN_PROGRESS, **overrides)
        return lifecycle.request_extension(
            ticket=t, by=u["gl_housing_handler"], days=2, reason="需要协调多个部门"
        )
    return ticket_at(province, STATES[state], **overrides)


def xm_ticket(province) -> Ticket:
    """A ticket of 思明区 held by the 厦门 center."""
    t, _ = lifecycle.register(by=province.users["xm_agent"], data=demand(region="350203"))
    return t


# Every transition endpoint: (path, state where it is legal, the actor who may do it, a valid
# body). "{other}" in a body stands for another open ticket of the same center.
ACTIONS = [
    ("accept", "registered", "fz_agent", {"note": "已核实来电"}),
    ("invalid", "registered", "fz_agent", {"reason": "骚扰电话"}),
    ("dispatch", "pending_dispatch", "fz_dispatcher", {"to_unit": "gl_housing"}),
    ("sub-dispatch", "in_progress", "gl_housing_handler", {"to_unit": "gl_town"}),
    ("acknowledge", "dispatched", "gl_housing_handler", {}),
    ("return", "in_progress", "gl_housing_handler", {"reason": "不属于本单位职责"}),
    ("return/approve", "return_requested", "fz_dispatcher", {"note": "同意退回"}),
    ("return/reject", "return_requested", "fz_dispatcher", {"reason": "属于本单位职责"}),
    ("extension", "in_progress", "gl_housing_handler", {"days": 2, "reason": "需协调多个部门"}),
    ("extension/approve", "extension_pending", "fz_dispatcher", {"note": "同意延期"}),
    ("extension/reject", "extension_pending", "fz_dispatcher", {"reason": "理由不充分"}),
    ("reply", "in_progress", "gl_housing_handler", {"body": "已督促物业维修，电梯已恢复运行。"}),
    ("reply/approve", "replied", "fz_reviewer", {"note": "答复规范"}),
    ("reply/reject", "replied", "fz_reviewer", {"reason": "答复敷衍"}),
    ("callback", "reviewed", "fz_callback", {"satisfaction": "satisfied", "resolved": True}),
    ("close", "reviewed", "fz_callback", {"reason": "市民拒绝回访"}),
    ("reopen", "closed", "fz_callback", {"reason": "问题复发"}),
    ("merge", "pending_dispatch", "fz_dispatcher", {"into": "{other}", "note": "重复来电"}),
    ("supervise", "in_progress", "fz_supervisor", {"reason": "群众反映强烈"}),
]
ACTION_IDS = [a[0] for a in ACTIONS]


def body_for(province, body: dict) -> dict:
    """Fill "{other}" with the number of another open ticket of the 福州 center."""
    if body.get("into") == "{other}":
        other = ticket_at(province, Status.PENDING_DISPATCH, title="同一小区电梯故障")
        return {**body, "into": other.number}
    return dict(body)


def snapshot(ticket: Ticket | None = None) -> dict:
    """Everything a refused request must leave as it was."""
    state = {
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "requests": TicketRequest.objects.count(),
        "assignments": list(
            Assignment.objects.order_by("pk").values_list("pk", "unit_id", "is_active")
        ),
    }
    if ticket is not None:
        state["ticket"] = Ticket.objects.filter(pk=ticket.pk).values().get()
    return state
