"""Tools of the scope matrix: what a response shows as text (JSON unescaped, Excel cells, Word
paragraphs), a plausible request body for every API operation (from the published OpenAPI
document), and a fingerprint of every table of the product (to prove a POST changed nothing)."""

import hashlib
import io
import json
import re
import zipfile

from django.apps import apps

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def shown_text(response) -> str:
    """Everything a user reads in the response, whatever its format."""
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
        return _office_text(data) if _is_zip(data) else data.decode("utf-8", "replace")
    data = response.content
    kind = response.get("Content-Type", "")
    if _is_zip(data):
        return _office_text(data)
    text = data.decode("utf-8", errors="replace")
    if "json" in kind:
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def _is_zip(data: bytes) -> bool:
    return data[:2] == b"PK" and zipfile.is_zipfile(io.BytesIO(data))


def _office_text(data: bytes) -> str:
    # Every XML part of the package, tags dropped: cells of a sheet (shared strings included),
    # paragraphs and tables of a document.
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                parts.append(re.sub(r"<[^>]+>", "", z.read(name).decode("utf-8", "replace")))
    return "\n".join(parts)


def openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def example(schema: dict, defs: dict, depth: int = 0):
    """A value that satisfies the JSON schema's types and required fields (first choices)."""
    if "$ref" in schema:
        return example(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], defs, depth)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], defs, depth + 1) for k in schema.get("required", [])}
    if kind == "array":
        n = schema.get("minItems", 0)
        return [example(schema.get("items", {}), defs, depth + 1) for _ in range(n)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    return _string(schema)


def _string(schema: dict) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-12-01T09:00:00+08:00"
    if fmt == "date":
        return "2026-12-01"
    text = "越权测试内容，长度足够通过校验。"
    low, high = schema.get("minLength", 0), schema.get("maxLength", 200)
    text = (text * (low // len(text) + 1))[: max(low, min(len(text), high))]
    return text


def api_body(document: dict, route: str):
    """(kind, body) for POST to `route`: ("json", dict), ("multipart", dict) or (None, None)."""
    operation = document["paths"].get(openapi_path(route), {}).get("post")
    if operation is None or "requestBody" not in operation:
        return None, None
    defs = document.get("components", {}).get("schemas", {})
    content = operation["requestBody"]["content"]
    if "application/json" in content:
        return "json", example(content["application/json"]["schema"], defs)
    if "multipart/form-data" in content:
        return "multipart", "file"
    return None, None


# Rows that change on any signed-in request by design, not because of what was asked.
VOLATILE_MODELS = {"sessions.session", "axes.accesslog", "axes.accessattempt"}
VOLATILE_FIELDS = {"last_login"}


def fingerprint() -> dict[str, str]:
    """Table → hash of all its rows: compare two to learn which tables a request changed."""
    out = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in VOLATILE_MODELS or model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_FIELDS]
        digest = hashlib.sha256()
        for row in model._base_manager.order_by("pk").values_list(*names):
            digest.update(repr(row).encode())
        out[label] = digest.hexdigest()
    return out


def changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])
