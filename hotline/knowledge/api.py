"""Knowledge base API under /api/v1/knowledge: search, detail, create/update/retire, record use.

Permissions are those of `permissions.py`: every member reads, knowledge editors edit.
"""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from hotline.catalog.models import Category
from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.orgs.models import Region, Unit
from hotline.tickets.schemas import ErrorOut

from . import permissions, services
from .models import Article

router = Router(tags=["知识库 knowledge"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SearchFilters(Schema):
    q: str = Field(..., max_length=services.MAX_QUERY, description="检索内容，如“社保卡丢了怎么办”")
    category: str | None = Field(None, max_length=16, description="诉求分类编码")
    region: str | None = Field(None, max_length=12, description="行政区划代码（工单所在区划）")
    limit: int = Field(10, description=f"返回条数，1–{services.MAX_LIMIT}")


class ArticleIn(Schema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=20000)
    category: str | None = Field(None, max_length=16, description="诉求分类编码；空为不限")
    region: str | None = Field(None, max_length=12, description="适用区划代码；空为维护单位区划")
    owner: str | None = Field(None, max_length=32, description="维护单位编码；空为本中心")
    valid_from: date | None = None
    valid_until: date | None = None
    is_published: bool = True


class Named(Schema):
    code: str
    name: str


class ArticleOut(Schema):
    id: int
    ref: str
    title: str
    body: str
    category: Named | None
    region: Named | None
    owner: Named
    valid_from: date | None
    valid_until: date | None
    is_published: bool
    is_live: bool
    use_count: int
    updated_at: datetime


class KnowledgeHitOut(Schema):
    id: int
    ref: str
    title: str
    snippet: str
    score: float
    category: Named | None
    region: Named | None
    owner: Named
    valid_until: date | None
    use_count: int


class SearchOut(Schema):
    items: list[KnowledgeHitOut]


class UseOut(Schema):
    id: int
    use_count: int


def _named(obj):
    if obj is None:
        return None
    return {"code": obj.code, "name": getattr(obj, "full_name", None) or obj.name}


def article_out(a: Article) -> dict:
    return {
        "id": a.pk,
        "ref": services.article_ref(a),
        "title": a.title,
        "body": a.body,
        "category": _named(a.category),
        "region": _named(a.region),
        "owner": _named(a.owner),
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "is_published": a.is_published,
        "is_live": services.is_live(a),
        "use_count": a.use_count,
        "updated_at": a.updated_at,
    }


def _lookup(model, code: str | None, field: str, zh: str):
    if not code:
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput(f"{zh}不存在：{code}", f"unknown {field} {code}", field=field)
    return found


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="检索知识库")
def search(request, filters: Query[SearchFilters]):
    """Live articles for the query, best first; filter by the ticket's category and region."""
    hits = services.search(
        user=request.auth,
        q=filters.q,
        category=_lookup(Category, filters.category, "category", "诉求分类"),
        region=_lookup(Region, filters.region, "region", "行政区划"),
        limit=filters.limit,
    )
    items = []
    for h in hits:
        a = h.article
        items.append(
            {
                "id": a.pk,
                "ref": services.article_ref(a),
                "title": a.title,
                "snippet": h.snippet,
                "score": h.score,
                "category": _named(a.category),
                "region": _named(a.region),
                "owner": _named(a.owner),
                "valid_until": a.valid_until,
                "use_count": a.use_count,
            }
        )
    return {"items": items}


@router.get("/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="知识条目详情")
def get_article(request, article_id: int):
    return article_out(services.get_article(user=request.auth, pk=article_id))


def _input(payload: ArticleIn) -> services.ArticleInput:
    return services.ArticleInput(
        title=payload.title,
        body=payload.body,
        category=_lookup(Category, payload.category, "category", "诉求分类"),
        region=_lookup(Region, payload.region, "region", "行政区划"),
        owner=_lookup(Unit, payload.owner, "owner", "维护单位"),
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        is_published=payload.is_published,
    )


def _editable(request, article_id: int) -> Article:
    article = Article.objects.select_related("owner").filter(pk=article_id).first()
    if article is None:
        raise NotFound("知识条目不存在", "article not found", field="id")
    return article


@router.post("/articles", response={201: ArticleOut, **ERRORS}, summary="新建知识条目")
def create_article(request, payload: ArticleIn):
    if not permissions.is_editor(request.auth):
        # Checked before the code lookups, so a non-editor learns nothing from the errors.
        raise Forbidden("无权编辑知识库", "not a knowledge editor")
    article = services.create_article(by=request.auth, data=_input(payload))
    return HttpStatus(201, article_out(article))


@router.put("/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="修改知识条目")
def update_article(request, article_id: int, payload: ArticleIn):
    article = _editable(request, article_id)
    return article_out(
        services.update_article(article=article, by=request.auth, data=_input(payload))
    )


@router.post(
    "/articles/{article_id}/retire", response={200: ArticleOut, **ERRORS}, summary="下架知识条目"
)
def retire_article(request, article_id: int):
    article = _editable(request, article_id)
    return article_out(services.retire_article(article=article, by=request.auth))


@router.post("/articles/{article_id}/uses", response={200: UseOut, **ERRORS}, summary="记录引用")
def record_use(request, article_id: int):
    """Count one use of a live article (the agent answered with it)."""
    article = services.record_use(article=article_id, by=request.auth)
    return {"id": article.pk, "use_count": article.use_count}
