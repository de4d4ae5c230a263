import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from hotline.catalog.models import Category
from hotline.orgs.services import issue_token


def schema_dir() -> Path:
    """The published GeoReport v2 schemas, kept beside the repository (never copied into it)."""
    env = os.environ.get("HOTLINE_OPEN311_SCHEMAS")
    return Path(env) if env else Path(settings.DATA_DIR).parent / "open311"


@pytest.fixture(scope="session")
def validate():
    folder = schema_dir()
    if not (folder / "request.json").exists():
        message = f"GeoReport v2 schemas not found in {folder} (set HOTLINE_OPEN311_SCHEMAS)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(s, default_specification=DRAFT7))
        for name, s in schemas.items()
    )

    # jsonschema checks "date-time" only with an extra package; ISO 8601 with an offset is
    # what the spec asks, and the standard library can tell.
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value):
        return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None

    def _validate(name, doc):
        Draft7Validator(schemas[name], registry=registry, format_checker=checker).validate(doc)

    return _validate


@pytest.fixture
def categories(db):
    """A small tree: 城乡建设 > 物业管理 > 电梯故障, and 劳动保障."""
    top = Category.objects.create(code="01", name="城乡建设", level=1, full_name="城乡建设")
    mid = Category.objects.create(
        code="0101", name="物业管理", level=2, parent=top, full_name="城乡建设/物业管理"
    )
    leaf = Category.objects.create(
        code="010101",
        name="电梯故障",
        level=3,
        parent=mid,
        full_name="城乡建设/物业管理/电梯故障",
    )
    labour = Category.objects.create(code="02", name="劳动保障", level=1, full_name="劳动保障")
    return {"top": top, "mid": mid, "leaf": leaf, "labour": labour}


@pytest.fixture
def api_key(province):
    _, key = issue_token(user=province.users["fz_agent"], name="open311")
    return key
