"""The demo province with live tickets: a few through the real lifecycle, the rest in bulk."""

import random

from django.utils import timezone

from hotline.catalog.models import Category
from hotline.catalog.services import load_calendar, load_categories, load_default_policies
from hotline.orgs.demo import build_demo_province
from hotline.orgs.models import Unit, User

from . import bulk, lifecycle
from .models import Satisfaction
from .registration import RegisterInput
from .synthetic import TEMPLATES, demand_text, person

DEMO_PASSWORD = "hotline12345"
# Moves through the real lifecycle today, one per step of the main path and its branches.
LIVE_STEPS = [
    "registered",
    "pending",
    "dispatched",
    "in_progress",
    "replied",
    "reviewed",
    "closed",
    "returned",
    "extended",
    "reopened",
]


def build(*, tickets: int, password: str = DEMO_PASSWORD, seed: int = 7) -> dict[str, str]:
    """Catalog, province, people and `tickets` tickets; returns the demo accounts."""
    load_categories()
    load_default_policies()
    load_calendar()
    accounts = build_demo_province(password=password)
    from hotline.knowledge.demo import load_demo_articles  # the knowledge app owns its demo

    load_demo_articles(by=User.objects.get(username="prov_admin"))
    live = min(tickets, 40)
    if tickets > live:
        bulk.load(tickets - live, seed=seed, now=timezone.now() - timezone.timedelta(hours=1))
    _live_tickets(live, seed)
    if live:
        _held_for_leader()
    return accounts


def _held_for_leader() -> None:
    """福州市住建局 has its leader approve what its handlers send out (分管领导审批): one of its
    tickets waits for fz_housing_leader with a reply fz_housing_handler submitted."""
    unit = Unit.objects.get(code="350100-housing")
    unit.leader_approval = True
    unit.save(update_fields=["leader_approval"])
    u = {u.username: u for u in User.objects.filter(username__startswith="fz_")}
    t, _ = lifecycle.register(
        by=u["fz_agent"],
        data=RegisterInput(
            channel="phone",
            appeal_type="complaint",
            title="小区二次供水水箱多年未清洗",
            content="鼓楼区某小区二次供水水箱多年未清洗，自来水有异味，请相关部门督促物业清洗消毒并检测水质。",
            citizen_name="陈先生",
            citizen_phone="13905910001",
            region=unit.region,
            category=Category.objects.filter(code="010216").first(),
        ),
    )
    if t.status == "registered":
        t = lifecycle.accept(ticket=t, by=u["fz_agent"])
    t = lifecycle.dispatch(ticket=t, by=u["fz_dispatcher"], to_unit=unit)
    t = lifecycle.acknowledge(ticket=t, by=u["fz_housing_handler"])
    lifecycle.reply(
        ticket=t,
        by=u["fz_housing_handler"],
        body="已责成物业公司于本周内完成水箱清洗消毒，并委托检测机构出具水质检测报告，结果将公示。",
    )


def _live_tickets(n: int, seed: int) -> None:
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(username__startswith=("fz_"))}
    users.update({u.username: u for u in User.objects.filter(username__startswith="gl_")})
    housing = Unit.objects.get(code="350102-housing")
    county = housing.region
    for i in range(n):
        template = rng.choice([t for t in TEMPLATES if t.function == "housing"])
        name, phone = person(rng)
        title, content, address = demand_text(rng, template, county.name)
        data = RegisterInput(
            channel=rng.choice(["phone", "web"]),
            appeal_type=template.appeal_type,
            title=title,
            content=content,
            citizen_name=name,
            citizen_phone=phone,
            region=county,
            address=address,
            category=Category.objects.filter(code=template.category).first(),
        )
        _advance(LIVE_STEPS[i % len(LIVE_STEPS)], data, users, housing)


def _advance(goal: str, data: RegisterInput, u: dict, housing: Unit) -> None:
    t, _ = lifecycle.register(by=u["fz_agent"], data=data)
    if goal == "registered":
        return
    if t.status == "registered":
        t = lifecycle.accept(ticket=t, by=u["fz_agent"])
    if goal == "pending":
        return
    t = lifecycle.dispatch(ticket=t, by=u["fz_dispatcher"], to_unit=housing)
    if goal == "dispatched":
        return
    if goal == "returned":
        lifecycle.request_return(
            ticket=t,
            by=u["gl_housing_handler"],
            reason="该事项属于物业合同纠纷，建议改派市场监管部门",
        )
        return
    t = lifecycle.acknowledge(ticket=t, by=u["gl_housing_handler"])
    if goal == "extended":
        t = lifecycle.request_extension(
            ticket=t, by=u["gl_housing_handler"], days=3, reason="需协调物业公司和业委会现场核查"
        )
        lifecycle.approve_extension(ticket=t, by=u["fz_dispatcher"])
        return
    if goal == "in_progress":
        return
    t = lifecycle.reply(
        ticket=t,
        by=u["gl_housing_handler"],
        body="经现场核查，已责令物业公司三日内完成整改，并将跟踪落实情况。",
    )
    if goal == "replied":
        return
    t = lifecycle.approve_reply(ticket=t, by=u["fz_reviewer"])
    if goal == "reviewed":
        return
    satisfaction = Satisfaction.UNSATISFIED if goal == "reopened" else Satisfaction.SATISFIED
    lifecycle.callback(
        ticket=t, by=u["fz_callback"], satisfaction=satisfaction, resolved=goal != "reopened"
    )
