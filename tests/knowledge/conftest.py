"""Knowledge-base fixtures: a few categories, two editors, and articles written through services."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from hotline.catalog.models import Category
from hotline.knowledge import services
from hotline.knowledge.models import Article
from hotline.orgs.models import Membership, Role, User

# The real local day: searches without `today=` (the admin, the API) run on it, so the
# fixtures' validity windows must be relative to it.
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()

# code: (name, parent code)
CATEGORIES = {
    "15": ("劳动和社会保障", None),
    "1502": ("城镇职工社会保险", "15"),
    "150205": ("职工失业保险", "1502"),
    "01": ("城乡建设", None),
    "0110": ("住房保障与房地产", "01"),
    "011001": ("住房公积金", "0110"),
    "13": ("政法", None),
}


@pytest.fixture
def categories(db):
    made = {}
    for code, (name, parent) in CATEGORIES.items():
        up = made.get(parent)
        made[code] = Category.objects.create(
            code=code,
            name=name,
            level=len(code) // 2,
            parent=up,
            full_name=f"{up.full_name}/{name}" if up else name,
        )
    return made


@pytest.fixture
def editors(province):
    """prov_admin and fz_admin (role admin at a center); fz_agent stays a plain agent."""
    users = {}
    for username, unit in [("prov_admin", "prov"), ("fz_admin", "fz")]:
        user = User.objects.create(username=username, full_name=username, is_staff=True)
        Membership.objects.create(user=user, unit=province.units[unit], role=Role.ADMIN)
        users[username] = user
    return users


def grant_editor(user) -> User:
    """Give `user` the 知识编辑 permission; returns a fresh copy (permissions are cached)."""
    user.user_permissions.add(Permission.objects.get(codename="edit_knowledge"))
    return User.objects.get(pk=user.pk)


def make(by, title, body="", **fields) -> Article:
    return services.create_article(
        by=by, data=services.ArticleInput(title=title, body=body or title, **fields)
    )


@pytest.fixture
def kb(province, categories, editors):
    """Six articles: the 社保卡 one for the province, 公积金 ones for 福州, a 厦门 one, one
    expired, one not yet valid."""
    prov, fz = editors["prov_admin"], editors["fz_admin"]
    r = province.regions
    a = SimpleNamespace(
        card=make(
            prov,
            "社保卡补办",
            "社会保障卡丢失或损坏的，先挂失，再携带身份证到社保卡服务网点补办。",
            category=categories["15"],
        ),
        fund=make(
            fz,
            "住房公积金提取",
            "购房、租房、退休可申请提取住房公积金，网上办理。",
            category=categories["011001"],
        ),
        fund_loan=make(
            fz,
            "公积金贷款额度",
            "贷款额度按账户余额计算。提取后额度会变化。",
            category=categories["011001"],
        ),
        xm_water=make(
            prov,
            "厦门停水查询",
            "计划停水信息可在供水公司公众号查询。",
            region=r["350200"],
        ),
        old=make(
            prov,
            "旧版社保卡补办流程",
            "社保卡补办旧流程。",
            valid_until=TODAY - timedelta(days=1),
        ),
        future=make(
            prov,
            "新版社保卡补办流程",
            "社保卡补办新流程。",
            valid_from=TODAY + timedelta(days=1),
        ),
    )
    return a


def titles(hits) -> list[str]:
    return [h.article.title for h in hits]
