"""福州's working day, built through the apps' own services, for the scope matrix: one object of
every kind a URL names by id, number or code, all of 福州 (city 350100, center "fz"), and the
people of 厦门 (and one with no role at all) who must not reach any of them."""

import datetime as dt
from types import SimpleNamespace
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from hotline.analytics import warnings as early_warnings
from hotline.analytics.models import EarlyWarning
from hotline.audit.models import ExportRequest
from hotline.calls import services as call_services
from hotline.calls.events import store
from hotline.calls.models import Call, CallbackItem, CallQueue, Seat
from hotline.calls.schemas import EventIn
from hotline.catalog.calendar import LOCAL_TZ
from hotline.exchange import police, police_demands
from hotline.exchange.models import ImportJob
from hotline.exchange.police_api import DemandIn
from hotline.incidents import services as incidents
from hotline.incidents import urgent
from hotline.knowledge import services as knowledge
from hotline.orgs.models import Membership, Role, User
from hotline.portal import importjobs
from hotline.quality import sampling
from hotline.quality import services as quality
from hotline.quality.models import Plan, SampleItem
from hotline.supervision import bulletins, field_checks
from hotline.supervision import services as supervision
from hotline.tickets import lifecycle
from hotline.tickets.models import Status
from hotline.topics import services as topics
from tests.tickets.factory import demand, ticket_at

# What must never show outside 福州: distinctive enough that no page prints them by chance.
CITIZEN = "林秘华"
PHONE = "13955501234"
TITLE = "鼓楼秘密诉求电梯困人"

# 厦门's people, one per role (conftest has the agent, dispatcher and housing handler), and a
# signed-in active user who holds no role anywhere.
XM_EXTRA = {
    "xm_reviewer": ("xm", Role.REVIEWER),
    "xm_callback": ("xm", Role.CALLBACK),
    "xm_supervisor": ("xm", Role.SUPERVISOR),
    "xm_analyst": ("xm", Role.ANALYST),
    "xm_admin": ("xm", Role.ADMIN),
    "xm_housing_leader": ("xm_housing", Role.LEADER),
}
XM_USERS = ["xm_agent", "xm_dispatcher", "xm_housing_handler", *XM_EXTRA]

QUALITY_WEEK = dt.date(2026, 3, 2)  # a Monday long past: the week is over, the draw may run
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _at(moment: dt.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC))


def _people(p):
    for username, (unit, role) in XM_EXTRA.items():
        user = User.objects.create(username=username, full_name=username, password="!")
        Membership.objects.create(user=user, unit=p.units[unit], role=role)
        p.users[username] = user
    p.users["fz_admin"] = User.objects.create(username="fz_admin", full_name="fz_admin")
    Membership.objects.create(user=p.users["fz_admin"], unit=p.units["fz"], role=Role.ADMIN)
    p.users["nobody"] = User.objects.create(username="nobody", full_name="nobody", password="!")
    # 厦门 has its own quality checker: being a checker somewhere must not open 福州's items.
    quality.appoint_checker(center=p.units["xm"], user=p.users["xm_reviewer"])


def _calls(p):
    """福州's platform; an answered call from the citizen and an abandoned one (回拨 item)."""
    platform, _secret = call_services.create_platform(
        code="fzcti", name="福州呼叫平台", center=p.units["fz"]
    )
    CallQueue.objects.create(code="general", name="综合", center=p.units["fz"])
    Seat.objects.create(code="1001", center=p.units["fz"], extension="1001")
    t0 = timezone.now() - dt.timedelta(hours=1)

    def ev(call, n, kind, seconds, **more):
        return {"event_id": f"{call}-{n}", "call_id": call, "type": kind,
                "at": (t0 + dt.timedelta(seconds=seconds)).isoformat(), **more}  # fmt: skip

    offered = {"caller": PHONE, "called": "12345", "queue": "general"}
    raw = [
        ev("fzc1", 1, "offered", 0, **offered),
        ev("fzc1", 2, "ringing", 5, agent="1001"),
        ev("fzc1", 3, "answered", 8, agent="1001"),
        ev("fzc1", 4, "ended", 90, cause="normal"),
        ev("fzc2", 1, "offered", 200, **offered),
        ev("fzc2", 2, "abandoned", 260),
    ]
    store(platform=platform, events=[EventIn.model_validate(r) for r in raw], raw=raw)
    return Call.objects.get(platform_call_id="fzc1"), CallbackItem.objects.get(
        call__platform_call_id="fzc2"
    )


def _quality_item(p):
    """A sample of 福州's week of 2026-03-02, drawn by its checker; one of its agent's tickets."""
    center = p.units["fz"]
    quality.appoint_checker(center=center, user=p.users["fz_reviewer"])
    quality.ensure_rubric(center)
    Plan.objects.create(center=center, per_agent=3)
    with _at(dt.datetime(2026, 3, 3, 10, tzinfo=LOCAL_TZ)):
        ticket_at(p, Status.PENDING_DISPATCH, citizen_name=CITIZEN, citizen_phone=PHONE,
                  title=TITLE, external_ref="fz-quality")  # fmt: skip
    sampling.draw(center=center, week=QUALITY_WEEK, by=p.users["fz_reviewer"],
                  now=dt.datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ))  # fmt: skip
    return SampleItem.objects.get(sample__center=center)


