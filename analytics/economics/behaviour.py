"""Satisfaction -> behaviour: churn models on the respondent's index, loyalty zone and complaint outcome, and
churn and revenue by group (docs/methods.md section 12.4).

* Logistic regression (statsmodels ``Logit``, Newton): logit P(churn) = b0 + b1 index/u + sum zone dummies +
  sum complaint dummies; odds ratio exp(b), CI exp(b +- z se) (Wald). ``u`` (default 10) is the index unit, so
  the index odds ratio is per ``u`` points.
* Cox proportional hazards (Cox 1972; statsmodels ``PHReg``, Breslow ties) when tenure and censoring are
  known: h(t | x) = h0(t) exp(x'b); hazard ratio exp(b) with the same Wald CI.
* Churn and revenue by group (loyalty zone, complaint outcome): churn share with a Wilson CI, revenue total,
  share and the revenue of those who churned.

Loyalty zones follow Jones & Sasser (1995) as in ``analytics.loyalty``: satisfaction <= defection_max is
defection, >= loyalty_min loyalty, between them indifference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.economics._common import rnd, wilson
from analytics.economics.tables import Factor, as_factor
from analytics.inference import z_quantile

__all__ = ["ZONE_LABELS", "ChurnModel", "EffectRow", "GroupBehaviour", "behaviour_by_group", "churn_model",
           "zone_codes"]

ZONE_LABELS = ("defection", "indifference", "loyalty")


def zone_codes(satisfaction: ArrayLike, defection_max: float, loyalty_min: float) -> Factor:
    """Loyalty zone (Jones & Sasser 1995): <= defection_max, between, >= loyalty_min; NaN -> -1
    (docs/methods.md 12.4)."""
    if defection_max >= loyalty_min:
        raise ValueError(f"zone cut-offs: defection_max {defection_max} must be below loyalty_min {loyalty_min}")
    x = np.asarray(satisfaction, dtype=np.float64)
    codes = np.where(x <= defection_max, 0, np.where(x >= loyalty_min, 2, 1))
    return Factor(np.where(np.isnan(x), -1, codes).astype(np.int64), ZONE_LABELS)


@dataclass(frozen=True)
class EffectRow:
    """One model term: coefficient, se, the odds or hazard ratio exp(b) with its Wald CI, and the p-value."""

    term: str
    coef: float
    se: float
    ratio: float
    ci: tuple[float, float]
    p_value: float

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"term": self.term, "coef": rnd(self.coef, digits), "se": rnd(self.se, digits),
                "ratio": rnd(self.ratio, digits), "ci": [rnd(self.ci[0], digits), rnd(self.ci[1], digits)],
                "p_value": rnd(self.p_value, 6)}


@dataclass(frozen=True)
class ChurnModel:
    """A fitted churn model: ``ratio`` is the odds ratio (logit) or hazard ratio (cox) of each term."""

    method: str
    n: int
    events: int
    rows: tuple[EffectRow, ...]
    converged: bool
    llf: float
    index_unit: float
    references: dict[str, str]

    def row(self, term: str) -> EffectRow:
        for r in self.rows:
            if r.term == term:
                return r
        raise KeyError(term)

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"method": self.method, "n": self.n, "events": self.events, "converged": self.converged,
                "llf": rnd(self.llf, 3), "index_unit": self.index_unit, "references": self.references,
                "rows": [r.to_dict(digits) for r in self.rows]}


def _dummies(f: Factor, reference: str | None, name: str, rows: NDArray[np.bool_]) -> tuple[
    list[NDArray[np.float64]], list[str], str
]:
    ref = f.labels[0] if reference is None else reference
    if ref not in f.labels:
        raise ValueError(f"{name}: reference {ref!r} is not among {list(f.labels)}")
    codes = f.codes[rows]
    counts = np.bincount(codes, minlength=len(f.labels))
    cols, names = [], []
    for j, label in enumerate(f.labels):
        if label == ref:
            continue
        if counts[j] == 0:
            raise ValueError(f"{name}: level {label!r} has no customers; drop it or merge it")
        cols.append((codes == j).astype(np.float64))
        names.append(f"{name}[{label}]")
    if counts[f.labels.index(ref)] == 0:
        raise ValueError(f"{name}: the reference level {ref!r} has no customers")
    return cols, names, ref


def churn_model(
    churned: ArrayLike,
    index: ArrayLike | None = None,
    zone: Factor | None = None,
    complaint: Factor | None = None,
    *,
    tenure: ArrayLike | None = None,
    method: Literal["logit", "cox"] = "logit",
    index_unit: float = 10.0,
    zone_reference: str | None = "loyalty",
    complaint_reference: str | None = None,
    conf: float = 0.95,
) -> ChurnModel:
    """Churn on satisfaction (docs/methods.md 12.4): logit (odds ratios) or Cox (hazard ratios, needs tenure).

    Rows with a missing index (NaN) or zone/complaint code (-1) are left out. Reference levels: the loyalty
    zone and the first complaint label unless given. Raises ValueError when no term is given, a level is empty,
    or churn does not vary.
    """
    y = np.asarray(churned, dtype=bool)
    n = y.shape[0]
    rows = np.ones(n, dtype=bool)
    if index is not None:
        x_idx = np.asarray(index, dtype=np.float64)
        if x_idx.shape != (n,):
            raise ValueError(f"index: expected {n} values, got shape {x_idx.shape}")
        rows &= ~np.isnan(x_idx)
    for f, name in ((zone, "zone"), (complaint, "complaint")):
        if f is not None:
            as_factor(f, n, name)
            rows &= f.codes >= 0
    t = None
    if method == "cox":
        if tenure is None:
            raise ValueError("the Cox model needs tenure (time to churn or censoring)")
        t = np.asarray(tenure, dtype=np.float64)
        if t.shape != (n,) or not np.all(np.isfinite(t)) or (t < 0).any():
            raise ValueError("tenure: expected finite, non-negative values, one per customer")
    elif method != "logit":
        raise ValueError(f"method must be 'logit' or 'cox', got {method!r}")
    if not index_unit > 0:
        raise ValueError(f"index_unit must be > 0, got {index_unit}")
    cols: list[NDArray[np.float64]] = []
    names: list[str] = []
    refs: dict[str, str] = {}
    if index is not None:
        cols.append(x_idx[rows] / index_unit)
        names.append("index")
    if zone is not None:
        c, nm, refs["zone"] = _dummies(zone, zone_reference, "zone", rows)
        cols += c
        names += nm
    if complaint is not None:
        c, nm, refs["complaint"] = _dummies(complaint, complaint_reference, "complaint", rows)
        cols += c
        names += nm
    if not cols:
        raise ValueError("churn model: give at least one of index, zone, complaint")
    yy = y[rows]
    if yy.all() or not yy.any():
        raise ValueError("churn model: churn does not vary among the customers used")
    X = np.column_stack(cols)
    if method == "logit":
        import statsmodels.api as sm

        res = sm.Logit(yy.astype(np.float64), np.column_stack([np.ones(X.shape[0]), X])).fit(
            method="newton", disp=0, maxiter=100)
        params, bse, pv = res.params[1:], res.bse[1:], res.pvalues[1:]
        converged = bool(res.mle_retvals.get("converged", True))
    else:
        from statsmodels.duration.hazard_regression import PHReg

        res = PHReg(t[rows], X, status=yy.astype(np.float64), ties="breslow").fit()
        params, bse, pv = res.params, res.bse, res.pvalues
        converged = bool(getattr(res, "converged", True))
    z = z_quantile(conf)
    out = tuple(EffectRow(nm, float(b), float(s), float(np.exp(b)), (float(np.exp(b - z * s)),
                                                                     float(np.exp(b + z * s))), float(p))
                for nm, b, s, p in zip(names, params, bse, pv, strict=True))
    return ChurnModel(method, int(rows.sum()), int(yy.sum()), out, converged, float(res.llf), index_unit, refs)


@dataclass(frozen=True)
class GroupBehaviour:
    """Churn and revenue of one group (zone or complaint outcome); shares and rates are 0-1."""

    group: str
    customers: int
    churned: int
    churn_rate: float | None
    churn_ci: tuple[float, float] | None
    revenue: float
    revenue_share: float
    revenue_lost: float

    def to_dict(self, digits: int | None = 4) -> dict[str, object]:
        return {"group": self.group, "customers": self.customers, "churned": self.churned,
                "churn_rate": rnd(self.churn_rate, digits),
                "churn_ci": None if self.churn_ci is None else [rnd(v, digits) for v in self.churn_ci],
                "revenue": rnd(self.revenue, 2), "revenue_share": rnd(self.revenue_share, digits),
                "revenue_lost": rnd(self.revenue_lost, 2)}


def behaviour_by_group(churned: ArrayLike, revenue: ArrayLike, groups: Factor | ArrayLike,
                       conf: float = 0.95) -> list[GroupBehaviour]:
    """Per group: customers, churned, churn rate d/n (Wilson CI), revenue sum, its share of all grouped revenue,
    and the revenue of the churned (docs/methods.md 12.4)."""
    y = np.asarray(churned, dtype=bool)
    rev = np.asarray(revenue, dtype=np.float64)
    if rev.shape != y.shape:
        raise ValueError("churned and revenue must be aligned")
    g = as_factor(groups, y.shape[0])
    ok = g.codes >= 0
    c, yy, rr = g.codes[ok], y[ok], rev[ok]
    k = len(g.labels)
    n = np.bincount(c, minlength=k)
    d = np.bincount(c[yy], minlength=k)
    total = np.bincount(c, weights=rr, minlength=k)
    lost = np.bincount(c[yy], weights=rr[yy], minlength=k)
    lo, hi = wilson(d, n, conf)
    all_rev = float(total.sum())
    return [GroupBehaviour(lab, int(n[j]), int(d[j]), float(d[j] / n[j]) if n[j] else None,
                           (float(lo[j]), float(hi[j])) if n[j] else None, float(total[j]),
                           float(total[j] / all_rev) if all_rev else 0.0, float(lost[j]))
            for j, lab in enumerate(g.labels)]
