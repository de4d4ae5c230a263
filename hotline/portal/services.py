"""The portal's two services: register a citizen's demand, and show a citizen their own one.

Registration goes through `lifecycle.register` (rule 1) as the web channel, by the system
account of the hotline center of the chosen region, as Open311 registers by its key's user.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from hotline.catalog.models import AppealType, Category
from hotline.crypto import phone_q
from hotline.errors import InvalidInput
from hotline.orgs.models import Membership, Region, Role, Unit, UnitKind
from hotline.orgs.services import service_user
from hotline.tickets import lifecycle
from hotline.tickets.lifecycle import attachments
from hotline.tickets.models import Channel, Status, Ticket
from hotline.tickets.registration import RegisterInput

from . import contentfilter, ratelimit, verification

SYSTEM_PREFIX = "system-portal-"
MAX_PHOTOS = 3  # photos of the problem a citizen may add to a demand

# Plain words for the citizen; internal states (a return under dispute) read as work going on.
PUBLIC_STATUS = {
    Status.REGISTERED: "已提交，等待热线中心受理",
    Status.PENDING_DISPATCH: "已受理，正在转交承办单位",
    Status.DISPATCHED: "已转交承办单位",
    Status.IN_PROGRESS: "承办单位正在办理",
    Status.RETURN_REQUESTED: "承办单位正在办理",
    Status.REPLIED: "承办单位已答复，热线中心审核中",
    Status.REVIEWED: "已答复，等待回访",
    Status.CLOSED: "已办结",
    Status.MERGED: "已与相同诉求合并办理",
    Status.INVALID: "未予受理",
}
# The steps a citizen sees; everything else (returns, extensions, supervision, review
# send-backs) is the hotline's internal work and stays out, as do names and notes.
PUBLIC_STEPS = {
    "register": "提交诉求",
    "resolve_at_intake": "已答复办结",
    "accept": "热线中心受理",
    "dispatch": "转交承办单位",
    "transfer": "转交下级热线中心",
    "acknowledge": "承办单位签收",
    "reply": "承办单位答复",
    "approve_reply": "答复审核通过",
    "callback": "回访",
    "close": "办结",
    "reopen": "重新办理",
    "merge": "与相同诉求合并办理",
    "mark_invalid": "未予受理",
}
# The reply reaches the citizen only after the center approved it (审核通过).
REPLY_VISIBLE = {Status.REVIEWED, Status.CLOSED}


def center_for(region: Region | None) -> Unit:
    """The hotline center closest to the region: its own, else the nearest one above."""
    r = region or Region.objects.filter(parent__isnull=True).order_by("code").first()
    while r is not None:
        found = (
            Unit.objects.filter(kind=UnitKind.CENTER, is_active=True, region=r)
            .order_by("id")
            .first()
        )
        if found is not None:
            return found
        r = r.parent
    raise InvalidInput(
        "所选地区暂无热线中心", "no hotline center serves this region", field="region"
    )


def portal_user(center: Unit):
    """The center's portal account (`system-portal-{code}`): an agent nobody logs in as."""
    User = get_user_model()
    user = service_user(f"{SYSTEM_PREFIX}{center.code}", f"{center.name}网站受理", is_active=True)
    Membership.objects.update_or_create(
        user=user, unit=center, role=Role.AGENT, defaults={"is_active": True}
    )
    return User.objects.get(pk=user.pk)  # fresh: no stale membership cache


@dataclass
class Demand:
    phone: str
    code: str
    title: str
    content: str
    name: str = ""
    appeal_type: str = AppealType.HELP
    category: str = ""
    region: str = ""
    address: str = ""
    confidential: bool = False
    photos: list = field(default_factory=list)  # UploadedFiles, at most MAX_PHOTOS
    errors: list = field(default_factory=list)


def _region(code: str) -> Region | None:
    if not code:
        return None
    found = Region.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput("所选地区不存在", f"unknown region {code}", field="region")
    return found


def _category(code: str) -> Category | None:
    if not code:
        return None
    found = Category.objects.filter(code=code, is_active=True).first()
    if found is None:
        raise InvalidInput("所选分类不存在", f"unknown category {code}", field="category")
    return found


