"""show_if on both stores: the API and the batch endpoint refuse an answer to a hidden item with 422 naming the
item and the condition, hidden items are stored as not asked (-3), and the import refuses a filled cell for a
hidden item at its line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from analytics.simulate import simulate
from service.analysis import load_data
from service.responses.importer import ImportRejected, import_file
from service.surveys.service import load_ref
from survey_defs import load_template
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE
from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses"
WHY = "not asked: shown only if q_complained == yes"


def test_api_refuses_an_answer_to_a_hidden_item(client: TestClient, utility: str) -> None:
    body = good_submission()
    body["answers"].update(q_complaint_resolved="yes", q_complaint_handling_sat=2)
    r = client.post(URL, json=body)
    assert r.status_code == 422, r.text
    msgs = {tuple(d["loc"][-2:]): d["msg"] for d in r.json()["detail"]}
    assert msgs == {("answers", "q_complaint_resolved"): WHY, ("answers", "q_complaint_handling_sat"): WHY}


def test_api_stores_not_asked_and_accepts_the_follow_up_of_a_complainer(
        client: TestClient, engine: Engine, utility: str, admin: dict[str, str]) -> None:
    assert client.post(URL, json=good_submission()).status_code == 201
    complained = good_submission()
    complained["answers"].update(q_complained="yes", q_complaint_resolved="no", q_complaint_handling_sat=2)
    assert client.post(URL, json=complained).status_code == 201, client.post(URL, json=complained).text
    data = load_data(engine, load_ref(engine, utility))
    col = data.definition.respondent_item_ids.index
    by_complaint = {int(r[col("q_complained")]): r for r in data.resp}
    assert by_complaint[0][col("q_complaint_resolved")] == HIDDEN_CODE
    assert by_complaint[0][col("q_complaint_handling_sat")] == HIDDEN_CODE
    assert by_complaint[1][col("q_complaint_resolved")] == 0 and by_complaint[1][col("q_complaint_handling_sat")] == 2
    exported = client.get(f"/api/v1/surveys/{utility}/export?format=json", headers=admin).json()["responses"]
    not_asked = next(r for r in exported if r["answers"]["q_complained"] == 0)
    assert "q_complaint_resolved" not in not_asked["answers"]  # exported as not answered, re-imported as -3


def test_batch_refuses_the_hidden_answer_naming_item_and_condition(client: TestClient, utility: str,
                                                                   admin: dict[str, str]) -> None:
    bad = good_submission()
    bad["answers"]["q_complaint_handling_sat"] = 5
    r = client.post(f"{URL}/batch", json={"responses": [good_submission(), bad], "all_or_nothing": False},
                    headers=admin)
    assert r.status_code in (200, 207), r.text
    text_ = r.text
    assert "q_complaint_handling_sat" in text_ and WHY in text_


def _frame(n: int) -> pd.DataFrame:
    d = load_template("utility_csi")
    return simulate(d, n, random_state=3, rate_probability=0.5).to_frame().astype(str).replace(
        {"None": "", "nan": ""})


def test_import_stores_not_asked_and_refuses_a_hidden_answer_at_its_line(engine: Engine, utility: str,
                                                                         tmp_path: Path) -> None:
    df = _frame(40)
    ref = load_ref(engine, utility)
    no = df.index[df["q_complained"] == "0"]
    assert len(no) and (df.loc[no, "q_complaint_resolved"] == "").all()  # the simulation respects show_if
    bad = df.copy()
    r = int(no[len(no) // 2])
    bad.loc[r, "q_complaint_resolved"] = "1"
    f = tmp_path / "bad.csv"
    bad.to_csv(f, index=False)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, ref, f)
    want = f"{f}:{r + 2}: column q_complaint_resolved: {WHY}; leave it empty"
    assert want in e.value.problems, e.value.problems
    f = tmp_path / "good.csv"
    df.to_csv(f, index=False)
    assert import_file(engine, ref, f).stored == 40
    data = load_data(engine, ref)
    col = data.definition.respondent_item_ids.index
    complained = data.resp[:, col("q_complained")]
    resolved = data.resp[:, col("q_complaint_resolved")]
    assert ((resolved == HIDDEN_CODE) == (complained != 1)).all()
    assert (resolved[complained == 1] != MISSING_CODE).all()
    with engine.connect() as c:
        assert int(c.execute(text("SELECT count(*) FROM response")).scalar_one()) == 40
