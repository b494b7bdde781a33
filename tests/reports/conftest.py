"""Report fixtures: simulated utility_csi responses with comments (one hostile), analysed once per session.

The main contexts are what ``csi report`` makes by default: the latest wave with data (`reports.extras.latest_wave`),
compared with the wave before it. ``*_all`` are the explicitly pooled report (every wave together).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from reports.context import build_context
from reports.extras import compute_extras, latest_wave
from survey_defs import load_definition, template_path
from survey_defs.schema import SurveyDefinition

XSS = "<script>alert('x')</script> & <b>bold</b>"
GENERATED = dt.date(2026, 11, 22)

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                   reason="poppler-utils (pdftotext, pdfinfo) not installed")
needs_browser = pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium for Kaleido chart export")


def pdftotext(pdf: bytes | Path, tmp_path: Path, name: str = "r", first: int | None = None,
              last: int | None = None) -> str:
    """The PDF's text (poppler, layout mode), optionally of pages ``first``..``last``."""
    path = pdf if isinstance(pdf, Path) else tmp_path / f"{name}.pdf"
    if not isinstance(pdf, Path):
        path.write_bytes(pdf)
    pages = (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_pages(pdf: bytes | Path, tmp_path: Path, name: str = "r") -> int:
    path = pdf if isinstance(pdf, Path) else tmp_path / f"{name}.pdf"
    if not isinstance(pdf, Path):
        path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert m is not None, out
    return int(m.group(1))


def flat(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines and spaces CJK text freely."""
    return re.sub(r"\s+", "", text)

def with_comments(data: ResponseData, texts: list[str | None]) -> ResponseData:
    """The responses with ``q_comment`` answered from ``texts`` (cycled) and two channels."""
    n = data.n
    col = [texts[i % len(texts)] for i in range(n)]
    channel = np.where(np.arange(n) % 3 == 0, "phone", "web").astype(object)
    return dataclasses.replace(data, texts={"q_comment": col}, channel=channel)


@pytest.fixture(scope="session")
def utility() -> SurveyDefinition:
    return load_definition(template_path("utility_csi"))


@pytest.fixture(scope="session")
def data(utility: SurveyDefinition) -> ResponseData:
    base = simulate(utility, 1500, random_state=3, rate_probability=0.6)
    return with_comments(base, ["停电通知太晚了。", XSS, None, "Great service", None, "电价偏高", None, None])


@pytest.fixture(scope="session")
def wave(utility: SurveyDefinition, data: ResponseData) -> str:
    w = latest_wave(utility, data)
    assert w == utility.wave_ids()[-1]
    return w


@pytest.fixture(scope="session")
def analysis(utility: SurveyDefinition, data: ResponseData, wave: str) -> dict[str, Any]:
    return analyze(utility, data, wave=wave, n_boot=100)


@pytest.fixture(scope="session")
def extras(utility: SurveyDefinition, data: ResponseData, analysis: dict[str, Any], wave: str) -> dict[str, Any]:
    return compute_extras(utility, data, analysis, wave=wave)


@pytest.fixture(scope="session")
def ctx_zh(utility: SurveyDefinition, analysis: dict[str, Any], extras: dict[str, Any], wave: str) -> dict[str, Any]:
    return build_context(utility, analysis, extras, lang="zh", generated=GENERATED, wave=wave)


@pytest.fixture(scope="session")
def ctx_en(utility: SurveyDefinition, analysis: dict[str, Any], extras: dict[str, Any], wave: str) -> dict[str, Any]:
    return build_context(utility, analysis, extras, lang="en", generated=GENERATED, wave=wave)


@pytest.fixture(scope="session")
def analysis_all(utility: SurveyDefinition, data: ResponseData) -> dict[str, Any]:
    return analyze(utility, data, n_boot=100)


@pytest.fixture(scope="session")
def ctx_all_en(utility: SurveyDefinition, data: ResponseData, analysis_all: dict[str, Any]) -> dict[str, Any]:
    return build_context(utility, analysis_all, compute_extras(utility, data, analysis_all), lang="en",
                         generated=GENERATED)


@pytest.fixture(scope="session")
def pdfs(ctx_zh: dict[str, Any], ctx_en: dict[str, Any]) -> dict[str, bytes]:
    """Both PDFs, rendered once (the chart browser starts once for the session)."""
    if shutil.which("chromium") is None:
        pytest.skip("no Chromium for Kaleido chart export")
    from reports.render import render_pdf

    return {"zh": render_pdf(ctx_zh), "en": render_pdf(ctx_en)}
