"""Making a report: figures, sections, findings, charts, then the Word and HTML files, kept
under var/reports/<region code>/ so that a download does not recompute a closed period."""

import contextvars
import datetime as dt
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from hotline.catalog.calendar import to_local
from hotline.dbrouter import stale_reads
from hotline.errors import InvalidInput
from hotline.orgs.models import Region, Unit
from hotline.quality import figures as quality_figures

from . import call_section, charts, document, figures, findings, html, outline, sections
from .access import region_tickets
from .periods import Period


def report_dir() -> Path:
    return Path(settings.VAR_DIR) / "reports"


def region_by_code(code: str | None) -> Region:
    """The region of a report: the code given, or the province (the root)."""
    if not code:
        found = Region.objects.filter(parent__isnull=True).order_by("code").first()
    else:
        found = Region.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput(
            f"行政区划代码不存在：{code or '（省）'}",
            f"unknown region code {code!r}",
            field="region",
        )
    return found


@stale_reads()  # a report may lag the primary by seconds: the replica's work (docs/ha.md)
def build_figures(period: Period, region: Region, *, now=None) -> figures.Figures:
    """Every figure, section and finding of the report, computed once.

    The SQL figures run in PostgreSQL while the hot topics run in Python: a thread with its
    own connection computes the figures while this one groups the topics (see
    concurrent_figures for when it does not)."""
    qs = region_tickets(region)
    start, end = period.bounds
    if concurrent_figures():
        with ThreadPoolExecutor(1, thread_name_prefix="report-figures") as pool:
            # The thread carries this context (stale_reads) so its figures read the replica too.
            later = pool.submit(contextvars.copy_context().run, _in_own_connection,
                                figures.compute, period, region, now=now)  # fmt: skip
            try:
                topics = sections.hot_topics(qs, start, end)
            finally:
                f = later.result()  # waited for (and its error raised) even if topics failed
        f.hot_topics = topics
    else:
        f = figures.compute(period, region, now=now)
        f.hot_topics = sections.hot_topics(qs, start, end)
    f.early_warnings = sections.early_warnings(region, start, end)
    f.cases = sections.typical_cases(qs, start, end)
    centers = Unit.objects.filter(kind__in=["center", "subcenter"],
                                  region__path__startswith=region.path)  # fmt: skip
    if period.kind == "monthly":
        f.quality = quality_figures.center_line(centers.values("pk"), period.key)
    f.calls = call_section.compute(centers, start, end)
    f.findings = findings.write(f)
    return f


def concurrent_figures() -> bool:
    """Whether the figures may be computed on a second connection, beside the topics.

    Not when REPORTS_CONCURRENT is off, and not inside a transaction (a test's, or a
    caller's atomic block): another connection would not see its uncommitted tickets.
    """
    if not getattr(settings, "REPORTS_CONCURRENT", True):
        return False
    return not connection.in_atomic_block


def _in_own_connection(fn, *args, **kwargs):
    # Django opens a connection per thread on first use; a pool thread is not a request, so
    # nothing would close it: closed here, or PostgreSQL keeps an idle backend per report.
    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


@dataclass
class Rendered:
    figures: figures.Figures
    docx: bytes
    html: str


def render(period: Period, region: Region, *, now=None) -> Rendered:
    now = now or timezone.now()
    f = build_figures(period, region, now=now)
    day = to_local(now).date()
    o = outline.build(f, f"{day.year}年{day.month}月{day.day}日")
    images = charts.all_charts(f)
    return Rendered(f, document.render(o, images), html.render(o, images))


def paths(period: Period, region: Region, folder: Path | None = None) -> tuple[Path, Path]:
    folder = folder or report_dir() / region.code
    stem = f"12345-{region.code}-{period.kind}-{period.key}"
    return folder / f"{stem}.docx", folder / f"{stem}.html"


def _write(path: Path, data: bytes) -> None:
    # Written beside and renamed: a download never gets half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def generate(period: Period, region: Region, *, folder: Path | None = None, now=None):
    """Render and store the report; returns (docx path, html path, figures)."""
    r = render(period, region, now=now)
    docx_path, html_path = paths(period, region, folder)
    _write(docx_path, r.docx)
    _write(html_path, r.html.encode())
    return docx_path, html_path, r.figures


def cached(period: Period, region: Region) -> dt.datetime | None:
    """When the stored report was made, or None if there is none."""
    docx_path, html_path = paths(period, region)
    if docx_path.exists() and html_path.exists():
        return dt.datetime.fromtimestamp(docx_path.stat().st_mtime, dt.UTC)
    return None


def ensure(period: Period, region: Region, *, refresh: bool = False) -> tuple[Path, Path]:
    """The stored report, made first when missing (or when `refresh`)."""
    if refresh or cached(period, region) is None:
        generate(period, region)
    return paths(period, region)
