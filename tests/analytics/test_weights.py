import numpy as np
import pytest
import statsmodels.api as sm

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
