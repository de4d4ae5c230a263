"""Tickets brought to any status through the real lifecycle, for the tests."""

from hotline.tickets import lifecycle
from hotline.tickets.models import Satisfaction, Status
from hotline.tickets.registration import RegisterInput

PATH = [
    Status.REGISTERED,
    Status.PENDING_DISPATCH,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.REPLIED,
    Status.REVIEWED,
    Status.CLOSED,
]


def demand(**overrides) -> RegisterInput:
    fields = dict(
        channel="web",
        appeal_type="complaint",
        title="小区电梯长期故障",
        content="鼓楼区某小区3号楼电梯停运两周，物业不修，老人上下楼困难。",
        citizen_name="张三",
        citizen_phone="13800000001",
        region="350102",
        address="鼓楼区鼓东街道某小区3号楼",
    )
    fields.update(overrides)
    return RegisterInput(**fields)


def ticket_at(p, status, *, lead="gl_housing", **overrides):
    """A ticket of 鼓楼区 held by 福州 center, moved along the main path up to `status`."""
    u = p.users
    t, _ = lifecycle.register(by=u["fz_agent"], data=demand(**overrides))
    steps = {
        Status.PENDING_DISPATCH: lambda t: lifecycle.accept(ticket=t, by=u["fz_agent"]),
        Status.DISPATCHED: lambda t: lifecycle.dispatch(
            ticket=t, by=u["fz_dispatcher"], to_unit=p.units[lead]
        ),
        Status.IN_PROGRESS: lambda t: lifecycle.acknowledge(ticket=t, by=_handler(p, lead)),
        Status.REPLIED: lambda t: lifecycle.reply(
            ticket=t, by=_handler(p, lead), body="已督促物业维修，电梯已恢复运行。"
        ),
        Status.REVIEWED: lambda t: lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"]),
        Status.CLOSED: lambda t: lifecycle.callback(
            ticket=t, by=u["fz_callback"], satisfaction=Satisfaction.SATISFIED, resolved=True
        ),
    }
    for step in PATH[1 : PATH.index(status) + 1]:
        t = steps[step](t)
    assert t.status == status
    return t


def _handler(p, unit_key):
    return p.users[f"{unit_key}_handler"]
