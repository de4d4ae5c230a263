"""The demo's surge: a water cut in 鼓楼区 declared this morning, its approved 口径, the demands
it brought (two answered at first contact from the 口径, the rest registered as tickets) and
the marking sweep that tied them to it, so the incident board, the agents' banner and the
first-contact share have something to show. Everything goes through the incident services
and the tickets' lifecycle, as a center's managers and agents would."""

import datetime as dt

from django.utils import timezone

from hotline.orgs.models import Region, User
from hotline.tickets import lifecycle
from hotline.tickets.registration import RegisterInput

from . import services, tasks
from .models import Incident

NAME = "鼓楼区东街口片区停水"
SCRIPT = (
    "因东街口供水主管爆裂，鼓楼区东街口、南街片区自今日 6 时起停水，抢修预计今晚 20 时前完成、"
    "随后逐步恢复供水。临时送水点设在鼓东街道办事处门口和东街口百货北门，每日 8 时至 22 时供水。"
    "恢复供水初期水质可能浑浊，放水几分钟即可。"
)
# (title, content, answered from the 口径 at first contact)
DEMANDS = [
    ("东街口停水什么时候恢复", "东街口家里从早上开始停水了，请问什么时候恢复供水？", True),
    ("南街没水送水点在哪", "南街这边一直没水，请问附近有没有送水点？", True),
    (
        "停水后热水器打不着火",
        "停水以后家里燃气热水器打不着火，恢复供水后还是不行，请派人看看。",
        False,
    ),
    ("停水期间水费怎么算", "这次停水一整天，这个月的水费能不能减免？停水期间水表还在走。", False),
    (
        "老人独居停水无法取水",
        "东街口独居老人行动不便，停水后没法去送水点取水，请社区上门送水。",
        False,
    ),
    ("停水后水压很低", "恢复供水后水压很低，楼上几户热水器都启动不了。", False),
    ("停水一天水费能否减免", "停水一整天，水费能不能减免？", False),
    ("独居老人需要送水上门", "楼里几位独居老人停水后没法下楼取水，能不能安排送水上门？", False),
]


def load(now: dt.datetime | None = None) -> Incident | None:
    """Declare the incident, approve its 口径, take its demands and sweep them; once."""
    if Incident.objects.filter(name=NAME).exists():
        return None
    now = now or timezone.now()
    manager, agent = (User.objects.get(username=n) for n in ("prov_admin", "fz_agent"))
    incident = services.declare(
        by=manager,
        name=NAME,
        regions=["350102"],
        keywords=["停水", "没水"],
        examples=[d[1] for d in DEMANDS[:2]],
        starts_at=now - dt.timedelta(hours=3),
    )
    script = services.write_script(by=manager, incident=incident, body=SCRIPT)
    services.approve_script(by=manager, script=script)
    region = Region.objects.get(code="350102")
    for i, (title, content, at_intake) in enumerate(DEMANDS):
        data = RegisterInput(
            channel="phone", appeal_type="consult" if at_intake else "help", title=title,
            content=content, citizen_name="市民", citizen_phone=f"1390591{i:04d}", region=region,
        )  # fmt: skip
        if at_intake:
            services.resolve_with_script(by=agent, incident=incident, data=data)
        else:
            lifecycle.register(by=agent, data=data)
    tasks.sweep()
    return incident
