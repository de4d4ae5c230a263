"""`hotline screen --kind demand|reply`: JSON lines in on stdin, JSON lines out, in order.

demand: {"id","title","content"} → {"id","risk","flags","hits"}
reply:  {"id","demand","reply"} (optional "title") → {"id","verdict","reasons","score"}
A line that is not a JSON object with the fields gets {"id","error"} and the run goes on.
"""

import json
import sys

from django.core.management.base import BaseCommand

from hotline.screening import lexicon, reply_model


class BadLine(ValueError):
    pass


def _field(obj: dict, name: str, required: bool = True) -> str:
    value = obj.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadLine(f"字段 {name} 须为字符串 / {name} must be a string")
    if required and not value.strip():
        raise BadLine(f"缺少字段 {name} / {name} is required")
    return value


def screen_line(line: str, kind: str, matcher) -> dict:
    """The output object for one input line (never raises)."""
    try:
        obj = json.loads(line)
    except ValueError:
        return {"id": None, "error": "不是有效的 JSON / not valid JSON"}
    if not isinstance(obj, dict):
        return {"id": None, "error": "须为 JSON 对象 / must be a JSON object"}
    ident = obj.get("id")
    try:
        if kind == "demand":
            title = _field(obj, "title", required=False)
            content = _field(obj, "content", required=not title)
            r = matcher.screen(title, content)
            return {"id": ident, "risk": str(r.level), "flags": r.flags,
                    "hits": [h.as_dict() for h in r.hits]}  # fmt: skip
        demand = _field(obj, "demand")
        body = _field(obj, "reply")
        r = reply_model.assess(
            body, title=_field(obj, "title", required=False), content=demand, matcher=matcher
        )
        return {"id": ident, "verdict": str(r.verdict), "reasons": [x.as_dict() for x in r.reasons],
                "score": r.score, "scores": r.scores, "probability": r.probability}  # fmt: skip
    except BadLine as exc:
        return {"id": ident, "error": str(exc)}


class Command(BaseCommand):
    help = "批量甄别诉求或审查答复：标准输入读 JSON lines，按顺序输出 JSON lines"

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["demand", "reply"], required=True)

    def handle(self, *args, kind, **options):
        matcher = lexicon.matcher()
        out = self.stdout
        for line in sys.stdin:
            if not line.strip():
                continue
            result = screen_line(line, kind, matcher)
            out.write(json.dumps(result, ensure_ascii=False, default=str))
        out.flush()
