import json

import numpy as np
import pytest

from analytics.analyze import SCHEMA_VERSION, analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from survey_defs import load_template
from tests.analytics.conftest import make_definition

TOP_KEYS = {"schema_version", "survey", "filters", "settings", "quality", "n", "weighting", "items",
            "satisfaction_rate", "index", "brands", "benchmarks", "waves", "segments", "loyalty", "priorities",
            "servqual", "kano", "acsi", "trend", "wave_change"}

# Numbers a figure may hold besides its value (docs/analytics-json.md, "Conventions"); ``boxes`` (top box), the
# NPS shares' copies and a distribution entry's count/share (with its ci) are documented companions.
FIGURE_NUMBERS = {"value", "n", "se", "n_eff", "ci", "boxes", "promoters", "passives", "detractors", "count",
                  "share"}
# docs/analytics-json.md, "Numbers that are not figures": bare numbers allowed under these keys ...
NOT_FIGURE_KEYS = {
    "n", "n_a", "n_b", "n_pairs", "n_boot", "n_tests", "n_missing", "n_na", "n_hidden", "count", "unknown", "min_n",
    "responses", "filtered", "analysed", "n_eff", "n_failed", "n_trimmed", "iterations", "max_iter",
    "n_before", "n_after", "n_excluded", "level",
    "statistic", "df", "p_value", "p_holm", "alpha", "diff",
    "schema_version", "version", "conf", "tol",
    "sd", "raw_mean", "target", "split_importance", "split_performance", "share",
    "weight", "nominal_weight", "r2", "adj_r2", "condition_number", "max_error", "min_weight", "max_weight",
    "design_effect",
}
# ... and anywhere below these containers.
NOT_FIGURE_CONTAINERS = {"weight_diagnostics", "beta", "p_values", "vif", "shapley", "counts", "n_by_category",
                         "by_flag", "margins", "dropped", "params", "settings", "cutoffs", "bootstrap", "test",
                         "design", "multiplicity", "trim"}


def _walk(obj, path="", key=None, in_figure=False, free=False, bare=None, figures=None):
    """Collect every figure (a dict with 'value') and every bare number that is not documented as such."""
    bare = [] if bare is None else bare
    figures = [] if figures is None else figures
    if isinstance(obj, dict):
        fig = "value" in obj
        if fig or ("share" in obj and "count" in obj):
            figures.append((path, obj))
        for k, v in obj.items():
            if path == "" and k == "acsi":
                continue  # the ACSI section has its own layout (docs/analytics-json.md, "acsi")
            _walk(v, f"{path}/{k}", k, fig or "share" in obj, free or k in NOT_FIGURE_CONTAINERS, bare, figures)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _walk(v, f"{path}/{i}", key, in_figure, free, bare, figures)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        ok = free or (in_figure and key in FIGURE_NUMBERS) or (not in_figure and key in NOT_FIGURE_KEYS)
        if not ok:
            bare.append(path)
    return bare, figures


def _check_figures(out) -> int:
    bare, figures = _walk(out)
    assert not bare, f"bare numbers that are not figures: {bare[:10]}"
    for path, f in figures:
        if "share" in f:  # a distribution entry: share with its Wilson interval
            assert f["ci"] is not None and f["ci"][0] - 1e-9 <= f["share"] <= f["ci"][1] + 1e-9, path
            continue
        assert isinstance(f.get("n"), int), path
        if f["value"] is None:
            assert f["status"] == "insufficient_data" and f["reason"], path
        elif f.get("ci") is None:
            assert (f.get("status") == "insufficient_data" and f.get("reason")) or f.get("ci_note"), path
        else:
            assert f["ci"][0] - 1e-9 <= f["value"] <= f["ci"][1] + 1e-9, path
    return len(figures)


def test_walker_catches_bare_numbers_and_figures_without_n() -> None:
    with pytest.raises(AssertionError, match="bare numbers"):
        _check_figures({"benchmarks": {"gap_to_best": {"csi": {"gap": 1.5}}}})
    with pytest.raises(AssertionError):
        _check_figures({"priorities": {"items": [{"importance": {"value": 0.2, "ci": [0.1, 0.3]}}]}})
    with pytest.raises(AssertionError):
        _check_figures({"kano": {"features": {"f": {"better": {"value": 0.2, "n": 9, "ci": None}}}}})
    assert _check_figures({"x": {"value": 0.2, "n": 9, "ci": None, "ci_note": "fixed"}}) == 1


