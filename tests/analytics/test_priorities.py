import pytest

from analytics.priorities import importance_performance


def test_quadrants_and_ranking_rule() -> None:
    names = ["a", "b", "c", "d"]
    imp = [0.4, 0.3, 0.2, 0.1]  # mean 0.25
    perf = [60.0, 90.0, 50.0, 95.0]  # mean 73.75
    out = importance_performance(names, imp, perf)
    q = {r["item"]: r["quadrant"] for r in out["items"]}
    assert q == {"a": "improve_first", "b": "keep_up", "c": "low_priority", "d": "possible_overkill"}
    assert [r["item"] for r in out["improve_first"]] == ["a"]
    pr = {r["item"]: r["priority"] for r in out["items"]}
    assert pr["a"] == pytest.approx(0.4 * 40) and pr["c"] == pytest.approx(0.2 * 50)
    assert out["ranking"] == ["a", "c", "b", "d"]


def test_median_split_and_targets() -> None:
    out = importance_performance(["a", "b", "c"], [1, 2, 9], [80, 70, 60], split="median",
                                 target={"a": 90, "b": 70, "c": 65})
    assert out["split_importance"] == 2 and out["split_performance"] == 70
    assert [r["item"] for r in out["improve_first"]] == ["c"]
    assert {r["item"]: r["gap"] for r in out["items"]} == {"a": 10, "b": 0, "c": 5}


def test_bad_input_names_items() -> None:
    with pytest.raises(ValueError, match="no importance or performance for b"):
        importance_performance(["a", "b"], [1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="must match 3 items"):
        importance_performance(["a", "b", "c"], [1, 2], [1, 2])
