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


def test_holm_and_verdicts(complete: ResponseData) -> None:
    out = compare_brands(complete.definition, complete, n_boot=0)
    tests = []
    for r in out["competitors"].values():
        tests.append(r["index"]["test"])
        tests += [v["test"] for v in r["nodes"].values()] + [v["test"] for v in r["items"].values()]
    from statsmodels.stats.multitest import multipletests
    _, adj, _, _ = multipletests([t["p_value"] for t in tests], method="holm")
    np.testing.assert_allclose([t["p_holm"] for t in tests], adj)
    assert {t["verdict"] for t in tests} <= {"significant", "not significant"}
    assert out["holm"]["n_tests"] == len(tests)


def test_bootstrap_is_seeded(sim: ResponseData) -> None:
    a = compare_brands(sim.definition, sim, n_boot=150, random_state=7)
    b = compare_brands(sim.definition, sim, n_boot=150, random_state=7)
    assert a["competitors"]["b"]["index"]["bootstrap"] == b["competitors"]["b"]["index"]["bootstrap"]


def test_gap_to_best(complete: ResponseData) -> None:
    out = compare_brands(complete.definition, complete, n_boot=0)
    g = out["gap_to_best"]["csi"]
    vals = {b: compute_tree(complete.definition, complete, brand=b).index.value for b in "abc"}
    best = max(vals, key=vals.get)
    assert g["best_brand"] == best and g["gap"] == pytest.approx(vals[best] - vals["a"]) and g["gap"] >= 0


def test_waves(sim: ResponseData) -> None:
    out = compare_waves(sim.definition, sim, n_boot=100)
    assert out["latest"] == "w2" and out["previous"] == "w1" and not out["design"]["paired"]
    a = compute_tree(sim.definition, sim.filter(wave="w2"))
    b = compute_tree(sim.definition, sim.filter(wave="w1"))
    ref = stats.ttest_ind(a.respondent_index(), b.respondent_index(), equal_var=False)
    # weighted data: the weighted Welch test, which uses the weighted means
    assert out["index"]["test"]["test"] == "welch_t"
    assert out["index"]["diff"] == pytest.approx(a.index.value - b.index.value)
    assert np.isfinite(ref.pvalue)
    one = compare_waves(sim.definition, sim.filter(wave="w1"))
    assert one["status"] == "insufficient_data"


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
