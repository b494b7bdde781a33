"""Worked examples for analytics.economics.churn (docs/methods.md 12.1-12.2)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from analytics.economics.churn import churn_rates, kaplan_meier, retention_curves
from analytics.economics.tables import CustomerTable, Factor
from analytics.inference import wilson_ci

NAN = np.nan


def test_churn_rate_by_period_and_segment_by_hand() -> None:
    # 6 customers, periods [0,10) and [10,20); segment a = rows 0-2, b = rows 3-5
    t = CustomerTable(
        customer=np.array(list("uvwxyz"), dtype=object),
        since=np.array([0, 0, 0, 0, 5, 12.0]),
        until=np.array([5, NAN, 15, 10, NAN, NAN]),
        revenue=np.ones(6),
        segments={"s": Factor.from_values(["a", "a", "a", "b", "b", "b"])},
    )
    rows = churn_rates(t, [0, 10, 20], t.segment("s"))
    got = {(r.period_start, r.group): (r.at_risk, r.churned) for r in rows}
    # period 0: a at risk {0,1,2}, churned {0}; b at risk {3} (row 4 joins at 5), churned {3 at day 10}
    # period 10: a at risk {1,2}, churned {2}; b at risk {4} (3 gone by 10, 5 joins at 12), churned none
    assert got == {(0.0, "a"): (3, 1), (0.0, "b"): (1, 1), (10.0, "a"): (2, 1), (10.0, "b"): (1, 0)}
    r = rows[0]
    assert r.rate == pytest.approx(1 / 3) and r.retention == pytest.approx(2 / 3)
    assert r.ci == pytest.approx(wilson_ci(1 / 3, 3))
    assert rows[0].to_dict(3)["rate"] == 0.333


def test_churn_rates_refuse_bad_edges() -> None:
    t = CustomerTable(np.array(["a"], dtype=object), np.zeros(1), np.array([NAN]), np.ones(1))
    with pytest.raises(ValueError, match="edges"):
        churn_rates(t, [5, 1])


def test_kaplan_meier_by_hand() -> None:
    # tenures 1,2,2,3+,4 (3 censored): S(1)=4/5, S(2)=4/5*2/4=0.4, S(4)=0.4*(1-1/1)=0
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 1, 0, 1])
    assert km.times.tolist() == [1, 2, 4]
    assert km.survival == pytest.approx([0.8, 0.4, 0.0])
    assert km.at_risk.tolist() == [5, 4, 1] and km.churned.tolist() == [1, 2, 1]
    # Greenwood at t=2: 0.4^2 (1/(5*4) + 2/(4*2)) = 0.16 * 0.3
    assert km.se[1] == pytest.approx(np.sqrt(0.16 * 0.3))
    assert km.median == 2.0
    assert km.at([0.5, 1, 3.9, 10]).tolist() == pytest.approx([1, 0.8, 0.4, 0])


def test_kaplan_meier_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(12, 400), 1)
    c = rng.random(400) < 0.7
    km = kaplan_meier(t, c)
    sf = SurvfuncRight(t, c.astype(float))
    assert km.times == pytest.approx(sf.surv_times)
    assert km.survival == pytest.approx(sf.surv_prob)
    assert km.se == pytest.approx(sf.surv_prob_se)
    assert km.median == pytest.approx(sf.quantile(0.5))
    assert km.median_ci == pytest.approx(sf.quantile_ci(0.5))
    # pointwise cloglog interval contains the estimate and narrows where more are at risk
    assert np.all(km.ci_low <= km.survival) and np.all(km.survival <= km.ci_high)


def test_retention_curves_per_group() -> None:
    curves = retention_curves([1, 2, 3, 1, 5], [1, 1, 0, 0, 1], ["x", "x", "x", "y", "y"])
    assert set(curves) == {"x", "y"}
    assert curves["x"].survival == pytest.approx([2 / 3, 1 / 3])
    assert curves["y"].survival == pytest.approx([0.0]) and curves["y"].n == 2
