"""Requests to the API carrying the NUL character are refused before any work.

PostgreSQL text cannot hold U+0000 (psycopg raises DataError, a 500 after the work was
done); no citizen types it. JSON can only carry it escaped, so a body without the escape
costs one bytes search; one with it is parsed to name the field. django-ninja turns any
error of its body parser into "cannot parse", which would not name the field: hence a
middleware in front of the API rather than a parser.
"""

import json

from django.http import JsonResponse

PREFIXES = ("/api/",)  # Open311 answers in its own format; its fields are few and checked


def _nul_at(value, path: str) -> str | None:
    """The dotted path of the first string containing NUL in `value`, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}".lstrip(".")
        if isinstance(key, str) and "\x00" in key:
            return here
        found = _nul_at(item, here)
        if found is not None:
            return found
    return None


def _refused(field: str):
    return JsonResponse(
        {
            "code": "validation_error",
            "field": field,
            "message_zh": "输入含有空字符（NUL，\\u0000），请删除后重试",
            "message_en": "the input contains a NUL character (\\u0000)",
        },
        status=400,
        json_dumps_params={"ensure_ascii": False},
    )


class NulGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PREFIXES):
            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return _refused(key.replace("\x00", ""))
            if request.method in ("POST", "PUT", "PATCH") and b"\\u0000" in request.body:
                try:
                    field = _nul_at(json.loads(request.body), "")
                except (ValueError, UnicodeDecodeError):
                    field = None  # not JSON: the API's own parser reports that
                if field is not None:
                    return _refused(field)
        return self.get_response(request)
