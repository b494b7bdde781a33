import numpy as np
import pytest
from scipy import stats

from analytics.benchmark import compare_brands, compare_waves
from analytics.data import ResponseData
from analytics.simulate import simulate
from analytics.tree import compute_tree
from tests.analytics.conftest import make_definition


def test_paired_design_matches_scipy_ttest_rel(complete: ResponseData) -> None:
    d = complete.definition
    out = compare_brands(d, complete, n_boot=200, random_state=1)
    rb = out["competitors"]["b"]
    assert rb["design"]["paired"] and rb["design"]["n_pairs"] == complete.n
    ta, tb = compute_tree(d, complete), compute_tree(d, complete, brand="b")
    ref = stats.ttest_rel(ta.respondent_index(), tb.respondent_index())
    assert rb["index"]["test"]["p_value"] == pytest.approx(ref.pvalue)
    assert rb["index"]["test"]["statistic"] == pytest.approx(ref.statistic)
    qa, qb = complete.scores("q1", "a"), complete.scores("q1", "b")
    assert rb["items"]["q1"]["test"]["p_value"] == pytest.approx(stats.ttest_rel(qa, qb).pvalue)
    lo, hi = rb["index"]["bootstrap"]["ci"]
    assert lo < rb["index"]["diff"] < hi
    assert rb["index"]["diff"] == pytest.approx(ta.index.value - tb.index.value)


def test_independent_design_matches_welch() -> None:
    d = make_definition()
    data = simulate(d, 400, random_state=4)
    brand = data.brand.copy()
    brand[:200, 1:, :] = -1  # first half rates only a, second half only b
    brand[200:, 0, :] = -1
    brand[200:, 2, :] = -1
    data = ResponseData.from_arrays(d, data.resp, brand)
    out = compare_brands(d, data, competitors=["b", "c"], n_boot=100)
    rb = out["competitors"]["b"]
    assert not rb["design"]["paired"]
    ta, tb = compute_tree(d, data), compute_tree(d, data, brand="b")
    ref = stats.ttest_ind(ta.respondent_index(), tb.respondent_index(), equal_var=False)
    assert rb["index"]["test"]["p_value"] == pytest.approx(ref.pvalue)
    assert out["competitors"]["c"]["status"] == "insufficient_data"


def test_primary_alone_secondary_holm_within(complete: ResponseData) -> None:
    out = compare_brands(complete.definition, complete, n_boot=0)
    primary, secondary = [], []
    for r in out["competitors"].values():
        primary.append(r["index"]["test"])
        secondary += [v["test"] for v in r["nodes"].values()] + [v["test"] for v in r["items"].values()]
    from statsmodels.stats.multitest import multipletests
    _, adj, _, _ = multipletests([t["p_value"] for t in secondary], method="holm")
    np.testing.assert_allclose([t["p_holm"] for t in secondary], adj)
    assert all(t["family"] == "secondary" for t in secondary)
    for t in primary:  # tested alone: raw p, no adjustment
        assert t["family"] == "primary" and "p_holm" not in t
        assert t["significant"] == (t["p_value"] < 0.05)
    assert {t["verdict"] for t in primary + secondary} <= {"significant", "not significant"}
    m = out["multiplicity"]
    assert m["primary"]["n_tests"] == len(primary) and m["secondary"]["n_tests"] == len(secondary)
    assert m["primary"]["correction"] == "none" and m["secondary"]["correction"] == "holm"


def test_bootstrap_is_seeded(sim: ResponseData) -> None:
    a = compare_brands(sim.definition, sim, n_boot=150, random_state=7)
    b = compare_brands(sim.definition, sim, n_boot=150, random_state=7)
    assert a["competitors"]["b"]["index"]["bootstrap"] == b["competitors"]["b"]["index"]["bootstrap"]


def test_gap_to_best(complete: ResponseData) -> None:
    out = compare_brands(complete.definition, complete, n_boot=0)
    g = out["gap_to_best"]["csi"]
    vals = {b: compute_tree(complete.definition, complete, brand=b).index.value for b in "abc"}
    best = max(vals, key=vals.get)
    assert g["best_brand"] == best and g["gap"]["value"] == pytest.approx(vals[best] - vals["a"])
    assert g["gap"]["value"] >= 0 and g["gap"]["ci"] is None and "n_boot = 0" in g["gap"]["ci_note"]
    assert g["best"]["value"] == pytest.approx(vals[best]) and g["own"]["value"] == pytest.approx(vals["a"])
    assert g["own"]["n"] == complete.n and g["own"]["ci"] is not None


def test_gap_to_best_bootstrap_when_a_competitor_leads() -> None:
    d = make_definition()
    data = simulate(d, 500, random_state=21, brand_means={"a": 0.0, "b": 0.6, "c": -0.2})
    out = compare_brands(d, data, n_boot=400, random_state=2)
    g = out["gap_to_best"]["csi"]
    assert g["best_brand"] == "b"
    lo, hi = g["gap"]["ci"]
    assert 0 <= lo < g["gap"]["value"] < hi
    # with b clearly best, the gap is the paired difference b - a: its bootstrap SE matches the paired test's
    test = out["competitors"]["b"]["index"]["test"]
    se_t = abs(test["diff"] / test["statistic"])
    assert g["gap"]["se"] == pytest.approx(se_t, rel=0.2)
    item = out["gap_to_best"]["n1"]  # a leaf: the item q1
    assert item["best"]["n"] > 0 and item["gap"]["ci"][0] >= 0


