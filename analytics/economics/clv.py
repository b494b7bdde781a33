"""Customer lifetime value in three forms, per segment, and customer equity (docs/methods.md section 12.3).

* Simple form (Gupta & Lehmann 2003, "Customers as assets", J. Interactive Marketing 17): a margin m earned at
  the end of every period the customer stays, retention r, discount rate d:
  CLV = sum_{t>=1} m r^t / (1+d)^t = m r / (1 + d - r).
* Margin multiple (Gupta & Lehmann 2005, *Managing Customers as Investments*): CLV = m * M with
  M = r / (1 + d - r(1+g)) for margins growing by g a period (end-of-period timing) or
  M = (1 + d) / (1 + d - r(1+g)) when the first margin is earned at once (start timing); needs r(1+g) < 1+d.
* Survival-curve form (Berger & Nasr 1998, J. Interactive Marketing 12): CLV = sum_{t=1}^{T} m S(t) / (1+d)^t
  with S the Kaplan-Meier retention curve (section 12.2), so retention may vary with tenure.
* Customer equity (Blattberg & Deighton 1996; Rust, Lemon & Zeithaml 2004): sum over segments of the active
  customers times their CLV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.economics._common import rnd
from analytics.economics.churn import churn_rates, retention_curves
from analytics.economics.tables import CustomerTable, Factor, as_factor

__all__ = ["ClvRow", "ClvTable", "clv_by_segment", "clv_simple", "clv_survival", "margin_multiple"]

Timing = Literal["end", "start"]


def _check_rd(r: NDArray[np.float64], d: float) -> None:
    if np.any((r < 0) | (r >= 1)) or np.any(~np.isfinite(r)):
        raise ValueError("retention rate must lie in [0, 1)")
    if not (np.isfinite(d) and d > -1):
        raise ValueError(f"discount rate must be > -1, got {d}")


def clv_simple(margin: ArrayLike, retention: ArrayLike, discount: float) -> NDArray[np.float64]:
    """CLV = m r / (1 + d - r) (Gupta & Lehmann 2003; docs/methods.md 12.3). Vectorised over m and r."""
    m = np.asarray(margin, dtype=np.float64)
    r = np.asarray(retention, dtype=np.float64)
    _check_rd(r, discount)
    return m * r / (1.0 + discount - r)


def margin_multiple(retention: ArrayLike, discount: float, growth: float = 0.0,
                    timing: Timing = "end") -> NDArray[np.float64]:
    """The margin multiple M with CLV = m M (Gupta & Lehmann 2005; docs/methods.md 12.3).

    end: M = r / (1 + d - r(1+g));  start: M = (1 + d) / (1 + d - r(1+g)). Needs r(1+g) < 1 + d.
    """
    r = np.asarray(retention, dtype=np.float64)
    _check_rd(r, discount)
    q = r * (1.0 + growth)
    if np.any(q >= 1.0 + discount):
        raise ValueError("margin multiple: r (1 + g) must stay below 1 + d, or the value is infinite")
    if timing == "end":
        return r / (1.0 + discount - q)
    if timing == "start":
        return (1.0 + discount) / (1.0 + discount - q)
    raise ValueError(f"timing must be 'end' or 'start', got {timing!r}")


def clv_survival(margin: ArrayLike, survival: ArrayLike, discount: float) -> NDArray[np.float64]:
    """CLV = sum_{t=1}^{T} m S(t) / (1+d)^t for S(1..T) given (Berger & Nasr 1998; docs/methods.md 12.3).

    ``survival`` holds S(1), ..., S(T) (non-increasing, in [0, 1]); ``margin`` is a scalar or one margin per
    customer/segment (the result has its shape).
    """
    s = np.asarray(survival, dtype=np.float64)
    if s.ndim != 1 or np.any((s < 0) | (s > 1)) or np.any(np.diff(s) > 1e-12):
        raise ValueError("survival must be a non-increasing 1-d array of probabilities S(1..T)")
    if not discount > -1:
        raise ValueError(f"discount rate must be > -1, got {discount}")
    factor = float(np.sum(s / (1.0 + discount) ** np.arange(1, s.size + 1)))
    return np.asarray(margin, dtype=np.float64) * factor


@dataclass(frozen=True)
class ClvRow:
    """One segment: active customers, retention of the last period (Wilson CI), mean margin and the CLVs."""

    segment: str
    active: int
    at_risk: int
    churned: int
    retention: float | None
    retention_ci: tuple[float, float] | None
    margin: float | None
    expected_lifetime: float | None
    clv_simple: float | None
    clv_simple_ci: tuple[float, float] | None
    clv_survival: float | None
    equity_simple: float | None
    equity_survival: float | None

    def to_dict(self, digits: int | None = 2) -> dict[str, object]:
        def pair(p: tuple[float, float] | None) -> list[float | None] | None:
            return None if p is None else [rnd(p[0], digits), rnd(p[1], digits)]

        return {"segment": self.segment, "active": self.active, "at_risk": self.at_risk, "churned": self.churned,
                "retention": rnd(self.retention, 4), "retention_ci": None if self.retention_ci is None else
                [rnd(self.retention_ci[0], 4), rnd(self.retention_ci[1], 4)],
                "margin": rnd(self.margin, digits), "expected_lifetime": rnd(self.expected_lifetime, digits),
                "clv_simple": rnd(self.clv_simple, digits), "clv_simple_ci": pair(self.clv_simple_ci),
                "clv_survival": rnd(self.clv_survival, digits), "equity_simple": rnd(self.equity_simple, digits),
                "equity_survival": rnd(self.equity_survival, digits)}


@dataclass(frozen=True)
class ClvTable:
    """CLV per segment and customer equity (the sum of the segments' equities)."""

    rows: tuple[ClvRow, ...]
    discount: float
    horizon: int
    equity_simple: float
    equity_survival: float

    def to_dict(self, digits: int | None = 2) -> dict[str, object]:
        return {"discount": self.discount, "horizon": self.horizon, "rows": [r.to_dict(digits) for r in self.rows],
                "equity_simple": rnd(self.equity_simple, digits), "equity_survival": rnd(self.equity_survival, digits)}


def clv_by_segment(
    table: CustomerTable,
    segment: Factor | ArrayLike | None,
    as_of: float,
    period_days: float,
    discount: float,
    horizon: int | None = None,
    conf: float = 0.95,
) -> ClvTable:
    """CLV per segment and customer equity (docs/methods.md 12.3).

    Per segment: r = 1 - churn rate of the last period [as_of - period_days, as_of) (section 12.1, Wilson CI);
    m = mean margin per period of the customers active at ``as_of``; lifetime 1/(1 - r); CLV simple
    m r/(1+d-r) with the CI mapped from r's (CLV rises with r); CLV survival sum_{t=1}^{T} m S(t)/(1+d)^t on the
    segment's Kaplan-Meier curve of tenure in periods, T = ``horizon`` (default: the longest observed tenure,
    since the curve says nothing beyond it); equity = active customers x CLV. Customers who start after
    ``as_of`` are left out.
    """
    if not discount > -1:
        raise ValueError(f"discount rate must be > -1, got {discount}")
    started = table.since <= as_of
    g = as_factor(segment, table.n, "segment")
    codes = g.codes[started]
    sub = CustomerTable(table.customer[started], table.since[started], table.until[started],
                        table.revenue[started], None if table.margin is None else table.margin[started],
                        None if table.cost_to_serve is None else table.cost_to_serve[started])
    f = Factor(codes, g.labels)
    tenure, churned = sub.tenure(as_of, period_days)
    if horizon is None:
        horizon = max(int(np.floor(tenure.max())), 1) if tenure.size else 1
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 period, got {horizon}")
    active = ~churned & (codes >= 0)
    k = len(g.labels)
    n_active = np.bincount(codes[active], minlength=k)
    msum = np.bincount(codes[active], weights=sub.period_margin()[active], minlength=k)
    last = churn_rates(sub, [as_of - period_days, as_of], f, conf)
    curves = retention_curves(tenure[codes >= 0], churned[codes >= 0], Factor(codes[codes >= 0], g.labels), conf)
    ts = np.arange(1, horizon + 1, dtype=np.float64)
    rows = []
    for j, label in enumerate(g.labels):
        c = last[j]
        m = float(msum[j] / n_active[j]) if n_active[j] else None
        r = c.retention
        r_ci = None if c.ci is None else (1.0 - c.ci[1], 1.0 - c.ci[0])
        clv = life = None
        clv_ci = None
        if m is not None and r is not None and r < 1:
            clv = float(clv_simple(m, r, discount))
            life = 1.0 / (1.0 - r)
            if r_ci is not None and r_ci[1] < 1:
                a, b = clv_simple(m, r_ci[0], discount), clv_simple(m, r_ci[1], discount)
                clv_ci = (float(min(a, b)), float(max(a, b)))
        clv_s = None
        if m is not None and label in curves:
            clv_s = float(clv_survival(m, curves[label].at(ts), discount))
        na = int(n_active[j])
        rows.append(ClvRow(label, na, c.at_risk, c.churned, r, r_ci, m, life, clv, clv_ci, clv_s,
                           None if clv is None else na * clv, None if clv_s is None else na * clv_s))
    eq_s = float(sum(r.equity_simple or 0.0 for r in rows))
    eq_v = float(sum(r.equity_survival or 0.0 for r in rows))
    return ClvTable(tuple(rows), discount, horizon, eq_s, eq_v)
