"""Reports from the store or from files: the one place the service turns surveys into PDF/HTML reports.

The CLI (``csi report``), the staff API (``/report.pdf``, ``/report.html``) and ``csi demo`` call these functions;
the rendering itself is `reports` (pure: no database, no settings). Failures are `AppError`s with a clear message,
and `write_report` replaces the target atomically, so a failed run never leaves half a file.

The period: a report without ``wave`` covers the latest wave that has responses (compared with the wave before
it; the trend table still shows every wave), because a CSI pooled over all waves reads as the latest period's
while being an average of all of them. ``wave="all"`` (`WAVE_ALL`) asks for the pooled report explicitly.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from analytics.analyze import analyze
from analytics.data import ResponseData
from reports.extras import latest_wave
from reports.i18n import LANGUAGES
from reports.pipeline import FORMATS, render_report
from reports.render import ReportError
from service.analysis import load_data
from service.errors import AppError
from service.surveys.service import load_ref
from survey_defs.schema import SurveyDefinition

__all__ = [
    "STAGES",
    "WAVE_ALL",
    "Progress",
    "ReportFailed",
    "build_report",
    "build_report_from_files",
    "check_report_request",
    "resolve_wave",
    "write_demo_reports",
    "write_report",
]

#: ``wave`` value for a report over every wave pooled.
WAVE_ALL = "all"

#: A report's stages and the percent done when each starts (a background job shows them: service/jobs). The
#: percents are rough shares of a PDF's time (rendering and the charts dominate); they only need to move forward.
STAGES: dict[str, int] = {"load": 0, "analyse": 15, "charts": 40, "render": 70, "write": 95}

#: Told each stage's name and percent as it starts.
Progress = Callable[[str, int], None]


class ReportFailed(AppError):
    """Rendering failed (chart browser, WeasyPrint, template): a server-side problem, not the caller's input."""

    status_code = 500


def _check(definition: SurveyDefinition, lang: str, fmt: str, wave: str | None) -> None:
    if lang not in LANGUAGES:
        raise AppError(f"unknown report language {lang!r}; choose one of {', '.join(LANGUAGES)}", status_code=422,
                       loc=["query", "lang"])
    if fmt not in FORMATS:
        raise AppError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}", status_code=422,
                       loc=["query", "format"])
    if wave is not None and wave not in definition.wave_ids() and wave != WAVE_ALL:
        raise AppError(f"unknown wave {wave!r}; waves are {definition.wave_ids()} (or {WAVE_ALL!r} for every wave "
                       f"pooled)", status_code=422, loc=["query", "wave"])


def check_report_request(definition: SurveyDefinition, *, lang: str, fmt: str, wave: str | None,
                         brand: str | None = None, segment: Mapping[str, str] | None = None) -> None:
    """Raise a 422 `AppError` for an unknown language, format, wave, brand or segment option, before any work (the
    report jobs' API checks a request with it before queueing it)."""
    from service.analysis import _check_filters

    _check(definition, lang, fmt, wave)
    _check_filters(definition, None, brand, segment)


def resolve_wave(definition: SurveyDefinition, data: ResponseData, wave: str | None) -> str | None:
    """The wave a report covers: ``wave`` itself; the latest wave with responses when ``wave`` is None; None (every
    wave pooled) for ``"all"`` or a definition without waves."""
    if wave is None:
        return latest_wave(definition, data)
    if wave == WAVE_ALL and WAVE_ALL not in definition.wave_ids():
        return None
    return wave


def _render(definition: SurveyDefinition, data: ResponseData, *, lang: str, fmt: str, wave: str | None,
            analysis: dict[str, Any] | None = None, extras: dict[str, Any] | None = None,
            progress: Progress | None = None, brand: str | None = None,
            segment: Mapping[str, str] | None = None) -> bytes:
    """Analyse (unless given) and render; ``wave`` is already resolved (`resolve_wave`): None = pooled.

    ``brand``/``segment`` only label the analysis's ``filters`` (``data`` is already filtered by them)."""
    def on_stage(stage: str) -> None:
        if progress is not None:
            progress(stage, STAGES[stage])

    try:
        on_stage("analyse")
        result = analysis if analysis is not None else analyze(definition, data, wave=wave, brand=brand,
                                                               segment=segment)
        return render_report(definition, data, result, lang=lang, fmt=fmt, wave=wave, extras=extras,
                             on_stage=on_stage)
    except ReportError as exc:
        raise ReportFailed(f"report rendering failed: {exc}") from exc


