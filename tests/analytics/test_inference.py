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
