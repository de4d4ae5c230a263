"""Knowledge search over 10,000 articles: server time per search.

    .venv/bin/python bench/bench_knowledge.py [--articles 10000] [--postgres] [--repeat 30]

Loads the demo province's units and the category tree into a fresh database (a temporary
SQLite file, or PostgreSQL `hotline_bench_knowledge` with --postgres), generates N articles
from templates (plus the demo articles such as 社保卡补办) through `services.import_articles`,
then times `services.search` in-process — the version check, BM25 scoring, filters and the
query that loads the hits — for agents' questions with and without region/category filters,
and the same through the API (Django test client: routing, auth, JSON; no network). Prints
the one-off index build, p50/p95/max per kind, and whether 社保卡补办 came first.
"""

import argparse
import random
import time

from common import fresh_database, percentile, setup_django

SUBJECTS = [
    ("社保卡", "15"),
    ("医保卡", "1502"),
    ("住房公积金", "011001"),
    ("居住证", "130404"),
    ("驾驶证", "130503"),
    ("身份证", "130405"),
    ("户口", "130401"),
    ("营业执照", None),
    ("不动产权证书", None),
    ("养老金", "150201"),
    ("失业保险金", "150205"),
    ("低保", None),
    ("电费", "010215"),
    ("水费", "010216"),
    ("燃气", "010213"),
    ("公交卡", "010206"),
    ("护照", "130402"),
    ("港澳通行证", "130402"),
    ("出生医学证明", None),
    ("结婚登记", None),
]
ACTIONS = [
    "补办",
    "挂失",
    "提取",
    "办理",
    "换证",
    "查询",
    "申领",
    "变更",
    "注销",
    "续期",
    "缴纳",
    "退费",
]
CHANNELS = [
    "闽政通App",
    "网上办事大厅",
    "政务服务中心窗口",
    "街道便民服务中心",
    "12345热线",
    "微信公众号",
]
MATERIALS = [
    "本人身份证",
    "户口簿",
    "近期照片",
    "租赁合同",
    "房产证明",
    "单位证明",
    "银行卡",
    "委托书",
]
QUERIES = [
    ("社保卡丢了怎么办", None, None),
    ("公积金怎么提取", "350102", None),
    ("驾驶证到期了去哪里换", None, "130503"),
    ("居住证办理需要什么材料", "350203", None),
    ("家里停水了怎么查询", "350102", "0102"),
    ("养老金什么时候发放", None, "15"),
    ("营业执照变更流程", "350100", None),
    ("电费怎么缴纳", None, None),
]


def synthetic(rng, n, regions, owners, categories, ArticleInput):
    items = []
    for i in range(n):
        subject, cat = rng.choice(SUBJECTS)
        action = rng.choice(ACTIONS)
        region = rng.choice(regions)
        place = region.name if region else ""
        body = (
            f"{place}{subject}{action}可通过{rng.choice(CHANNELS)}或{rng.choice(CHANNELS)}办理。"
            f"需携带{'、'.join(rng.sample(MATERIALS, 3))}。一般{rng.randint(1, 20)}个工作日内办结，"
            f"咨询电话{rng.randint(10000000, 99999999)}。第{i}号政策解读，"
            f"如对{subject}{rng.choice(ACTIONS)}有疑问，可拨打12345热线。"
        )
        items.append(
            ArticleInput(
                title=f"{place}{subject}{action}指南（{i}）",
                body=body,
                category=categories.get(cat) if cat else None,
                region=region,
                owner=owners[region.code if region else "350000"],
            )
        )
    return items


def time_calls(fn, repeat):
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--postgres", action="store_true")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    url = fresh_database("postgres" if args.postgres else None, "hotline_bench_knowledge")
    setup_django(url)

    from django.test import Client

    from hotline.catalog.models import Category
    from hotline.catalog.services import load_categories
    from hotline.knowledge import services
    from hotline.knowledge.demo import load_demo_articles
    from hotline.knowledge.index import INDEX
    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import Region, Unit, User

    load_categories()
    build_demo_province(password="bench-pass", towns=False)
    admin = User.objects.get(username="prov_admin")
    cities = list(Region.objects.filter(level__in=["city", "county"]).order_by("code"))
    owners = {u.region.code: u for u in Unit.objects.filter(kind="center").select_related("region")}
    regions = [None] * 10 + [r for r in cities if r.code in owners]
    categories = {c.code: c for c in Category.objects.all()}

    t0 = time.perf_counter()
    rng = random.Random(11)
    items = synthetic(rng, args.articles, regions, owners, categories, services.ArticleInput)
    services.import_articles(by=admin, items=items)
    load_demo_articles(by=admin)
    print(
        f"database: {url.split('://')[0]}, articles: {args.articles + 6}, "
        f"generated and imported in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    with INDEX.lock:
        INDEX.sync()
    print(
        f"index build (once per worker, on first search): {(time.perf_counter() - t0) * 1000:.0f} ms, "
        f"{len(INDEX.postings)} terms"
    )

    agent = User.objects.get(username="fz_agent")
    top = services.search(user=agent, q="社保卡丢了怎么办", limit=5)
    print(f"社保卡丢了怎么办 → {[h.article.title for h in top]}")
    print(f"{'search':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    all_times = []
    for q, region_code, category_code in QUERIES:
        region = Region.objects.get(code=region_code) if region_code else None
        category = categories.get(category_code) if category_code else None
        times = time_calls(
            lambda: services.search(user=agent, q=q, region=region, category=category, limit=10),  # noqa: B023
            args.repeat,
        )
        all_times += times
        label = f"{q} {region_code or ''} {category_code or ''}".strip()
        print(
            f"{label:44} {percentile(times, 50):8.2f} {percentile(times, 95):8.2f} {max(times):8.2f}"
        )
    print(
        f"{'all searches (service)':44} {percentile(all_times, 50):8.2f} "
        f"{percentile(all_times, 95):8.2f} {max(all_times):8.2f}"
    )

    client = Client()
    client.force_login(agent)
    api_times = []
    for q, region_code, category_code in QUERIES:
        params = {
            "q": q,
            **({"region": region_code} if region_code else {}),
            **({"category": category_code} if category_code else {}),
        }
        api_times += time_calls(lambda: client.get("/api/v1/knowledge/search", params), args.repeat)  # noqa: B023
    print(
        f"{'all searches (API, test client)':44} {percentile(api_times, 50):8.2f} "
        f"{percentile(api_times, 95):8.2f} {max(api_times):8.2f}"
    )


if __name__ == "__main__":
    main()
