"""Imports never crash and never double: encodings and separators, every problem in one pass at its physical
line, --partial, idempotent re-import, --replace, batches and undo, naive times in the definition's zone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from analytics.simulate import simulate
from service.errors import AppError
from service.responses.importer import ImportRejected, import_file
from service.responses.importing.batches import UndoRefused, list_batches, undo_batch
from service.surveys.service import load_ref
from survey_defs import load_template


def _frame(n: int, seed: int = 1, labels: str | None = None) -> pd.DataFrame:
    d = load_template("utility_csi")
    return simulate(d, n, random_state=seed, rate_probability=0.5).to_frame(labels).astype(str).replace(
        {"None": "", "nan": ""})


def _count(engine: Engine, where: str = "1=1") -> int:
    with engine.connect() as c:
        return int(c.execute(text(f"SELECT count(*) FROM response WHERE {where}")).scalar_one())


def test_gbk_file_with_chinese_labels_imports(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(30, labels="zh")
    assert df["q_region"].isin(["城区", "农村"]).any()
    f = tmp_path / "gbk.csv"
    df.to_csv(f, index=False, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        f.read_bytes().decode("utf-8")
    rep = import_file(engine, load_ref(engine, utility), f)
    assert rep.stored == 30 and _count(engine) == 30


@pytest.mark.parametrize(("sep", "encoding"), [("\t", "utf-16"), (";", "utf-8-sig"), (";", "utf-8"),
                                               (",", "utf-8-sig")])
def test_separators_and_unicode_text_import(engine: Engine, utility: str, tmp_path: Path, sep: str,
                                            encoding: str) -> None:
    df = _frame(25, labels="zh")
    f = tmp_path / "t.txt"
    df.to_csv(f, index=False, sep=sep, encoding=encoding)
    rep = import_file(engine, load_ref(engine, utility), f)
    assert rep.stored == 25 and rep.rows_stored == len(df)


def test_undecodable_file_gets_one_line_naming_the_encodings(engine: Engine, utility: str, tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(b"respondent,brand\n" + b"r1,\xff\xfe\xff\x80\x80\n")
    with pytest.raises(ImportRejected) as e:
        import_file(engine, load_ref(engine, utility), f)
    assert len(e.value.problems) == 1
    assert e.value.problems[0].startswith(f"{f}:2:") and "UTF-8" in e.value.problems[0] and "GB18030" in \
        e.value.problems[0]


def test_same_file_twice_stores_once(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(40)
    f = tmp_path / "a.csv"
    df.to_csv(f, index=False)
    ref = load_ref(engine, utility)
    first = import_file(engine, ref, f, who="cli:test")
    assert (first.stored, first.skipped, first.same_file_batch) == (40, 0, None)
    again = import_file(engine, ref, f)
    assert (again.stored, again.skipped, again.same_file_batch) == (0, 40, first.batch_id)
    assert _count(engine) == 40
    # The same respondents in another file: skipped too (idempotent per survey, wave, key), others stored.
    more = pd.concat([df, _frame(5, seed=9).assign(respondent=lambda x: "new-" + x["respondent"])])
    g = tmp_path / "b.csv"
    more.to_csv(g, index=False)
    rep = import_file(engine, ref, g)
    assert (rep.stored, rep.skipped, rep.same_file_batch) == (5, 40, None)
    assert _count(engine) == 45
    rows = list_batches(engine, ref.id)
    assert [(b["stored"], b["skipped"], b["who"]) for b in rows] == [(40, 0, "cli:test"), (0, 40, "unknown"),
                                                                     (5, 40, "unknown")]
    assert rows[0]["rows_stored"] == len(df) and rows[0]["sha256"] == rows[1]["sha256"]


def test_a_panel_customer_in_a_later_wave_is_a_new_response(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(20)
    d = load_template("utility_csi")
    w1, w2 = d.wave_ids()[:2]
    ref = load_ref(engine, utility)
    df.assign(wave=w1).to_csv(tmp_path / "w1.csv", index=False)
    df.assign(wave=w2).to_csv(tmp_path / "w2.csv", index=False)
    df.assign(wave="").to_csv(tmp_path / "none.csv", index=False)
    assert import_file(engine, ref, tmp_path / "w1.csv").stored == 20
    assert import_file(engine, ref, tmp_path / "w2.csv").stored == 20
    assert import_file(engine, ref, tmp_path / "none.csv").stored == 20
    assert import_file(engine, ref, tmp_path / "none.csv").skipped == 20  # no wave counts as one wave
    assert _count(engine) == 60


def test_replace_overwrites_and_undo_removes_exactly_the_batch(engine: Engine, utility: str, tmp_path: Path) -> None:
    ref = load_ref(engine, utility)
    a = _frame(30)
    a.to_csv(tmp_path / "a.csv", index=False)
    b = _frame(10, seed=3).assign(respondent=lambda x: "b-" + x["respondent"])
    b.to_csv(tmp_path / "b.csv", index=False)
    first = import_file(engine, ref, tmp_path / "a.csv")
    second = import_file(engine, ref, tmp_path / "b.csv")
    changed = a.copy()
    changed["q_overall"] = "1"
    changed.to_csv(tmp_path / "a2.csv", index=False)
    rep = import_file(engine, ref, tmp_path / "a2.csv", replace=True)
    assert (rep.stored, rep.replaced, rep.skipped) == (30, 30, 0)
    assert _count(engine) == 40
    assert _count(engine, f"batch_id = {first.batch_id}") == 0
    assert _count(engine, f"batch_id = {rep.batch_id}") == 30
    with pytest.raises(UndoRefused, match="cannot bring the replaced ones back"):
        undo_batch(engine, rep.batch_id or 0)
    batch, removed = undo_batch(engine, second.batch_id or 0)
    assert batch["file_name"] == "b.csv"
    assert removed == 10 and _count(engine) == 30 and _count(engine, "respondent_key LIKE 'b-%'") == 0
    with pytest.raises(AppError, match="already undone"):
        undo_batch(engine, second.batch_id or 0)
    _, removed = undo_batch(engine, rep.batch_id or 0, force=True)
    assert removed == 30 and _count(engine) == 0
    undone = {b["id"]: b["undone_at"] is not None for b in list_batches(engine, ref.id)}
    assert undone == {first.batch_id: False, second.batch_id: True, rep.batch_id: True}
    # an undone batch no longer counts as "already imported": the same file goes in again
    again = import_file(engine, ref, tmp_path / "b.csv")
    assert again.stored == 10 and again.same_file_batch is None


def _with_multiline_comment_and_duplicate(tmp_path: Path) -> tuple[Path, pd.DataFrame, str]:
    """A file whose data row index and physical line differ: a three-line comment early on, and a duplicated
    (respondent, brand) row on physical line 518."""
    df = _frame(400)
    first_key = df["respondent"].iloc[2]
    rows_of_first = df["respondent"] == first_key
    df.loc[rows_of_first, "q_comment"] = "line one\nline two, \"quoted\"\nline three"
    extra = 2 * int(rows_of_first.sum())  # two extra lines per row of that respondent (all before row 512)
    k = 518 - 2 - extra  # data row k (0-based) starts on line k + 2 + extra
    dup_key = df["respondent"].iloc[k - 10]
    dup = df[df["respondent"] == dup_key].iloc[[0]]
    df = pd.concat([df.iloc[:k], dup, df.iloc[k:]], ignore_index=True)
    f = tmp_path / "dup.csv"
    df.to_csv(f, index=False)
    lines = f.read_text(encoding="utf-8").splitlines()
    assert lines[517].startswith(dup_key + ",")  # physical line 518 holds the duplicate
    return f, df, dup_key


def test_partial_names_the_physical_line_and_stores_every_other_respondent(
    engine: Engine, utility: str, tmp_path: Path
) -> None:
    f, df, dup_key = _with_multiline_comment_and_duplicate(tmp_path)
    ref = load_ref(engine, utility)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, ref, f)
    assert any(m.startswith(f"{f}:518: column brand: respondent {dup_key!r}") and "twice (also on line" in m
               for m in e.value.problems), e.value.problems
    assert _count(engine) == 0
    rep = import_file(engine, ref, f, all_or_nothing=False)
    n = df["respondent"].nunique()
    assert rep.stored == n - 1 and rep.rejected == 1
    assert _count(engine) == n - 1 and _count(engine, f"respondent_key = '{dup_key}'") == 0
    with engine.connect() as c:
        texts = c.execute(text("SELECT texts FROM response WHERE texts LIKE '%line two%'")).scalar_one()
    assert "line one\\nline two" in texts


def test_every_problem_in_one_pass_sorted_by_line(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(12)
    df["weight"] = "1"
    k0, k1 = df["respondent"].iloc[0], df["respondent"].iloc[-1]
    r_other = int(np.flatnonzero(df["respondent"] == k1)[0])
    df.loc[1, "q_price"] = "9"                                  # bad cell
    df.loc[2, "brand"] = "acme"                                 # unknown brand
    df.loc[3, "wave"] = "1999"                                  # unknown wave
    df.loc[4, "started_at"] = "yesterday"                       # bad time
    df.loc[5, "weight"] = "-2"                                  # bad weight
    df.loc[6, "q_comment"] = "bell \x07"                        # control character
    df.loc[7, "respondent"] = " "                               # empty key
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)       # duplicate (respondent, brand) of row 0
    last = len(df)
    df = pd.concat([df, df[df["respondent"] == k1].iloc[[0]].assign(
        brand="__", q_region="rural" if df.loc[r_other, "q_region"] != "rural" else "urban")], ignore_index=True)
    df.loc[last, "brand"] = next(b for b in load_template("utility_csi").brand_ids
                                 if b not in set(df.loc[df["respondent"] == k1, "brand"]))
    f = tmp_path / "many.csv"
    df.to_csv(f, index=False)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, load_ref(engine, utility), f)
    msgs = e.value.problems
    expect = [(3, "q_price", "'9'"), (4, "brand", "acme"), (5, "wave", "1999"), (6, "started_at", "yesterday"),
              (7, "weight", "'-2'"), (8, "q_comment", "U+0007"), (9, "respondent", "empty respondent key"),
              (last + 1, "brand", f"respondent {k0!r}"), (last + 2, "q_region", "on line")]
    for line, col, what in expect:
        assert any(m.startswith(f"{f}:{line}: column {col}:") and what in m for m in msgs), (line, col, msgs)
    got = [int(m.split(":")[1]) for m in msgs if m.startswith(f"{f}:")]
    assert got == sorted(got)
    assert _count(engine) == 0


def test_problem_list_is_capped_without_losing_the_order(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(900)
    df["q_price"] = "x"
    df["q_hall"] = "y"
    f = tmp_path / "bad.csv"
    df.to_csv(f, index=False)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, load_ref(engine, utility), f)
    msgs = e.value.problems
    assert len(msgs) == 1001 and e.value.count == 2 * len(df)
    assert msgs[-1].endswith(f"and {2 * len(df) - 1000} more problem(s); the first 1000 are listed")
    lines = [int(m.split(":")[1]) for m in msgs[:-1]]
    assert lines == sorted(lines) and lines[:4] == [2, 2, 3, 3] and lines[-1] == 501


def _stored_times(engine: Engine) -> list[float]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(text("SELECT submitted_at FROM response ORDER BY respondent_key"))]


def test_naive_times_are_read_in_the_definitions_zone(engine: Engine, utility: str, tmp_path: Path) -> None:
    df = _frame(3)
    keys = sorted(df["respondent"].unique())
    times = {keys[0]: "2026-03-01 10:00:00", keys[1]: "2026-03-01T10:00:00Z", keys[2]: "2026-03-01T10:00:00+01:00"}
    df["submitted_at"] = df["respondent"].map(times)
    df["started_at"] = ""
    df.to_csv(tmp_path / "t.csv", index=False)
    ref = load_ref(engine, utility)
    assert ref.definition.tz == "Asia/Shanghai"
    import_file(engine, ref, tmp_path / "t.csv")
    utc = pd.Timestamp("2026-03-01T10:00:00Z").timestamp()
    assert _stored_times(engine) == [utc - 8 * 3600, utc, utc - 3600]
    import_file(engine, ref, tmp_path / "t.csv", replace=True, tz="Europe/Berlin")
    assert _stored_times(engine) == [utc - 3600, utc, utc - 3600]
    with pytest.raises(AppError, match="unknown time zone 'Mars/Olympus'"):
        import_file(engine, ref, tmp_path / "t.csv", tz="Mars/Olympus")


def test_xlsx_problems_name_the_sheet_row(engine: Engine, utility: str, tmp_path: Path) -> None:
    import openpyxl

    df = _frame(6)
    df.loc[3, "q_price"] = "9"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for k, row in enumerate(df.itertuples(index=False)):
        if k == 2:
            ws.append([])  # a blank sheet row: skipped, but it still counts
        ws.append(list(row))
    f = tmp_path / "t.xlsx"
    wb.save(f)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, load_ref(engine, utility), f)
    assert [m.split(": ")[0] for m in e.value.problems] == [f"{f}:6"], e.value.problems