def test_full_result_is_stable_json_with_n_and_ci(sim: ResponseData) -> None:
    out = analyze(sim.definition, sim, n_boot=100)
    assert set(out) == TOP_KEYS and out["schema_version"] == SCHEMA_VERSION
    text = json.dumps(out, allow_nan=False, ensure_ascii=False)
    assert json.loads(text) == out
    assert _check_figures(out) > 50
    assert out["index"]["ci_method"].startswith("delta method")
    assert out["acsi"] is None and out["servqual"] is None and out["kano"] is None
    assert out["weighting"]["method"] == "given" and out["weighting"]["n_eff"] == out["n"]["n_eff"]
    comp = out["benchmarks"]["competitors"]["b"]
    assert comp["items"]["q1"]["a"] == out["items"]["q1"]["mean"] | {"n_eff": comp["items"]["q1"]["a"]["n_eff"]}
    row = out["priorities"]["items"][0]
    assert row["gap"]["ci"] == pytest.approx([100 - row["performance"]["ci"][1], 100 - row["performance"]["ci"][0]])
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
    d = load_template("utility_csi")
    data = simulate(d, 800, random_state=11, rate_probability=0.7, missing=0.02, na=0.05, weighted=True)
    out = analyze(d, data, n_boot=100)
    json.dumps(out, allow_nan=False)
    _check_figures(out)
    assert out["index"]["value"] is not None and 20 <= out["index"]["value"] <= 100
    root = out["index"]["nodes"][0]
    assert root["weight_source"] == "ahp" and root["weight_diagnostics"]["cr"] < 0.1
    assert set(out["benchmarks"]["competitors"]) == {"hengyuan", "xinda"}
    assert set(out["segments"]) == set(d.segment_item_ids)
    assert out["waves"]["latest"] == "2026H1"
    assert out["priorities"]["ranking"]


# ---- SERVQUAL and Kano sections -------------------------------------------------------------------------------
def test_servqual_template_has_servqual_and_kano_sections() -> None:
    d = load_template("servqual")
    data = simulate(d, 400, random_state=5, missing=0.02, na=0.03, weighted=True)
    out = analyze(d, data, n_boot=50, exclude_flags=False)
    json.dumps(out, allow_nan=False)
    _check_figures(out)
    sq = out["servqual"]
    assert set(sq["dimensions"]) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    assert sq["dimensions"]["reliability"]["label"] == {"zh": "可靠性", "en": "Reliability"}
    assert "'agree7' (1..7)" in sq["unit"]
    # independent reference: the weighted mean of the raw P - E differences of one statement
    p, e = data.raw_values("rel1_p"), data.raw_values("rel1_e")
    ok = ~(np.isnan(p) | np.isnan(e))
    st = sq["items"]["rel1_p"]
    assert st["expectation_item"] == "rel1_e" and st["dimension"] == "reliability"
    assert st["gap"]["value"] == pytest.approx(np.average(p[ok] - e[ok], weights=data.weight[ok]), abs=1e-6)
    assert st["gap"]["n"] == int(ok.sum())
    kano_out = out["kano"]["features"]
    assert set(kano_out) == {"online_booking", "progress_texts"}
    ob = kano_out["online_booking"]
    assert ob["label"]["en"] == "Online booking" and ob["category"] in {"A", "O", "M", "I", "R", "Q"}
    assert -1 <= ob["worse"]["value"] <= 0 <= ob["better"]["value"] <= 1


def _kano_codes(data: ResponseData, item: str) -> np.ndarray:
    it = data.definition.item(item)
    order = ["like", "must-be", "neutral", "live-with", "dislike"]
    lut = np.array([order.index(o.code) + 1.0 for o in it.options] + [np.nan, np.nan])
    c = data.codes(item).astype(int)
    return lut[np.where(c >= 0, c, len(it.options))]


def test_kano_section_counts_match_the_evaluation_table() -> None:
    d = load_template("servqual")
    data = simulate(d, 300, random_state=6, missing=0.05)
    out = analyze(d, data, n_boot=0, exclude_flags=False)
    f, g = _kano_codes(data, "booking_fn"), _kano_codes(data, "booking_dys")
    table = {("like", "dislike"): "O", ("like", "must-be"): "A", ("must-be", "dislike"): "M"}
    order = ["like", "must-be", "neutral", "live-with", "dislike"]
    ob = out["kano"]["features"]["online_booking"]
    for (fa, da), cat in table.items():
        hand = int(((f == order.index(fa) + 1) & (g == order.index(da) + 1)).sum())
        assert ob["n_by_category"][cat] >= hand  # these cells are the only O cell, one of A's and one of M's
    assert ob["n_by_category"]["O"] == int(((f == 1) & (g == 5)).sum())
    assert ob["n"] == int((~np.isnan(f) & ~np.isnan(g)).sum())


