"""One codebook for every door: the same answers through the JSON API, the web form, CSV import and XLSX import.

What one path accepts, every path accepts, and all store the same codes; what one refuses, every path refuses,
naming the same item. Each case changes one answer of a complete utility_csi response.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, text

from service.responses.importer import ImportRejected, import_file
from service.surveys.service import load_ref
from survey_defs import load_template
from tests.service.payloads import good_submission
from tests.service.web.respondent import Respondent, errors, full_answers

SLUG = "utility_csi"
URL = f"/api/v1/surveys/{SLUG}/responses"

# (item, brand or None, the raw answer as typed, the item a refusal must name or None when accepted)
CASES: list[tuple[str, str | None, str, str | None]] = [
    ("q_overall", None, "5", None),
    ("q_overall", None, "满意", None),  # a zh scale label
    ("q_overall", None, "Fairly satisfied", None),  # an en scale label
    ("q_overall", None, "fairly SATISFIED", None),  # labels ignore case
    ("q_overall", None, "4.0", None),  # Excel's 4
    ("q_overall", None, "NA", "q_overall"),  # N/A where the item does not allow it
    ("q_overall", None, "不知道", "q_overall"),
    ("q_overall", None, "6", "q_overall"),
    ("q_overall", None, "great", "q_overall"),
    ("q_outage_notice", "jiangcheng", "NA", None),  # allow_na: true
    ("q_outage_notice", "jiangcheng", "dk", None),
    ("q_outage_notice", "jiangcheng", "不适用", None),
    ("q_outage_notice", "jiangcheng", "不适用/不清楚", None),  # the scale's own N/A label
    ("q_complained", None, "是", None),
    ("q_complained", None, "yes", None),
    ("q_complained", None, "TRUE", None),
    ("q_complained", None, "maybe", "q_complained"),
    ("q_region", None, "郊区", None),  # an option label
    ("q_region", None, "Suburban area", None),
    ("q_region", None, "NA", "q_region"),  # choice items have no N/A here
    ("q_region", None, "moon", "q_region"),
    ("q_comment", None, "line one\nline two", None),
    ("q_comment", None, "bell \x07 inside", "q_comment"),  # a control character
]
IDS = [f"{item}={raw!r}" for item, _, raw, _ in CASES]


def _api_body(item: str, brand: str | None, raw: str) -> dict[str, Any]:
    body = good_submission()
    if brand is None:
        body["answers"][item] = raw
    else:
        body["brands"][brand][item] = raw
    return body


def _table(body: dict[str, Any], key: str) -> pd.DataFrame:
    """The submission as the canonical response table (one row per brand rated), every cell as text."""
    d = load_template(SLUG)
    rows = []
    for b, answers in body["brands"].items():
        row: dict[str, Any] = {"respondent": key, "brand": b, "wave": body["wave"]}
        row.update({i: body["answers"].get(i, "") for i in d.respondent_item_ids + d.text_item_ids})
        row.update({i: answers.get(i, "") for i in d.brand_item_ids})
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.map(lambda v: "1" if v is True else "0" if v is False else str(v))


def _last_row(engine: Engine) -> tuple[bytes, bytes, dict[str, str]]:
    with engine.connect() as c:
        row = c.execute(text("SELECT answers, brand_answers, texts FROM response ORDER BY id DESC LIMIT 1")).one()
    return bytes(row[0]), bytes(row[1]), json.loads(row[2]) if row[2] else {}


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM response")).scalar_one())


def _via_api(client: TestClient, engine: Engine, body: dict[str, Any]) -> str | tuple[bytes, bytes, dict]:
    r = client.post(URL, json=body)
    if r.status_code == 201:
        return _last_row(engine)
    assert r.status_code == 422, r.text
    return " ".join(str(e["loc"]) for e in r.json()["detail"])


def _via_import(engine: Engine, tmp_path: Path, body: dict[str, Any], fmt: str) -> str | tuple:
    df = _table(body, f"import-{fmt}")
    f = tmp_path / f"one.{fmt}"
    if fmt == "csv":
        df.to_csv(f, index=False)
    else:
        df.to_excel(f, index=False)
    before = _count(engine)
    try:
        import_file(engine, load_ref(engine, SLUG), f)
    except ImportRejected as e:
        assert _count(engine) == before
        return " ".join(e.problems)
    return _last_row(engine)


def _via_web(client: TestClient, engine: Engine, item: str, brand: str | None, raw: str) -> str | tuple:
    answers = full_answers(comment="停电通知要更及时 <b>bold</b>")
    field = f"a:{item}" if brand is None else f"b:{brand}:{item}"
    answers[field] = raw
    p = Respondent(client, SLUG)
    p.open(f"/s/{SLUG}?lang=en")
    before = _count(engine)
    for _ in range(12):
        last = 'value="submit" class="primary"' in p.html
        r = p.post("submit" if last else "next", answers)
        shown = errors(r.text)
        if shown:
            assert _count(engine) == before
            return " ".join(shown)
        if 'name="draft"' not in r.text:
            assert _count(engine) == before + 1, r.text[:400]
            return _last_row(engine)
    raise AssertionError("the survey did not end")


@pytest.mark.parametrize(("item", "brand", "raw", "refused"), CASES, ids=IDS)
def test_every_door_agrees(client: TestClient, engine: Engine, utility: str, tmp_path: Path, item: str,
                           brand: str | None, raw: str, refused: str | None) -> None:
    body = _api_body(item, brand, raw)
    results = {
        "api": _via_api(client, engine, body),
        "csv": _via_import(engine, tmp_path, body, "csv"),
        "web": _via_web(client, engine, item, brand, raw),
    }
    if not ILLEGAL_CHARACTERS_RE.search(raw):  # a worksheet cannot hold a control character at all
        results["xlsx"] = _via_import(engine, tmp_path, body, "xlsx")
    if refused is not None:
        for path, result in results.items():
            assert isinstance(result, str), f"{path} stored {raw!r} for {item}"
            assert refused in result, f"{path}: {result}"
        return
    for path, result in results.items():
        assert not isinstance(result, str), f"{path} refused {raw!r} for {item}: {result}"
    answers = {path: r[0] for path, r in results.items()}
    brands = {path: r[1] for path, r in results.items()}
    texts = {path: r[2] for path, r in results.items()}
    assert len(set(answers.values())) == 1, answers
    assert len(set(brands.values())) == 1, brands
    assert all(t == texts["api"] for t in texts.values()), texts
