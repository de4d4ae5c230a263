"""Knowledge articles (知识库), editable synonym groups, and the search index's version counter."""

from django.db import models


class Article(models.Model):
    """One answer an agent can read to a citizen, or cite when resolving at intake.

    `region` NULL means everywhere; otherwise the article applies to that region and below.
    `category` NULL means every category. `title_tokens`/`body_tokens` hold the jieba tokens
    (space-separated) computed by the services, so that a worker builds its in-memory index
    without segmenting 10,000 texts again; `revision` is the index version stamp of the last
    change, compared for equality only.
    """

    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    category = models.ForeignKey(
        "catalog.Category",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="诉求分类",
    )
    region = models.ForeignKey(
        "orgs.Region",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="适用区划",
        help_text="适用于该区划及其下级；留空表示全省适用",
    )
    owner = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="articles", verbose_name="维护单位"
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("失效日期", null=True, blank=True, help_text="含当日")
    is_published = models.BooleanField("已发布", default=True)
    retired_at = models.DateTimeField("下架时间", null=True, blank=True)
    use_count = models.PositiveIntegerField("引用次数", default=0)
    last_used_at = models.DateTimeField("最近引用", null=True, blank=True)
    created_by = models.ForeignKey(
        "orgs.User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="创建人"
    )
    updated_by = models.ForeignKey(
        "orgs.User", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="修改人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    title_tokens = models.TextField(editable=False, default="")
    body_tokens = models.TextField(editable=False, default="")
    revision = models.PositiveBigIntegerField(editable=False, default=0, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "知识条目"
        ordering = ["-updated_at"]
        permissions = [("edit_knowledge", "可编辑知识库（知识编辑）")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="article_valid_range",
            )
        ]

    def __str__(self):
        return self.title


class SynonymGroup(models.Model):
    """Near terms an agent's query is widened with: `丢 丢了 丢失 遗失 => 补办 挂失`.

    Terms left of `=>` are widened with every term of the line; without `=>` all terms of the
    line are equivalent. Adds to the built-in list in `data/synonyms.txt`.
    """

    terms = models.CharField("近义词", max_length=500, help_text="空格分隔；可用 => 表示单向扩展")
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "近义词"
        ordering = ["id"]

    def __str__(self):
        return self.terms


class IndexState(models.Model):
    """A single row: the version stamp of the knowledge index, renewed by every change.

    Each worker compares it with the stamp its in-memory index was built at, once per search
    (one primary-key read), so an edit made through any worker is seen by all of them.
    """

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "知识库索引版本"

    def __str__(self):
        return f"索引版本 {self.version}"
