"""service.reporting: reports from the store and from files, atomic writes, clear errors."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from analytics.simulate import simulate
from service.errors import AppError
from service.reporting import ReportFailed, build_report, build_report_from_files, write_report
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
