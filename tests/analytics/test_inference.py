import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from analytics.inference import (
    check_weights,
    holm,
    kish_effective_n,
    mean_estimate,
    weighted_mean_se,
    weighted_t_test,
    wilson_ci,
)


def test_unweighted_mean_se_is_s_over_root_n() -> None:
    x = np.random.default_rng(0).normal(50, 10, 200)
    m, se, n, ne = weighted_mean_se(x)
    assert m == pytest.approx(x.mean()) and se == pytest.approx(x.std(ddof=1) / np.sqrt(200))
    assert n == 200 and ne == 200


def test_mean_estimate_matches_statsmodels_t_interval() -> None:
    x = np.random.default_rng(1).normal(60, 15, 50)
    est = mean_estimate(x)
    lo, hi = DescrStatsW(x).tconfint_mean()
    assert est.ci == pytest.approx((lo, hi))


def test_weighted_linearisation_se() -> None:
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=30), rng.uniform(0.5, 2, 30)
    m, se, _, _ = weighted_mean_se(x, w)
    p = w / w.sum()
    assert m == pytest.approx(np.average(x, weights=w))
    assert se == pytest.approx(np.sqrt(30 / 29 * np.sum((p * (x - m)) ** 2)))


def test_thin_data_is_explicit() -> None:
    assert mean_estimate(np.array([np.nan])).status == "insufficient_data"
    one = mean_estimate(np.array([3.0]))
    assert one.value is None and "one answer" in (one.reason or "")


def test_kish() -> None:
    assert kish_effective_n(np.ones(10)) == 10
    assert kish_effective_n([1, 3]) == pytest.approx(16 / 10)


def test_wilson_matches_statsmodels() -> None:
    for k, n in [(0, 10), (3, 10), (10, 10), (412, 812)]:
        assert wilson_ci(k / n, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-12)


def test_holm_matches_statsmodels_and_keeps_nan() -> None:
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2])
    rej, adj = holm(p)
    _, a2, _, _ = multipletests(p[[0, 1, 3, 4]], method="holm")
    np.testing.assert_allclose(adj[[0, 1, 3, 4]], a2)
    assert np.isnan(adj[2]) and not rej[2]


def test_t_tests_match_scipy_and_weighted_reduce_to_them() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 40), rng.normal(0.3, 2, 55)
    r = weighted_t_test(a, b, paired=False)
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert r.statistic == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
    rw = weighted_t_test(a, b, paired=False, weights_a=np.ones(40), weights_b=np.ones(55))
    assert rw.statistic == pytest.approx(ref.statistic) and rw.p_value == pytest.approx(ref.pvalue)
    assert rw.df == pytest.approx(ref.df)
    c = a + rng.normal(0.2, 0.5, 40)
    rp = weighted_t_test(c, a, paired=True)
    refp = stats.ttest_rel(c, a)
    assert rp.statistic == pytest.approx(refp.statistic) and rp.p_value == pytest.approx(refp.pvalue)
    rpw = weighted_t_test(c, a, paired=True, weights_a=np.ones(40))
    assert rpw.p_value == pytest.approx(refp.pvalue)


def test_t_test_thin_and_constant_data_raise_clearly() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        weighted_t_test(np.array([1.0]), np.array([1.0, 2.0]), paired=False)
    with pytest.raises(ValueError, match="variance"):
        weighted_t_test(np.ones(5), np.ones(5), paired=False)


def test_check_weights() -> None:
    with pytest.raises(ValueError, match="expected 3 weights"):
        check_weights([1, 2], 3)
    with pytest.raises(ValueError, match="non-negative"):
        check_weights([1, -2], 2)


def test_holm_hand_worked() -> None:
    # m = 4; sorted p: 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 = 0.04 -> max(0.06, 0.04) = 0.06
    rej, adj = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adj, [0.03, 0.06, 0.06, 0.02])
    assert rej.tolist() == [True, False, False, True]
    # a large p-value is capped at 1
    _, adj = holm([0.6, 0.01])
    np.testing.assert_allclose(adj, [0.6, 0.02])