# ---- survey weights: raking in analyze --------------------------------------------------------------------------
MARGINS = {"region": {"north": 0.3, "south": 0.7}, "age": {"young": 0.5, "mid": 0.3, "old": 0.2}}


def _weighted_definition(**weighting):
    return make_definition(weighting={"margins": MARGINS, **weighting})


def test_analyze_rakes_after_exclusions_and_uses_the_weights_everywhere() -> None:
    d = _weighted_definition()
    data = simulate(d, 800, random_state=8, rate_probability=0.8)
    out = analyze(d, data, n_boot=0)
    w = out["weighting"]
    assert w["method"] == "raking" and w["base"] == "equal" and w["converged"] is True
    assert w["max_error"] < 1e-6 and w["iterations"] >= 1 and w["margins"] == MARGINS
    assert out["n"]["weighted"] is True and out["n"]["n_eff"] == pytest.approx(w["n_eff"])
    # independent reference: reconstruct the kept respondents and check the weighted margins with numpy
    from analytics.quality import apply_exclusions, flag_quality
    from analytics.survey_weights import rake_data

    kept, _ = apply_exclusions(data, flag_quality(data))
    assert out["n"]["analysed"] == kept.n
    raked, _ = rake_data(kept, MARGINS)
    rw = raked.weight
    for item, shares in MARGINS.items():
        codes = kept.segment_codes(item)
        for k, (_code, share) in enumerate(shares.items()):
            assert rw[codes == k].sum() / rw.sum() == pytest.approx(share, abs=1e-6)
    assert w["min_weight"] == pytest.approx(rw.min(), abs=1e-6) and w["max_weight"] == pytest.approx(rw.max(), abs=1e-6)
    assert w["n_eff"] == pytest.approx(rw.sum() ** 2 / (rw**2).sum(), abs=1e-6)
    # every statistic uses the raked weights: the item mean, the satisfaction rate and the segments
    q1 = kept.scores("q1")
    ok = ~np.isnan(q1)
    assert out["items"]["q1"]["mean"]["value"] == pytest.approx(np.average(q1[ok], weights=rw[ok]), abs=1e-6)
    sat = kept.raw_values("sat")
    ok = ~np.isnan(sat)
    assert out["satisfaction_rate"]["value"] == pytest.approx(100 * np.average(sat[ok] >= 4, weights=rw[ok]),
                                                              abs=1e-6)
    unweighted = analyze(make_definition(), ResponseData.from_arrays(make_definition(), data.resp, data.brand),
                         n_boot=0)
    assert unweighted["items"]["q1"]["mean"]["value"] != pytest.approx(out["items"]["q1"]["mean"]["value"])


def test_raking_starts_from_the_data_weights() -> None:
    d = make_definition(weighting={"margins": {"region": {"north": 0.4, "south": 0.6}}})
    data = simulate(d, 300, random_state=9, weighted=True)
    out = analyze(d, data, n_boot=0, exclude_flags=False)
    assert out["weighting"]["base"] == "data weights"
    # one raking variable = post-stratification: w_i = b_i * target_c / (base share of c), rescaled to mean 1
    b, codes = data.weight, data.segment_codes("region")
    expect = np.where(codes == 0, 0.4 / (b[codes == 0].sum() / b.sum()), 0.6 / (b[codes == 1].sum() / b.sum())) * b
    expect *= len(b) / expect.sum()
    assert out["weighting"]["min_weight"] == pytest.approx(expect.min(), abs=1e-6)
    assert out["weighting"]["max_weight"] == pytest.approx(expect.max(), abs=1e-6)
    q1 = data.scores("q1")
    ok = ~np.isnan(q1)
    assert out["items"]["q1"]["mean"]["value"] == pytest.approx(np.average(q1[ok], weights=expect[ok]), abs=1e-6)


def test_trimming_bounds_hold() -> None:
    d = _weighted_definition(trim={"min": 0.5, "max": 1.6})
    data = simulate(d, 500, random_state=10)
    codes = data.segment_codes("age")
    keep = (codes != 2) | (np.arange(data.n) % 4 == 0)  # 'old' heavily under-represented: big weights
    out = analyze(d, data.take(keep), n_boot=0, exclude_flags=False)
    w = out["weighting"]
    assert w["trim"] == {"min": 0.5, "max": 1.6}
    assert w["min_weight"] >= 0.5 - 1e-6 and w["max_weight"] <= 1.6 + 1e-6
    assert w["n_trimmed"] > 0
    assert w["converged"] is False and "did not converge" in w["warnings"][0]  # 'old' cannot reach its share


