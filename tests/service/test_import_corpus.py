"""A corpus of broken files: none gives a traceback, each gets a message naming the file, nothing is stored.

Fed through the Python function (both stores) and through `csi import` as a user runs it (a subprocess)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, text

from analytics.simulate import simulate
from service.responses.importer import ImportRejected, import_file
from service.surveys.service import load_ref
from survey_defs import load_template

CSI = [sys.executable, "-m", "service.cli"]


def _good_csv() -> str:
    buf = io.StringIO()
    simulate(load_template("utility_csi"), 5, random_state=3).to_frame().to_csv(buf, index=False)
    return buf.getvalue()


def _xlsx_empty(p: Path) -> None:
    openpyxl.Workbook().save(p)


def _xlsx_header_only(p: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["respondent", "brand"])
    wb.save(p)


def _zip_not_xlsx(p: Path) -> None:
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "not a workbook")


def _corpus() -> dict[str, Callable[[Path], None] | bytes]:
    good = _good_csv()
    header, first, *rest = good.splitlines()
    return {
        "empty.csv": b"",
        "blank_lines.csv": b"\n\n\r\n",
        "header_only.csv": (header + "\n").encode(),
        "binary.csv": bytes(range(256)) * 40,
        "not_a_zip.xlsx": b"this is not a zip file at all",
        "zip_not_xlsx.xlsx": _zip_not_xlsx,
        "empty_sheet.xlsx": _xlsx_empty,
        "header_only.xlsx": _xlsx_header_only,
        "ragged.csv": "\n".join([header, first, "a,b,c", *rest]).encode(),
        "nul_bytes.csv": "\n".join([header, first.replace(",", ",\x00", 3), *rest]).encode(),
        "unknown_columns.csv": "\n".join([header + ",surprise", *(r + ",x" for r in [first, *rest])]).encode(),
        "duplicated_header.csv": "\n".join([header + ",q_overall", *(r + ",3" for r in [first, *rest])]).encode(),
        "huge_cell.csv": "\n".join([header, first.split(",", 1)[0] + "," + "x" * 10_000_000, *rest]).encode(),
        "latin1.csv": "\n".join([header, first, "é" * 3 + "\xff", *rest]).encode("latin-1"),
        "utf16_no_bom.csv": good.encode("utf-16-le"),
        "bad_utf16.csv": b"\xff\xfe" + "respondent\tbrand\n".encode("utf-16-le") + b"\x00\xd8",
        "semicolon_bad.csv": good.replace(",", ";").replace(";1;", ";9;", 1).encode(),
        "tab_unknown.tsv": good.replace(",", "\t").replace("respondent", "who", 1).encode(),
        "open_quote.csv": "\n".join([header, first + ',"never closed', *rest]).encode(),
        "no_respondent.csv": b"a,b,c\n1,2,3\n",
        "only_separators.csv": b",,,\n,,,\n",
        "wrong_types.csv": good.replace(",1,", ",banana,").encode(),
    }


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    out = []
    for name, content in _corpus().items():
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            content(p)
        out.append(p)
    return out


def test_no_broken_file_crashes_the_python_function(engine: Engine, utility: str, corpus: list[Path]) -> None:
    ref = load_ref(engine, utility)
    for f in corpus:
        for partial in (False, True):
            try:
                rep = import_file(engine, ref, f, all_or_nothing=not partial)
            except ImportRejected as e:
                assert e.problems and all(m.startswith(str(f)) for m in e.problems), (f.name, e.problems)
                continue
            assert partial and rep.problems and rep.problems[0].startswith(str(f)), (f.name, rep)
            with engine.begin() as c:  # a partial import stores only valid respondents: start clean again
                c.execute(text("DELETE FROM response"))
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM response")).scalar_one() == 0


def _csi(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSI_DATABASE_URL": url}
    return subprocess.run(CSI + args, capture_output=True, text=True, env=env, timeout=120)


def test_no_broken_file_gives_a_traceback_on_the_command_line(tmp_path: Path, corpus: list[Path]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _csi(["db", "upgrade"], url).returncode == 0
    assert _csi(["publish", "--template", "utility_csi"], url).returncode == 0
    for f in [*corpus, tmp_path / "missing.csv"]:
        r = _csi(["import", "utility_csi", str(f)], url)
        assert r.returncode in (1, 2), (f.name, r.returncode, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr, (f.name, r.stderr)
        assert str(f) in r.stderr, (f.name, r.stderr)
    assert "no import batches" in _csi(["import", "--list", "utility_csi"], url).stdout


def test_cli_list_undo_and_timezone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _csi(["db", "upgrade"], url).returncode == 0
    assert _csi(["publish", "--template", "utility_csi"], url).returncode == 0
    f = tmp_path / "a.csv"
    f.write_text(_good_csv(), encoding="utf-8")
    first = _csi(["import", "utility_csi", str(f)], url)
    assert first.returncode == 0 and "batch 1: stored 5 responses" in first.stdout, first.stderr
    again = _csi(["import", "utility_csi", str(f)], url)
    assert "skipped 5 already stored" in again.stdout and "already imported as batch 1" in again.stdout
    rep = _csi(["import", "utility_csi", str(f), "--replace", "--timezone", "Europe/Berlin"], url)
    assert "replaced 5" in rep.stdout, rep.stderr
    listing = _csi(["import", "--list", "utility_csi"], url).stdout.splitlines()
    assert len(listing) == 4 and listing[1].split()[0] == "1" and "a.csv" in listing[3]
    refused = _csi(["import", "--undo", "3"], url)
    assert refused.returncode == 1 and "--force" in refused.stderr
    forced = _csi(["import", "--undo", "3", "--force"], url)
    assert forced.returncode == 0 and "removed 5 responses" in forced.stdout
    for args, what in ((["import", "utility_csi", str(f), "--timezone", "Mars/Olympus"], "Mars/Olympus"),
                       (["import", "nosuch", str(f)], "nosuch"), (["import", "--undo", "99"], "99")):
        r = _csi(args, url)
        assert r.returncode == 1 and what in r.stderr and "Traceback" not in r.stderr, r.stderr
