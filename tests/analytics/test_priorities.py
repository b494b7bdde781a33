import numpy as np
import pytest

from analytics.priorities import bootstrap_priorities, importance_performance
from analytics.simulate import simulate
from analytics.weights import regression_importance
from tests.analytics.conftest import make_definition


def test_quadrants_and_ranking_rule() -> None:
    names = ["a", "b", "c", "d"]
    imp = [0.4, 0.3, 0.2, 0.1]  # mean 0.25
    perf = [60.0, 90.0, 50.0, 95.0]  # mean 73.75
    out = importance_performance(names, imp, perf)
    q = {r["item"]: r["quadrant"] for r in out["items"]}
    assert q == {"a": "improve_first", "b": "keep_up", "c": "low_priority", "d": "possible_overkill"}
    assert [r["item"] for r in out["improve_first"]] == ["a"]
    pr = {r["item"]: r["priority"]["value"] for r in out["items"]}
    assert pr["a"] == pytest.approx(0.4 * 40) and pr["c"] == pytest.approx(0.2 * 50)
    assert out["ranking"] == ["a", "c", "b", "d"]


def test_median_split_and_targets() -> None:
    out = importance_performance(["a", "b", "c"], [1, 2, 9], [80, 70, 60], split="median",
                                 target={"a": 90, "b": 70, "c": 65})
    assert out["split_importance"] == 2 and out["split_performance"] == 70
    assert [r["item"] for r in out["improve_first"]] == ["c"]
    assert {r["item"]: r["gap"]["value"] for r in out["items"]} == {"a": 10, "b": 0, "c": 5}
    assert all(r["gap"]["ci"] is None and "estimate" in r["gap"]["ci_note"] for r in out["items"])


def test_bad_input_names_items() -> None:
    with pytest.raises(ValueError, match="no importance or performance for b"):
        importance_performance(["a", "b"], [1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="must match 3 items"):
        importance_performance(["a", "b", "c"], [1, 2], [1, 2])


def test_row_figures_carry_n_and_intervals() -> None:
    out = importance_performance(["a", "b"], [0.75, 0.25], [60.0, 80.0], n=[40, 50],
                                 performance_ci=[[55.0, 65.0], [77.0, 83.0]])
    a = out["items"][0]
    assert a["performance"] == {"value": 60.0, "n": 40, "ci": [55.0, 65.0]}
    assert a["gap"] == {"value": 40.0, "n": 40, "ci": [35.0, 45.0]}  # 100 - [55, 65]
    assert a["priority"]["value"] == pytest.approx(30.0) and a["priority"]["ci"] == pytest.approx([26.25, 33.75])
    assert a["importance"]["ci"] is None and "fixed" in a["importance"]["ci_note"]
    derived = importance_performance(["a", "b"], [0.75, 0.25], [60.0, 80.0], n=[40, 50],
                                     performance_ci=[[55.0, 65.0], [77.0, 83.0]],
                                     importance_ci=[[0.6, 0.9], [0.1, 0.4]], priority_ci=[[20, 40], [2, 8]])
    assert derived["items"][0]["importance"]["ci"] == [0.6, 0.9] and derived["items"][1]["priority"]["ci"] == [2, 8]
    with pytest.raises(ValueError, match="performance_ci has shape"):
        importance_performance(["a"], [1.0], [50.0], performance_ci=[[1.0, 2.0], [3.0, 4.0]])


def _priority_data(n: int, weighted: bool = True, seed: int = 4):
    d = make_definition()
    data = simulate(d, n, random_state=seed, missing=0.03, weighted=weighted)
    items = ["q1", "q2", "q4"]
    return data.score_matrix(items, "a"), data.scores("sat"), data.weight


def test_bootstrap_priorities_intervals_contain_the_estimates_and_are_scale_free() -> None:
    X, y, w = _priority_data(800)
    ri = regression_importance(X, y, w, ["q1", "q2", "q4"])
    bs = bootstrap_priorities(X, y, w, n_boot=400, random_state=1)
    assert bs["n_failed"] == 0 and "percentile bootstrap" in bs["method"]
    imp = bs["importance"]
    assert ((imp[:, 0] <= ri.weights) & (ri.weights <= imp[:, 1])).all()
    means = np.array([np.average(X[~np.isnan(X[:, j]), j], weights=w[~np.isnan(X[:, j])]) for j in range(3)])
    prio = ri.weights * (100 - means)
    assert ((bs["priority"][:, 0] <= prio) & (prio <= bs["priority"][:, 1])).all()
    again = bootstrap_priorities(X, y, 3 * w, n_boot=400, random_state=1)
    np.testing.assert_allclose(again["importance"], imp, atol=1e-12)


def test_bootstrap_priorities_grouped_matches_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    import analytics.benchmark as bm

    X, y, w = _priority_data(12_000, seed=5)
    grouped = bootstrap_priorities(X, y, w, n_boot=400, random_state=2)
    assert "groups" in grouped["method"]
    monkeypatch.setattr(bm, "GROUPED_ABOVE", 10**9)
    monkeypatch.setattr(bm, "N_GROUPS", 10**9)  # also disables the cost rule (n > 2 * N_GROUPS)
    direct = bootstrap_priorities(X, y, w, n_boot=400, random_state=2)
    assert "groups" not in direct["method"]
    width = lambda a: a[:, 1] - a[:, 0]  # noqa: E731
    np.testing.assert_allclose(width(grouped["importance"]), width(direct["importance"]), rtol=0.2)
    np.testing.assert_allclose(width(grouped["priority"]), width(direct["priority"]), rtol=0.2)


def test_grouped_bootstrap_memory_does_not_scale_with_cross_products() -> None:
    """Above the grouping threshold the moment sums are built per row chunk: at 10^5 respondents x 15 items
    the peak stays far below the n x (k+1)^2 matrix (~200 MiB by itself, ~1.1 GiB with its temporaries)."""
    import tracemalloc

    from analytics.priorities import bootstrap_priorities

    rng = np.random.default_rng(1)
    n, k = 100_000, 15
    lat = rng.normal(size=n)
    X = 60 + 10 * (lat[:, None] + rng.normal(size=(n, k)))
    y = 60 + 10 * (lat + rng.normal(size=n))
    tracemalloc.start()
    try:
        out = bootstrap_priorities(X, y, n_boot=20, random_state=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "random groups" in str(out["method"])
    assert peak < 120 * 2**20, peak / 2**20
    assert np.isfinite(np.asarray(out["importance"])).all()
