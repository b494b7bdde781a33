"""One call from (definition, responses, analysis) to report bytes: extras → context → PDF or interactive HTML.

Kept separate from `reports.render` so that callers (the service, the benchmark, notebooks) share one sequence and
one set of defaults, and so that importing `reports` does not import WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from analytics.data import ResponseData
from reports.context import build_context
from reports.extras import compute_extras
from reports.i18n import LANGUAGES
from reports.render import ReportError, check_language, render_html, render_pdf
from survey_defs.schema import SurveyDefinition

__all__ = ["FORMATS", "render_report"]

FORMATS = ("pdf", "html")


def render_report(
    definition: SurveyDefinition,
    data: ResponseData,
    analysis: Mapping[str, Any],
    *,
    lang: str = "zh",
    fmt: Literal["pdf", "html"] | str = "pdf",
    wave: str | None = None,
    generated: dt.date | None = None,
    organisation: str | None = None,
    template: str = "csi_standard",
    extras: Mapping[str, Any] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> bytes:
    """The report as bytes (PDF, or UTF-8 HTML with interactive charts). Raises `ReportError`.

    ``data`` is every response of the survey (the trend needs all waves); ``analysis`` is
    ``analytics.analyze(definition, data, wave=wave)``; ``wave=None`` is a report over every wave pooled (callers
    that mean "the latest period" resolve it first with `reports.extras.latest_wave`, as `service.reporting` does).
    Pass ``extras`` to reuse them across languages/formats. ``on_stage`` is told ``"charts"`` (extras, context and
    its chart images) and then ``"render"`` (the PDF or HTML), so a background job can show where it is.
    """
    if lang not in LANGUAGES:
        raise ReportError(f"unsupported report language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    check_language(lang, template)
    if fmt not in FORMATS:
        raise ReportError(f"unsupported report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if on_stage is not None:
        on_stage("charts")
    try:
        ex = extras if extras is not None else compute_extras(definition, data, analysis, wave=wave)
        ctx = build_context(definition, analysis, ex, lang=lang, generated=generated, organisation=organisation,
                            wave=wave)
    except ReportError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"cannot build the report context: {type(exc).__name__}: {exc}") from exc
    if on_stage is not None:
        on_stage("render")
    if fmt == "pdf":
        return render_pdf(ctx, template)
    return render_html(ctx, template, interactive=True).encode("utf-8")
