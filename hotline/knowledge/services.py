"""Knowledge base (知识库): the only code that changes articles, and the search.

Stable interface for other apps (the workbench's agent intake calls these):

    search(*, user, q: str, category: Category | None = None, region: Region | None = None,
           limit: int = 10, today: date | None = None) -> list[Hit]
        Live articles (published, not retired, valid today) ranked by BM25 over jieba tokens,
        the query widened with near terms (丢了 → 补办/挂失). `region`: the ticket's region;
        an article applies to its region and below, one without region everywhere.
        `category`: the ticket's category; articles of it, of a category above or below it,
        or without category. Raises Forbidden / InvalidInput(field="q" | "limit").
        Hit(article: Article, score: float, snippet: str); a question made only of stop
        words (怎么办) returns []. Any member may search (see permissions.py).
    get_article(*, user, pk: int) -> Article          live article, or NotFound
    record_use(*, article: Article | int, by, ticket=None) -> Article
        Count one use (an agent cited it). Call it in the transaction that resolves at
        intake, after `lifecycle.resolve_at_intake(..., article=article_ref(article))`.
    article_ref(article) -> str                        the reference stored in the event: "KB123"
    parse_ref(ref: str) -> int | None                  the id back from "KB123" (or "123")
    create_article(*, by, data: ArticleInput) -> Article
    update_article(*, article, by, data: ArticleInput) -> Article
    retire_article(*, article, by) -> Article          hidden from search, kept for history
    delete_article(*, article, by) -> None             superuser only (admin); prefer retire
    import_articles(*, by, items: list[ArticleInput]) -> int   many at once, all or nothing
    rebuild_tokens() -> int                            re-segment every article (new dictionary)
    touch_index() -> int                               new index version stamp (synonym edits)
"""

import re
import secrets
from dataclasses import dataclass, replace
from datetime import date

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hotline.catalog.models import Category
from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.orgs.models import Region, Unit

from . import permissions
from .index import INDEX
from .models import Article, IndexState
from .tokens import expand, tokenize

MAX_QUERY = 100
MAX_LIMIT = 50
SNIPPET = 120


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    category: Category | None = None
    region: Region | None = None  # None: the owner's region (everywhere for the province)
    owner: Unit | None = None  # None: the editor's (first) center
    valid_from: date | None = None
    valid_until: date | None = None
    is_published: bool = True


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    snippet: str


# ---- search -----------------------------------------------------------------------------------


def search(
    *,
    user,
    q: str,
    category: Category | None = None,
    region: Region | None = None,
    limit: int = 10,
    today: date | None = None,
) -> list[Hit]:
    """Live articles for `q`, best first (see the module docstring)."""
    if not permissions.can_read(user):
        raise Forbidden("无权使用知识库", "no access to the knowledge base")
    q = (q or "").strip()
    if not q:
        raise InvalidInput("请输入检索内容", "q is required", field="q")
    if len(q) > MAX_QUERY:
        raise InvalidInput(
            f"检索内容不能超过 {MAX_QUERY} 个字", f"q longer than {MAX_QUERY}", field="q"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"条数应在 1 到 {MAX_LIMIT} 之间", f"limit must be 1..{MAX_LIMIT}", field="limit"
        )
    tokens = tokenize(q)
    if not tokens:
        return []
    with INDEX.lock:
        INDEX.sync()
        weights = expand(tokens, INDEX.synonyms)
        ranked = INDEX.search(
            weights,
            today=today or timezone.localdate(),
            region_path=region.path if region else None,
            categories=_related_categories(category) if category else None,
            limit=limit,
        )
    articles = Article.objects.select_related("category", "region", "owner").in_bulk(
        [pk for pk, _ in ranked]
    )
    return [
        Hit(article=articles[pk], score=round(score, 4), snippet=_snippet(articles[pk].body))
        for pk, score in ranked
        if pk in articles
    ]


def _related_categories(category: Category) -> set[int]:
    """The category, the ones above it and the ones below it (the tree has three levels)."""
    above = Category.objects.filter(pk=category.pk).values_list("parent_id", "parent__parent_id")
    ids = {category.pk, *(x for pair in above for x in pair if x)}
    ids.update(
        Category.objects.filter(
            Q(parent_id=category.pk) | Q(parent__parent_id=category.pk)
        ).values_list("id", flat=True)
    )
    return ids


