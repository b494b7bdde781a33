"""Exports a quality department can use: CSV (BOM for zh), XLSX (two header rows, datetimes, codebook), SPSS and
Stata files, formula-injection guards; every spreadsheet export re-imports to the same answers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from service.cli import app
from service.responses.export.cells import spreadsheet_plain, spreadsheet_safe
from service.responses.importer import import_file
from service.settings import get_settings
from service.surveys.service import load_ref
from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses"
EXPORT = "/api/v1/surveys/utility_csi/export"
HOSTILE_KEY = '=HYPERLINK("http://x","y")'
HOSTILE_COMMENT = "+1 call me"


def _submit(client: TestClient) -> None:
    """Three respondents: a plain one, one with hostile text and an N/A, one rating two other brands."""
    a = good_submission(submitted_at="2026-03-01T02:00:00Z", started_at="2026-03-01T01:50:00Z")
    b = good_submission(respondent=HOSTILE_KEY, wave="2025H2")
    b["answers"].update(q_comment=HOSTILE_COMMENT, q_region="rural", q_complained=True)
    c = good_submission(respondent="cust-3", channel="phone")
    c["answers"].pop("q_comment")
    c["brands"] = {"jiangcheng": c["brands"]["jiangcheng"],  # our own brand is always rated (own_required)
                   "xinda": {**c["brands"]["jiangcheng"], "q_hall": "NA", "q_price": 1}}
    for body in (a, b, c):
        r = client.post(URL, json=body)
        assert r.status_code == 201, r.text


def _csv(client: TestClient, admin: dict[str, str], query: str = "") -> str:
    r = client.get(f"{EXPORT}?format=csv{query}", headers=admin)
    assert r.status_code == 200
    return r.content.decode("utf-8-sig")


def _reimport(engine: Engine, f: Path) -> int:
    with engine.begin() as c:
        c.execute(text("DELETE FROM response"))
    return import_file(engine, load_ref(engine, "utility_csi"), f).stored


@pytest.mark.parametrize(("fmt", "labels"), [("csv", ""), ("csv", "&labels=en"), ("xlsx", ""),
                                             ("xlsx", "&labels=zh"), ("xlsx", "&labels=en")])
def test_spreadsheet_exports_reimport_to_identical_answers(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str], tmp_path: Path, fmt: str, labels: str
) -> None:
    _submit(client)
    before = _csv(client, admin)
    f = tmp_path / f"export.{fmt}"
    f.write_bytes(client.get(f"{EXPORT}?format={fmt}{labels}", headers=admin).content)
    assert _reimport(engine, f) == 3
    # The whole code table, times, hostile keys and texts included, comes back byte for byte.
    assert _csv(client, admin) == before
    assert HOSTILE_KEY in {r["respondent"] for r in client.get(f"{EXPORT}?format=json", headers=admin).json()[
        "responses"]}


def test_csv_bom_follows_the_label_language(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    _submit(client)
    zh = client.get(f"{EXPORT}?format=csv&labels=zh", headers=admin)
    default = client.get(f"{EXPORT}?format=csv", headers=admin)  # utility_csi's default language is zh
    en = client.get(f"{EXPORT}?format=csv&labels=en", headers=admin)
    assert zh.content.startswith(b"\xef\xbb\xbfrespondent,")
    assert default.content.startswith(b"\xef\xbb\xbfrespondent,")
    assert en.content.startswith(b"respondent,")
    assert zh.headers["content-type"].startswith("text/csv")
    assert zh.headers["content-disposition"] == 'attachment; filename="utility_csi-responses.csv"'


def _xlsx(client: TestClient, admin: dict[str, str], query: str = "") -> openpyxl.Workbook:
    r = client.get(f"{EXPORT}?format=xlsx{query}", headers=admin)
    assert r.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(r.content))


def test_xlsx_layout_times_and_codebook(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    _submit(client)
    wb = _xlsx(client, admin, "&labels=en")
    ws = wb["responses"]
    rows = list(ws.iter_rows(values_only=True))
    ids, texts = list(rows[0]), list(rows[1])
    assert ids[:6] == ["respondent", "brand", "wave", "channel", "started_at", "submitted_at"]
    col = {c: k for k, c in enumerate(ids)}
    assert texts[col["respondent"]] is None and texts[col["brand"]] == "Brand rated"
    assert texts[col["q_overall"]].startswith("Overall, how satisfied")
    assert ws.freeze_panes == "B3"
    assert ws["A1"].font.b and ws["C2"].font.b
    assert ws.column_dimensions["A"].width >= 10
    first = rows[2]
    # 2026-03-01T02:00:00Z is 10:00 in Asia/Shanghai, the definition's zone; written as an Excel date.
    assert first[col["submitted_at"]] == datetime(2026, 3, 1, 10, 0, 0)
    assert first[col["started_at"]] == datetime(2026, 3, 1, 9, 50, 0)
    assert ws.cell(3, col["submitted_at"] + 1).is_date
    assert ws.cell(3, col["submitted_at"] + 1).number_format == "yyyy-mm-dd hh:mm:ss"
    # Numbers stay numbers with labels; choices, brands and waves become names.
    assert first[col["q_overall"]] == 4 and isinstance(first[col["q_reliability"]], int)
    assert first[col["q_complained"]] == 0
    assert first[col["q_region"]] == "Urban area"
    assert first[col["brand"]] == "Jiangcheng Power" and first[col["wave"]] == "1st half of 2026"
    assert first[col["q_outage_notice"]] == "NA"

    book = pd.DataFrame(list(wb["codebook"].iter_rows(values_only=True)))
    book.columns = book.iloc[0]
    sat = book[(book["item"] == "q_overall") & book["value"].notna()].set_index("value")
    assert sat.loc[5, "label (zh)"] == "满意" and sat.loc[5, "label (en)"] == "Satisfied" and sat.loc[5, "score"] == 100
    assert sat.loc[3, "score"] == 60 and "NA" not in sat.index  # q_overall does not allow N/A
    hall = book[(book["item"] == "q_hall") & book["value"].notna()].set_index("value")
    assert hall.loc["NA", "label (en)"] == "Not applicable / don't know" and hall.loc[4, "score"] == 80
    nps = book[(book["item"] == "q_recommend") & book["value"].notna()].set_index("value")
    assert nps.loc[0, "score"] == 0 and nps.loc[10, "score"] == 100
    region = book[(book["item"] == "q_region") & book["value"].notna()].set_index("value")
    assert region.loc["rural", "label (zh)"] == "农村"
    # The indicator tree follows the items: AHP weights at the root, given weights below.
    tree = book.iloc[int((book["item"] == "indicator").to_numpy().nonzero()[0][0]):]
    tree.columns = tree.iloc[0]
    quality = tree[tree["indicator"] == "quality"].iloc[0]
    assert quality["weight source"] == "ahp" and 0.4 < quality["weight"] < 0.6
    reliability = tree[tree["indicator"] == "reliability"].iloc[0]
    assert reliability["weight source"] == "given" and reliability["weight"] == 0.6


def test_hostile_text_is_neutralised(client: TestClient, engine: Engine, utility: str, admin: dict[str, str]) -> None:
    _submit(client)
    rows = pd.read_csv(io.StringIO(_csv(client, admin)), dtype=str, keep_default_na=False)
    assert f"'{HOSTILE_KEY}" in set(rows["respondent"])
    assert f"'{HOSTILE_COMMENT}" in set(rows["q_comment"])
    assert "'" not in "".join(rows["q_overall"])  # numbers untouched

    ws = _xlsx(client, admin)["responses"]
    ids = [c.value for c in ws[1]]
    cells = {c.value: c for c in ws["A"][2:]}
    key = cells[HOSTILE_KEY]
    assert key.data_type == "s" and key.quotePrefix
    comments = [r[ids.index("q_comment")] for r in ws.iter_rows(min_row=3)]
    hostile = next(c for c in comments if c.value == HOSTILE_COMMENT)
    assert hostile.data_type == "s"
    assert all(r[ids.index("q_overall")].data_type == "n" for r in ws.iter_rows(min_row=3))


def test_xlsx_survives_a_stored_control_character(client: TestClient, engine: Engine, utility: str,
                                                   admin: dict[str, str]) -> None:
    """Stored before the door refused them: the export replaces what XLSX cannot hold instead of failing."""
    _submit(client)
    with engine.begin() as c:
        c.execute(text("UPDATE response SET texts = :t"), {"t": '{"q_comment": "bell\\u0007 and \\u001b esc"}'})
    ws = _xlsx(client, admin)["responses"]
    ids = [c.value for c in ws[1]]
    assert ws.cell(3, ids.index("q_comment") + 1).value == "bell\ufffd and \ufffd esc"


def test_sav_and_dta_read_back(client: TestClient, utility: str, admin: dict[str, str], tmp_path: Path) -> None:
    _submit(client)
    table = pd.read_csv(io.StringIO(_csv(client, admin)), dtype=str, keep_default_na=False).map(spreadsheet_plain)
    for kind, media in (("sav", "application/x-spss-sav"), ("dta", "application/x-stata-dta")):
        r = client.get(f"{EXPORT}?format={kind}&labels=en", headers=admin)
        assert r.status_code == 200 and r.headers["content-type"] == media
        assert r.headers["content-disposition"] == f'attachment; filename="utility_csi-responses.{kind}"'
        f = tmp_path / f"x.{kind}"
        f.write_bytes(r.content)
        read = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
        df, meta = read(str(f), user_missing=True)
        assert list(df["respondent"]) == list(table["respondent"])
        assert list(df["brand"]) == list(table["brand"])
        assert meta.column_names_to_labels["q_overall"].startswith("Overall, how satisfied")
        assert meta.column_names_to_labels["respondent"] == "Respondent key"
        assert meta.variable_value_labels["q_overall"][5] == "Satisfied"
        assert meta.variable_value_labels["q_complained"][1] == "Yes"
        assert meta.variable_value_labels["q_region"] == {1: "Urban area", 2: "Suburban area", 3: "Rural area"}
        # Same answers: numbers as numbers, choices numbered in option order, texts as texts.
        assert [int(v) for v in df["q_overall"]] == [int(v) for v in table["q_overall"]]
        assert list(df["q_region"].map(meta.variable_value_labels["q_region"])) == [
            {"urban": "Urban area", "rural": "Rural area"}[v] for v in table["q_region"]]
        assert list(df["q_comment"]) == list(table["q_comment"])  # raw text: no spreadsheet guard here
        assert df["submitted_at"].iloc[0] == pd.Timestamp("2026-03-01 10:00:00")
        na = table["q_hall"] == "NA"
        assert na.sum() == 1
        if kind == "sav":
            assert set(df.loc[na, "q_hall"]) == {-2}
            assert meta.missing_ranges["q_hall"] == [{"lo": -2.0, "hi": -2.0}]
            assert meta.variable_value_labels["q_hall"][-2] == "Not applicable / don't know"
            plain, _ = pyreadstat.read_sav(str(f))  # without user_missing: N/A is missing, like unanswered
            assert plain.loc[na, "q_hall"].isna().all()
        else:
            assert set(df.loc[na, "q_hall"]) == {"a"}
            assert meta.missing_user_values["q_hall"] == ["a"]
        answered = df.loc[~na, "q_hall"]
        assert [int(v) for v in answered] == [int(v) for v in table.loc[~na, "q_hall"]]


def test_spreadsheet_safe_inverts() -> None:
    for s in ["=1+1", "+1", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "''+x", "'plain", "plain", "", "a=b"]:
        assert spreadsheet_plain(spreadsheet_safe(s)) == s
    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("'=x") == "''=x"
    assert spreadsheet_safe("'plain") == "'plain" and spreadsheet_safe("a=b") == "a=b"


@pytest.fixture
def cli(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CSI_DATABASE_URL", store_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_format_follows_the_extension(cli: CliRunner, client: TestClient, utility: str,
                                          tmp_path: Path) -> None:
    _submit(client)
    for ext, magic in (("xlsx", b"PK"), ("csv", b"\xef\xbb\xbfrespondent"), ("json", b'{"survey"'),
                       ("sav", b"$FL2"), ("dta", b"<stata_dta>")):
        out = tmp_path / f"all.{ext}"
        r = cli.invoke(app, ["export", "utility_csi", "--out", str(out)])
        assert r.exit_code == 0, r.output
        assert out.read_bytes().startswith(magic), ext
    assert zipfile.ZipFile(tmp_path / "all.xlsx").namelist()
    forced = tmp_path / "all.txt"
    assert cli.invoke(app, ["export", "utility_csi", "--out", str(forced), "--format", "xlsx"]).exit_code == 0
    assert forced.read_bytes()[:2] == b"PK"


def test_cli_unknown_extension_is_a_clean_error(cli: CliRunner, utility: str, tmp_path: Path) -> None:
    out = tmp_path / "all.txt"
    r = cli.invoke(app, ["export", "utility_csi", "--out", str(out)])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)  # a clean exit, not an exception
    assert f"{out}: cannot tell the format" in r.output and "--format" in r.output
    assert "Traceback" not in r.output and not out.exists()
    bad = cli.invoke(app, ["export", "utility_csi", "--out", str(out), "--format", "pdf"])
    assert bad.exit_code == 1 and "unknown format 'pdf'" in bad.output
