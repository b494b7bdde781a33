"""Calibrated (raking-aware) variances: algebra against direct formulas, wiring into the figures."""

import numpy as np
import pytest

from analytics.analyze import analyze
from analytics.calibration import Calibration, MarginDesign, calibrated_mean_variances
from analytics.data import ResponseData
from analytics.inference import weighted_mean_se
from analytics.itemstats import item_statistics
from analytics.satisfaction_rate import satisfaction_rate
from analytics.scoring import item_scoring
from analytics.simulate import simulate
from analytics.survey_weights import rake, rake_data
from analytics.tree import compute_tree
from tests.analytics.conftest import make_definition


def _leverage(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    G = np.linalg.pinv(X.T @ (w[:, None] * X))
    return w * np.einsum("ij,jk,ik->i", X, G, X)


def test_intercept_only_calibration_is_the_fixed_weight_formula_up_to_the_jackknife_factor() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(50, 10, 40)
    y[:3] = np.nan
    cal = Calibration(MarginDesign(("all",), (np.zeros(40, dtype=np.intp),), (1,)), np.ones(40))
    var = calibrated_mean_variances(y, cal)[0]
    _, se, n, _ = weighted_mean_se(y)
    # equal weights, one category: h_i = 1/N, so var = (N/(N-1))^2 sum u^2 against n/(n-1) sum u^2
    N = 40
    assert var == pytest.approx(se**2 * (n - 1) / n * (N / (N - 1)) ** 2)


def test_post_stratification_residuals_are_within_stratum_deviations() -> None:
    rng = np.random.default_rng(2)
    g = rng.integers(0, 3, 90)
    y = rng.normal(g * 10.0, 3.0)
    res = rake({"g": g}, {"g": {0: 0.5, 1: 0.3, 2: 0.2}})
    w = res.weights
    cal = res.calibration()
    W = w.sum()
    m = w @ y / W
    e = cal.residuals((y - m) / W)
    ybar = np.array([np.average(y[g == k], weights=w[g == k]) for k in range(3)])
    assert e == pytest.approx((y - ybar[g]) / W)
    X = np.eye(3)[g]
    h = _leverage(X, w)
    assert calibrated_mean_variances(y, cal)[0] == pytest.approx(np.sum((w * e / (1 - h)) ** 2))
    # the outcome is almost all between strata: calibration removes most of the fixed-weight variance
    assert calibrated_mean_variances(y, cal)[0] < 0.2 * weighted_mean_se(y, w)[1] ** 2


def test_two_margin_residuals_match_a_dense_weighted_least_squares_fit_and_domains_pad_with_zeros() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 3, 120), rng.integers(0, 2, 120)
    res = rake({"a": a, "b": b}, {"a": {0: 0.2, 1: 0.3, 2: 0.5}, "b": {0: 0.6, 1: 0.4}})
    cal, w = res.calibration(), res.weights
    assert res.design is not None and res.design.names == ("a", "b") and res.design.sizes == (3, 2)
    X = np.column_stack([np.eye(3)[a], np.eye(2)[b]])
    u = rng.normal(size=120)
    beta = np.linalg.lstsq(np.sqrt(w)[:, None] * X, np.sqrt(w) * u, rcond=None)[0]
    assert cal.residuals(u) == pytest.approx(u - X @ beta)
    dom = rng.random(120) < 0.6
    ud = np.where(dom, u, 0.0)
    beta_d = np.linalg.lstsq(np.sqrt(w)[:, None] * X, np.sqrt(w) * ud, rcond=None)[0]
    assert cal.domain(dom).residuals(u[dom]) == pytest.approx(ud - X @ beta_d)
    with pytest.raises(ValueError, match="linearised values"):
        cal.domain(dom).residuals(u)
    with pytest.raises(ValueError, match="not the raked weights"):
        cal.check(np.ones(120), "rate")


