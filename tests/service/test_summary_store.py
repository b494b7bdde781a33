"""The streamed summary over the store (`service.analysis.summarize_store`), on SQLite and PostgreSQL.

It equals the full analysis of the same stored responses to 1e-9, with the filters and the median completion time
pushed into SQL (checked against the in-memory filter and numpy's median, across two definition versions); the
CLI and the API serve it; and its memory does not grow with the number of responses while the full read's does.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import analytics.analyze as analyze_mod
import analytics.streaming as streaming_mod
from analytics.data import ResponseData
from analytics.simulate import simulate
from service.analysis import (
    analyze_store,
    iter_chunks,
    load_data,
    median_duration_sql,
    summarize_store,
)
from service.app import create_app
from service.responses.importer import bulk_insert, to_rows
from service.settings import Settings
from service.store.raw import RawConn
from service.surveys.service import load_ref, publish
from survey_defs import load_template, template_path
from tests.analytics.test_streaming import EXACT, _quality, differences, with_quality_problems
from tests.service.test_versions import HALL_V1, HALL_V2, REGION_V1, REGION_V2

FILTERS = [{}, {"wave": "2025H2"}, {"brand": "xinda"}, {"segment": {"q_region": "rural"}},
           {"wave": "2026H1", "brand": "hengyuan", "segment": {"q_customer_type": "residential"}}]


def _store(engine: Engine, data: ResponseData) -> None:
    bulk_insert(engine, to_rows(load_ref(engine, data.definition.slug), data, "import", time.time()))


def _sample(n: int, seed: int, weighted: bool = True) -> ResponseData:
    d = load_template("utility_csi")
    data = simulate(d, n, random_state=seed, rate_probability=0.6, missing=0.03, na=0.05, weighted=weighted)
    grid = [d.brand_item_ids.index(i) for i in d.brand_item_ids
            if d.item(i).type == "likert" and d.item(i).scale == "sat5"][:6]
    return with_quality_problems(data, np.random.default_rng(seed), grid=grid)


@pytest.fixture
def unrounded(monkeypatch: pytest.MonkeyPatch) -> None:
    orig = analyze_mod.to_jsonable
    monkeypatch.setattr(analyze_mod, "to_jsonable", lambda obj, digits=15: orig(obj, 15))
    monkeypatch.setattr(streaming_mod, "to_jsonable", lambda obj, digits=15: orig(obj, 15))


@pytest.fixture
def stored(engine: Engine, utility: str) -> ResponseData:
    data = _sample(600, 21)
    _store(engine, data)
    return data


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_summary_equals_full_analysis(unrounded: None, engine: Engine, stored: ResponseData,
                                      flt: dict[str, Any]) -> None:
    full = analyze_store(engine, "utility_csi", n_boot=20, **flt)
    summ = summarize_store(engine, "utility_csi", chunk_rows=97, **flt)
    assert summ["mode"] == "summary" and summ["source"]["store"] == engine.dialect.name
    assert summ["n"]["responses"] == full["n"]["responses"] == 600
    assert summ["n"]["filtered"] == full["n"]["filtered"] and (summ["n"]["filtered"] < 600) == bool(flt)
    assert full["quality"]["exclusions"]["n_excluded"] > 0
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec) == [], sec
    assert differences(_quality(full), _quality(summ), "quality") == []
    assert differences(full["acsi"]["value"], summ["acsi"]["value"]) == []
    assert summ["benchmarks"]["status"] == summ["priorities"]["status"] == "not_computed"


def test_rounded_json_is_the_full_analysis(engine: Engine, stored: ResponseData) -> None:
    """As served (6 decimals), the summary's sections are the full analysis' to the last printed digit."""
    full = analyze_store(engine, "utility_csi", n_boot=20)
    summ = summarize_store(engine, "utility_csi")
    assert summ["streaming"]["chunks"] == 1
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec, tol=2e-6) == [], sec
    json.dumps(summ, allow_nan=False)


def test_filters_in_sql_select_what_the_analysis_filter_keeps(engine: Engine, utility: str) -> None:
    """Brand and segment filters compare blob bytes in SQL; across a second version that reorders the region's
    options and drops an item from the per-brand block, they keep exactly the respondents
    `ResponseData.filter` keeps on the decoded data."""
    d1 = load_template("utility_csi")
    _store(engine, simulate(d1, 150, random_state=31, rate_probability=0.5, na=0.05))
    text = template_path("utility_csi").read_text(encoding="utf-8")
    v2 = text.replace("version: 1", "version: 2", 1).replace(REGION_V1, REGION_V2, 1).replace(HALL_V1, HALL_V2, 1)
    ref2, created = publish(engine, v2, "utility_csi_v2.yaml")
    assert created
    _store(engine, simulate(ref2.definition, 150, random_state=32, rate_probability=0.5, na=0.05))
    ref = load_ref(engine, utility)
    everything = load_data(engine, ref)
    assert everything.n == 300
    cases = [{"brand": "xinda"}, {"brand": "jiangcheng"}, {"segment": {"q_region": "rural"}},
             {"segment": {"q_region": ["urban", "suburban"]}}, {"wave": "2025H2", "brand": "hengyuan",
                                                                "segment": {"q_age": "35-49"}}]
    sizes = []
    for flt in cases:
        want = everything.filter(**flt)
        got = list(iter_chunks(engine, ref, chunk_rows=40, **flt))
        ids = [r for c in got for r in c.respondent_id]
        assert ids == list(want.respondent_id), flt
        assert all(c.n <= 40 for c in got)
        sizes.append(len(ids))
        assert (np.concatenate([c.resp for c in got]) == want.resp).all()
        assert (np.concatenate([c.brand for c in got]) == want.brand).all()
    assert sizes[1] == 300 and all(0 < k < 300 for k in sizes[:1] + sizes[2:]), sizes  # jiangcheng is the own brand


def test_median_completion_time_in_sql(engine: Engine, utility: str) -> None:
    """The database's median of the timed respondents equals numpy's, for odd and even counts; untimed and
    negative durations are not counted, and below 10 timed respondents there is no median."""
    data = simulate(load_template("utility_csi"), 41, random_state=3)
    started = data.started_at.copy()
    started[:3] = np.nan
    started[3] = data.submitted_at[3] + 5  # negative duration
    data = dataclasses.replace(data, started_at=started)
    _store(engine, data)
    ref = load_ref(engine, utility)
    from service.analysis import _scope

    dur = data.submitted_at - data.started_at
    conn = RawConn(engine)
    try:
        for flt in ({}, {"brand": "xinda"}, {"segment": {"q_region": "rural"}}):
            sub = data.filter(**flt)
            d = sub.submitted_at - sub.started_at
            timed = d[np.isfinite(d) & (d >= 0)]
            med, n = median_duration_sql(conn, _scope(engine, ref, **flt))
            assert n == timed.size
            if n >= 10:
                assert med == pytest.approx(float(np.median(timed)), rel=1e-12, abs=1e-9)
            else:
                assert med is None
        med, n = median_duration_sql(conn, _scope(engine, ref))
        assert n == 37 and med == pytest.approx(float(np.median(dur[4:])), rel=1e-12)
        odd = _scope(engine, ref, segment={"q_region": ["urban", "rural"]})
        assert median_duration_sql(conn, odd)[0] is not None
    finally:
        conn.close()


def test_cli_summary(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "CSI_DATABASE_URL": url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=env,
                              timeout=180)

    assert run("db", "upgrade").returncode == 0
    assert run("publish", "--template", "utility_csi").returncode == 0
    csv = tmp_path / "u.csv"
    simulate(load_template("utility_csi"), 300, random_state=4, rate_probability=0.6).to_frame().to_csv(
        csv, index=False)
    assert run("import", "utility_csi", str(csv)).returncode == 0
    out = run("analyze", "utility_csi", "--summary", "--json", "--wave", "2025H2")
    assert out.returncode == 0, out.stderr
    summ = json.loads(out.stdout)
    full = json.loads(run("analyze", "utility_csi", "--json", "--wave", "2025H2").stdout)
    assert summ["mode"] == "summary" and "mode" not in full
    assert summ["index"] == full["index"] and summ["items"] == full["items"] and summ["n"] == full["n"]
    files = run("analyze", "--definition", str(template_path("utility_csi")), "--responses", str(csv), "--summary",
                "--json", "--wave", "2025H2")
    assert files.returncode == 0, files.stderr
    assert json.loads(files.stdout)["index"] == summ["index"]
    text = run("analyze", "utility_csi", "--summary")
    assert text.returncode == 0 and "CSI (weighted index):" in text.stdout
    assert "not computed" in text.stdout and "benchmarks" in text.stdout
    bad = run("analyze", "utility_csi", "--summary", "--brand", "nobody")
    assert bad.returncode != 0 and "nobody" in bad.stderr


def test_api_summary_mode(engine: Engine, store_url: str, stored: ResponseData, analyst: dict[str, str]) -> None:
    """mode=summary is served past the memory bound that refuses the full analysis (whose 413 points to it), and
    still takes the worker's heavy-job slot."""
    settings = Settings(database_url=store_url, environment="test", max_analysis_bytes=64 << 20)
    url = "/api/v1/surveys/utility_csi/analytics"
    with TestClient(create_app(settings, engine)) as client:
        full = client.get(url, headers=analyst)
        assert full.status_code == 413
        assert "mode=summary" in full.text and "--summary" in full.text
        r = client.get(url, params={"mode": "summary", "segment": "q_region=rural"}, headers=analyst)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == "summary" and body["filters"]["segment"] == {"q_region": "rural"}
        assert body["index"]["n"] > 0 and len(body["index"]["ci"]) == 2
        assert body["waves"]["status"] == "not_computed"
        assert client.get(url, params={"mode": "fast"}, headers=analyst).status_code == 422
        assert client.get(url, params={"mode": "summary"}).status_code == 401
        bad = client.get(url, params={"mode": "summary", "wave": "1999"}, headers=analyst)
        assert bad.status_code == 422 and "1999" in bad.text
        with client.app.state.csi.heavy.slot():  # type: ignore[attr-defined]
            busy = client.get(url, params={"mode": "summary"}, headers=analyst)
        assert busy.status_code == 503 and busy.headers.get("retry-after")
    with TestClient(create_app(Settings(database_url=store_url, environment="test"), engine)) as client:
        default = client.get(url, headers=analyst).json()
        assert "mode" not in default and default["index"]["value"] == pytest.approx(body["index"]["value"], abs=50)


def _peak(fn: Any) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_summary_memory_does_not_grow_with_the_responses(engine: Engine, utility: str) -> None:
    """tracemalloc peaks at n and 4n responses: the summary's grows by the fingerprints only (20 bytes a
    response), the full read's by the whole arrays."""
    ref = load_ref(engine, utility)
    n = 4000
    _store(engine, _sample(n, 41, weighted=False))
    summarize_store(engine, utility, chunk_rows=1000)  # warm-up: imports and caches are not part of the peak
    load_data(engine, ref)
    peaks = {}
    for size in (n, 4 * n):
        if size > n:
            _store(engine, dataclasses.replace(
                _sample(size - n, 42, weighted=False),
                respondent_id=np.array([f"m{i}" for i in range(size - n)], dtype=object)))
        summary = _peak(lambda: summarize_store(engine, utility, chunk_rows=1000))
        full = _peak(lambda: load_data(engine, ref))
        peaks[size] = (summary, full)
    grow_summary = peaks[4 * n][0] - peaks[n][0]
    grow_full = peaks[4 * n][1] - peaks[n][1]
    assert grow_summary < 1.5 * 2**20, peaks
    assert grow_full > 3 * 2**20 and grow_full > 5 * max(grow_summary, 1), peaks
