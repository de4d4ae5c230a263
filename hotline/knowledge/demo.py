"""Demo articles for the knowledge base, from `fixtures/articles.json` (idempotent by title)."""

import json
from pathlib import Path

from hotline.catalog.models import Category
from hotline.orgs.models import Region, Unit

from . import services
from .models import Article

ARTICLES = Path(__file__).resolve().parent / "fixtures" / "articles.json"


def load_demo_articles(*, by) -> int:
    """Create the demo articles missing by title, as `by` (an editor); returns how many."""
    created = 0
    for row in json.loads(ARTICLES.read_text(encoding="utf-8")):
        if Article.objects.filter(title=row["title"]).exists():
            continue
        data = services.ArticleInput(
            title=row["title"],
            body=row["body"],
            category=Category.objects.filter(code=row["category"]).first(),
            region=Region.objects.filter(code=row["region"]).first() if row["region"] else None,
            owner=Unit.objects.get(code=row["owner"]),
        )
        services.create_article(by=by, data=data)
        created += 1
    return created
