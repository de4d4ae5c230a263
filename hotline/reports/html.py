"""The HTML version: the same outline as the Word file, one self-contained page (charts
inlined as data URIs), so it can be saved and mailed as it is."""

import base64

from django.template.loader import render_to_string

from .outline import Chart, Heading, Outline, Para, Table


def render(outline: Outline, charts: dict[str, tuple[str, bytes]]) -> str:
    blocks = []
    for b in outline.blocks:
        if isinstance(b, Heading):
            blocks.append({"kind": "heading", "level": b.level, "text": b.text})
        elif isinstance(b, Para):
            blocks.append({"kind": "para", "text": b.text})
        elif isinstance(b, Table):
            blocks.append({"kind": "table", "header": b.header, "rows": b.rows,
                           "caption": b.caption})  # fmt: skip
        elif isinstance(b, Chart):
            caption, png = charts[b.key]
            blocks.append({"kind": "chart", "caption": caption,
                           "src": "data:image/png;base64," + base64.b64encode(png).decode()})  # fmt: skip
    return render_to_string("reports/report.html", {"outline": outline, "blocks": blocks})