def _early_warning(p):
    """Twelve citizens of 鼓楼区 on one estate's lift yesterday, nothing before: the emerging
    topic detector raises a warning whose tickets are all 福州's."""
    yesterday = timezone.localtime(timezone.now(), LOCAL_TZ).date() - dt.timedelta(days=1)
    noon = dt.datetime.combine(yesterday, dt.time(12), tzinfo=LOCAL_TZ)
    for i in range(12):
        data = demand(title=f"阳光花园小区电梯停运{i}", content="阳光花园小区电梯停运，请尽快处理。",
                      citizen_phone=f"1380000{i:04d}", address="")  # fmt: skip
        with _at(noon + dt.timedelta(minutes=i)):
            lifecycle.register(by=p.users["fz_agent"], data=data)
    with mock.patch.object(early_warnings, "is_workday", lambda day: day.weekday() < 5):
        early_warnings.detect()
    return EarlyWarning.objects.order_by("id").first()


def _import_job(p, upload_dir):
    """福州's administrator uploads a file of old tickets on the page (the only way a job is made)."""
    admin = Client()
    admin.force_login(p.users["fz_admin"])
    body = "id,留言主题,留言时间,留言详情\n1,路灯,2019-05-01 10:00,路灯不亮\n".encode()
    upload = SimpleUploadedFile("old.csv", body, content_type="text/csv")
    with mock.patch.object(importjobs, "UPLOAD_DIR", upload_dir):
        response = admin.post("/import/", {"file": upload, "source": "fzold", "channel": "web"})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.get(center=p.units["fz"])


def _police(p, ticket):
    """福州's 110 partner: the ticket handed over to it, and a 非警务警情 it passed to 12345."""
    bot = User.objects.create(username="fzpolice_bot", full_name="福州市公安局110接口")
    partner = police.connect_police(code="fzpolice", name="福州市公安局110指挥中心",
                                    center=p.units["fz"], service_user=bot)  # fmt: skip
    link, _ = police.hand_over(ticket=ticket, by=p.users["fz_dispatcher"], partner="fzpolice",
                               summary="当事人扬言报复，涉嫌违法，移交公安处置。")  # fmt: skip
    item = DemandIn(police_ref="FZ110-0001", title="邻里噪音纠纷", content="鼓楼区某小区深夜噪音，非警务。",
                    citizen_name=CITIZEN, citizen_phone=PHONE, region="350102")  # fmt: skip
    demand, _ = police_demands.receive_demand(system=partner, item=item)
    return link, demand


def _field_check(p, ticket):
    """A supervisor's 暗访 of the unit handling the ticket, with a photo; and a bulletin draft."""
    by = p.users["fz_supervisor"]
    check = field_checks.record(by=by, kind="field", ticket=ticket, place="福州市住建局办事大厅",
                                checked_at=timezone.now() - dt.timedelta(hours=1),
                                findings="窗口无人值守，群众等候一小时无人接待。")  # fmt: skip
    photo = SimpleUploadedFile("暗访.png", PNG, content_type="application/octet-stream")
    field_checks.add_photo(check=check, by=by, upload=photo)
    bulletin = bulletins.create(by=by, title="2026年第12期典型问题曝光")
    return check, check.photos.get(), bulletin


def _export_request(p):
    """福州's dispatcher asks for the whole list with citizens in full: it waits for approval."""
    client = Client()
    client.force_login(p.users["fz_dispatcher"])
    response = client.post("/audit/exports/", {"reason": "月度分析报告需要", "full": "1"})
    assert response.status_code == 302, response.content.decode()[:500]
    return ExportRequest.objects.get(requester=p.users["fz_dispatcher"])


def build(p, tmp_path) -> SimpleNamespace:
    """Every kind of 福州 object a URL can name, made by the services that make them."""
    _people(p)
    u = p.users
    ticket = ticket_at(p, Status.DISPATCHED, lead="fz_housing", citizen_name=CITIZEN,
                       citizen_phone=PHONE, title=TITLE, external_ref="fz-main")  # fmt: skip
    upload = SimpleUploadedFile("现场照片.png", PNG, content_type="application/octet-stream")
    attachment = lifecycle.attach(ticket=ticket, by=u["fz_agent"], upload=upload)
    call, callback_item = _calls(p)
    incident = incidents.declare(by=u["fz_admin"], name="鼓楼电梯困人事件", regions=["350100"],
                                 keywords=["电梯"], examples=["电梯困人"])  # fmt: skip
    script = incidents.write_script(
        by=u["fz_admin"], incident=incident, body="已组织抢修，被困群众已全部安全转移。"
    )
    report = urgent.raise_report(by=u["fz_agent"], what="电梯困人多人", place="鼓楼区某小区",
                                 people=5, ticket=ticket, incident=incident)  # fmt: skip
    item = supervision.open_item(ticket=ticket, by=u["fz_supervisor"], reason="电梯困人须加快办理")
    topic = topics.create_topic(center=p.units["fz"], by=u["fz_supervisor"], name="电梯专项",
                                keywords=["电梯"])  # fmt: skip
    article = knowledge.create_article(
        by=u["fz_admin"],
        data=knowledge.ArticleInput(title="福州电梯维修政策", body="电梯维修资金申请流程。",
                                    region=p.regions["350100"], owner=p.units["fz"]),
    )  # fmt: skip
    police_link, police_demand = _police(p, ticket)
    check, check_photo, bulletin = _field_check(p, ticket)
    return SimpleNamespace(
        police_link=police_link,
        police_demand=police_demand,
        field_check=check,
        check_photo=check_photo,
        bulletin=bulletin,
        ticket=ticket,
        attachment=attachment,
        call=call,
        callback_item=callback_item,
        incident=incident,
        script=script,
        report=report,
        supervision_item=item,
        topic=topic,
        article=article,
        sample_item=_quality_item(p),
        warning=_early_warning(p),
        import_job=_import_job(p, tmp_path / "imports"),
        export_request=_export_request(p),
        markers=[ticket.number, CITIZEN, PHONE, TITLE],
    )
