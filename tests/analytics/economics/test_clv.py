"""Worked examples for analytics.economics.clv (docs/methods.md 12.3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.economics.clv import clv_by_segment, clv_simple, clv_survival, margin_multiple
from analytics.economics.tables import CustomerTable, Factor

NAN = np.nan


def test_simple_form_by_hand_and_as_a_series() -> None:
    # m = 100, r = 0.8, d = 0.1: 100 * 0.8 / 0.3 = 266.67
    assert float(clv_simple(100, 0.8, 0.1)) == pytest.approx(800 / 3)
    t = np.arange(1, 2000)
    assert float(clv_simple(100, 0.8, 0.1)) == pytest.approx(np.sum(100 * 0.8**t / 1.1**t))
    assert clv_simple([100, 50], [0.5, 0.9], 0.0).tolist() == pytest.approx([100.0, 450.0])
    with pytest.raises(ValueError, match="retention"):
        clv_simple(100, 1.0, 0.1)


def test_margin_multiple_forms() -> None:
    t = np.arange(0, 3000)
    r, d, g = 0.9, 0.12, 0.02
    # end timing with growth: sum_{t>=1} (1+g)^{t-1} r^t / (1+d)^t
    end = np.sum((1 + g) ** (t[1:] - 1) * r ** t[1:] / (1 + d) ** t[1:])
    start = np.sum(((1 + g) * r / (1 + d)) ** t)
    assert float(margin_multiple(r, d, g)) == pytest.approx(end)
    assert float(margin_multiple(r, d, g, "start")) == pytest.approx(start)
    assert float(margin_multiple(0.8, 0.1)) == pytest.approx(float(clv_simple(1, 0.8, 0.1)))
    with pytest.raises(ValueError, match="infinite"):
        margin_multiple(0.95, 0.0, 0.1)


def test_survival_form_by_hand() -> None:
    # S = 0.8, 0.5, 0.2; m = 100; d = 0: 150. d = 0.1: 80/1.1 + 50/1.21 + 20/1.331
    assert float(clv_survival(100, [0.8, 0.5, 0.2], 0.0)) == pytest.approx(150.0)
    assert float(clv_survival(100, [0.8, 0.5, 0.2], 0.1)) == pytest.approx(80 / 1.1 + 50 / 1.21 + 20 / 1.331)
    # geometric survival recovers the simple form as T grows
    assert float(clv_survival(100, 0.8 ** np.arange(1, 400), 0.1)) == pytest.approx(float(clv_simple(100, .8, .1)))
    with pytest.raises(ValueError, match="non-increasing"):
        clv_survival(1, [0.5, 0.6], 0.0)


def test_clv_by_segment_cross_checked_with_pandas() -> None:
    # two segments, period = 10 days, as_of = 30
    t = CustomerTable(
        customer=np.arange(8).astype(str).astype(object),
        since=np.array([0, 0, 0, 0, 0, 0, 10, 10.0]),
        until=np.array([15, 25, NAN, NAN, 5, NAN, 28, NAN]),
        revenue=np.array([10, 20, 30, 40, 50, 60, 70, 80.0]),
        cost_to_serve=np.array([5, 5, 5, 5, 10, 10, 10, 10.0]),
    )
    seg = Factor.from_values(list("aaaabbbb"))
    res = clv_by_segment(t, seg, as_of=30, period_days=10, discount=0.1, horizon=3)
    df = pd.DataFrame({"s": list("aaaabbbb"), "since": t.since, "until": t.until,
                       "m": t.revenue - t.cost_to_serve})
    df["active"] = df["until"].isna()
    risk = (df["since"] <= 20) & ~(df["until"] <= 20)
    df["risk"], df["died"] = risk, risk & (df["until"] <= 30)
    agg = df.groupby("s").agg(active=("active", "sum"), risk=("risk", "sum"), died=("died", "sum"))
    agg["m"] = df[df["active"]].groupby("s")["m"].mean()
    agg["r"] = 1 - agg["died"] / agg["risk"]
    agg["clv"] = agg["m"] * agg["r"] / (1.1 - agg["r"])
    for row in res.rows:
        a = agg.loc[row.segment]
        assert (row.active, row.at_risk, row.churned) == (a["active"], a["risk"], a["died"])
        assert row.retention == pytest.approx(a["r"]) and row.margin == pytest.approx(a["m"])
        assert row.clv_simple == pytest.approx(a["clv"])
        assert row.clv_simple_ci[0] <= row.clv_simple <= row.clv_simple_ci[1]
    # segment a: r = 1 - 1/3 (customer 1 churned at 25 of 3 at risk at 20), m = mean(25, 35) = 30
    a = res.rows[0]
    assert a.retention == pytest.approx(2 / 3) and a.clv_simple == pytest.approx(30 * (2 / 3) / (1.1 - 2 / 3))
    # a's tenures in periods: 1.5 (ev), 2.5 (ev), 3, 3 -> S(1)=1, S(2)=.75, S(3)=.5
    assert a.clv_survival == pytest.approx(30 * (1 / 1.1 + 0.75 / 1.21 + 0.5 / 1.331))
    assert res.equity_simple == pytest.approx(sum(r.active * r.clv_simple for r in res.rows))
    assert res.to_dict()["rows"][0]["segment"] == "a"
