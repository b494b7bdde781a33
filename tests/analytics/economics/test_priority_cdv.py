"""Worked examples for analytics.economics.priority and .cdv (docs/methods.md 12.7-12.8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.economics.cdv import delivered_value, to_0_100
from analytics.economics.priority import (
    GRADES,
    QUADRANTS,
    grade_by_cutoffs,
    grade_by_pareto,
    priority_matrix,
    priority_ranking,
)
from survey_defs.ahp import ahp_weights


def test_priority_scores_by_hand_and_with_pandas() -> None:
    # revenue, margin (benefit), cost to serve (cost)
    X = np.array([[100, 10, 5], [300, 30, 1], [200, 20, 3], [200, 5, 5.0]])
    res = priority_ranking(X, ["revenue", "margin", "cost"], weights=[2, 1, 1], benefit=[True, True, False])
    df = pd.DataFrame(X, columns=["revenue", "margin", "cost"])
    z = (df - df.min()) / (df.max() - df.min())
    z["cost"] = 1 - z["cost"]
    want = 100 * (z @ np.array([0.5, 0.25, 0.25]))
    assert res.score == pytest.approx(want.to_numpy())
    # customer 1 is best on everything: 100; customer 2: 100 (.5 * .5 + .25 * 15/25 + .25 * (1 - 2/4)) = 52.5
    assert res.score[1] == pytest.approx(100.0) and res.score[2] == pytest.approx(52.5)
    assert res.rank.tolist() == want.rank(ascending=False, method="min").astype(int).tolist()
    assert [GRADES[c] for c in res.grade.codes] == ["E", "A", "C", "D"]  # scores 5, 100, 52.5, 25


def test_priority_with_ahp_weights() -> None:
    A = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    X = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1.0]])
    res = priority_ranking(X, ["a", "b", "c"], ahp_matrix=A)
    w = ahp_weights(A).weights
    assert res.score == pytest.approx(100 * w) and res.ahp_cr == pytest.approx(ahp_weights(A).cr)
    with pytest.raises(ValueError, match="either"):
        priority_ranking(X, ["a", "b", "c"])


def test_grades() -> None:
    assert [GRADES[c] for c in grade_by_cutoffs([95, 80, 79.9, 40, 20, 0]).codes] == list("AABCDE")
    # values 50, 30, 10, 6, 3, 1 (sum 100) in score order: shares before 0, .5, .8, .9, .96, .99
    g = grade_by_pareto([6, 5, 4, 3, 2, 1], [50, 30, 10, 6, 3, 1])
    assert [GRADES[c] for c in g.codes] == list("ABCCDE")


def test_priority_matrix() -> None:
    f, vc, sc = priority_matrix([10, 10, 1, 1, 5], [90, 10, 90, 10, np.nan], value_cut=5, satisfaction_cut=50)
    assert [QUADRANTS[c] if c >= 0 else None for c in f.codes] == ["protect", "develop", "maintain", "reconsider",
                                                                   None]
    _, vc, sc = priority_matrix([1, 2, 3], [4, 5, 6])
    assert (vc, sc) == (2.0, 5.0)


def test_cdv_by_hand() -> None:
    # value items quality, service (weights 3, 1); cost items price, time (equal)
    V = np.array([[80, 40], [60, np.nan], [np.nan, np.nan]])
    C = np.array([[50, 30], [20, 40], [10, 10.0]])
    res = delivered_value(V, C, value_weights=[3, 1])
    assert res.value[:2].tolist() == pytest.approx([70.0, 60.0]) and np.isnan(res.value[2])
    assert res.cost.tolist() == pytest.approx([40.0, 30.0, 10.0])
    assert res.cdv[:2].tolist() == pytest.approx([30.0, 30.0]) and res.ratio[:2] == pytest.approx([1.75, 2.0])
    assert res.mean_cdv.value == pytest.approx(30.0) and res.mean_cdv.n == 2
    assert to_0_100([1, 3, 5], 1, 5).tolist() == [0, 50, 100]
    with pytest.raises(ValueError, match=r"0\.\.100"):
        delivered_value([[120]], [[0]])
