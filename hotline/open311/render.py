"""Open311 GeoReport v2 output: the same documents as JSON or XML, and the spec's errors."""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# The element that wraps each item of a list in XML (the JSON is a bare array).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def _fill(parent: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(parent, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(parent.tag, "item")
        for item in value:
            _fill(ET.SubElement(parent, tag), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = str(value)


def to_xml(root_tag: str, value) -> bytes:
    root = ET.Element(root_tag)
    _fill(root, value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root_tag: str, value, status: int = 200) -> HttpResponse:
    """`value` as JSON, or as XML under `root_tag` (lists: one child element per item)."""
    if fmt == "xml":
        return HttpResponse(
            to_xml(root_tag, value), status=status, content_type="text/xml; charset=utf-8"
        )
    return HttpResponse(
        json.dumps(value, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error document: a list of {code, description}."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status)
