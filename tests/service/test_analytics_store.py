"""The same data gives identical analyses from files, from SQLite and from PostgreSQL; the API serves them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from service.analysis import analyze_store, load_data
from service.responses.importer import ImportRejected, import_file, read_table
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


def test_weighted_files_and_store_agree(engine: Engine, utility: str, tmp_path: Path, client: TestClient,
                                        admin: dict[str, str]) -> None:
    """Survey weights survive import, storage, analysis and export: the weighted results from the CSV and from the
    store are identical, and differ from the unweighted ones (so the weights are really used)."""
    d = load_template("utility_csi")
    data = simulate(d, 300, random_state=11, rate_probability=0.6, na=0.05)
    rng = np.random.default_rng(3)
    data = data.with_weights(rng.choice([0.5, 1.0, 2.5], size=data.n))
    f = tmp_path / "weighted.csv"
    data.to_frame().to_csv(f, index=False)
    df, _ = read_table(f)
    from_files = analyze(d, ResponseData.from_frame(d, df), n_boot=100)
    assert from_files["n"]["weighted"] is True
    ref = load_ref(engine, utility)
    assert import_file(engine, ref, f).stored == 300
    stored = load_data(engine, ref)
    assert stored.weight is not None and np.allclose(stored.weight, data.weight)
    from_store = analyze_store(engine, utility, n_boot=100)
    assert _without_source(from_store) == _without_source(from_files)
    plain = analyze(d, data.with_weights(None), n_boot=100)
    assert plain["index"]["value"] != from_store["index"]["value"]
    # The export carries the weights, so a re-import keeps them.
    exported = client.get("/api/v1/surveys/utility_csi/export?format=csv", headers=admin).content.decode("utf-8-sig")
    assert exported.splitlines()[0].split(",")[:7] == ["respondent", "brand", "wave", "channel", "started_at",
                                                       "submitted_at", "weight"]
    back = pd.read_csv(io.StringIO(exported))
    by_key = back.groupby("respondent")["weight"].first()
    assert np.allclose(by_key.loc[[str(k) for k in data.respondent_id]].to_numpy(), data.weight)


def test_bad_weight_cells_are_reported_by_line(engine: Engine, utility: str, tmp_path: Path) -> None:
    d = load_template("utility_csi")
    frame = simulate(d, 20, random_state=2, rate_probability=0.0).to_frame()
    frame["weight"] = "1.5"
    frame.loc[3, "weight"] = "-1"
    frame.loc[5, "weight"] = "heavy"
    f = tmp_path / "bad.csv"
    frame.to_csv(f, index=False)
    with pytest.raises(ImportRejected) as e:
        import_file(engine, load_ref(engine, utility), f)
    problems = "\n".join(e.value.problems)
    assert f"{f}:5: column weight: '-1' is not a non-negative number" in problems
    assert f"{f}:7: column weight: 'heavy'" in problems
    assert load_data(engine, load_ref(engine, utility)).n == 0


def test_wave_filter_bounds_what_is_read(engine: Engine, utility: str, csv_file: Path) -> None:
    """A wave filter is applied in SQL, so the memory bound counts only that wave's responses."""
    from service.analysis import AnalysisTooLarge, estimate_analysis_bytes

    ref = load_ref(engine, utility)
    import_file(engine, ref, csv_file)
    full = load_data(engine, ref)
    n_wave = int((full.wave == "2026H1").sum())
    assert 0 < n_wave < full.n
    cells = len(ref.definition.respondent_item_ids) + len(ref.definition.brand_ids) * len(
        ref.definition.brand_item_ids)
    bound = estimate_analysis_bytes(n_wave, cells)
    with pytest.raises(AnalysisTooLarge):
        analyze_store(engine, utility, max_bytes=bound, n_boot=50)
    one = analyze_store(engine, utility, wave="2026H1", max_bytes=bound, n_boot=50)
    assert one["n"]["filtered"] == n_wave


def test_period_is_the_wave_filter(client: TestClient, engine: Engine, utility: str, csv_file: Path,
                                   analyst: dict[str, str]) -> None:
    import_file(engine, load_ref(engine, utility), csv_file)
    url = "/api/v1/surveys/utility_csi/analytics"
    by_wave = client.get(url, params={"wave": "2025H2"}, headers=analyst).json()
    by_period = client.get(url, params={"period": "2025H2"}, headers=analyst).json()
    assert by_period["filters"]["wave"] == "2025H2" and by_period["index"] == by_wave["index"]
    clash = client.get(url, params={"wave": "2025H2", "period": "2026H1"}, headers=analyst)
    assert clash.status_code == 422 and "period" in clash.text


def test_busy_worker_refuses_more_analyses(client: TestClient, engine: Engine, utility: str, csv_file: Path,
                                           analyst: dict[str, str]) -> None:
    """With every analysis slot of the worker taken, analytics and reports are refused at once (503, Retry-After)
    instead of taking another bound's worth of memory; a free slot serves them again."""
    import_file(engine, load_ref(engine, utility), csv_file)
    heavy = client.app.state.csi.heavy  # type: ignore[attr-defined]
    assert heavy.slots == 1
    with heavy.slot():
        for url in ("/api/v1/surveys/utility_csi/analytics", "/api/v1/surveys/utility_csi/report.html"):
            r = client.get(url, headers=analyst)
            assert r.status_code == 503, (url, r.status_code)
            assert r.headers["Retry-After"] == "10" and "CSI_MAX_CONCURRENT_ANALYSES" in r.text
    assert client.get("/api/v1/surveys/utility_csi/analytics", headers=analyst).status_code == 200
