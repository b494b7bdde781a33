"""Churn and retention: churn rates per period and group with Wilson intervals, and Kaplan-Meier retention
curves with pointwise intervals and the median tenure (docs/methods.md sections 12.1-12.2).

Churn rate of period [a, b): of the customers at risk at a (since <= a, not churned by a), the share whose
churn date falls in (a, b]: c = d / N, CI Wilson (1927). Retention r = 1 - c.

Kaplan-Meier (Kaplan & Meier 1958): S(t) = prod_{t_j <= t} (1 - d_j / n_j) over the distinct churn times t_j,
with d_j churned at t_j and n_j at risk just before; Greenwood (1926) variance
var S(t) = S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j)); pointwise CI on the complementary log-log scale
(Kalbfleisch & Prentice 1980): S^exp(+-z se / (S log S)). The median tenure is the first t with S(t) < 0.5 and
its CI inverts the same z-test (Brookmeyer & Crowley 1982), as SAS PROC LIFETEST and statsmodels'
``SurvfuncRight`` do (tests check the curve against ``SurvfuncRight``).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.economics._common import rnd, wilson
from analytics.economics.tables import CustomerTable, Factor, as_factor
from analytics.inference import z_quantile

__all__ = ["ChurnRow", "RetentionCurve", "churn_rates", "kaplan_meier", "retention_curves"]


@dataclass(frozen=True)
class ChurnRow:
    """Churn in one period and group: at risk at the start, churned in the period, rate and Wilson CI (0-1)."""

    period_start: float
    period_end: float
    group: str
    at_risk: int
    churned: int
    rate: float | None
    ci: tuple[float, float] | None

    @property
    def retention(self) -> float | None:
        return None if self.rate is None else 1.0 - self.rate

    def to_dict(self, digits: int | None = None) -> dict[str, object]:
        return {"period_start": self.period_start, "period_end": self.period_end, "group": self.group,
                "at_risk": self.at_risk, "churned": self.churned, "rate": rnd(self.rate, digits),
                "ci": None if self.ci is None else [rnd(self.ci[0], digits), rnd(self.ci[1], digits)]}


def churn_rates(
    table: CustomerTable,
    edges: ArrayLike,
    groups: Factor | ArrayLike | None = None,
    conf: float = 0.95,
) -> list[ChurnRow]:
    """Churn rate per period [edges[k], edges[k+1]) and group, with Wilson CIs.

    At risk: since <= edges[k] and not churned by edges[k]; churned: edges[k] < until <= edges[k+1].
    c = churned / at_risk (docs/methods.md section 12.1). Customers who join during a period count from the
    next one. Groups with nobody at risk get rate None.
    """
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.shape[0] < 2 or not np.all(np.diff(e) > 0):
        raise ValueError("edges must be at least two increasing dates (days)")
    g = as_factor(groups, table.n)
    k = len(g.labels)
    ok = g.codes >= 0
    codes = g.codes[ok]
    since, until = table.since[ok], table.until[ok]
    rows: list[ChurnRow] = []
    for a, b in pairwise(e.tolist()):
        risk = (since <= a) & ~(until <= a)
        died = risk & (until <= b)
        n = np.bincount(codes[risk], minlength=k)
        d = np.bincount(codes[died], minlength=k)
        lo, hi = wilson(d, n, conf)
        for j, label in enumerate(g.labels):
            has = n[j] > 0
            rows.append(ChurnRow(float(a), float(b), label, int(n[j]), int(d[j]),
                                 float(d[j] / n[j]) if has else None,
                                 (float(lo[j]), float(hi[j])) if has else None))
    return rows


@dataclass(frozen=True)
class RetentionCurve:
    """A Kaplan-Meier retention curve at its distinct churn times, with Greenwood se and cloglog CIs."""

    group: str
    n: int
    events: int
    times: NDArray[np.float64]
    survival: NDArray[np.float64]
    se: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    at_risk: NDArray[np.int64]
    churned: NDArray[np.int64]
    median: float | None
    median_ci: tuple[float, float | None] | None

    def at(self, t: ArrayLike) -> NDArray[np.float64]:
        """S(t) as a right-continuous step function (1 before the first churn time)."""
        i = np.searchsorted(self.times, np.asarray(t, dtype=np.float64), side="right") - 1
        return np.where(i >= 0, self.survival[np.maximum(i, 0)], 1.0)

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        def arr(a: NDArray[np.float64]) -> list[float | None]:
            return [rnd(float(x), digits) for x in a]

        return {"group": self.group, "n": self.n, "events": self.events, "times": arr(self.times),
                "survival": arr(self.survival), "ci_low": arr(self.ci_low), "ci_high": arr(self.ci_high),
                "at_risk": self.at_risk.tolist(), "churned": self.churned.tolist(), "median": self.median,
                "median_ci": None if self.median_ci is None else list(self.median_ci)}


def kaplan_meier(tenure: ArrayLike, churned: ArrayLike, conf: float = 0.95, group: str = "all") -> RetentionCurve:
    """Kaplan-Meier retention S(t) of tenures (churned = event, else censored), docs/methods.md section 12.2.

    S(t) = prod_{t_j <= t} (1 - d_j/n_j);  var S = S^2 sum d_j / (n_j (n_j - d_j))  (Greenwood 1926);
    CI: g = log(-log S), g -+ z se/(S |log S|) mapped back (Kalbfleisch & Prentice 1980);
    median = min{t_j : S(t_j) < 0.5}, CI = [first, one past the last] t_j with |g(S) - g(0.5)| <= z se_g
    (Brookmeyer & Crowley 1982; upper = None when it is not reached).
    """
    t = np.asarray(tenure, dtype=np.float64)
    d_ = np.asarray(churned, dtype=bool)
    if t.ndim != 1 or t.shape != d_.shape:
        raise ValueError("tenure and churned must be aligned 1-d arrays")
    if not np.all(np.isfinite(t)) or (t < 0).any():
        raise ValueError("tenure must be finite and >= 0")
    if t.size == 0:
        raise ValueError("Kaplan-Meier: no customers")
    utime, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=d_, minlength=utime.size)
    n = np.cumsum(np.bincount(inv, minlength=utime.size)[::-1])[::-1]
    keep = d > 0
    d, n, utime = d[keep], n[keep].astype(np.float64), utime[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.cumprod(1.0 - d / n)
        gw = np.cumsum(d / (n * (n - d)))
        se = s * np.sqrt(gw)
        logs = np.log(s)
        g = np.log(-logs)
        se_g = se / (s * np.abs(logs))
    z = z_quantile(conf)
    ci_lo = np.exp(-np.exp(g + z * se_g))
    ci_hi = np.exp(-np.exp(g - z * se_g))
    bad = ~np.isfinite(se_g)  # S = 0 or S = 1: the interval collapses onto the estimate
    ci_lo = np.where(bad, s, ci_lo)
    ci_hi = np.where(bad, s, ci_hi)
    se = np.where(np.isfinite(se), se, 0.0)
    below = np.flatnonzero(s < 0.5)
    median = float(utime[below[0]]) if below.size else None
    median_ci: tuple[float, float | None] | None = None
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (g - np.log(-np.log(0.5))) / se_g
    inside = np.flatnonzero(np.abs(r) <= z)
    if inside.size:
        upper = float(utime[inside[-1] + 1]) if inside[-1] < utime.size - 1 else None
        median_ci = (float(utime[inside[0]]), upper)
    return RetentionCurve(group, int(t.size), int(d_.sum()), utime, s, se, ci_lo, ci_hi, n.astype(np.int64),
                          d.astype(np.int64), median, median_ci)


def retention_curves(
    tenure: ArrayLike, churned: ArrayLike, groups: Factor | ArrayLike | None = None, conf: float = 0.95
) -> dict[str, RetentionCurve]:
    """One Kaplan-Meier curve per group (loyalty zone, segment, complaint outcome), as `kaplan_meier`;
    empty groups are left out (docs/methods.md 12.2)."""
    t = np.asarray(tenure, dtype=np.float64)
    c = np.asarray(churned, dtype=bool)
    g = as_factor(groups, t.shape[0])
    order = np.argsort(g.codes, kind="stable")
    bounds = np.searchsorted(g.codes[order], np.arange(len(g.labels) + 1))
    out: dict[str, RetentionCurve] = {}
    for j, label in enumerate(g.labels):
        idx = order[bounds[j]:bounds[j + 1]]
        if idx.size:
            out[label] = kaplan_meier(t[idx], c[idx], conf, label)
    return out