def _snippet(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= SNIPPET else text[:SNIPPET] + "…"


def is_live(article: Article, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        article.is_published
        and article.retired_at is None
        and (article.valid_from is None or article.valid_from <= today)
        and (article.valid_until is None or today <= article.valid_until)
    )


def get_article(*, user, pk: int) -> Article:
    """A live article; editors also get the drafts, expired and retired ones they may edit."""
    if not permissions.can_read(user):
        raise Forbidden("无权使用知识库", "no access to the knowledge base")
    article = Article.objects.select_related("category", "region", "owner").filter(pk=pk).first()
    if article is None or not (is_live(article) or permissions.can_edit_owner(user, article.owner)):
        raise NotFound("知识条目不存在或已失效", "article not found", field="id")
    return article


# ---- use ----------------------------------------------------------------------------------------

_REF = re.compile(r"^(?:kb)?(\d{1,18})$", re.IGNORECASE)


def article_ref(article: Article) -> str:
    return f"KB{article.pk}"


def parse_ref(ref: str) -> int | None:
    match = _REF.match((ref or "").strip())
    return int(match.group(1)) if match else None


def record_use(*, article: Article | int, by, ticket=None) -> Article:
    """Count one use of a live article (an agent answered or resolved at intake with it)."""
    if not permissions.can_read(by):
        raise Forbidden("无权使用知识库", "no access to the knowledge base")
    pk = article.pk if isinstance(article, Article) else article
    found = Article.objects.filter(pk=pk).first()
    if found is None or not is_live(found):
        raise InvalidInput(
            "引用的知识条目不存在或已失效", "the cited article is not live", field="article"
        )
    # An UPDATE with F() keeps concurrent uses from overwriting each other; the index is not
    # touched, so counting uses never makes the workers reload.
    Article.objects.filter(pk=pk).update(use_count=F("use_count") + 1, last_used_at=timezone.now())
    found.refresh_from_db(fields=["use_count", "last_used_at"])
    return found


# ---- editing ------------------------------------------------------------------------------------


def touch_index() -> int:
    """Give the index a new version stamp in the current transaction; returns it.

    A random stamp rather than a counter: a rolled-back or restored database can bring a
    counter back to a value a worker already holds, a random 62-bit stamp practically never.
    """
    stamp = secrets.randbits(62)
    with transaction.atomic():
        if not IndexState.objects.filter(pk=1).update(version=stamp):
            IndexState.objects.update_or_create(pk=1, defaults={"version": stamp})
    return stamp


def check_input(*, by, data: ArticleInput, current_owner: Unit | None = None) -> ArticleInput:
    """Validate and complete `data` for `by`; raises before anything is written."""
    if not permissions.is_editor(by):
        raise Forbidden("无权编辑知识库", "not a knowledge editor")
    if current_owner is not None and not permissions.can_edit_owner(by, current_owner):
        raise Forbidden("无权编辑该单位的知识条目", "article owned outside your centers")
    title, body = (data.title or "").strip(), (data.body or "").strip()
    if not title:
        raise InvalidInput("标题不能为空", "title is required", field="title")
    if len(title) > 200:
        raise InvalidInput("标题不能超过 200 个字", "title longer than 200", field="title")
    if not body:
        raise InvalidInput("正文不能为空", "body is required", field="body")
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        raise InvalidInput(
            "失效日期不能早于生效日期", "valid_until before valid_from", field="valid_until"
        )
    owner = data.owner or current_owner
    if owner is None:
        centers = permissions.editor_centers(by)
        if not centers:
            raise InvalidInput("请指定维护单位", "owner is required", field="owner")
        owner = centers[0]
    if not permissions.can_edit_owner(by, owner):
        raise InvalidInput(
            "维护单位不在您所在中心的管辖范围内", "owner outside your centers", field="owner"
        )
    region = data.region
    if region is None and owner.region.parent_id is not None:
        region = owner.region
    if region is not None and not owner.region.covers(region):
        raise InvalidInput(
            "适用区划须在维护单位所在区划之内", "region outside the owner's region", field="region"
        )
    return replace(data, title=title, body=body, owner=owner, region=region)


def _apply(article: Article, data: ArticleInput, version: int) -> None:
    for field in ("title", "body", "category", "region", "owner", "valid_from", "valid_until"):
        setattr(article, field, getattr(data, field))
    article.is_published = data.is_published
    article.title_tokens = " ".join(tokenize(data.title))
    article.body_tokens = " ".join(tokenize(data.body))
    article.revision = version


def create_article(*, by, data: ArticleInput) -> Article:
    """A new article owned by `data.owner` (default: the editor's center)."""
    data = check_input(by=by, data=data)
    with transaction.atomic():
        article = Article(created_by=by, updated_by=by)
        _apply(article, data, touch_index())
        article.save()
    return article


def update_article(*, article: Article, by, data: ArticleInput) -> Article:
    """Replace the editable fields of `article` (its owner may move within the editor's reach)."""
    data = check_input(by=by, data=data, current_owner=article.owner)
    with transaction.atomic():
        article.updated_by = by
        _apply(article, data, touch_index())
        article.save()
    return article


def retire_article(*, article: Article, by) -> Article:
    """Take an article out of search for good (kept, so cited references still resolve)."""
    if not permissions.can_edit_owner(by, article.owner):
        raise Forbidden("无权编辑该单位的知识条目", "article owned outside your centers")
    with transaction.atomic():
        article.retired_at = article.retired_at or timezone.now()
        article.revision = touch_index()
        article.updated_by = by
        article.save(update_fields=["retired_at", "revision", "updated_by", "updated_at"])
    return article


def delete_article(*, article: Article, by) -> None:
    """Delete for good; superusers only (citations would dangle, so editors retire instead)."""
    if not by.is_superuser:
        raise Forbidden("只有超级管理员可以删除知识条目，请改用下架", "only superusers delete")
    with transaction.atomic():
        touch_index()
        article.delete()


def rebuild_tokens() -> int:
    """Re-segment every article, e.g. after the jieba dictionary changed; returns the count."""
    with transaction.atomic():
        version = touch_index()
        articles = list(Article.objects.only("id", "title", "body"))
        for a in articles:
            a.title_tokens = " ".join(tokenize(a.title))
            a.body_tokens = " ".join(tokenize(a.body))
            a.revision = version
        Article.objects.bulk_update(
            articles, ["title_tokens", "body_tokens", "revision"], batch_size=500
        )
    return len(articles)


def import_articles(*, by, items: list[ArticleInput]) -> int:
    """Create many articles in one transaction (a migration from an old system, the bench).

    Every item is checked first, as in `create_article`; one bad item writes nothing.
    """
    checked = [check_input(by=by, data=data) for data in items]
    with transaction.atomic():
        version = touch_index()
        articles = []
        for data in checked:
            article = Article(created_by=by, updated_by=by)
            _apply(article, data, version)
            articles.append(article)
        Article.objects.bulk_create(articles, batch_size=500)
    return len(articles)
