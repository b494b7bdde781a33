import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from analytics.weights import (
    ahp,
    critic_weights,
    entropy_weights,
    equal_weights,
    regression_importance,
    relative_weights,
    shapley_r2,
    validate_weights,
)


def test_ahp_consistent_matrix_hand_computed() -> None:
    a = [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]
    r = ahp(a, ["x", "y", "z"])
    np.testing.assert_allclose(r.weights, [4 / 7, 2 / 7, 1 / 7])
    assert r.lambda_max == pytest.approx(3) and r.cr == pytest.approx(0, abs=1e-12) and r.consistent
    assert r.ri == 0.58 and r.as_dict()["x"] == pytest.approx(4 / 7)


def test_ahp_inconsistent_matrix_reports_cr() -> None:
    a = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    r = ahp(a)
    assert not r.consistent and r.cr >= 0.1
    assert "inconsistent" in str(r.diagnostics["message"])
    # CI = (lambda - n)/(n - 1), CR = CI / RI
    assert r.ci == pytest.approx((r.lambda_max - 3) / 2) and r.cr == pytest.approx(r.ci / 0.58)


def test_ahp_bad_input() -> None:
    with pytest.raises(ValueError, match="square"):
        ahp([[1, 2]])
    with pytest.raises(ValueError, match="3 names given for 2"):
        ahp([[1, 2], [0.5, 1]], ["a", "b", "c"])


def test_entropy_hand_computed() -> None:
    x = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0]])
    r = entropy_weights(x, names=["a", "b"])
    p = np.array([1, 2, 3]) / 6
    e = -(p * np.log(p)).sum() / np.log(3)
    np.testing.assert_allclose(r.weights, [1, 0])  # b is constant: e = 1, d = 0
    assert r.diagnostics["entropy"][0] == pytest.approx(e)
    x2 = np.array([[1.0, 3.0], [2.0, 1.0], [3.0, 2.0], [4.0, 9.0]])
    r2 = entropy_weights(x2)
    P = x2 / x2.sum(0)
    d = 1 + (P * np.log(P)).sum(0) / np.log(4)
    np.testing.assert_allclose(r2.weights, d / d.sum())


def test_entropy_errors_name_items() -> None:
    with pytest.raises(ValueError, match="all constant"):
        entropy_weights(np.ones((5, 2)), names=["a", "b"])
    with pytest.raises(ValueError, match=r"indicator\(s\) b are zero for everybody"):
        entropy_weights(np.column_stack([np.arange(5.0), np.zeros(5)]), names=["a", "b"])


def test_critic_hand_computed() -> None:
    x = np.array([[1.0, 5, 2], [2, 3, 2.5], [3, 4, 1], [4, 1, 3]])
    r = critic_weights(x)
    z = (x - x.min(0)) / (x.max(0) - x.min(0))
    sd = z.std(0)
    c = sd * (1 - np.corrcoef(z.T)).sum(1)
    np.testing.assert_allclose(r.weights, c / c.sum())
    with pytest.raises(ValueError, match=r"constant indicator.*k"):
        critic_weights(np.column_stack([x, np.ones(4)]), names=["a", "b", "c", "k"])


def test_regression_matches_statsmodels_standardised_ols() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 1]])
    y = X @ [0.5, 0.3, 0.1] + rng.normal(0, 0.5, 200)
    r = regression_importance(X, y, names=["a", "b", "c"])
    Z = (X - X.mean(0)) / X.std(0)
    ref = sm.OLS((y - y.mean()) / y.std(), sm.add_constant(Z)).fit()
    np.testing.assert_allclose(r.beta, ref.params[1:], atol=1e-10)
    assert r.r2 == pytest.approx(ref.rsquared)
    assert r.raw_relative.sum() == pytest.approx(r.r2)
    assert r.shapley is not None and r.shapley.sum() == pytest.approx(r.r2)
    assert r.weights.sum() == pytest.approx(1)
    from statsmodels.stats.outliers_influence import variance_inflation_factor
    exog = sm.add_constant(X)
    np.testing.assert_allclose(r.vif, [variance_inflation_factor(exog, j) for j in (1, 2, 3)])


def test_regression_singular_and_constant_name_items() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=50)
    X = np.column_stack([a, b, a + b])
    with pytest.raises(ValueError, match=r"singular design.*q1, q2, q3"):
        regression_importance(X, a + rng.normal(size=50), names=["q1", "q2", "q3"])
    X2 = np.column_stack([a, np.full(50, 3.0)])
    with pytest.raises(ValueError, match=r"constant indicator.*q2"):
        regression_importance(X2, a, names=["q1", "q2"])
    with pytest.raises(ValueError, match="complete respondents"):
        regression_importance(X[:3], a[:3], names=["q1", "q2", "q3"])