def test_sides_are_figures(complete: ResponseData) -> None:
    out = compare_brands(complete.definition, complete, n_boot=0)
    rb = out["competitors"]["b"]
    ta, tb = compute_tree(complete.definition, complete), compute_tree(complete.definition, complete, brand="b")
    assert rb["index"]["a"] == ta.index.to_dict() and rb["index"]["b"] == tb.index.to_dict()
    assert rb["nodes"]["quality"]["b"] == tb.by_id["quality"].score.to_dict()
    q = rb["items"]["q4"]["b"]
    scores = complete.scores("q4", "b")
    assert q["value"] == pytest.approx(np.nanmean(scores)) and q["n"] == int((~np.isnan(scores)).sum())
    lo, hi = stats.ttest_1samp(scores[~np.isnan(scores)], 0).confidence_interval()
    assert q["ci"] == pytest.approx([lo, hi])


def test_waves(sim: ResponseData) -> None:
    out = compare_waves(sim.definition, sim, n_boot=100)
    assert out["latest"] == "w2" and out["previous"] == "w1" and not out["design"]["paired"]
    a = compute_tree(sim.definition, sim.filter(wave="w2"))
    b = compute_tree(sim.definition, sim.filter(wave="w1"))
    assert out["index"]["test"]["test"] == "welch_t"
    assert out["index"]["diff"] == pytest.approx(a.index.value - b.index.value)
    # weighted data: a hand-computed weighted Welch test on the respondent-level indices
    xa, xb = a.respondent_index(), b.respondent_index()
    wa, wb = a.weights, b.weights

    def mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
        ok = ~np.isnan(x)
        x, w = x[ok], w[ok]
        m = np.sum(w * x) / np.sum(w)
        n = len(x)
        return m, n / (n - 1) * np.sum((w / w.sum() * (x - m)) ** 2), w.sum() ** 2 / np.sum(w**2)

    (ma, va, na), (mb, vb, nb) = mean_var(xa, wa), mean_var(xb, wb)
    t = (ma - mb) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    res = out["index"]["test"]
    assert res["statistic"] == pytest.approx(t) and res["df"] == pytest.approx(df)
    assert res["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), df))
    # unweighted data: exactly scipy's Welch test
    plain = sim.with_weights(None)
    op = compare_waves(sim.definition, plain, n_boot=0)
    pa = compute_tree(sim.definition, plain.filter(wave="w2")).respondent_index()
    pb = compute_tree(sim.definition, plain.filter(wave="w1")).respondent_index()
    ref = stats.ttest_ind(pa[~np.isnan(pa)], pb[~np.isnan(pb)], equal_var=False)
    assert op["index"]["test"]["statistic"] == pytest.approx(ref.statistic)
    assert op["index"]["test"]["p_value"] == pytest.approx(ref.pvalue)
    assert op["index"]["test"]["df"] == pytest.approx(ref.df)
    one = compare_waves(sim.definition, sim.filter(wave="w1"))
    assert one["status"] == "insufficient_data"


def test_weighted_bootstrap_scale_invariant_and_matches_the_delta_method() -> None:
    import analytics.benchmark as bm

    d = make_definition()
    data = simulate(d, 1500, random_state=14, weighted=True)
    half = np.arange(data.n) < 750
    da, db = data.take(half), data.take(~half)
    fa = bm.Frame("a", compute_tree(d, da), da, da.respondent_id)
    fb = bm.Frame("b", compute_tree(d, db), db, db.respondent_id)
    r = bm.bootstrap_index_difference(fa, fb, paired=False, n_boot=800, random_state=3)
    se_delta = np.hypot(fa.tree.index.se, fb.tree.index.se)  # independent halves: delta-method SEs add
    assert r["se"] == pytest.approx(se_delta, rel=0.12)
    da5, db5 = da.with_weights(5 * da.weight), db.with_weights(5 * db.weight)
    s = bm.bootstrap_index_difference(bm.Frame("a", compute_tree(d, da5), da5, da5.respondent_id),
                                      bm.Frame("b", compute_tree(d, db5), db5, db5.respondent_id),
                                      paired=False, n_boot=800, random_state=3)
    assert s["ci"] == pytest.approx(r["ci"]) and s["se"] == pytest.approx(r["se"])
    # integer weights: the weighted index the bootstrap resamples equals the index of the replicated rows
    wi = np.random.default_rng(1).integers(1, 4, data.n).astype(float)
    dw = data.with_weights(wi)
    rep = data.with_weights(None).take(np.repeat(np.arange(data.n), wi.astype(int)))
    ta, tr = compute_tree(d, dw), compute_tree(d, rep)
    assert ta.index.value == pytest.approx(tr.index.value)


@pytest.mark.parametrize("paired", [True, False])
def test_grouped_bootstrap_matches_respondent_bootstrap(paired: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the threshold the bootstrap resamples random groups; its SE must match the respondent-level one."""
    import analytics.benchmark as bm

    d = make_definition()
    data = simulate(d, 12_000, random_state=4, missing=0.05)
    own, other = d.brand_ids[0], d.brand_ids[1]
    fa = bm.Frame("a", compute_tree(d, data, brand=own), data, np.arange(data.n).astype(object))
    fb = bm.Frame("b", compute_tree(d, data, brand=other), data, np.arange(data.n).astype(object))
    grouped = bm.bootstrap_index_difference(fa, fb, paired=paired, n_boot=600, random_state=1)
    assert "groups" in grouped["method"]
    monkeypatch.setattr(bm, "GROUPED_ABOVE", 10**9)
    plain = bm.bootstrap_index_difference(fa, fb, paired=paired, n_boot=600, random_state=1)
    assert "groups" not in plain["method"]
    assert abs(grouped["se"] / plain["se"] - 1) < 0.15
    centre = lambda r: sum(r["ci"]) / 2  # noqa: E731
    assert abs(centre(grouped) - centre(plain)) < 0.5 * plain["se"]
