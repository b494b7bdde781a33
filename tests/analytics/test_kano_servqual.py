import numpy as np
import pytest
from scipy import stats

from analytics.kano import kano, kano_category
from analytics.servqual import servqual_gaps


def test_kano_table() -> None:
    f = [1, 1, 1, 2, 5, 3, 1, 5]
    d = [5, 2, 1, 5, 1, 3, 4, 5]
    assert kano_category(f, d).tolist() == ["O", "A", "Q", "M", "R", "I", "A", "Q"]
    assert kano_category([1, np.nan, 6], [5, 5, 5]).tolist() == ["O", "", ""]


def test_kano_counts_category_better_worse() -> None:
    # 3 A, 2 O, 4 M, 1 I
    f = [1, 1, 1, 1, 1, 2, 2, 3, 4, 3]
    d = [2, 3, 4, 5, 5, 5, 5, 5, 5, 3]
    r = kano(f, d)
    assert r.counts["A"] == 3 and r.counts["O"] == 2 and r.counts["M"] == 4 and r.counts["I"] == 1
    assert r.category == "M"
    assert r.better == pytest.approx(5 / 10) and r.worse == pytest.approx(-6 / 10)
    tie = kano([1, 2], [5, 5])  # one O, one M: tie broken M > O
    assert tie.category == "M"
    empty = kano([np.nan], [1])
    assert empty.category is None and empty.to_dict()["status"] == "insufficient_data"


def test_servqual_gaps_paired_tests() -> None:
    rng = np.random.default_rng(0)
    E = rng.integers(4, 8, (60, 4)).astype(float)
    P = E - rng.integers(0, 3, (60, 4))
    P[0, 1] = np.nan
    items = ["r1", "r2", "t1", "t2"]
    dims = {"r1": "reliability", "r2": "reliability", "t1": "tangibles", "t2": "tangibles"}
    out = servqual_gaps(P, E, items, dims)
    ok = ~np.isnan(P[:, 1])
    assert out["items"]["r2"]["gap"] == pytest.approx((P[ok, 1] - E[ok, 1]).mean())
    assert out["items"]["r2"]["p_value"] == pytest.approx(stats.ttest_rel(P[ok, 1], E[ok, 1]).pvalue)
    t = out["dimensions"]["tangibles"]
    assert t["gap"] == pytest.approx((P[:, 2:].mean(1) - E[:, 2:].mean(1)).mean())
    assert out["overall_gap"] == pytest.approx((out["dimensions"]["reliability"]["gap"] + t["gap"]) / 2)
    with pytest.raises(ValueError, match="without a dimension: t2"):
        servqual_gaps(P, E, items, {k: v for k, v in dims.items() if k != "t2"})
