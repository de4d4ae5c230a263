"""Routing API: suggestions for a demand being typed, and for a ticket waiting for dispatch."""

from django.http import Http404
from ninja import Field, Router, Schema

from hotline.errors import Forbidden, InvalidInput
from hotline.orgs import scope
from hotline.orgs.models import CENTER_ROLES, Region
from hotline.tickets.schemas import ErrorOut

from . import services

router = Router(tags=["智能派单 routing"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_CONTENT = 50_000


class SuggestIn(Schema):
    title: str = Field("", max_length=200, description="诉求标题")
    content: str = Field("", max_length=MAX_CONTENT, description="诉求内容")
    address: str = Field("", max_length=200, description="地址（可选）")


class RegionOut(Schema):
    code: str
    name: str
    words: list[str]


# Not "UnitOut": that name is the tickets' unit, and two schemas of one name in the OpenAPI
# document make one overwrite the other (issue 18: ticket responses documented these fields).
class SuggestedUnitOut(Schema):
    code: str
    name: str
    confidence: float
    reason: str


class SuggestOut(Schema):
    category: list[str | None] = Field(description="一、二、三级分类编码；无把握的层级为 null")
    category_names: list[str | None]
    confidence: float
    reasons: list[str] = Field(description="决定分类的关键词")
    region: RegionOut | None = Field(description="从地址和内容识别出的区划；识别不出为 null")
    units: list[SuggestedUnitOut] = Field(description="推荐承办单位（最多 3 个）")
    model_version: str | None


def _center_staff(user):
    """A center role anywhere (the unit's region then bounds the fallback), else 403."""
    if user.is_superuser:
        return None
    for m in scope.memberships(user):
        if m.role in CENTER_ROLES and m.unit.is_center:
            return m
    raise Forbidden(
        "只有热线中心的工作人员可以使用智能派单推荐",
        "only hotline center staff may ask for routing suggestions",
    )


@router.post("/routing/suggest", response={200: SuggestOut, **ERRORS}, summary="智能派单推荐")
def suggest(request, payload: SuggestIn):
    """Category, region and the top 3 units for a demand (title + content, address optional)."""
    m = _center_staff(request.auth)
    if not payload.title.strip() and not payload.content.strip():
        raise InvalidInput("请填写诉求标题或内容", "title or content is required", field="content")
    default_region = (
        m.unit.region_id
        if m
        else Region.objects.filter(parent=None).values_list("id", flat=True).first()
    )
    s = services.suggest(
        title=payload.title,
        content=payload.content,
        address=payload.address,
        default_region_id=default_region,
    )
    return s.as_dict()


@router.get(
    "/tickets/{number}/suggestions",
    response={200: SuggestOut, **ERRORS},
    summary="工单的派单推荐",
)
def ticket_suggestions(request, number: str):
    """Suggestions for one ticket in the caller's scope (404 outside it)."""
    t = (
        scope.visible_tickets(request.auth)
        .select_related("center__region", "region")
        .filter(number=number)
        .first()
    )
    if t is None:
        raise Http404
    _center_staff(request.auth)
    return services.suggest_for_ticket(t).as_dict()
