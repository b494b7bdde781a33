"""Report fixtures: simulated utility_csi responses with comments (one hostile), analysed once per session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from typing import Any

import numpy as np
import pytest

from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from reports.context import build_context
from reports.extras import compute_extras
from survey_defs import load_definition, template_path
from survey_defs.schema import SurveyDefinition

XSS = "<script>alert('x')</script> & <b>bold</b>"
GENERATED = dt.date(2026, 11, 22)

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                   reason="poppler-utils (pdftotext, pdfinfo) not installed")

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
def analysis(utility: SurveyDefinition, data: ResponseData) -> dict[str, Any]:
    return analyze(utility, data, n_boot=100)


@pytest.fixture(scope="session")
def extras(utility: SurveyDefinition, data: ResponseData, analysis: dict[str, Any]) -> dict[str, Any]:
    return compute_extras(utility, data, analysis)


@pytest.fixture(scope="session")
def ctx_zh(utility: SurveyDefinition, analysis: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    return build_context(utility, analysis, extras, lang="zh", generated=GENERATED)


@pytest.fixture(scope="session")
def ctx_en(utility: SurveyDefinition, analysis: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    return build_context(utility, analysis, extras, lang="en", generated=GENERATED)


@pytest.fixture(scope="session")
def pdfs(ctx_zh: dict[str, Any], ctx_en: dict[str, Any]) -> dict[str, bytes]:
    """Both PDFs, rendered once (the chart browser starts once for the session)."""
    if shutil.which("chromium") is None:
        pytest.skip("no Chromium for Kaleido chart export")
    from reports.render import render_pdf

    return {"zh": render_pdf(ctx_zh), "en": render_pdf(ctx_en)}
