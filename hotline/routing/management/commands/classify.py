"""`hotline classify`: JSON lines in, JSON lines out, one per input line, in order.

In:  {"id", "title", "content", "address"?}
Out: {"id", "category": [level1, level2|null, level3|null], "confidence", "region": code|null,
      "units": [{code, name, confidence, reason}]}
A bad line gets {"id", "error"} and the run goes on. Lines are classified in batches, which is
what makes thousands per second possible.
"""

import json
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from hotline.routing import jurisdiction, recommender, services

BATCH = 256
MAX_FIELD = 50_000


def _parse(line: str):
    """(id, title, content, address) or (id, error)."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    if not isinstance(item, dict):
        return None, "a line must be a JSON object"
    ident = item.get("id")
    fields = {}
    for name in ("title", "content", "address"):
        value = item.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            return ident, f"{name} must be a string"
        if len(value) > MAX_FIELD:
            return ident, f"{name} longer than {MAX_FIELD} characters"
        fields[name] = value
    if not fields["title"].strip() and not fields["content"].strip():
        return ident, "title or content is required"
    return ident, fields


class Command(BaseCommand):
    help = "Classify JSON lines {id, title, content} from stdin; write JSON lines to stdout."
    # A filter in a pipeline: start fast, and do not fail on another app's admin warnings.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--no-units", action="store_true", help="category only")

    def handle(self, *args, no_units=False, **options):
        self.with_places = not no_units
        if self.with_places:
            try:
                jurisdiction._index()
                recommender.tables()
            except DatabaseError:
                self.stderr.write("数据库不可用：只输出分类 / no database: category only")
                self.with_places = False
        batch = []
        for line in sys.stdin:
            if not line.strip():
                continue
            batch.append(_parse(line))
            if len(batch) >= BATCH:
                self._flush(batch)
                batch = []
        self._flush(batch)

    def _flush(self, batch):
        good = [fields for _, fields in batch if isinstance(fields, dict)]
        items = [(f["title"], f["content"]) for f in good]
        _, preds = services.classify_many(items)
        it = zip(preds, services.category_codes_many(preds, items), strict=True)
        out = sys.stdout
        for ident, fields in batch:
            if not isinstance(fields, dict):
                out.write(json.dumps({"id": ident, "error": fields}, ensure_ascii=False) + "\n")
                continue
            out.write(json.dumps(self._one(ident, fields, *next(it)), ensure_ascii=False) + "\n")
        out.flush()

    def _one(self, ident, f, pred, codes) -> dict:
        code, deeper = codes[0], tuple(codes[1:])
        result = {
            "id": ident,
            "category": codes,
            "confidence": pred.confidence if code else 0.0,
            "region": None,
            "units": [],
        }
        if self.with_places:
            match = jurisdiction.resolve(
                address=f["address"], title=f["title"], content=f["content"]
            )
            result["region"] = match.region.code if match.region else None
            if code and match.region:
                units = recommender.recommend(pred, region_id=match.region.id, deeper=deeper)
                result["units"] = [
                    {"code": u.code, "name": u.name, "confidence": u.confidence, "reason": u.reason}
                    for u in units
                ]
        return result