def submit(demand: Demand, *, ip: str) -> Ticket:
    """Check the limits, the phone's code and the content, then register. Nothing is
    registered, and no code used up, when the input is wrong."""
    phone = verification.clean_phone(demand.phone)
    ratelimit.check("submit_phone", phone)
    ratelimit.check("submit_ip", ip)
    title, content = demand.title.strip(), demand.content.strip()
    if not title:
        raise InvalidInput("请填写标题", "title is required", field="title")
    if len(content) < 10:
        raise InvalidInput(
            "请把诉求写清楚（至少10个字）", "content needs at least 10 characters", field="content"
        )
    for value, name, label, most in (
        (title, "title", "标题", 100),
        (content, "content", "诉求内容", 5000),
        (demand.name.strip(), "name", "姓名", 64),
        (demand.address.strip(), "address", "地址", 200),
    ):
        # Checked before the code is used up: a code is spent only on a demand that goes in.
        if len(value) > most:
            raise InvalidInput(
                f"{label}不能超过{most}个字",
                f"{name} must be at most {most} characters",
                field=name,
            )
    if demand.appeal_type not in AppealType.values:
        raise InvalidInput("诉求类型无效", "unknown appeal_type", field="appeal_type")
    contentfilter.check(title, content)
    if len(demand.photos) > MAX_PHOTOS:
        raise InvalidInput(
            f"最多上传{MAX_PHOTOS}张照片", f"at most {MAX_PHOTOS} photos", field="photos"
        )
    for photo in demand.photos:  # checked before the code is used up, attached after
        attachments.checked(photo, suffixes=attachments.IMAGES, field="photos")
    region, category = _region(demand.region), _category(demand.category)
    center = center_for(region)
    verification.verify(phone=phone, code=demand.code)
    ratelimit.hit("submit_phone", phone)
    ratelimit.hit("submit_ip", ip)
    ticket, _ = lifecycle.register(
        by=portal_user(center),
        data=RegisterInput(
            channel=Channel.WEB,
            appeal_type=demand.appeal_type,
            title=title,
            content=content,
            citizen_name=demand.name.strip(),
            citizen_phone=phone,
            confidential=demand.confidential,
            category=category,
            region=region,
            address=demand.address.strip(),
            center_code=center.code,
        ),
    )
    for photo in demand.photos:
        lifecycle.attach(ticket=ticket, by=ticket.registered_by, upload=photo)
    return ticket


def follow(*, number: str, phone: str, ip: str) -> Ticket | None:
    """The ticket with this number AND this phone, else None — the same None whichever was
    wrong, so a lookup tells nothing about other citizens' tickets."""
    ratelimit.take("follow_ip", ip)
    number = (number or "").strip()
    ratelimit.check("follow_miss_ip", ip)
    ratelimit.check("follow_miss_number", number)
    try:
        phone = verification.clean_phone(phone)
    except InvalidInput:
        phone = ""
    found = None
    if number.isdigit() and phone:
        found = Ticket.objects.filter(phone_q(phone), number=number).first()
    if found is None:
        ratelimit.hit("follow_miss_ip", ip)
        ratelimit.hit("follow_miss_number", number)
    return found


def public_view(ticket: Ticket) -> dict:
    """What the citizen may see: status in plain words, public steps, the approved reply."""
    steps = []
    for ev in ticket.events.order_by("seq").only("action", "created_at"):
        label = PUBLIC_STEPS.get(ev.action)
        if label and not (steps and steps[-1]["label"] == label):
            steps.append({"label": label, "at": ev.created_at})
    status = Status(ticket.status)
    # A merged demand (并单) is answered by the ticket that carried it on: its citizen reads
    # that reply, once approved, under their own number.
    answered = ticket
    if status == Status.MERGED and ticket.merged_into_id is not None:
        answered = ticket.merged_into
    answer_status = Status(answered.status)
    return {
        "number": ticket.number,
        "title": ticket.title,
        "content": ticket.content,
        "created_at": ticket.created_at,
        "status": PUBLIC_STATUS[status],
        "finished": status in (Status.CLOSED, Status.INVALID, Status.MERGED),
        "steps": steps,
        "reply": answered.reply if answer_status in REPLY_VISIBLE and answered.reply else "",
        "replied_at": answered.replied_at if answer_status in REPLY_VISIBLE else None,
        "satisfaction": ticket.get_satisfaction_display() if status == Status.CLOSED else "",
    }