def build_report(engine: Engine, slug: str, *, lang: str = "zh", fmt: str = "pdf", wave: str | None = None,
                 max_bytes: int | None = None, brand: str | None = None, segment: Mapping[str, str] | None = None,
                 progress: Progress | None = None) -> bytes:
    """The report of a stored survey (current definition), as PDF or HTML bytes.

    ``wave``: None for the latest wave with responses, a wave id, or ``"all"`` for every wave pooled. Reads the
    store once (`service.analysis.load_data`, every wave: the trend needs them) under the memory bound
    ``max_bytes`` (None: the ``CSI_MAX_ANALYSIS_BYTES`` setting; an oversized survey is refused with a 413 before
    any row is read), and analyses with the same defaults as `service.analysis.analyze_store`.

    ``brand`` (respondents who rated it) and ``segment`` ({segment item: option code}) restrict the whole report,
    the trend over waves included, to those respondents. ``progress`` is told each stage as it starts (`STAGES`).
    """
    if progress is not None:
        progress("load", STAGES["load"])
    ref = load_ref(engine, slug)
    d = ref.definition
    check_report_request(d, lang=lang, fmt=fmt, wave=wave, brand=brand, segment=segment)
    data = load_data(engine, ref, max_bytes=max_bytes)
    if brand is not None or segment:
        data = data.filter(brand=brand, segment=segment)
    return _render(d, data, lang=lang, fmt=fmt, wave=resolve_wave(d, data, wave), progress=progress, brand=brand,
                   segment=segment or None)


def build_report_from_files(
    definition_path: str | os.PathLike[str],
    responses_path: str | os.PathLike[str],
    *,
    lang: str = "zh",
    fmt: str = "pdf",
    wave: str | None = None,
) -> bytes:
    """The report from a definition file and a canonical response table (CSV or XLSX; docs/DESIGN.md).

    ``wave`` as in `build_report`.
    """
    from service.responses.importer import ResponseFileError, load_response_file
    from survey_defs import load_definition
    from survey_defs.errors import DefinitionError

    try:
        d = load_definition(definition_path)
    except DefinitionError as exc:
        raise AppError(f"invalid definition: {exc}", status_code=422, loc=["definition"]) from exc
    _check(d, lang, fmt, wave)
    path = Path(responses_path)
    if not path.exists():
        raise AppError(f"{path}: no such file", status_code=422, loc=["responses"])
    try:
        data = load_response_file(path, d)
    except ResponseFileError as exc:
        raise AppError(str(exc), status_code=422, loc=["responses"]) from exc
    return _render(d, data, lang=lang, fmt=fmt, wave=resolve_wave(d, data, wave))


def write_report(data: bytes, out: Path) -> Path:
    """Write ``data`` to ``out`` atomically (temporary file in the same folder, fsync, rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_demo_reports(engine: Engine, slug: str, out_dir: Path) -> list[Path]:
    """``analysis.json``, ``report-zh.pdf``, ``report-en.pdf`` and ``report.html`` (definition's default
    language) for ``csi demo``.

    The reports cover the latest wave, as ``csi report`` does by default, and ``analysis.json`` is the analysis
    they show. The store is read and analysed once; the extras (comments, trend) are computed once and shared.
    """
    import json

    from reports.extras import compute_extras

    ref = load_ref(engine, slug)
    d = ref.definition
    data = load_data(engine, ref)
    wave = resolve_wave(d, data, None)
    analysis = analyze(d, data, wave=wave)
    try:
        extras = compute_extras(d, data, analysis, wave=wave)
    except ValueError as exc:
        raise ReportFailed(f"report rendering failed: {exc}") from exc
    out_dir = Path(out_dir)
    analysis.setdefault("source", {}).update({"store": engine.dialect.name, "survey": slug, "version": ref.version})
    body = json.dumps(analysis, ensure_ascii=False, indent=2).encode("utf-8")
    paths = [write_report(body, out_dir / "analysis.json")]
    jobs = [("report-zh.pdf", "zh", "pdf"), ("report-en.pdf", "en", "pdf"),
            ("report.html", d.default_language if d.default_language in LANGUAGES else "zh", "html")]
    for name, lang, fmt in jobs:
        body = _render(d, data, lang=lang, fmt=fmt, wave=wave, analysis=analysis, extras=extras)
        paths.append(write_report(body, out_dir / name))
    return paths
