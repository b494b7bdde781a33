import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analytics.inference import kish_effective_n, wilson_ci
from analytics.kano import kano, kano_category
from analytics.servqual import overall_gap, servqual_gaps


def test_kano_table() -> None:
    f = [1, 1, 1, 2, 5, 3, 1, 5]
    d = [5, 2, 1, 5, 1, 3, 4, 5]
    assert kano_category(f, d).tolist() == ["O", "A", "Q", "M", "R", "I", "A", "Q"]
    assert kano_category([1, np.nan, 6], [5, 5, 5]).tolist() == ["O", "", ""]


def test_kano_counts_category_better_worse() -> None:
    # 3 A, 2 O, 4 M, 1 I
    f = [1, 1, 1, 1, 1, 2, 2, 3, 4, 3]
    d = [2, 3, 4, 5, 5, 5, 5, 5, 5, 3]
    r = kano(f, d)
    assert r.counts["A"] == 3 and r.counts["O"] == 2 and r.counts["M"] == 4 and r.counts["I"] == 1
    assert r.category == "M"
    assert r.better == pytest.approx(5 / 10) and r.worse == pytest.approx(-6 / 10)
    # Better and Worse are proportions among the 10 A/O/M/I respondents: Wilson intervals (statsmodels)
    out = r.to_dict()
    assert out["better"]["n"] == 10 and out["better"]["ci"] == pytest.approx(
        list(proportion_confint(5, 10, method="wilson")), abs=1e-12)
    lo, hi = proportion_confint(6, 10, method="wilson")
    assert out["worse"]["ci"] == pytest.approx([-hi, -lo], abs=1e-12)
    tie = kano([1, 2], [5, 5])  # one O, one M: tie broken M > O
    assert tie.category == "M"
    empty = kano([np.nan], [1])
    assert empty.category is None and empty.to_dict()["status"] == "insufficient_data"
    assert empty.to_dict()["better"]["status"] == "insufficient_data"


def test_kano_weighted_equals_replicated_rows_and_uses_kish() -> None:
    rng = np.random.default_rng(4)
    f = rng.integers(1, 6, 80).astype(float)
    d = rng.integers(1, 6, 80).astype(float)
    f[3] = np.nan
    w = rng.integers(1, 4, 80).astype(float)
    rep = np.repeat(np.arange(80), w.astype(int))
    rw, rr = kano(f, d, w), kano(f[rep], d[rep])
    assert rw.counts == pytest.approx(rr.counts)
    assert rw.category == rr.category
    assert rw.better == pytest.approx(rr.better) and rw.worse == pytest.approx(rr.worse)
    # the interval uses the Kish size of the A/O/M/I respondents, not the replicated count
    cat = kano_category(f, d)
    aomi = np.isin(cat, ["A", "O", "M", "I"])
    assert rw.better_estimate.n == int(aomi.sum())
    assert rw.better_estimate.ci == pytest.approx(wilson_ci(rw.better, kish_effective_n(w[aomi])))
    # scaling all weights changes nothing
    r3 = kano(f, d, 3.7 * w)
    assert r3.better_estimate.ci == pytest.approx(rw.better_estimate.ci) and r3.category == rw.category
    with pytest.raises(ValueError, match="expected 80 weights"):
        kano(f, d, w[:79])


def test_servqual_gaps_paired_tests() -> None:
    rng = np.random.default_rng(0)
    E = rng.integers(4, 8, (60, 4)).astype(float)
    P = E - rng.integers(0, 3, (60, 4))
    P[0, 1] = np.nan
    items = ["r1", "r2", "t1", "t2"]
    dims = {"r1": "reliability", "r2": "reliability", "t1": "tangibles", "t2": "tangibles"}
    out = servqual_gaps(P, E, items, dims)
    ok = ~np.isnan(P[:, 1])
    r2 = out["items"]["r2"]
    assert r2["gap"]["value"] == pytest.approx((P[ok, 1] - E[ok, 1]).mean()) and r2["gap"]["n"] == 59
    ref = stats.ttest_rel(P[ok, 1], E[ok, 1])
    assert r2["test"]["p_value"] == pytest.approx(ref.pvalue)
    assert r2["gap"]["ci"] == pytest.approx(list(ref.confidence_interval()))
    assert r2["perception"]["value"] == pytest.approx(P[ok, 1].mean())
    assert r2["expectation"]["value"] == pytest.approx(E[ok, 1].mean())
    t = out["dimensions"]["tangibles"]
    assert t["gap"]["value"] == pytest.approx((P[:, 2:].mean(1) - E[:, 2:].mean(1)).mean())
    og = out["overall_gap"]
    assert og["value"] == pytest.approx((out["dimensions"]["reliability"]["gap"]["value"] + t["gap"]["value"]) / 2)
    with pytest.raises(ValueError, match="without a dimension: t2"):
        servqual_gaps(P, E, items, {k: v for k, v in dims.items() if k != "t2"})


def test_overall_gap_delta_method() -> None:
    rng = np.random.default_rng(1)
    G = rng.normal(-0.5, 1, (200, 3))
    # without missing dimensions: the t-interval of each respondent's average gap (scipy)
    est = overall_gap(G)
    avg = G.mean(axis=1)
    assert est.value == pytest.approx(avg.mean())
    ref = stats.ttest_1samp(avg, 0).confidence_interval()
    assert est.ci == pytest.approx((ref.low, ref.high))
    # with missing dimensions: the mean of the dimension means, its se close to a bootstrap's
    G[rng.random(G.shape) < 0.3] = np.nan
    est = overall_gap(G)
    assert est.value == pytest.approx(np.nanmean(G, axis=0).mean())
    boot = []
    for _ in range(2000):
        s = G[rng.integers(0, 200, 200)]
        boot.append(np.nanmean(s, axis=0).mean())
    assert est.se == pytest.approx(np.std(boot, ddof=1), rel=0.1)


def test_servqual_weighted_equals_replicated_rows_and_checks_weights() -> None:
    rng = np.random.default_rng(2)
    E = rng.integers(1, 8, (50, 3)).astype(float)
    P = np.clip(E + rng.integers(-2, 2, (50, 3)), 1, 7)
    E[4, 0] = np.nan
    w = rng.integers(1, 4, 50).astype(float)
    rep = np.repeat(np.arange(50), w.astype(int))
    items, dims = ["a", "b", "c"], {"a": "reliability", "b": "reliability", "c": "empathy"}
    ow, orr = servqual_gaps(P, E, items, dims, w), servqual_gaps(P[rep], E[rep], items, dims)
    for it in items:
        assert ow["items"][it]["gap"]["value"] == pytest.approx(orr["items"][it]["gap"]["value"])
        assert ow["items"][it]["perception"]["value"] == pytest.approx(orr["items"][it]["perception"]["value"])
    for dim in ("reliability", "empathy"):
        assert ow["dimensions"][dim]["gap"]["value"] == pytest.approx(orr["dimensions"][dim]["gap"]["value"])
    assert ow["overall_gap"]["value"] == pytest.approx(orr["overall_gap"]["value"])
    scaled = servqual_gaps(P, E, items, dims, 5 * w)
    for key in ("value", "se", "n_eff"):
        assert scaled["overall_gap"][key] == pytest.approx(ow["overall_gap"][key])
    assert scaled["overall_gap"]["ci"] == pytest.approx(ow["overall_gap"]["ci"])
    assert scaled["items"]["a"]["test"] == pytest.approx(ow["items"]["a"]["test"])
    with pytest.raises(ValueError, match="SERVQUAL respondent weights: expected 50 weights"):
        servqual_gaps(P, E, items, dims, w[:-1])
