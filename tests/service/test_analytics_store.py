"""The same data gives identical analyses from files, from SQLite and from PostgreSQL; the API serves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from service.analysis import analyze_store, load_data
from service.responses.importer import import_file, read_table
from service.surveys.service import load_ref
from survey_defs import load_template


def _without_source(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "source"}


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    d = load_template("utility_csi")
    data = simulate(d, 300, random_state=7, rate_probability=0.6, na=0.05)  # required items stay answered
    f = tmp_path / "responses.csv"
    data.to_frame().to_csv(f, index=False)
    return f


def test_files_and_store_agree(engine: Engine, utility: str, csv_file: Path) -> None:
    d = load_template("utility_csi")
    df, _ = read_table(csv_file)
    from_files = analyze(d, ResponseData.from_frame(d, df), n_boot=200)
    ref = load_ref(engine, utility)
    assert import_file(engine, ref, csv_file).stored == 300
    from_store = analyze_store(engine, utility, n_boot=200)
    assert from_store["source"]["store"] == engine.dialect.name
    assert _without_source(from_store) == _without_source(from_files)
    # And the arrays themselves round-trip exactly.
    a, b = ResponseData.from_frame(d, df), load_data(engine, ref)
    assert (a.resp == b.resp).all() and (a.brand == b.brand).all()
    assert list(a.wave) == list(b.wave)


def test_analytics_endpoint(client: TestClient, engine: Engine, utility: str, csv_file: Path,
                            analyst: dict[str, str]) -> None:
    import_file(engine, load_ref(engine, utility), csv_file)
    url = "/api/v1/surveys/utility_csi/analytics"
    r = client.get(url, headers=analyst)
    assert r.status_code == 200
    body = r.json()
    assert body["index"]["n"] > 0 and len(body["index"]["ci"]) == 2
    assert client.get(url).status_code == 401
    f = client.get(url, params={"wave": "2026H1", "segment": "q_region=rural"}, headers=analyst).json()
    assert f["filters"]["wave"] == "2026H1" and f["index"]["n"] < body["index"]["n"]
    bad = client.get(url, params={"wave": "1999"}, headers=analyst)
    assert bad.status_code == 422 and "wave" in bad.text
    bad = client.get(url, params={"segment": "q_region=mars"}, headers=analyst)
    assert bad.status_code == 422 and "mars" in bad.text