def _raked_sample(n: int = 400, seed: int = 4):  # type: ignore[no-untyped-def]
    """Age-dependent satisfaction, old respondents under-represented, raked to age and region margins."""
    d = make_definition()
    s = simulate(d, n, random_state=seed, durations=False)
    age = s.segment_codes("age")
    shift = np.array([-1, 0, 1])[age]
    resp, brand = s.resp.copy(), s.brand.copy()
    j = d.respondent_item_ids.index("sat")
    resp[:, j] = np.clip(resp[:, j] + shift, 1, 5)
    brand[:, 0, :2] = np.clip(brand[:, 0, :2] + shift[:, None], 1, 5)
    s = ResponseData.from_arrays(d, resp, brand)
    return d, *rake_data(s, {"age": {"young": 0.2, "mid": 0.3, "old": 0.5}, "region": {"north": 0.7, "south": 0.3}})


def test_calibrated_intervals_are_narrower_when_the_outcome_follows_a_margin() -> None:
    d, s, res = _raked_sample()
    cal = res.calibration()
    rule = item_scoring(d, "sat")
    fixed = satisfaction_rate(s.codes("sat"), rule, 2, s.weight)
    calib = satisfaction_rate(s.codes("sat"), rule, 2, s.weight, calibration=cal)
    assert calib.value == pytest.approx(fixed.value)
    assert calib.se is not None and fixed.se is not None and calib.se < fixed.se
    t_fixed = compute_tree(d, s, respondent_level=False)
    t_cal = compute_tree(d, s, respondent_level=False, calibration=cal)
    assert t_cal.variance == "calibrated" and t_fixed.variance == "fixed-weight"
    assert t_cal.index.value == pytest.approx(t_fixed.index.value)
    assert t_cal.index.se < t_fixed.index.se
    items = ["q1", "q2"]
    codes = s.code_matrix(items, "a")
    rules = [item_scoring(d, i) for i in items]
    st_f = item_statistics(codes, rules, [2, 2], s.weight)
    st_c = item_statistics(codes, rules, [2, 2], s.weight, calibration=cal)
    for f, c in zip(st_f, st_c, strict=True):
        assert c.mean.value == pytest.approx(f.mean.value) and c.mean.se < f.mean.se
        assert c.top_box.value == pytest.approx(f.top_box.value)
    # the index's leaf q1 equals the item mean's calibrated se
    q1 = next(nd for nd in t_cal.nodes if nd.item == "q1").score
    assert q1.se == pytest.approx(st_c[0].mean.se, rel=1e-9)


def test_analyze_records_the_variance_and_uses_it() -> None:
    margins = {"age": {"young": 0.2, "mid": 0.3, "old": 0.5}}
    d = make_definition(weighting={"margins": margins})
    s = simulate(d, 300, random_state=5, durations=False)
    out = analyze(d, s, n_boot=0, exclude_flags=False)
    assert out["weighting"]["variance"] == "calibrated"
    d0 = make_definition()
    w = rake_data(s, margins)[1].weights  # the same raked weights, given with the data: taken as fixed
    plain = analyze(d0, ResponseData.from_arrays(d0, s.resp, s.brand, weight=w), n_boot=0, exclude_flags=False)
    assert plain["weighting"]["variance"] == "fixed-weight"
    assert out["index"]["value"] == pytest.approx(plain["index"]["value"])
    assert out["index"]["se"] != pytest.approx(plain["index"]["se"], rel=1e-6)
    assert out["satisfaction_rate"]["value"] == pytest.approx(plain["satisfaction_rate"]["value"])
    assert out["satisfaction_rate"]["ci"] != pytest.approx(plain["satisfaction_rate"]["ci"], rel=1e-6)
    unweighted = analyze(d0, ResponseData.from_arrays(d0, s.resp, s.brand), n_boot=0, exclude_flags=False)
    assert unweighted["weighting"]["variance"] == "unweighted"