def test_raking_errors_and_filters_are_explicit() -> None:
    d = _weighted_definition()
    data = simulate(d, 300, random_state=12)
    resp = data.resp.copy()
    resp[:5, d.respondent_item_ids.index("age")] = -1  # five respondents did not give their age
    holes = ResponseData.from_arrays(d, resp, data.brand)
    out = analyze(d, holes, n_boot=0, exclude_flags=False)
    w = out["weighting"]
    assert w["status"] == "error" and "'age': 5 respondent(s) did not answer" in w["reason"]
    assert "unweighted" in w["reason"] and out["n"]["weighted"] is False
    # a segment filter empties a margin category: it is dropped, named, and the rest renormalised
    f = analyze(d, data, segment={"region": "north"}, n_boot=0, exclude_flags=False)
    fw = f["weighting"]
    assert fw["converged"] is True and fw["dropped"] == {"region": {"south": 0.7}}
    assert any("region=south" in m for m in fw["warnings"])
    none = analyze(d, data.take(np.zeros(data.n, dtype=bool)), n_boot=0)
    assert none["weighting"]["status"] == "insufficient_data"


# ---- thin and bad data in the new sections -----------------------------------------------------------------------
def test_new_sections_on_thin_data() -> None:
    d = load_template("servqual")
    data = simulate(d, 60, random_state=13)
    resp = data.resp.copy()
    ids = d.respondent_item_ids
    resp[:, ids.index("tan1_p")] = -1  # nobody answered a perception item
    resp[:, ids.index("rel1_e")] = 4  # a constant item ...
    resp[:, ids.index("rel1_p")] = 4  # ... with a constant perception: no variance in the gap
    resp[:, ids.index("notify_fn")] = -1  # nobody answered a Kano question
    thin = ResponseData.from_arrays(d, resp, data.brand)
    out = analyze(d, thin, n_boot=0, exclude_flags=False)
    json.dumps(out, allow_nan=False)
    _check_figures(out)
    t1 = out["servqual"]["items"]["tan1_p"]
    assert t1["gap"]["status"] == "insufficient_data" and "statement tan1_p" in t1["gap"]["reason"]
    assert t1["test"]["status"] == "insufficient_data" and "tan1_p" in t1["test"]["reason"]
    r1 = out["servqual"]["items"]["rel1_p"]
    assert r1["gap"]["value"] == 0 and "no variance" in r1["test"]["reason"]
    pt = out["kano"]["features"]["progress_texts"]
    assert pt["status"] == "insufficient_data" and pt["category"] is None
    assert pt["better"]["status"] == "insufficient_data" and "progress_texts" in pt["better"]["reason"]
    one = analyze(d, thin.take(np.array([0])), n_boot=0, exclude_flags=False)
    og = one["servqual"]["overall_gap"]
    assert og["ci"] is None and og["status"] == "insufficient_data"
    empty = analyze(d, thin.take(np.array([], dtype=int)), n_boot=0)
    assert empty["servqual"]["status"] == "insufficient_data" and empty["kano"]["status"] == "insufficient_data"


def test_trend_and_wave_change_are_computed_in_analytics(sim) -> None:
    """A one-wave analysis carries every wave's index (on its own exact tree weights) and its change on the previous
    wave; the analysed wave's trend row is the analysis' own index, and the change compares the two rows."""
    from analytics.settings import DEFAULTS, AnalysisSettings

    d = sim.definition
    out = analyze(d, sim, wave="w2", n_boot=0, settings=DEFAULTS.replace(conf=0.9))
    assert AnalysisSettings.from_json(out["settings"]) == DEFAULTS.replace(conf=0.9, n_boot=0)
    rows = {r["wave"]: r for r in out["trend"]}
    assert set(rows) == {"w1", "w2"}
    assert rows["w2"]["index"]["value"] == pytest.approx(out["index"]["value"], abs=1e-9)
    assert rows["w2"]["n"] == out["n"]["analysed"]
    ch = out["wave_change"]
    assert (ch["latest"], ch["previous"]) == ("w2", "w1")
    assert ch["index"]["diff"] == pytest.approx(rows["w2"]["index"]["value"] - rows["w1"]["index"]["value"],
                                                abs=1e-9)
    assert ch["index"]["test"]["family"] == "primary"
    assert analyze(d, sim, n_boot=0)["wave_change"] is None  # pooled: the waves section compares them
