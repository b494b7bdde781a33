"""The definition's latent model block drives the ACSI-style index inside analyze()."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.acsi import acsi_analysis, indicator_frame
from analytics.analyze import analyze
from analytics.pls import PLSPathModel
from analytics.simulate import simulate
from survey_defs import load_template
from survey_defs.schema import SurveyDefinition


def _bounds(d: SurveyDefinition, items: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([0.0 if d.item(i).type == "yes_no" else float(d.scale_of(i).min) for i in items])
    hi = np.array([1.0 if d.item(i).type == "yes_no" else float(d.scale_of(i).max) for i in items])
    return lo, hi


def _casewise(d: SurveyDefinition) -> SurveyDefinition:
    assert d.model is not None
    return d.model_copy(update={"model": d.model.model_copy(update={"missing": "casewise"})})


def test_acsi_index_follows_the_formula() -> None:
    d = load_template("acsi_standard")
    assert d.model is not None and d.model.missing == "mean"
    data = simulate(d, 1200, random_state=5, missing=0.03)
    r = acsi_analysis(d, data, n_boot=200)
    assert r["status"] == "ok" and r["construct"] == "SAT" and r["converged"]
    # methods.md section 5, by hand: the SAT items' outer weights rescaled to sum 1, the items' means, each
    # item's declared scale. Mean replacement leaves the item means as observed.
    df = indicator_frame(d, data)
    model = PLSPathModel.from_definition(d.model).fit(df)
    sat_items = next(list(c.items) for c in d.model.constructs if c.id == "SAT")
    w = model.outer_weights_[sat_items].to_numpy()
    wt = w / w.sum()
    lo, hi = _bounds(d, sat_items)
    means = df[sat_items].mean().to_numpy()
    expected = float(wt @ ((means - lo) / (hi - lo))) * 100
    assert abs(r["value"] - expected) < 1e-9
    # the unstandardised variant is a different number on these data, so the check above can tell them apart
    unstd = w / (df[sat_items].std().to_numpy() * 100 / (hi - lo))
    assert abs(float(unstd / unstd.sum() @ ((means - lo) / (hi - lo))) * 100 - expected) > 1e-6
    lo_ci, hi_ci = r["ci"]
    assert 0 <= lo_ci <= r["value"] <= hi_ci <= 100
    assert {p["source"] + p["target"] for p in r["paths"]} == {s + t for s, t in d.model.paths}
    sat = next(c for c in r["constructs"] if c["id"] == "SAT")
    assert sat["checks"] == {"reliability": True, "convergent_validity": True}
    assert r["bootstrap"] == {"n_boot": 200, "n_failed": 0, "failures": {}}
    assert {row["driver"] for row in r["ipma"]} == {"CE", "PQ", "PV"}
    lo_all, hi_all = _bounds(d, list(df.columns))
    lo_map, hi_map = dict(zip(df.columns, lo_all, strict=True)), dict(zip(df.columns, hi_all, strict=True))
    for row in r["ipma"]:  # performance is the driver's index
        assert row["performance"] == pytest.approx(model.index(row["driver"], lo_map, hi_map), abs=1e-9)
    # the missing-data treatment is the definition's, and what it did is reported
    holes = df.isna()
    assert holes.to_numpy().sum() > 0
    assert r["missing"] == {
        "method": "mean replacement", "setting": "mean", "n_rows": len(df), "n_used": len(df),
        "n_cells_imputed": int(holes.to_numpy().sum()), "n_rows_imputed": int(holes.any(axis=1).sum()),
        "n_rows_dropped": 0, "report": str(model.missing_report_),
    }
    assert r["n"] == len(df)


def test_analyze_reports_the_same_index() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 800, random_state=9)
    r = analyze(d, data, n_boot=100, exclude_flags=False)["acsi"]
    df = indicator_frame(d, data)
    model = PLSPathModel.from_definition(d.model).fit(df)  # type: ignore[arg-type]
    lo = {c: (0.0 if d.item(c).type == "yes_no" else 1.0) for c in df.columns}
    hi = {c: (1.0 if d.item(c).type == "yes_no" else 10.0) for c in df.columns}
    assert abs(r["value"] - model.index("SAT", lo, hi)) < 1e-6  # analyze() rounds to 6 decimals


def test_casewise_deletion_from_the_definition() -> None:
    d = _casewise(load_template("acsi_standard"))
    data = simulate(d, 900, random_state=4, missing=0.02)
    r = acsi_analysis(d, data, n_boot=50)
    df = indicator_frame(d, data)
    complete = df.dropna()
    assert 0 < len(complete) < len(df)
    ref = PLSPathModel.from_definition(d.model).fit(complete)  # type: ignore[arg-type]
    lo = {c: (0.0 if d.item(c).type == "yes_no" else 1.0) for c in df.columns}
    hi = {c: (1.0 if d.item(c).type == "yes_no" else 10.0) for c in df.columns}
    assert abs(r["value"] - ref.index("SAT", lo, hi)) < 1e-9
    assert r["n"] == len(complete)
    m = r["missing"]
    assert (m["method"], m["setting"], m["n_used"], m["n_rows_dropped"], m["n_cells_imputed"]) == (
        "casewise deletion", "casewise", len(complete), len(df) - len(complete), 0)
    assert f"{len(df) - len(complete)} of {len(df)} rows dropped" in m["report"]


def test_thin_data_and_no_model() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 20, random_state=1)
    r = analyze(d, data, n_boot=50)["acsi"]
    assert r["value"] is None and r["status"] == "insufficient_data" and "30" in r["reason"]
    # casewise deletion counts complete respondents only
    dc = _casewise(d)
    r = acsi_analysis(dc, simulate(dc, 60, random_state=2, missing=0.08), n_boot=50)
    assert r["value"] is None and "complete respondents (casewise deletion, of 60)" in r["reason"]
    u = load_template("nps_quick")
    assert u.model is None
    assert analyze(u, simulate(u, 50, random_state=1), n_boot=50)["acsi"] is None


def test_acsi_index_reports_the_chosen_bootstrap_interval() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 1200, random_state=6, missing=0.03)
    pct = acsi_analysis(d, data, n_boot=200)
    bca = acsi_analysis(d, data, n_boot=200, ci_method="bca")
    assert pct["interval"] == "percentile" and bca["interval"] == "bca"
    assert bca["value"] == pytest.approx(pct["value"]) and bca["se"] == pytest.approx(pct["se"])
    assert bca["ci"][0] < bca["value"] < bca["ci"][1] and bca["ci"] != pytest.approx(pct["ci"])
    assert "BCa" in bca["ci_method"] and "random groups" in bca["ci_method"]  # 1,200 rows: grouped jackknife
    with pytest.raises(ValueError, match="ci_method"):
        acsi_analysis(d, data, n_boot=20, ci_method="basic")


def test_model_index_is_on_the_definitions_scoring_and_equals_the_same_tree_node() -> None:
    """One scoring convention per report (issue 11): the satisfaction block scored like the tree, so a tree node
    with the same items and the same (rescaled outer) weights has the same index."""
    from analytics.tree import compute_tree

    d = load_template("utility_csi")
    assert d.model is not None
    sat_items = next(list(c.items) for c in d.model.constructs if c.id == d.model.satisfaction)
    assert {d.scale_of(i).scoring for i in sat_items} == {"percent_of_max"}
    data = simulate(d, 600, random_state=7)
    r = acsi_analysis(d, data, n_boot=20)
    assert r["status"] == "ok" and r["scoring"] == "percent_of_max" and r["weighting"] == "standardized"
    w = {o["item"]: o["weight"] for o in r["outer"] if o["item"] in sat_items}
    total = sum(w.values())
    tree = {"id": "csi", "children": [{"id": "sat", "weight": 1.0, "children": [
        {"id": f"n_{i}", "item": i, "weight": w[i] / total} for i in sat_items]}]}
    d2 = SurveyDefinition.model_validate({**d.model_dump(exclude_none=True), "indicators": tree})
    node = next(nd for nd in compute_tree(d2, data).nodes if nd.id == "sat")
    assert node.score.value == pytest.approx(r["value"], abs=1e-9)
    # the linear convention would be another number, so the equality above tells the conventions apart
    df = indicator_frame(d, data)
    lo, hi = _bounds(d, sat_items)
    linear = sum(w[i] / total * (df[i].mean() - lo[j]) / (hi[j] - lo[j]) * 100 for j, i in enumerate(sat_items))
    assert abs(linear - r["value"]) > 1.0
    # IPMA performance is on the same convention: each driver's index of its items scored percent_of_max
    model = PLSPathModel.from_definition(d.model).fit(df)
    hi_map = dict(zip(df.columns, _bounds(d, list(df.columns))[1], strict=True))
    lo_map = {i: 0.0 if d.item(i).type != "yes_no" and d.scale_of(i).scoring == "percent_of_max"
              else _bounds(d, [i])[0][0] for i in df.columns}
    for row in r["ipma"]:
        assert row["performance"] == pytest.approx(model.index(row["driver"], lo_map, hi_map), abs=1e-9)
