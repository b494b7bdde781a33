"""AHP arithmetic against a hand-computed case (Saaty 1980)."""

from __future__ import annotations

import numpy as np
import pytest

from survey_defs.ahp import RANDOM_INDEX, ahp_weights, is_reciprocal

CLASSIC: list[list[float]] = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


def _power_iteration(a: np.ndarray, iters: int = 200) -> tuple[np.ndarray, float]:
    """An independent route to the principal eigenpair, to check the eigen-solver result."""
    w = np.ones(a.shape[0]) / a.shape[0]
    for _ in range(iters):
        w = a @ w
        w = w / w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


def test_classic_3x3_weights_and_cr() -> None:
    res = ahp_weights(CLASSIC)
    w, lam = _power_iteration(np.array(CLASSIC))
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    np.testing.assert_allclose(res.weights, [0.6370, 0.2583, 0.1047], atol=5e-4)  # published figures
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.lambda_max == pytest.approx(lam, abs=1e-9)
    assert res.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert res.ci == pytest.approx((lam - 3) / 2)
    assert res.ri == 0.58
    assert res.cr == pytest.approx(0.0332, abs=5e-4)
    assert res.consistent


def test_perfectly_consistent_matrix_has_zero_cr() -> None:
    w = np.array([0.5, 0.3, 0.2])
    res = ahp_weights(w[:, None] / w[None, :])
    np.testing.assert_allclose(res.weights, w)
    assert res.cr == pytest.approx(0.0, abs=1e-12)


def test_inconsistent_matrix_is_flagged() -> None:
    res = ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert res.cr >= 0.10
    assert not res.consistent


def test_small_matrices_have_zero_cr() -> None:
    assert ahp_weights([[1]]).cr == 0.0
    r2 = ahp_weights([[1, 4], [1 / 4, 1]])
    np.testing.assert_allclose(r2.weights, [0.8, 0.2])
    assert r2.cr == 0.0
    assert r2.consistent


def test_random_index_table() -> None:
    assert RANDOM_INDEX == (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
    assert ahp_weights(np.ones((15, 15))).ri == 1.59


def test_is_reciprocal() -> None:
    assert is_reciprocal(CLASSIC)
    assert not is_reciprocal([[1, 3], [3, 1]])
    assert not is_reciprocal([[2, 3], [1 / 3, 1]])
    assert not is_reciprocal([[1, 3], [0.33, 1]])
    assert is_reciprocal([[1, 3], [0.33, 1]], tol=0.02)


@pytest.mark.parametrize(
    "matrix",
    [[[1, 2, 3], [0.5, 1, 2]], [1, 2, 3], [], np.ones((16, 16)), [[1, -2], [-0.5, 1]], [[1, 0], [0, 1]]],
    ids=["non-square", "1-d", "empty", "n>15", "negative", "zero"],
)
def test_bad_matrices_raise_value_error(matrix: object) -> None:
    with pytest.raises(ValueError):
        ahp_weights(matrix)  # type: ignore[arg-type]
