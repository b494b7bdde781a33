"""Property tests (hypothesis): weights sum to 1, an index lies within the scale, permuting respondents
changes nothing."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analytics.data import ResponseData
from analytics.tree import compute_tree
from analytics.weights import ahp, critic_weights, entropy_weights, regression_importance
from tests.analytics.conftest import make_definition

D = make_definition()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def reciprocal(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(2, 8))
    vals = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9]
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = draw(st.sampled_from(vals))
            a[j, i] = 1 / a[i, j]
    return a


@SETTINGS
@given(reciprocal())
def test_ahp_weights_sum_to_one(a: np.ndarray) -> None:
    r = ahp(a)
    assert abs(r.weights.sum() - 1) < 1e-9 and (r.weights > 0).all()
    assert r.lambda_max >= a.shape[0] - 1e-9


matrices = arrays(np.float64, st.tuples(st.integers(5, 40), st.integers(2, 5)),
                  elements=st.integers(1, 5).map(lambda v: v * 20.0))


@SETTINGS
@given(matrices)
def test_objective_weights_sum_to_one_or_name_the_problem(x: np.ndarray) -> None:
    for f in (entropy_weights, critic_weights):
        try:
            w = f(x).weights
        except ValueError as exc:
            assert "constant" in str(exc) or "zero" in str(exc)
            continue
        assert abs(w.sum() - 1) < 1e-9 and (w >= -1e-15).all()


@SETTINGS
@given(matrices, st.integers(0, 2**31 - 1))
def test_regression_weights_sum_to_one_or_name_the_problem(x: np.ndarray, seed: int) -> None:
    y = x.mean(axis=1) + np.random.default_rng(seed).normal(0, 5, x.shape[0])
    try:
        r = regression_importance(x, y, shapley=False)
    except ValueError as exc:
        assert any(s in str(exc) for s in ("constant", "singular", "complete respondents", "explain nothing"))
        return
    assert abs(r.weights.sum() - 1) < 1e-9


codes = arrays(np.int16, st.tuples(st.integers(2, 30), st.just(5)), elements=st.sampled_from([-2, -1, 1, 2, 3, 4, 5]))
weights = st.none() | arrays(np.float64, 30, elements=st.floats(0.1, 10))


@SETTINGS
@given(codes, weights, st.randoms(use_true_random=False))
def test_index_within_scale_and_permutation_invariant(c: np.ndarray, w: np.ndarray | None, rnd) -> None:
    c = c.copy()
    c[:, 3] = np.where(c[:, 3] > 0, c[:, 3] * 2, c[:, 3])  # q4 is a 1..10 scale
    n = c.shape[0]
    brand = np.full((n, 3, 5), -1, dtype=np.int16)
    brand[:, 0, :] = c
    brand[:, 0, 0] = np.where(brand[:, 0, 0] == -2, 3, brand[:, 0, 0])
    brand[:, 0, 0] = np.where(brand[:, 0, 0] == -1, 4, brand[:, 0, 0])  # q1 always answered
    ww = None if w is None else w[:n]
    data = ResponseData.from_arrays(D, np.full((n, 6), -1), brand, weight=ww)
    t = compute_tree(D, data)
    lo_scale, hi_scale = 0.0, 100.0  # q4 linear reaches 0; percent-of-max items reach 20
    v = t.index.value
    assert lo_scale - 1e-9 <= v <= hi_scale + 1e-9
    leaf_means = t.item_means[~np.isnan(t.item_means)]
    assert leaf_means.min() - 1e-9 <= v <= leaf_means.max() + 1e-9
    perm = np.array(rnd.sample(range(n), n))
    t2 = compute_tree(D, data.take(perm))
    assert abs(t2.index.value - v) < 1e-9
    if t.index.se is not None:
        assert abs(t2.index.se - t.index.se) < 1e-9
    r1 = np.sort(t.respondent_index()[~np.isnan(t.respondent_index())])
    r2 = np.sort(t2.respondent_index()[~np.isnan(t2.respondent_index())])
    np.testing.assert_allclose(r1, r2)
