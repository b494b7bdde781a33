"""Worked examples for analytics.economics.value_at_risk (docs/methods.md 12.5)."""

from __future__ import annotations

import pytest

from analytics.economics.behaviour import zone_codes
from analytics.economics.value_at_risk import group_churn_probability, value_at_risk, what_if_churn_cut, what_if_move


def test_value_at_risk_by_hand() -> None:
    zone = zone_codes([1, 1, 3, 3, 5], 2, 5)  # defection, defection, indifference x2, loyalty
    rev = [100, 200, 300, 400, 500]
    p = [0.5, 0.25, 0.1, 0.2, 0.05]
    rows, total = value_at_risk(rev, zone, p)
    # defection 50 + 50, indifference 30 + 80, loyalty 25 (not at risk)
    assert [r.expected_loss for r in rows] == pytest.approx([100, 110, 25])
    assert total == pytest.approx(210) and not rows[2].at_risk
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        value_at_risk(rev, zone, [2, 0, 0, 0, 0])


def test_group_churn_probability() -> None:
    p = group_churn_probability([1, 0, 0, 1, 1], ["a", "a", "b", "b", "b"])
    assert p.tolist() == pytest.approx([0.5, 0.5, 2 / 3, 2 / 3, 2 / 3])


def test_reichheld_sasser_rows() -> None:
    # r 0.80 -> 0.85, m = 100, d = 0.1: CLV 266.67 -> 340 (+27.5 %), lifetime 5 -> 6.67
    w = what_if_churn_cut(0.80, 100, 0.1, 5, customers=1000)
    rows = {r.step: r for r in w.rows}
    assert rows["churn"].after == pytest.approx(0.15)
    assert rows["expected lifetime (periods)"].before == pytest.approx(5.0)
    assert rows["expected lifetime (periods)"].after == pytest.approx(1 / 0.15)
    assert rows["CLV"].before == pytest.approx(800 / 3) and rows["CLV"].after == pytest.approx(340.0)
    assert rows["CLV"].change_pct == pytest.approx(27.5)
    assert w.gain == pytest.approx(1000 * (340 - 800 / 3))
    with pytest.raises(ValueError, match="stay in"):
        what_if_churn_cut(0.97, 100, 0.1, 5)


def test_move_indifferent_to_loyal() -> None:
    # 200 indifferent (r = 0.7), loyal r = 0.9, m = 50, d = 0: CLV 116.67 -> 450; move 10 % = 20 customers
    w = what_if_move(200, 0.7, 0.9, 50, 0.0, 0.10)
    assert w.rows[0].after == 20
    assert w.gain == pytest.approx(20 * (450 - 50 * 0.7 / 0.3))
    assert w.rows[4].before == pytest.approx(6.0) and w.rows[4].after == pytest.approx(2.0)
    assert w.to_dict()["scenario"] == "move 10% of indifference to loyalty"
