"""Worked examples for analytics.economics.rfm (docs/methods.md 12.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.economics.rfm import RFM_SEGMENTS, quantile_scores, rfm, rfm_segment_codes
from analytics.economics.tables import Transactions


def test_quantile_scores_match_pandas_rank_first() -> None:
    x = np.array([5, 1, 1, 3, 9, 2, 2, 2, 7, 0])
    want = ((pd.Series(x).rank(method="first").to_numpy() - 1) * 5 // 10 + 1).astype(int)
    assert quantile_scores(x).tolist() == want.tolist()
    assert np.bincount(quantile_scores(x))[1:].tolist() == [2, 2, 2, 2, 2]


def test_segment_table() -> None:
    r = [5, 4, 5, 3, 3, 2, 1, 2, 1, 0]
    f = [5, 3, 1, 4, 2, 3, 5, 1, 1, 0]
    want = ["champions", "potential", "new", "loyal", "need attention", "at risk", "at risk", "hibernating",
            "lost", "no purchases"]
    assert [RFM_SEGMENTS[c] for c in rfm_segment_codes(r, f)] == want
    # every one of the 25 cells gets a named segment other than "no purchases"
    rr, ff = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    assert (rfm_segment_codes(rr.ravel(), ff.ravel()) < 8).all()


def test_rfm_by_hand_and_against_pandas() -> None:
    # 6 customers (index 5 never buys), as_of = 100
    cust = np.array([0, 0, 0, 1, 2, 2, 3, 4, 4, 4, 4, 1])
    date = np.array([90, 95, 99, 10, 50, 60, 98, 20, 30, 40, 45, 120.0])  # the last row is after as_of
    amount = np.array([10, 20, 30, 5, 50, 50, 7, 1, 1, 1, 1, 999.0])
    tx = Transactions(cust, date, amount, n_customers=6)
    res = rfm(tx, 100.0, satisfaction=[80, 40, np.nan, 90, 60, 70])
    assert res.frequency.tolist() == [3, 1, 2, 1, 4, 0]
    assert res.monetary.tolist() == [60, 5, 100, 7, 4, 0]
    assert res.recency[:5].tolist() == [1, 90, 40, 2, 55] and np.isnan(res.recency[5])
    df = pd.DataFrame({"c": cust, "d": date, "a": amount}).query("d <= 100")
    g = df.groupby("c").agg(last=("d", "max"), f=("d", "size"), m=("a", "sum")).sort_index()
    n = len(g)
    for col, ours in (("last", res.r), ("f", res.f), ("m", res.m)):
        want = ((g[col].rank(method="first") - 1) * 5 // n + 1).astype(int)
        assert ours[:5].tolist() == want.tolist()
    assert res.r[5] == 0 and RFM_SEGMENTS[res.segment.codes[5]] == "no purchases"
    # customer 0: last 99 (most recent of 5 -> rank 5 -> R 5), F 3 (4th of 5 -> F 4): champions
    assert (res.r[0], res.f[0]) == (5, 4) and res.segment.labels[res.segment.codes[0]] == "champions"
    rows = {r.segment: r for r in res.rows}
    assert sum(r.revenue_share for r in res.rows) == pytest.approx(1.0)
    assert rows["champions"].revenue == pytest.approx(60.0)
    assert rows["champions"].revenue_share == pytest.approx(60 / 176)
    assert rows["champions"].satisfaction is not None and rows["champions"].customers == 1


def test_rfm_refuses_bad_index() -> None:
    with pytest.raises(ValueError, match="customer index"):
        Transactions(np.array([0, 7]), np.zeros(2), np.ones(2), n_customers=3)


def test_radix_path_keeps_the_ordinal_ranks() -> None:
    rng = np.random.default_rng(1)
    for x in (rng.integers(18_000, 19_000, 500).astype(float), rng.integers(0, 7, 500), rng.random(500)):
        want = ((pd.Series(x).rank(method="first").to_numpy() - 1) * 5 // 500 + 1).astype(int)
        assert quantile_scores(x).tolist() == want.tolist()
