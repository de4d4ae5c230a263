"""The Word report opens: LibreOffice (headless) converts it to PDF, whose text layer holds
the figures in Chinese with a CJK font embedded — no missing glyphs."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.reports import charts, periods, service

from .conftest import local

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def tools():
    missing = [
        t for t in (SOFFICE, "/usr/bin/pdftotext", "/usr/bin/pdffonts") if not Path(t).exists()
    ]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing {missing}: apt-get install libreoffice-writer poppler-utils")
        pytest.skip(f"missing {missing}")


def test_word_report_converts_to_pdf_with_chinese_text(october, tmp_path):
    tools()
    region = october.p.regions["350000"]
    period = periods.parse("monthly", "2026-10")
    docx_path, _, _ = service.generate(period, region, folder=tmp_path, now=local(2026, 11, 30, 9))
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx_path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = docx_path.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    flat = "".join(text.split())
    assert "福建省12345热线2026年10月诉求月度分析报告" in flat
    assert "共受理诉求9件，上期6件，环比增长50.0%" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout  # fmt: skip
    assert "CJK" in fonts


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    class NoFonts:
        ttflist = []

    charts.cjk_family.cache_clear()
    monkeypatch.setattr(charts.font_manager, "fontManager", NoFonts())
    monkeypatch.setattr(charts.font_manager, "_load_fontmanager", lambda **kw: NoFonts())
    try:
        with pytest.raises(charts.FontMissing, match="fonts-noto-cjk"):
            charts.cjk_family()
    finally:
        charts.cjk_family.cache_clear()


def test_a_font_installed_after_the_cache_was_built_is_found(monkeypatch):
    class StaleCache:  # the list matplotlib cached before fonts-noto-cjk was installed
        ttflist = []

    charts.cjk_family.cache_clear()
    monkeypatch.setattr(charts.font_manager, "fontManager", StaleCache())
    try:
        assert "CJK" in charts.cjk_family()
    finally:
        charts.cjk_family.cache_clear()
