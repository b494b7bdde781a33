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
