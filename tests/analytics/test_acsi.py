"""The definition's latent model block drives the ACSI-style index inside analyze()."""

from __future__ import annotations

import numpy as np

from analytics.acsi import indicator_frame
from analytics.analyze import analyze
from analytics.pls import PLSPathModel
from analytics.simulate import simulate
from survey_defs import load_template


def test_acsi_index_follows_the_formula() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 1200, random_state=5)
    r = analyze(d, data, n_boot=200)["acsi"]
    assert r["status"] == "ok" and r["construct"] == "SAT" and r["converged"]
    # methods.md section 5, by hand: outer weights of the SAT items rescaled to sum 1, item means on 1..10.
    df = indicator_frame(d, data.filter())
    model = PLSPathModel.from_definition(d.model).fit(df)
    sat_items = next(c.items for c in d.model.constructs if c.id == "SAT")
    w = model.outer_weights_[sat_items].to_numpy()
    w = w / w.sum()
    means = df[sat_items].mean().to_numpy()
    expected = (np.dot(w, means) - 1) / 9 * 100
    # analyze() excludes flagged respondents first, so compare with a tolerance of sampling size, and exactly
    # against the model fitted on the same rows.
    assert abs(r["value"] - expected) < 1.0
    lo, hi = r["ci"]
    assert 0 <= lo <= r["value"] <= hi <= 100
    assert {p["source"] + p["target"] for p in r["paths"]} == {s + t for s, t in d.model.paths}
    sat = next(c for c in r["constructs"] if c["id"] == "SAT")
    assert sat["checks"] == {"reliability": True, "convergent_validity": True}
    assert r["bootstrap"] == {"n_boot": 200, "n_failed": 0, "failures": {}}
    assert {row["driver"] for row in r["ipma"]} == {"CE", "PQ", "PV"}


def test_acsi_value_equals_model_index_on_the_same_rows() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 800, random_state=9)
    r = analyze(d, data, n_boot=100, exclude_flags=False)["acsi"]
    df = indicator_frame(d, data)
    model = PLSPathModel.from_definition(d.model).fit(df)
    lo = {c: (0.0 if d.item(c).type == "yes_no" else 1.0) for c in df.columns}
    hi = {c: (1.0 if d.item(c).type == "yes_no" else 10.0) for c in df.columns}
    assert abs(r["value"] - model.index("SAT", lo, hi)) < 1e-4


def test_thin_data_and_no_model() -> None:
    d = load_template("acsi_standard")
    data = simulate(d, 20, random_state=1)
    r = analyze(d, data, n_boot=50)["acsi"]
    assert r["value"] is None and r["status"] == "insufficient_data" and "30" in r["reason"]
    u = load_template("utility_csi")
    assert analyze(u, simulate(u, 50, random_state=1), n_boot=50)["acsi"] is None
