"""Regions (GB/T 2260), units in a tree, users and their role memberships."""

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models

from hotline.errors import Forbidden


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县（区）"
    TOWN = "town", "乡镇（街道）"


class Region(models.Model):
    """An administrative division; `path` holds the codes from the root, for subtree queries."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上级"
    )
    path = models.CharField(max_length=128, db_index=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + self.code + "/"
        super().save(*args, **kwargs)

    @property
    def code6(self) -> str:
        """The six-digit GB/T 2260 code (towns carry their county's)."""
        return self.code[:6]

    def covers(self, other: "Region | None") -> bool:
        return other is not None and other.path.startswith(self.path)


class UnitKind(models.TextChoices):
    CENTER = "center", "热线中心"
    SUBCENTER = "subcenter", "分中心"
    DEPARTMENT = "department", "职能部门"
    TOWN = "town", "乡镇（街道）"
    ENTERPRISE = "enterprise", "公共服务企业"
    FALLBACK = "fallback", "兜底单位"
    OFFICE = "office", "效能办"


class Unit(models.Model):
    """A hotline center, a handling unit or an office, placed in one tree for the province."""

    code = models.CharField("单位编码", max_length=32, unique=True)
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="units", verbose_name="区划")
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上级"
    )
    # What kind of department it is (住建, 人社 …): the routing key for recommendations.
    function = models.CharField("职能", max_length=32, blank=True, db_index=True)
    is_active = models.BooleanField("启用", default=True)
    # A unit that sets this has its handlers' replies, extension and return requests wait
    # for its leader (分管领导) before they leave the unit.
    leader_approval = models.BooleanField("答复、延期、退单须经分管领导审批", default=False)
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + str(self.code) + "/"
        super().save(*args, **kwargs)

    @property
    def is_center(self) -> bool:
        return self.kind in (UnitKind.CENTER, UnitKind.SUBCENTER)

    def is_within(self, other: "Unit") -> bool:
        """True if this unit is `other` or below it in the tree."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    AGENT = "agent", "话务员"
    DISPATCHER = "dispatcher", "派单员"
    HANDLER = "handler", "承办人"
    LEADER = "leader", "分管领导"
    REVIEWER = "reviewer", "审核员"
    CALLBACK = "callback", "回访员"
    SUPERVISOR = "supervisor", "效能督查"
    ANALYST = "analyst", "分析员"
    ADMIN = "admin", "系统管理员"
    # Reviews and exports the log of who viewed citizens' personal data; changes no user and
    # no ticket (separation of duties with the administrator, who cannot read that log).
    SECURITY_AUDITOR = "security_auditor", "安全审计员"


# Roles that work for a hotline center on the tickets of its region.
CENTER_ROLES = {Role.AGENT, Role.DISPATCHER, Role.REVIEWER, Role.CALLBACK, Role.ADMIN}
# Roles that see their region read-only.
READONLY_ROLES = {Role.SUPERVISOR, Role.ANALYST}
# Roles that work inside a handling unit on the tickets assigned to it.
UNIT_ROLES = {Role.HANDLER, Role.LEADER}


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=64, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username


class Membership(models.Model):
    """One role of a user in one unit; a user may hold several."""

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships", verbose_name="用户")
    unit = models.ForeignKey(Unit, models.PROTECT, related_name="memberships", verbose_name="单位")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色成员"
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="uniq_membership")
        ]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class TokenScope(models.TextChoices):
    READ = "read", "只读"
    WRITE = "write", "读写"


class ApiToken(models.Model):
    """A per-user token for machines; only its SHA-256 is stored."""

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("名称", max_length=64)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("前缀", max_length=8, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)
    # Scoped, expiring, revocable (issue 18): a read-only token may only GET; no token lives
    # past its expiry; a revoked one stays listed with who and when.
    scope = models.CharField(
        "权限范围", max_length=8, choices=TokenScope.choices, default=TokenScope.WRITE
    )
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def is_valid_at(self, moment) -> bool:
        return self.is_active and (self.expires_at is None or self.expires_at > moment)

    def check_scope(self, method: str) -> None:
        """A read-only token may only read: anything but GET/HEAD/OPTIONS is refused (403)."""
        if self.scope == TokenScope.READ and method not in ("GET", "HEAD", "OPTIONS"):
            raise Forbidden(
                "该令牌为只读令牌，不能执行修改操作",
                "this token is read-only",
                field="Authorization",
            )
