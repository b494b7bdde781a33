"""RFM: recency, frequency and monetary value from transactions, quintile scores, named segments, their share of
revenue and satisfaction by segment (docs/methods.md section 12.6).

Per customer with at least one purchase on or before ``as_of`` (Hughes 1994, *Strategic Database Marketing*):
recency = as_of - last purchase date (days), frequency = number of purchases, monetary = their total amount.
Each becomes a score 1..q (q = 5: quintiles) from its ordinal rank: score = floor(q (rank - 1) / n) + 1, rank
1..n ascending (for recency: oldest last purchase first, so 5 = most recent), ties broken by customer order,
which is pandas' ``rank(method="first")``; every score then holds n/q customers. Monetary totals are rounded to
10^-6 before ranking, so that the order in which a sum was added up cannot reorder equal totals.

Segments from the R and F scores (every one of the 25 cells has exactly one name):

    R 4-5:  F 4-5 champions,  F 2-3 potential,  F 1 new
    R 3:    F 4-5 loyal,      F 1-3 need attention
    R 1-2:  F 3-5 at risk;    F 1-2: hibernating (R 2) or lost (R 1)

Customers with no purchase get scores 0 and the segment "no purchases".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.economics._common import rnd
from analytics.economics.tables import Factor, Transactions
from analytics.inference import Estimate, mean_estimate

__all__ = ["RFM_SEGMENTS", "RfmResult", "RfmSegmentRow", "quantile_scores", "rfm", "rfm_segment_codes"]

RFM_SEGMENTS = ("champions", "loyal", "potential", "new", "need attention", "at risk", "hibernating", "lost",
                "no purchases")

# _SEGMENT_OF[r, f] for scores 0..5 (0 = no purchases)
_SEGMENT_OF = np.full((6, 6), 8, dtype=np.int8)
for _r in range(1, 6):
    for _f in range(1, 6):
        if _r >= 4:
            _SEGMENT_OF[_r, _f] = 0 if _f >= 4 else 2 if _f >= 2 else 3
        elif _r == 3:
            _SEGMENT_OF[_r, _f] = 1 if _f >= 4 else 4
        else:
            _SEGMENT_OF[_r, _f] = 5 if _f >= 3 else 6 if _r == 2 else 7


def quantile_scores(x: ArrayLike, q: int = 5) -> NDArray[np.int8]:
    """score = floor(q (rank - 1) / n) + 1, rank the ordinal ascending rank, ties: earlier row first
    (docs/methods.md 12.6)."""
    v = np.asarray(x)
    if not 2 <= q <= 100:
        raise ValueError(f"number of score bins must be in 2..100, got {q}")
    n = v.shape[0]
    order = np.argsort(_small_ints(v), kind="stable")
    s = np.empty(n, dtype=np.int8)
    s[order] = (np.arange(n, dtype=np.int64) * q // max(n, 1) + 1).astype(np.int8)
    return s


def _small_ints(v: NDArray[np.generic]) -> NDArray[np.generic]:
    """Integral values spanning < 65536 as uint16 offsets (same order), which numpy sorts by radix in O(n)."""
    if v.size == 0 or not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.floating)):
        return v
    lo, hi = v.min(), v.max()
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi - lo >= 65536:
        return v
    w = v - lo
    if np.issubdtype(v.dtype, np.floating) and not np.array_equal(w, np.floor(w)):
        return v
    return w.astype(np.uint16)


def rfm_segment_codes(r: ArrayLike, f: ArrayLike) -> NDArray[np.int8]:
    """Codes into ``RFM_SEGMENTS`` from R and F quintile scores (0 = no purchases), by the table above
    (docs/methods.md 12.6)."""
    ri, fi = np.asarray(r, dtype=np.intp), np.asarray(f, dtype=np.intp)
    if ri.min(initial=0) < 0 or ri.max(initial=0) > 5 or fi.min(initial=0) < 0 or fi.max(initial=0) > 5:
        raise ValueError("R and F scores must lie in 0..5")
    return _SEGMENT_OF[ri, fi]


@dataclass(frozen=True)
class RfmSegmentRow:
    """One RFM segment: customers, their revenue and its share, and mean satisfaction (if given)."""

    segment: str
    customers: int
    customer_share: float
    revenue: float
    revenue_share: float
    satisfaction: Estimate | None

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"segment": self.segment, "customers": self.customers,
                "customer_share": rnd(self.customer_share, digits), "revenue": rnd(self.revenue, 2),
                "revenue_share": rnd(self.revenue_share, digits),
                "satisfaction": None if self.satisfaction is None else self.satisfaction.to_dict(2)}


@dataclass(frozen=True)
class RfmResult:
    """Per customer (table row order) recency/frequency/monetary and scores; per segment the summary rows."""

    recency: NDArray[np.float64]
    frequency: NDArray[np.int64]
    monetary: NDArray[np.float64]
    r: NDArray[np.int8]
    f: NDArray[np.int8]
    m: NDArray[np.int8]
    segment: Factor
    rows: tuple[RfmSegmentRow, ...]

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"segments": [r.to_dict(digits) for r in self.rows]}


def rfm(tx: Transactions, as_of: float, satisfaction: ArrayLike | None = None, q: int = 5,
        conf: float = 0.95) -> RfmResult:
    """RFM scores and segments of every customer (docs/methods.md 12.6), computed with ``np.bincount`` and
    ``np.maximum.at`` over the customer index (no per-customer loop). Purchases after ``as_of`` are ignored.

    ``satisfaction`` (one index per customer, NaN = not surveyed) adds each segment's mean with its t-interval.
    """
    n = tx.n_customers
    keep = tx.date <= as_of
    c, d, a = (tx.customer, tx.date, tx.amount) if keep.all() else (tx.customer[keep], tx.date[keep],
                                                                    tx.amount[keep])
    freq = np.bincount(c, minlength=n)
    money = np.bincount(c, weights=a, minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, c, d)
    buyer = freq > 0
    recency = np.where(buyer, as_of - last, np.nan)
    r = np.zeros(n, dtype=np.int8)
    f = np.zeros(n, dtype=np.int8)
    m = np.zeros(n, dtype=np.int8)
    r[buyer] = quantile_scores(last[buyer], q)
    f[buyer] = quantile_scores(freq[buyer], q)
    m[buyer] = quantile_scores(np.round(money[buyer], 6), q)
    rs, fs = (r, f) if q == 5 else (_to5(r, q), _to5(f, q))
    seg = rfm_segment_codes(rs, fs).astype(np.int64)
    k = len(RFM_SEGMENTS)
    counts = np.bincount(seg, minlength=k)
    revenue = np.bincount(seg, weights=money, minlength=k)
    total_rev = float(money.sum())
    sat = None
    if satisfaction is not None:
        sat = np.asarray(satisfaction, dtype=np.float64)
        if sat.shape != (n,):
            raise ValueError(f"satisfaction: expected one value per customer ({n}), got shape {sat.shape}")
    rows = []
    for j, name in enumerate(RFM_SEGMENTS):
        est = None
        if sat is not None:
            est = mean_estimate(sat[seg == j], conf=conf, what=f"satisfaction of {name}")
        rows.append(RfmSegmentRow(name, int(counts[j]), float(counts[j] / n) if n else 0.0, float(revenue[j]),
                                  float(revenue[j] / total_rev) if total_rev else 0.0, est))
    return RfmResult(recency, freq, money, r, f, m, Factor(seg, RFM_SEGMENTS), tuple(rows))


def _to5(s: NDArray[np.int8], q: int) -> NDArray[np.int8]:
    """Map 1..q scores onto 1..5 for the segment table (0 stays 0)."""
    out = np.zeros_like(s)
    pos = s > 0
    out[pos] = ((s[pos].astype(np.int64) - 1) * 5 // q + 1).astype(np.int8)
    return out
