"""`csi report`, run as a user runs it (a subprocess): store and file mode, the period, and clean failures."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analytics.analyze import analyze
from analytics.simulate import simulate
from reports import fmt
from survey_defs import load_definition, template_path
from tests.reports.conftest import flat, needs_browser, needs_poppler, pdf_pages, pdftotext

CSI = [sys.executable, "-m", "service.cli"]
ROOT = Path(__file__).resolve().parents[2]


def csi(args: list[str], url: str = "sqlite:///unused.db", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(CSI + args, capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "CSI_DATABASE_URL": url, **env})


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "responses.csv"
    d = load_definition(template_path("utility_csi"))
    simulate(d, 400, random_state=31, rate_probability=0.6).to_frame().to_csv(path, index=False)
    return path


def _files(csv: Path) -> list[str]:
    return ["--definition", str(template_path("utility_csi")), "--responses", str(csv)]


@needs_browser
@needs_poppler
def test_file_mode_pdf_for_a_selected_wave(csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "r" / "report-en.pdf"
    r = csi(["report", *_files(csv), "--out", str(out), "--lang", "en", "--wave", "2025H2"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"wrote {out}")
    import pandas as pd

    from analytics.data import ResponseData

    d = load_definition(template_path("utility_csi"))
    data = ResponseData.from_frame(d, pd.read_csv(csv, dtype=str, keep_default_na=False))
    value = analyze(d, data, wave="2025H2", n_boot=20)["index"]["value"]
    text = pdftotext(out, tmp_path)
    assert fmt.num(value) in text and pdf_pages(out, tmp_path) >= 8
    f = flat(text)
    assert flat("2nd half of 2025 is the first wave with data") in f and flat("1. Executive summary") in f
    assert [p.name for p in out.parent.iterdir()] == ["report-en.pdf"]  # no temporary file left behind


def test_store_mode_html_in_both_languages(engine: object, store_url: str, tmp_path: Path, csv: Path) -> None:
    """SQLite and PostgreSQL: publish and import through the CLI, then report from the store (the latest wave)."""
    assert csi(["publish", "--template", "utility_csi"], store_url).returncode == 0
    imp = csi(["import", "utility_csi", str(csv)], store_url)
    assert imp.returncode == 0, imp.stderr
    for lang, period, title in (("zh", "2026年上半年", "一、执行摘要"),
                                ("en", "1st half of 2026", "1. Executive summary")):
        out = tmp_path / f"report-{lang}.html"
        r = csi(["report", "utility_csi", "--out", str(out), "--lang", lang], store_url)
        assert r.returncode == 0, r.stderr
        page = html.unescape(out.read_text(encoding="utf-8"))
        assert f"<td>{period}</td>" in page and title in page and "Plotly.newPlot" in page
    pooled = tmp_path / "all.html"
    r = csi(["report", "utility_csi", "--out", str(pooled), "--format", "html", "--lang", "en", "--wave", "all"],
            store_url)
    assert r.returncode == 0, r.stderr
    assert "All periods pooled (2nd half of 2025, 1st half of 2026)" in html.unescape(pooled.read_text("utf-8"))
    missing = csi(["report", "no_such_survey", "--out", str(tmp_path / "x.html")], store_url)
    assert missing.returncode == 1 and "no_such_survey" in missing.stderr and not (tmp_path / "x.html").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--wave", "2030H1"], "unknown wave '2030H1'"),
    (["--lang", "fr"], "unknown report language 'fr'"),
    (["--format", "docx"], "unknown report format 'docx'"),
])
def test_bad_options_fail_cleanly(args: list[str], message: str, csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    r = csi(["report", *_files(csv), "--out", str(out), *args])
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_inputs_name_the_file_and_line(csv: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("q_overall")] = "9"
    bad.write_text("\n".join([lines[0], lines[1], lines[2], ",".join(row), *lines[4:]]) + "\n", encoding="utf-8")
    out = tmp_path / "report.pdf"
    r = csi(["report", "--definition", str(template_path("utility_csi")), "--responses", str(bad), "--out", str(out)])
    assert r.returncode == 1 and f"{bad}:4: column 'q_overall': '9' is out of range 1..5" in r.stderr
    assert not out.exists()
    yaml_bad = tmp_path / "bad.yaml"
    yaml_bad.write_text(template_path("utility_csi").read_text(encoding="utf-8").replace("scale: sat5", "scale: x", 1),
                        encoding="utf-8")
    r = csi(["report", "--definition", str(yaml_bad), "--responses", str(csv), "--out", str(out)])
    assert r.returncode == 1 and "invalid definition" in r.stderr and f"{yaml_bad}:" in r.stderr
    r = csi(["report", "--definition", str(template_path("utility_csi")), "--responses", str(tmp_path / "no.csv"),
             "--out", str(out)])
    assert r.returncode == 1 and "no.csv: no such file" in r.stderr
    r = csi(["report", "utility_csi", *_files(csv), "--out", str(out)])
    assert r.returncode == 1 and "not both" in r.stderr
    r = csi(["report", "--out", str(out)])
    assert r.returncode == 1 and "give SLUG, or --definition" in r.stderr
    assert not out.exists()


def test_rendering_failure_leaves_no_file(csv: Path, tmp_path: Path) -> None:
    """A real failure (the chart browser cannot start): exit 1, a clear message, and the previous report intact."""
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF-previous")
    r = csi(["report", *_files(csv), "--out", str(out)], BROWSER_PATH="/bin/false")
    assert r.returncode == 1, r.stdout
    assert "report rendering failed" in r.stderr and "chart browser" in r.stderr and "Traceback" not in r.stderr
    assert out.read_bytes() == b"%PDF-previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