def test_relative_weights_orthogonal_predictors_equal_squared_correlations() -> None:
    rxx = np.eye(2)
    rxy = np.array([0.6, 0.3])
    np.testing.assert_allclose(relative_weights(rxx, rxy), [0.36, 0.09])
    np.testing.assert_allclose(shapley_r2(rxx, rxy), [0.36, 0.09])


def test_validate_weights_and_equal() -> None:
    with pytest.raises(ValueError, match="node x: 2 weights for 3 items"):
        validate_weights([0.5, 0.5], ["a", "b", "c"], "node x")
    with pytest.raises(ValueError, match=r"sum to 1\.1"):
        validate_weights([0.5, 0.6], ["a", "b"])
    np.testing.assert_allclose(equal_weights(["a", "b", "c", "d"]).weights, 0.25)


def test_ahp_inconsistent_4x4_against_an_independent_eigen_computation() -> None:
    a = np.array([[1, 3, 5, 1 / 2], [1 / 3, 1, 1 / 2, 4], [1 / 5, 2, 1, 3], [2, 1 / 4, 1 / 3, 1]])
    r = ahp(a)
    # reference 1: numpy's eigenvalues; reference 2: power iteration for the Perron vector
    lam_ref = max(np.linalg.eigvals(a).real)
    v = np.ones(4)
    for _ in range(500):
        v = a @ v
        v /= v.sum()
    assert r.lambda_max == pytest.approx(lam_ref, rel=1e-10)
    assert r.lambda_max == pytest.approx(float(np.mean(a @ v / v)), rel=1e-8)
    np.testing.assert_allclose(r.weights, v, rtol=1e-8)
    ci = (lam_ref - 4) / 3
    assert r.ci == pytest.approx(ci) and r.ri == 0.90 and r.cr == pytest.approx(ci / 0.90)  # Saaty RI(4) = 0.90
    assert r.cr > 0.1 and not r.consistent


