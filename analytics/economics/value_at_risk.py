"""Value at risk and what-if arithmetic (docs/methods.md section 12.5).

* Expected revenue lost next period (per zone and over the defection and indifference zones):
  L = sum_i p_i R_i, with p_i the customer's churn probability (a fitted model's prediction or the zone's
  observed churn rate) and R_i the revenue per period.
* What-if, Reichheld & Sasser (1990, "Zero defections", HBR 68(5)) arithmetic, one explicit row per step:
  retention r -> churn 1 - r -> expected lifetime 1/(1 - r) -> CLV = m r/(1 + d - r) (section 12.3) ->
  customer equity N x CLV. Cutting churn by k points sets r' = r + k/100; moving a share s of the
  indifferent to the loyalty zone gives each moved customer the loyal zone's retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.economics._common import rnd
from analytics.economics.clv import clv_simple
from analytics.economics.tables import Factor, as_factor

__all__ = ["WhatIf", "WhatIfRow", "ZoneRisk", "group_churn_probability", "value_at_risk", "what_if_churn_cut",
           "what_if_move"]


@dataclass(frozen=True)
class ZoneRisk:
    """Customers, revenue, mean churn probability and expected revenue lost next period of one zone."""

    zone: str
    customers: int
    revenue: float
    churn_probability: float | None
    expected_loss: float
    at_risk: bool

    def to_dict(self, digits: int | None = 2) -> dict[str, object]:
        return {"zone": self.zone, "customers": self.customers, "revenue": rnd(self.revenue, digits),
                "churn_probability": rnd(self.churn_probability, 4), "expected_loss": rnd(self.expected_loss, digits),
                "at_risk": self.at_risk}


def group_churn_probability(churned: ArrayLike, groups: Factor | ArrayLike) -> NDArray[np.float64]:
    """Each customer's group churn rate p_g = d_g / n_g (NaN for a missing group), as a churn probability
    (docs/methods.md 12.5)."""
    y = np.asarray(churned, dtype=bool)
    g = as_factor(groups, y.shape[0])
    ok = g.codes >= 0
    k = len(g.labels)
    n = np.bincount(g.codes[ok], minlength=k)
    d = np.bincount(g.codes[ok & y], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = d / n
    return np.where(ok, rate[np.maximum(g.codes, 0)], np.nan)


def value_at_risk(
    revenue: ArrayLike,
    zone: Factor,
    churn_probability: ArrayLike,
    at_risk_zones: Sequence[str] = ("defection", "indifference"),
) -> tuple[list[ZoneRisk], float]:
    """Per zone: sum_i p_i R_i (docs/methods.md 12.5); returns the rows and the total over ``at_risk_zones``.

    Customers with a missing zone or probability are left out.
    """
    rev = np.asarray(revenue, dtype=np.float64)
    p = np.asarray(churn_probability, dtype=np.float64)
    n = rev.shape[0]
    as_factor(zone, n, "zone")
    if p.shape != (n,):
        raise ValueError(f"churn_probability: expected {n} values, got shape {p.shape}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("churn_probability must lie in [0, 1]")
    unknown = set(at_risk_zones) - set(zone.labels)
    if unknown:
        raise ValueError(f"at_risk_zones {sorted(unknown)} are not among {list(zone.labels)}")
    ok = (zone.codes >= 0) & ~np.isnan(p)
    c, k = zone.codes[ok], len(zone.labels)
    cnt = np.bincount(c, minlength=k)
    rsum = np.bincount(c, weights=rev[ok], minlength=k)
    psum = np.bincount(c, weights=p[ok], minlength=k)
    loss = np.bincount(c, weights=p[ok] * rev[ok], minlength=k)
    rows = [ZoneRisk(lab, int(cnt[j]), float(rsum[j]), float(psum[j] / cnt[j]) if cnt[j] else None,
                     float(loss[j]), lab in at_risk_zones) for j, lab in enumerate(zone.labels)]
    return rows, float(sum(r.expected_loss for r in rows if r.at_risk))


@dataclass(frozen=True)
class WhatIfRow:
    """One step of the arithmetic: its formula, the value before and after."""

    step: str
    formula: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def change_pct(self) -> float | None:
        return None if self.before == 0 else 100.0 * (self.after - self.before) / abs(self.before)

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"step": self.step, "formula": self.formula, "before": rnd(self.before, digits),
                "after": rnd(self.after, digits), "change": rnd(self.change, digits),
                "change_pct": rnd(self.change_pct, 2)}


@dataclass(frozen=True)
class WhatIf:
    """A scenario: its rows and the gain in customer equity."""

    scenario: str
    rows: tuple[WhatIfRow, ...]
    gain: float

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"scenario": self.scenario, "rows": [r.to_dict(digits) for r in self.rows], "gain": rnd(self.gain, 2)}


def what_if_churn_cut(retention: float, margin: float, discount: float, points: float,
                      customers: int = 1) -> WhatIf:
    """Cut churn by ``points`` percentage points: r' = r + points/100 (Reichheld & Sasser 1990;
    docs/methods.md 12.5). Rows: retention, churn, lifetime 1/(1-r), CLV m r/(1+d-r), equity N CLV."""
    r2 = retention + points / 100.0
    if not (0 <= retention < 1 and 0 <= r2 < 1):
        raise ValueError(f"retention {retention} + {points} points must stay in [0, 1)")
    if customers < 0:
        raise ValueError("customers must be >= 0")
    c1, c2 = float(clv_simple(margin, retention, discount)), float(clv_simple(margin, r2, discount))
    rows = (
        WhatIfRow("retention", "r", retention, r2),
        WhatIfRow("churn", "1 - r", 1 - retention, 1 - r2),
        WhatIfRow("expected lifetime (periods)", "1 / (1 - r)", 1 / (1 - retention), 1 / (1 - r2)),
        WhatIfRow("CLV", "m r / (1 + d - r)", c1, c2),
        WhatIfRow("customer equity", "N x CLV", customers * c1, customers * c2),
    )
    return WhatIf(f"churn cut by {points:g} points", rows, customers * (c2 - c1))


def what_if_move(customers_from: int, retention_from: float, retention_to: float, margin: float, discount: float,
                 share: float, from_zone: str = "indifference", to_zone: str = "loyalty") -> WhatIf:
    """Move a share s of ``customers_from`` to a zone with retention ``retention_to`` (docs/methods.md 12.5).

    moved = s N; each moved customer's CLV goes from m r_from/(1+d-r_from) to m r_to/(1+d-r_to); gain =
    moved x (CLV_to - CLV_from); churners next period fall by moved x (r_to - r_from).
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must lie in [0, 1], got {share}")
    if customers_from < 0:
        raise ValueError("customers_from must be >= 0")
    moved = share * customers_from
    c1, c2 = float(clv_simple(margin, retention_from, discount)), float(clv_simple(margin, retention_to, discount))
    rows = (
        WhatIfRow("customers moved", f"s N ({from_zone} -> {to_zone})", 0.0, moved),
        WhatIfRow("retention of a moved customer", "r", retention_from, retention_to),
        WhatIfRow("expected lifetime (periods)", "1 / (1 - r)", 1 / (1 - retention_from), 1 / (1 - retention_to)),
        WhatIfRow("CLV of a moved customer", "m r / (1 + d - r)", c1, c2),
        WhatIfRow("churners next period among the moved", "s N (1 - r)", moved * (1 - retention_from),
                  moved * (1 - retention_to)),
        WhatIfRow("equity of the moved customers", "s N CLV", moved * c1, moved * c2),
    )
    return WhatIf(f"move {100 * share:g}% of {from_zone} to {to_zone}", rows, moved * (c2 - c1))
