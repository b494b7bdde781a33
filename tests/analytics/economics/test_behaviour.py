"""Worked examples for analytics.economics.behaviour (docs/methods.md 12.4)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.economics.behaviour import behaviour_by_group, churn_model, zone_codes
from analytics.economics.tables import Factor
from analytics.inference import wilson_ci


def test_zone_codes() -> None:
    z = zone_codes([1, 2, 3, 4, 5, np.nan], defection_max=2, loyalty_min=5)
    assert z.codes.tolist() == [0, 0, 1, 1, 2, -1]
    with pytest.raises(ValueError, match="cut-offs"):
        zone_codes([1], 5, 5)


def test_logit_on_a_two_by_two_table_gives_the_cross_product_odds_ratio() -> None:
    # complaint unresolved: 30 churned of 50; resolved: 10 of 50 -> OR = (30/20) / (10/40) = 6
    y = np.r_[np.ones(30), np.zeros(20), np.ones(10), np.zeros(40)]
    comp = Factor(np.r_[np.ones(50), np.zeros(50)].astype(np.int64), ("resolved", "unresolved"))
    m = churn_model(y, complaint=comp)
    r = m.row("complaint[unresolved]")
    assert r.ratio == pytest.approx(6.0)
    # Woolf's se of log OR: sqrt(1/30 + 1/20 + 1/10 + 1/40)
    assert r.se == pytest.approx(np.sqrt(1 / 30 + 1 / 20 + 1 / 10 + 1 / 40), rel=1e-6)
    assert r.ci == pytest.approx((6 * np.exp(-1.959964 * r.se), 6 * np.exp(1.959964 * r.se)), rel=1e-5)
    assert m.references == {"complaint": "resolved"} and m.events == 40


def test_logit_recovers_a_simulated_index_effect() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    idx = rng.uniform(30, 100, n)
    p = 1 / (1 + np.exp(-(2.0 - 0.5 * idx / 10)))  # true OR per 10 points: exp(-0.5)
    y = rng.random(n) < p
    m = churn_model(y, idx)
    r = m.row("index")
    assert r.ci[0] < np.exp(-0.5) < r.ci[1] and m.converged


def test_cox_recovers_a_simulated_hazard_ratio() -> None:
    rng = np.random.default_rng(11)
    n = 5_000
    zone = Factor(rng.integers(0, 3, n), ("defection", "indifference", "loyalty"))
    hr = np.array([3.0, 1.5, 1.0])[zone.codes]
    t = rng.exponential(10 / hr)
    cens = rng.uniform(0, 20, n)
    m = churn_model(t <= cens, zone=zone, tenure=np.minimum(t, cens), method="cox")
    assert m.row("zone[defection]").ci[0] < 3.0 < m.row("zone[defection]").ci[1]
    assert m.row("zone[indifference]").ci[0] < 1.5 < m.row("zone[indifference]").ci[1]
    with pytest.raises(ValueError, match="tenure"):
        churn_model(t <= cens, zone=zone, method="cox")


def test_churn_model_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        churn_model([0, 1])
    with pytest.raises(ValueError, match="does not vary"):
        churn_model([1, 1, 1], [1.0, 2, 3])
    with pytest.raises(ValueError, match="no customers"):
        churn_model([0, 1, 1], zone=zone_codes([1, 5, 5], 2, 5))


def test_behaviour_by_group_by_hand() -> None:
    rows = behaviour_by_group([1, 0, 1, 1, 0], [10, 20, 30, 40, 50], ["d", "d", "i", "l", "l"])
    d, i, lo = rows
    assert (d.customers, d.churned, d.revenue, d.revenue_lost) == (2, 1, 30.0, 10.0)
    assert d.churn_rate == 0.5 and d.churn_ci == pytest.approx(wilson_ci(0.5, 2))
    assert i.revenue_share == pytest.approx(30 / 150) and lo.revenue_lost == 40.0
