import json

import numpy as np
import pytest

from analytics.analyze import SCHEMA_VERSION, analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from tests.analytics.conftest import make_definition

TOP_KEYS = {"schema_version", "survey", "filters", "settings", "quality", "n", "items", "satisfaction_rate",
            "index", "brands", "benchmarks", "waves", "segments", "loyalty", "priorities", "acsi"}


def _walk_figures(obj, path=""):
    """Yield every dict that carries a 'value' key."""
    if isinstance(obj, dict):
        if "value" in obj and ("ci" in obj or "status" in obj):
            yield path, obj
        for k, v in obj.items():
            yield from _walk_figures(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_figures(v, f"{path}/{i}")


def test_full_result_is_stable_json_with_n_and_ci(sim: ResponseData) -> None:
    out = analyze(sim.definition, sim, n_boot=100)
    assert set(out) == TOP_KEYS and out["schema_version"] == SCHEMA_VERSION
    text = json.dumps(out, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == out
    figures = list(_walk_figures(out))
    assert len(figures) > 50
    for path, f in figures:
        assert "n" in f, path
        if f["value"] is None:
            assert f["status"] == "insufficient_data" and f["reason"], path
        elif f.get("status") is None:
            assert f["ci"] is not None and f["ci"][0] <= f["value"] <= f["ci"][1], path
    assert out["index"]["ci_method"].startswith("delta method")
    assert out["acsi"] is None
    assert out["index"]["nodes"][0]["id"] == "csi"
    svc = next(nd for nd in out["index"]["nodes"] if nd["id"] == "service")
    assert svc["weight_source"] == "ahp" and svc["weight_diagnostics"]["consistent"] is True


def test_deterministic_and_permutation_invariant(sim: ResponseData) -> None:
    a = analyze(sim.definition, sim, n_boot=50, random_state=3)
    b = analyze(sim.definition, sim, n_boot=50, random_state=3)
    assert a == b
    perm = np.random.default_rng(0).permutation(sim.n)
    c = analyze(sim.definition, sim.take(perm), n_boot=0, random_state=3)
    a0 = analyze(sim.definition, sim, n_boot=0, random_state=3)
    assert c["index"] == a0["index"] and c["items"] == a0["items"] and c["loyalty"] == a0["loyalty"]


def test_no_responses_is_explicit() -> None:
    d = make_definition()
    empty = ResponseData.from_arrays(d, np.zeros((0, 6)), np.zeros((0, 3, 5)))
    out = analyze(d, empty)
    assert out["index"]["status"] == "insufficient_data" and out["n"]["analysed"] == 0
    json.dumps(out, allow_nan=False)


def test_item_nobody_answered_and_filters(sim: ResponseData) -> None:
    d = sim.definition
    brand = sim.brand.copy()
    brand[:, :, 2] = -1  # nobody answered q3
    data = ResponseData.from_arrays(d, sim.resp, brand, wave=sim.wave)
    out = analyze(d, data, n_boot=0)
    assert out["items"]["q3"]["mean"]["status"] == "insufficient_data"
    assert any("'q3'" in w for w in out["index"]["warnings"])
    n3 = next(nd for nd in out["index"]["nodes"] if nd["id"] == "n3")
    assert n3["score"]["status"] == "insufficient_data"
    json.dumps(out, allow_nan=False)
    f = analyze(d, sim, wave="w1", segment={"region": "north"}, n_boot=0, exclude_flags=False)
    assert f["n"]["filtered"] == int(((sim.wave == "w1") & (sim.segment_codes("region") == 0)).sum())
    assert f["waves"]["status"] == "insufficient_data"


def test_bad_weights_in_definition_reported_not_crashing(sim: ResponseData) -> None:
    tree = {"id": "r", "children": [{"id": "x", "item": "q1", "weight": 0.5}, {"id": "y", "item": "q2", "weight": 0.4}]}
    d = make_definition(indicators=tree)
    data = ResponseData.from_arrays(d, sim.resp, sim.brand)
    out = analyze(d, data, n_boot=0)
    assert out["index"]["status"] == "insufficient_data" and "sum to 0.9" in out["index"]["reason"]
    assert out["loyalty"]["nps"]["value"] is not None


def test_utility_template() -> None:
    survey_defs = pytest.importorskip("survey_defs")
    if not hasattr(survey_defs, "load_template"):
        pytest.skip("survey_defs.load_template not available yet")
    d = survey_defs.load_template("utility_csi")
    data = simulate(d, 800, random_state=11, rate_probability=0.7, missing=0.02, na=0.05, weighted=True)
    out = analyze(d, data, n_boot=100)
    json.dumps(out, allow_nan=False)
    assert out["index"]["value"] is not None and 20 <= out["index"]["value"] <= 100
    root = out["index"]["nodes"][0]
    assert root["weight_source"] == "ahp" and root["weight_diagnostics"]["cr"] < 0.1
    assert set(out["benchmarks"]["competitors"]) == {"hengyuan", "xinda"}
    assert set(out["segments"]) == set(d.segment_item_ids)
    assert out["waves"]["latest"] == "2026H1"
    assert out["priorities"]["ranking"]