def test_weighted_welch_hand_computed() -> None:
    a, wa = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])
    b, wb = np.array([2.0, 4.0]), np.array([1.0, 3.0])
    # a: mean 9/4; (w/W)(x - m) = -5/16, -1/16, 3/8; var = 3/2 * (25 + 1 + 36)/256 = 93/256; n_eff = 16/6
    # b: mean 14/4 = 7/2; (w/W)(x - m) = -3/8, 3/8; var = 2 * 18/64 = 9/16; n_eff = 16/10 -> df floor 1
    m, se, n, ne = weighted_mean_se(a, wa)
    assert (m, se**2, n, ne) == pytest.approx((9 / 4, 93 / 256, 3, 8 / 3))
    va, vb = 93 / 256, 9 / 16
    v = va + vb
    df = v**2 / (va**2 / (8 / 3 - 1) + vb**2 / 1.0)
    t = (9 / 4 - 7 / 2) / np.sqrt(v)
    r = weighted_t_test(a, b, paired=False, weights_a=wa, weights_b=wb)
    assert r.diff == pytest.approx(-1.25) and r.statistic == pytest.approx(t) and r.df == pytest.approx(df)
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(t), df))
    h = stats.t.ppf(0.975, df) * np.sqrt(v)
    assert r.ci == pytest.approx((-1.25 - h, -1.25 + h))


def test_weighted_paired_hand_computed() -> None:
    a, b = np.array([3.0, 5.0, 4.0, 6.0]), np.array([1.0, 4.0, 4.0, 3.0])
    w = np.array([1.0, 2.0, 1.0, 0.5])
    # d = 2, 1, 0, 3; W = 4.5; mean = 5.5/4.5 = 11/9
    d, m = np.array([2.0, 1, 0, 3]), 11 / 9
    var = 4 / 3 * np.sum((w / 4.5 * (d - m)) ** 2)
    ne = 4.5**2 / np.sum(w**2)
    r = weighted_t_test(a, b, paired=True, weights_a=w)
    assert r.diff == pytest.approx(m) and r.statistic == pytest.approx(m / np.sqrt(var))
    assert r.df == pytest.approx(ne - 1) and r.p_value == pytest.approx(2 * stats.t.sf(m / np.sqrt(var), ne - 1))


@pytest.mark.parametrize("paired", [False, True])
def test_weighted_t_test_scale_invariance_and_replicated_rows(paired: bool) -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(50, 10, 40)
    b = a + rng.normal(2, 5, 40) if paired else rng.normal(53, 12, 35)
    wa, wb = rng.integers(1, 4, 40).astype(float), rng.integers(1, 4, b.shape[0]).astype(float)
    r = weighted_t_test(a, b, paired=paired, weights_a=wa, weights_b=None if paired else wb)
    s = weighted_t_test(a, b, paired=paired, weights_a=6.5 * wa, weights_b=None if paired else 6.5 * wb)
    assert (s.diff, s.statistic, s.df, s.p_value) == pytest.approx((r.diff, r.statistic, r.df, r.p_value))
    assert s.ci == pytest.approx(r.ci)
    ra, rb = np.repeat(np.arange(40), wa.astype(int)), np.repeat(np.arange(b.shape[0]), wb.astype(int))
    rep = weighted_t_test(a[ra], b[ra] if paired else b[rb], paired=paired)
    assert rep.diff == pytest.approx(r.diff)  # point estimates equal replicated rows (the variance does not)


def test_weights_of_the_wrong_length_name_the_mismatch() -> None:
    a, b = np.arange(5.0), np.arange(6.0)
    with pytest.raises(ValueError, match="Welch test weights of group a: expected 5 weights, got shape"):
        weighted_t_test(a, b, paired=False, weights_a=np.ones(4))
    with pytest.raises(ValueError, match="Welch test weights of group b: expected 6 weights"):
        weighted_t_test(a, b, paired=False, weights_b=np.ones(5))
    with pytest.raises(ValueError, match="paired test weights: expected 5 weights"):
        weighted_t_test(a, a + 1, paired=True, weights_a=np.ones(6))
