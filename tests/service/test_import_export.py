"""Export round-trips through import; bad rows are reported by line and column; all-or-nothing or partial."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.responses.importer import ImportRejected, import_file
from service.surveys.service import load_ref
from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses"
EXPORT = "/api/v1/surveys/utility_csi/export"


def _submit_some(client: TestClient) -> None:
    a = good_submission()
    b = good_submission(wave="2025H2", respondent="cust-42")
    b["answers"].update(q_overall=2, q_recommend=3, q_complained=True, q_region="rural")
    b["answers"].pop("q_comment")
    b["brands"] = {"jiangcheng": a["brands"]["jiangcheng"],  # our own brand is always rated (own_required)
                   "xinda": {**a["brands"]["jiangcheng"], "q_hall": "NA", "q_price": 1}}
    c = good_submission(channel="phone")
    c["answers"]["q_comment"] = 'quote " and, comma\nnew line'
    for body in (a, b, c):
        assert client.post(URL, json=body).status_code == 201


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimport_gives_same_answers(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str], tmp_path: Path, fmt: str
) -> None:
    _submit_some(client)
    first = client.get(f"{EXPORT}?format={fmt}", headers=admin)
    assert first.status_code == 200
    f = tmp_path / f"export.{fmt}"
    f.write_bytes(first.content)
    before = client.get(f"{EXPORT}?format=json", headers=admin).json()["responses"]
    with engine.begin() as c:
        c.execute(text("DELETE FROM response"))
    report = import_file(engine, load_ref(engine, "utility_csi"), f)
    assert report.stored == 3 and report.skipped == 0 and report.rejected == 0
    after = client.get(f"{EXPORT}?format=json", headers=admin).json()["responses"]

    def key(r: dict) -> tuple:
        return (r["respondent"] if r["respondent"].startswith("cust") else "", r["submitted_at"])

    strip = ("id", "respondent", "channel")
    b = sorted(({k: v for k, v in r.items() if k not in strip} for r in before), key=str)
    a = sorted(({k: v for k, v in r.items() if k not in strip} for r in after), key=str)
    assert a == b
    assert {r["channel"] for r in after} == {"api", "phone"}
    assert sorted(map(key, after)) == sorted(map(key, before))


def test_labels_export_reimports(client: TestClient, engine: Engine, utility: str, admin: dict[str, str],
                                 tmp_path: Path) -> None:
    _submit_some(client)
    zh = client.get(f"{EXPORT}?format=csv&labels=zh", headers=admin).text
    zh_rows = pd.read_csv(io.StringIO(zh), dtype=str, keep_default_na=False)
    assert set(zh_rows["q_region"]) == {"城区", "农村"} and "较满意" in set(zh_rows["q_overall"])
    en_rows = pd.read_csv(io.StringIO(client.get(f"{EXPORT}?format=csv&labels=en", headers=admin).text), dtype=str,
                          keep_default_na=False)
    assert set(en_rows["q_region"]) == {"Urban area", "Rural area"} and "Fairly satisfied" in set(en_rows["q_overall"])
    f = tmp_path / "zh.csv"
    f.write_text(zh, encoding="utf-8")
    codes = pd.read_csv(io.StringIO(client.get(f"{EXPORT}?format=csv", headers=admin).text), dtype=str)
    with engine.begin() as c:
        c.execute(text("DELETE FROM response"))
    assert import_file(engine, load_ref(engine, "utility_csi"), f).stored == 3
    again = pd.read_csv(io.StringIO(client.get(f"{EXPORT}?format=csv", headers=admin).text), dtype=str)
    cols = [c for c in codes.columns if c.startswith("q_")]
    pd.testing.assert_frame_equal(
        codes[cols].sort_values(cols).reset_index(drop=True), again[cols].sort_values(cols).reset_index(drop=True)
    )


def test_bad_rows_are_reported_by_line_and_column(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str], tmp_path: Path
) -> None:
    _submit_some(client)
    csv = client.get(f"{EXPORT}?format=csv", headers=admin).text
    df = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    df.loc[1, "q_price"] = "9"
    df.loc[2, "brand"] = "acme"
    f = tmp_path / "bad.csv"
    df.to_csv(f, index=False)
    with engine.begin() as c:
        c.execute(text("DELETE FROM response"))
    ref = load_ref(engine, "utility_csi")
    with pytest.raises(ImportRejected) as e:
        import_file(engine, ref, f)
    msgs = e.value.problems
    assert any(m.startswith(f"{f}:3: column q_price:") and "'9'" in m for m in msgs), msgs
    assert any(m.startswith(f"{f}:4: column brand:") and "acme" in m for m in msgs), msgs
    n = client.get("/api/v1/surveys/utility_csi/counts", headers=admin).json()["total"]
    assert n == 0
    # Partial mode stores the respondents whose rows are all valid.
    bad_resp = set(df.loc[[1, 2], "respondent"])
    report = import_file(engine, ref, f, all_or_nothing=False)
    assert report.rejected == len(bad_resp) and report.skipped == 0
    assert report.stored == df["respondent"].nunique() - len(bad_resp)


def test_item_texts_follow_the_label_language(client: TestClient, utility: str, admin: dict[str, str],
                                              tmp_path: Path) -> None:
    """JSON and XLSX carry each item's question text in the chosen language (CSV keeps the importable layout);
    the XLSX codebook has it in every language."""
    _submit_some(client)
    for lang, text_ in (("zh", "总体而言，您对江城电力的供电服务满意吗？"),
                        ("en", "Overall, how satisfied are you with the electricity service of Jiangcheng Power?")):
        body = client.get(f"{EXPORT}?format=json&labels={lang}", headers=admin).json()
        assert body["items"]["q_overall"]["text"] == text_
        f = tmp_path / f"{lang}.xlsx"
        f.write_bytes(client.get(f"{EXPORT}?format=xlsx&labels={lang}", headers=admin).content)
        sheet = pd.read_excel(f, sheet_name="responses", dtype=str, header=None)
        assert sheet.iloc[1, sheet.iloc[0].tolist().index("q_overall")] == text_  # row 2: the column texts
        book = pd.read_excel(f, sheet_name="codebook", dtype=str, keep_default_na=False)
        assert book.loc[book["item"] == "q_overall", f"text ({lang})"].iloc[0] == text_
    assert client.get(f"{EXPORT}?format=csv&labels=fr", headers=admin).status_code == 422
