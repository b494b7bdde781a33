"""service.reporting: reports from the store and from files, atomic writes, clear errors."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from analytics.simulate import simulate
from service.analysis import AnalysisTooLarge
from service.errors import AppError
from service.reporting import ReportFailed, build_report, build_report_from_files, resolve_wave, write_report
from service.store.engine import make_engine
from service.surveys.service import publish
from survey_defs import load_definition, template_path


def test_report_from_files(tmp_path: Path) -> None:
    d = load_definition(template_path("utility_csi"))
    csv = tmp_path / "responses.csv"
    simulate(d, 300, random_state=11).to_frame().to_csv(csv, index=False)
    page = html.unescape(build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="html",
                                                 wave=None).decode("utf-8"))
    assert "1. Executive summary" in page and "Electricity Supply Customer Satisfaction Survey" in page
    with pytest.raises(AppError, match="unknown wave"):
        build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="html", wave="2030H1")
    with pytest.raises(AppError, match="format"):
        build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="docx", wave=None)


def test_report_from_an_empty_store(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    shutil.copy(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    publish(engine, template_path("utility_csi").read_text(encoding="utf-8"), "utility_csi.yaml")
    page = html.unescape(build_report(engine, "utility_csi", lang="zh", fmt="html").decode("utf-8"))
    assert "没有可分析的问卷" in page and "一、执行摘要" in page
    with pytest.raises(AppError) as err:
        build_report(engine, "utility_csi", lang="xx")
    assert err.value.status_code == 422
    engine.dispose()


def test_write_report_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "r" / "report.pdf"
    write_report(b"%PDF-old", out)
    assert out.read_bytes() == b"%PDF-old"

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("service.reporting.os.replace", boom)
    with pytest.raises(OSError):
        write_report(b"%PDF-new", out)
    assert out.read_bytes() == b"%PDF-old"
    assert [p.name for p in out.parent.iterdir()] == ["report.pdf"]  # no half-written temp file left


def test_rendering_failure_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reports.render import ReportError

    def fail(*_: object, **__: object) -> bytes:
        raise ReportError("chart export failed: no browser")

    monkeypatch.setattr("service.reporting.render_report", fail)
    d = load_definition(template_path("utility_csi"))
    csv = tmp_path / "responses.csv"
    simulate(d, 50, random_state=12).to_frame().to_csv(csv, index=False)
    with pytest.raises(ReportFailed, match="chart export failed") as err:
        build_report_from_files(template_path("utility_csi"), csv, lang="zh", fmt="pdf", wave=None)
    assert err.value.status_code == 500


def _stored(engine: Engine, tmp_path: Path, n: int = 300) -> Path:
    """utility_csi published with ``n`` simulated responses over both waves imported; returns the CSV."""
    from service.responses.importer import import_file

    d = load_definition(template_path("utility_csi"))
    ref, _ = publish(engine, template_path("utility_csi").read_text(encoding="utf-8"), "utility_csi.yaml")
    csv = tmp_path / "responses.csv"
    simulate(d, n, random_state=21, rate_probability=0.6).to_frame().to_csv(csv, index=False)
    import_file(engine, ref, csv)
    return csv


def test_store_report_covers_the_latest_wave_by_default(engine: Engine, tmp_path: Path) -> None:
    """No wave: the latest wave with responses, stated on the cover; "all": every wave pooled, said so; the same
    on SQLite and PostgreSQL, and the same as the file mode."""
    csv = _stored(engine, tmp_path)
    default = html.unescape(build_report(engine, "utility_csi", lang="en", fmt="html").decode("utf-8"))
    assert "<td>1st half of 2026</td>" in default and "Period reported: 1st half of 2026." in default
    assert "All periods pooled" not in default
    pooled = html.unescape(build_report(engine, "utility_csi", lang="en", fmt="html", wave="all").decode("utf-8"))
    assert "<td>All periods pooled (2nd half of 2025, 1st half of 2026)</td>" in pooled
    first = html.unescape(build_report(engine, "utility_csi", lang="en", fmt="html", wave="2025H2").decode("utf-8"))
    assert "2nd half of 2025 is the first wave with data" in first
    files = html.unescape(build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="html",
                                                  wave=None).decode("utf-8"))
    # the same CSI in both modes (the headline KPI value)
    value = re.compile(r'kpi-kpi_csi">\s*<div class="kpi-label">[^<]*</div>\s*<div class="kpi-value">([^<]+)<')
    assert value.search(default) and value.search(default).group(1) == value.search(files).group(1)  # type: ignore[union-attr]


def test_store_report_honours_the_memory_bound(engine: Engine, tmp_path: Path) -> None:
    """`build_report(max_bytes=...)` reaches `load_data`: an oversized survey is refused with a 413 before any row
    is read (the staff API passes its own setting)."""
    _stored(engine, tmp_path, n=60)
    with pytest.raises(AnalysisTooLarge) as err:
        build_report(engine, "utility_csi", lang="en", fmt="html", max_bytes=1 << 20)
    assert err.value.status_code == 413 and "CSI_MAX_ANALYSIS_BYTES" in err.value.message
    assert build_report(engine, "utility_csi", lang="en", fmt="html", max_bytes=1 << 34).startswith(b"<!DOCTYPE")


def test_wave_argument_is_checked(tmp_path: Path) -> None:
    d = load_definition(template_path("utility_csi"))
    csv = tmp_path / "responses.csv"
    simulate(d, 80, random_state=13).to_frame().to_csv(csv, index=False)
    with pytest.raises(AppError, match=r"unknown wave '2030H1'; waves are \['2025H2', '2026H1'\] \(or 'all'"):
        build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="html", wave="2030H1")
    assert resolve_wave(d, simulate(d, 0), None) is None  # no data, no wave to pick
    data = simulate(d, 50, random_state=1).filter(wave="2025H2")
    assert resolve_wave(d, data, None) == "2025H2" and resolve_wave(d, data, "all") is None


def test_bad_response_file_names_file_and_line(tmp_path: Path) -> None:
    d = load_definition(template_path("utility_csi"))
    csv = tmp_path / "responses.csv"
    frame = simulate(d, 20, random_state=13).to_frame()
    frame.loc[2, "q_overall"] = "9"
    frame.to_csv(csv, index=False)
    with pytest.raises(AppError, match=rf"^{re.escape(str(csv))}:4: column 'q_overall': '9' is out of range 1..5"):
        build_report_from_files(template_path("utility_csi"), csv, lang="en", fmt="html", wave=None)
