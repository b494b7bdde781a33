"""Customer delivered value (Kotler; docs/methods.md section 12.8).

Per respondent, on 0-100 scores (higher value item = more value; higher cost item = more cost, e.g. "the price
is high", "it took long", "it was hard work"):

    V = sum_j a_j v_j / sum_j a_j  over the answered value items (quality, service, staff, image),
    C = sum_k b_k c_k / sum_k b_k  over the answered cost items (money/price, time, effort),
    CDV = V - C  (in -100..100),   ratio form CDV_r = V / C  (C > 0).

Weights renormalise over the items a respondent answered; with no value item or no cost item answered, CDV is
NaN. Kotler & Keller, *Marketing Management* (customer delivered value = total customer value - total customer
cost). Means carry t-intervals from `analytics.inference.mean_estimate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import Estimate, mean_estimate

__all__ = ["CdvResult", "delivered_value", "to_0_100"]


def to_0_100(x: ArrayLike, lo: float, hi: float) -> NDArray[np.float64]:
    """Rescale a lo..hi rating to 0-100: 100 (x - lo) / (hi - lo); NaN stays NaN (docs/methods.md 12.8)."""
    if not hi > lo:
        raise ValueError(f"scale: hi {hi} must exceed lo {lo}")
    a = np.asarray(x, dtype=np.float64)
    if np.any((a < lo) | (a > hi)):
        raise ValueError(f"ratings outside the scale {lo}..{hi}")
    return 100.0 * (a - lo) / (hi - lo)


@dataclass(frozen=True)
class CdvResult:
    """Per respondent value, cost, CDV and ratio, and their means with CIs."""

    value: NDArray[np.float64]
    cost: NDArray[np.float64]
    cdv: NDArray[np.float64]
    ratio: NDArray[np.float64]
    mean_value: Estimate
    mean_cost: Estimate
    mean_cdv: Estimate
    mean_ratio: Estimate

    def to_dict(self, digits: int | None = 2) -> dict[str, object]:
        return {"value": self.mean_value.to_dict(digits), "cost": self.mean_cost.to_dict(digits),
                "cdv": self.mean_cdv.to_dict(digits), "ratio": self.mean_ratio.to_dict(4)}


def _weighted(X: NDArray[np.float64], a: ArrayLike | None, what: str) -> NDArray[np.float64]:
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"{what} items: expected an n x k matrix with k >= 1, got shape {X.shape}")
    if np.any((X < 0) | (X > 100)):
        raise ValueError(f"{what} items: scores must lie in 0..100 (use to_0_100)")
    w = np.ones(X.shape[1]) if a is None else np.asarray(a, dtype=np.float64)
    if w.shape != (X.shape[1],) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"{what} weights: {X.shape[1]} non-negative numbers, not all zero")
    obs = ~np.isnan(X)
    den = obs.astype(np.float64) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, np.nan_to_num(X) @ w / den, np.nan)


def delivered_value(
    value_items: ArrayLike,
    cost_items: ArrayLike,
    value_weights: ArrayLike | None = None,
    cost_weights: ArrayLike | None = None,
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
) -> CdvResult:
    """CDV = V - C and CDV_r = V / C per respondent (docs/methods.md 12.8), with weighted means and CIs."""
    V = _weighted(np.asarray(value_items, dtype=np.float64), value_weights, "value")
    C = _weighted(np.asarray(cost_items, dtype=np.float64), cost_weights, "cost")
    if V.shape != C.shape:
        raise ValueError("value and cost items must have one row per respondent each")
    cdv = V - C
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(C > 0, V / C, np.nan)
    return CdvResult(V, C, cdv, ratio,
                     mean_estimate(V, weights, conf, "customer value", (0, 100)),
                     mean_estimate(C, weights, conf, "customer cost", (0, 100)),
                     mean_estimate(cdv, weights, conf, "customer delivered value", (-100, 100)),
                     mean_estimate(ratio, weights, conf, "value/cost ratio"))