def _correlated(n: int = 300, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    L = np.array([[1, 0, 0, 0], [0.7, 0.7, 0, 0], [0.5, 0.3, 0.8, 0], [0.2, 0.6, 0.1, 0.7]])
    X = rng.normal(size=(n, 4)) @ L.T
    y = X @ [0.5, 0.2, 0.3, -0.1] + rng.normal(0, 1, n)
    return X, y


def test_shapley_brute_force_with_statsmodels_on_correlated_data() -> None:
    X, y = _correlated()
    r = regression_importance(X, y, names=list("abcd"))
    k = 4
    r2 = {(): 0.0}
    for size in range(1, k + 1):
        for s in itertools.combinations(range(k), size):
            r2[s] = sm.OLS(y, sm.add_constant(X[:, list(s)])).fit().rsquared
    phi = np.zeros(k)
    for s, v in r2.items():
        for j in set(range(k)) - set(s):
            t = tuple(sorted((*s, j)))
            phi[j] += math.factorial(len(s)) * math.factorial(k - len(s) - 1) / math.factorial(k) * (r2[t] - v)
    np.testing.assert_allclose(r.shapley, phi, atol=1e-10)
    assert phi.sum() == pytest.approx(r2[(0, 1, 2, 3)])


def test_relative_weights_by_johnsons_svd_procedure_on_correlated_data() -> None:
    X, y = _correlated(seed=4)
    r = regression_importance(X, y, names=list("abcd"))
    # Johnson (2000) through the data: X = P D Q', Z = P Q' (orthonormal), beta = OLS(y on Z),
    # Lambda = OLS(X on Z) = Q D Q' / sqrt(n), eps_j = sum_k Lambda_jk^2 beta_k^2
    Zx = (X - X.mean(0)) / X.std(0)
    zy = (y - y.mean()) / y.std()
    P, _, Qt = np.linalg.svd(Zx, full_matrices=False)
    Z = P @ Qt
    Z = (Z - Z.mean(0)) / Z.std(0)
    beta = sm.OLS(zy, Z).fit().params
    lam = np.linalg.lstsq(Z, Zx, rcond=None)[0].T
    eps = (lam**2) @ (beta**2)
    np.testing.assert_allclose(r.raw_relative, eps, atol=1e-10)
    np.testing.assert_allclose(r.weights, eps / eps.sum(), atol=1e-10)


def test_weighted_entropy_hand_computed_and_constant_indicator_named() -> None:
    x = np.array([[1.0, 4.0, 5.0], [2.0, 2.0, 5.0], [3.0, 1.0, 5.0]])
    w = np.array([1.0, 1.0, 2.0])
    r = entropy_weights(x, w, names=["a", "b", "c"])
    v = 3 * w / w.sum()  # weights rescaled to mean 1: 0.75, 0.75, 1.5
    e = []
    for j in (0, 1):
        p = x[:, j] / (v @ x[:, j])
        e.append(-(v * p * np.log(p)).sum() / np.log(3))
    # column a: v.x = 0.75 + 1.5 + 4.5 = 6.75; column b: 3 + 1.5 + 1.5 = 6
    assert r.diagnostics["entropy"][:2] == pytest.approx(e)
    d = 1 - np.array(e)
    np.testing.assert_allclose(r.weights, [d[0] / d.sum(), d[1] / d.sum(), 0.0])
    # the constant indicator c has entropy exactly 1 although the weights are unequal, and is named
    assert r.diagnostics["entropy"][2] == pytest.approx(1.0) and r.diagnostics["zeroed"] == ["c"]
    assert "c do not vary" in r.diagnostics["message"]
    np.testing.assert_allclose(entropy_weights(x, 7 * w).weights, r.weights)  # scale-free


def test_weighted_critic_equals_replicated_rows_and_hand_formula() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(30, 3)) @ np.array([[1, 0.4, 0], [0, 1, 0.5], [0, 0, 1]])
    w = rng.integers(1, 4, 30).astype(float)
    rep = np.repeat(np.arange(30), w.astype(int))
    r, ref = critic_weights(x, w), critic_weights(x[rep])
    np.testing.assert_allclose(r.weights, ref.weights, atol=1e-12)
    z = (x - x.min(0)) / (x.max(0) - x.min(0))
    m = np.average(z, axis=0, weights=w)
    cov = ((z - m) * w[:, None]).T @ (z - m) / w.sum()
    sd = np.sqrt(np.diag(cov))
    c = sd * (1 - cov / np.outer(sd, sd)).sum(1)
    np.testing.assert_allclose(r.weights, c / c.sum(), atol=1e-12)


def test_weighted_regression_equals_replicated_rows_and_uses_hc1() -> None:
    X, y = _correlated(n=120, seed=9)
    w = np.random.default_rng(9).integers(1, 4, 120).astype(float)
    rep = np.repeat(np.arange(120), w.astype(int))
    r, ref = regression_importance(X, y, w, list("abcd")), regression_importance(X[rep], y[rep], None, list("abcd"))
    np.testing.assert_allclose(r.beta, ref.beta, atol=1e-10)
    assert r.r2 == pytest.approx(ref.r2)
    np.testing.assert_allclose(r.raw_relative, ref.raw_relative, atol=1e-10)
    np.testing.assert_allclose(r.shapley, ref.shapley, atol=1e-10)
    assert r.diagnostics["p_value_method"].startswith("WLS with HC1")
    assert ref.diagnostics["p_value_method"] == "OLS"
    # HC1 sandwich by hand on the weighted-standardised data: n/(n-p) (X'WX)^-1 (sum w^2 e^2 x x') (X'WX)^-1
    m = np.average(np.column_stack([X, y]), axis=0, weights=w)
    Zall = np.column_stack([X, y]) - m
    sd = np.sqrt(np.average(Zall**2, axis=0, weights=w))
    Z = Zall / sd
    A = np.column_stack([np.ones(120), Z[:, :4]])
    bread = np.linalg.inv(A.T @ (w[:, None] * A))
    b = bread @ A.T @ (w * Z[:, 4])
    e = Z[:, 4] - A @ b
    meat = (A * (w * e)[:, None]).T @ (A * (w * e)[:, None])
    cov = 120 / (120 - 5) * bread @ meat @ bread
    t = b[1:] / np.sqrt(np.diag(cov)[1:])
    np.testing.assert_allclose(r.p_values, 2 * stats.norm.sf(np.abs(t)), rtol=1e-8)
    s = regression_importance(X, y, 2.5 * w, list("abcd"))  # scaling all weights changes nothing
    np.testing.assert_allclose(s.p_values, r.p_values, rtol=1e-10)
    np.testing.assert_allclose(s.weights, r.weights, atol=1e-12)
