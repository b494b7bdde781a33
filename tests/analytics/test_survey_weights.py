import numpy as np
import pytest

from analytics.survey_weights import RakingConvergenceWarning, kish_effective_n, rake, rake_data


def test_single_variable_is_post_stratification() -> None:
    sex = np.array(["m"] * 2 + ["f"] * 6)
    r = rake({"sex": sex}, {"sex": {"m": 0.5, "f": 0.5}})
    assert r.converged and r.iterations == 1
    np.testing.assert_allclose(r.weights, [2, 2] + [2 / 3] * 6)
    assert r.n_eff == pytest.approx(kish_effective_n(r.weights))


def test_two_way_raking_hand_case() -> None:
    # 2x2 sample counts [[30, 10], [20, 40]] raked to row margins 0.5/0.5 and column margins 0.4/0.6
    a = np.repeat(["r1", "r1", "r2", "r2"], [30, 10, 20, 40])
    b = np.repeat(["c1", "c2", "c1", "c2"], [30, 10, 20, 40])
    r = rake({"a": a, "b": b}, {"a": {"r1": 50, "r2": 50}, "b": {"c1": 0.4, "c2": 0.6}}, tol=1e-10)
    w = r.weights / r.weights.sum()
    assert w[a == "r1"].sum() == pytest.approx(0.5) and w[b == "c1"].sum() == pytest.approx(0.4)
    assert r.max_deviation < 1e-10 and r.weights.sum() == pytest.approx(100)
    # IPF keeps the sample's odds ratio: (30*40)/(10*20) = 6 in the weighted table
    cell = {k: w[(a == k[0]) & (b == k[1])].sum() for k in [("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")]}
    orr = cell[("r1", "c1")] * cell[("r2", "c2")] / (cell[("r1", "c2")] * cell[("r2", "c1")])
    assert orr == pytest.approx(6)


def test_non_convergence_is_reported() -> None:
    a = np.array(["x", "x", "y"])
    b = np.array(["p", "q", "q"])
    with pytest.warns(RakingConvergenceWarning):
        r = rake({"a": a, "b": b}, {"a": {"x": 0.1, "y": 0.9}, "b": {"p": 0.9, "q": 0.1}}, max_iter=3)
    assert not r.converged and r.iterations == 3 and r.report()["max_deviation"] > 0


def test_errors_name_variables_and_categories() -> None:
    with pytest.raises(ValueError, match="'sex' has categories without a margin: x"):
        rake({"sex": ["m", "x"]}, {"sex": {"m": 1}})
    with pytest.raises(ValueError, match="no respondents in margin categories f"):
        rake({"sex": ["m", "m"]}, {"sex": {"m": 0.5, "f": 0.5}})
    with pytest.raises(ValueError, match="differ"):
        rake({"sex": ["m"]}, {"age": {"a": 1}})


def test_rake_data(sim) -> None:
    raked, _ = rake_data(sim, {"region": {"north": 0.3, "south": 0.6, "(missing)": 0.1}})
    w = raked.weight
    codes = raked.segment_codes("region")
    assert w[codes == 0].sum() / w.sum() == pytest.approx(0.3, abs=1e-6)
    with pytest.raises(ValueError, match="'q1' is not a choice item"):
        rake_data(sim, {"q1": {"1": 1.0}})


def test_base_weights_post_stratification_hand_case() -> None:
    sex = np.array(["m", "m", "f", "f", "f"])
    base = np.array([1.0, 3.0, 1.0, 1.0, 2.0])
    r = rake({"sex": sex}, {"sex": {"m": 0.5, "f": 0.5}}, base_weights=base)
    # m: base total 4 of 8 -> factor 0.5/0.5 = 1; f: 4 of 8 -> 1; unchanged, then mean 1: w = base * 5/8
    np.testing.assert_allclose(r.weights, base * 5 / 8)
    r2 = rake({"sex": sex}, {"sex": {"m": 0.25, "f": 0.75}}, base_weights=base)
    np.testing.assert_allclose(r2.weights, np.array([0.5, 1.5, 1.5, 1.5, 3.0]) * 5 / 8)


def test_trimming_keeps_weights_within_bounds_and_reports() -> None:
    rng = np.random.default_rng(0)
    a = rng.choice(["x", "y"], 400, p=[0.75, 0.25])
    b = np.where(a == "y", rng.choice(["p", "q", "r"], 400, p=[0.6, 0.2, 0.2]), rng.choice(["p", "q", "r"], 400))
    margins = {"a": {"x": 0.5, "y": 0.5}, "b": {"p": 0.3, "q": 0.3, "r": 0.4}}
    free = rake({"a": a, "b": b}, margins)
    assert free.max_weight > 2.5
    r = rake({"a": a, "b": b}, margins, bounds=(0.3, 2.5), max_iter=500)
    assert r.converged and r.max_deviation < 1e-6
    assert r.min_weight >= 0.3 - 1e-9 and r.max_weight <= 2.5 + 1e-9 and r.n_trimmed > 0
    assert r.report()["bounds"] == [0.3, 2.5]
    for var, t in margins.items():
        v = {"a": a, "b": b}[var]
        for cat, share in t.items():
            assert r.weights[v == cat].sum() / r.weights.sum() == pytest.approx(share, abs=1e-6)
    # bounds this tight cannot meet the margins: reported, not hidden, and the bounds still hold
    with pytest.warns(RakingConvergenceWarning):
        tight = rake({"a": a, "b": b}, margins, bounds=(0.3, 2.0), max_iter=200)
    assert not tight.converged and tight.max_deviation > 1e-3 and tight.max_weight <= 2.0 + 1e-9
    with pytest.raises(ValueError, match=r"upper trimming bound 0\.5 must be >= 1"):
        rake({"a": a}, {"a": {"x": 0.5, "y": 0.5}}, bounds=(None, 0.5))


def test_zero_base_weights_stay_zero_when_trimming() -> None:
    a = np.array(["x", "x", "y", "y", "y"])
    r = rake({"a": a}, {"a": {"x": 0.5, "y": 0.5}}, base_weights=[0.0, 1.0, 1.0, 1.0, 1.0], bounds=(0.5, 2.5))
    assert r.weights[0] == 0 and r.converged


def test_rake_data_missing_answers_and_empty_categories(sim) -> None:
    codes = sim.segment_codes("region")
    missing = int((codes < 0).sum())
    assert missing > 0  # the simulated data has unanswered segment items
    with pytest.raises(ValueError, match=f"'region': {missing} respondent\\(s\\) did not answer it"):
        rake_data(sim, {"region": {"north": 0.5, "south": 0.5}})
    north = sim.take(codes == 0)
    raked, res = rake_data(north, {"region": {"north": 0.3, "south": 0.7}}, drop_empty=True)
    assert res.dropped == {"region": {"south": 0.7}} and res.converged
    np.testing.assert_allclose(raked.weight.mean(), 1.0)
    with pytest.raises(ValueError, match="no respondents in margin categories south"):
        rake_data(north, {"region": {"north": 0.3, "south": 0.7}})
