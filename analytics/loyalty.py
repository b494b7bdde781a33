"""Loyalty: satisfaction-loyalty zones, satisfaction x loyalty quadrants, NPS and retention (docs/methods.md
section 6).

* Zones (Jones & Sasser 1995): raw satisfaction <= ``defection_max`` is the defection zone, >= ``loyalty_min``
  the loyalty (affection) zone, the rest the indifference zone. Cut-offs come from the definition's loyalty
  block and can be overridden.
* Quadrants (Jones & Sasser 1995): satisfaction high/low x loyalty high/low gives loyalists (apostles), mercenaries
  (high satisfaction, low loyalty), hostages (low satisfaction, high loyalty) and defectors. "High
  satisfaction" defaults to the loyalty-zone cut-off (``loyalty_min``: completely satisfied, the point of
  Jones & Sasser); "high loyalty" to ``loyalty_high_min`` or, if absent, the loyalty item's top box.
* NPS (Reichheld 2003): promoters 9-10, passives 7-8, detractors 0-6; NPS = 100 (p_P - p_D). Its standard
  error is the multinomial one, se^2 = (p_P + p_D - (p_P - p_D)^2) / n (n = Kish effective size with
  weights). The interval is the adjusted Wald interval of Bonett & Price (2012) for a difference of two
  shares of one multinomial sample (`nps_interval`; docs/methods.md section 10.3): one pseudo-count is added
  to the promoters and one to the detractors (two to n) before the normal interval is formed, which brings
  the coverage of small samples (n = 30) back to nominal where the plain normal interval falls short.
* Retention: expected lifetime = 1 / (1 - r) periods; lifetime value = margin / (1 - r).

Shares are weighted and carry Wilson (1927) intervals (`analytics.satisfaction_rate.proportion_estimate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.inference import Estimate, check_weights, kish_effective_n, z_quantile
from analytics.satisfaction_rate import proportion_estimate
from analytics.scoring import item_scoring
from survey_defs.schema import SurveyDefinition

__all__ = [
    "NpsResult",
    "expected_lifetime",
    "lifetime_value",
    "loyalty_analysis",
    "nps",
    "nps_from_weighted",
    "nps_interval",
    "quadrants",
    "zones",
]

QUADRANTS = ("loyalists", "mercenaries", "hostages", "defectors")
ZONES = ("defection", "indifference", "loyalty")


@dataclass(frozen=True)
class NpsResult:
    """Net promoter score (percent points) with its CI and the three shares (percent)."""

    nps: Estimate
    promoters: float
    passives: float
    detractors: float
    shares: dict[str, Estimate] = field(default_factory=dict)
    """The three shares (percent) as figures with Wilson intervals on n_eff."""

    def to_dict(self, digits: int | None = None) -> dict[str, object]:
        def r(x: float) -> float:
            return round(float(x), digits) if digits is not None else float(x)

        return {**self.nps.to_dict(digits), "promoters": r(self.promoters), "passives": r(self.passives),
                "detractors": r(self.detractors), "shares": {k: v.to_dict(digits) for k, v in self.shares.items()}}


def _shares(
    masks: dict[str, NDArray[np.bool_]], valid: NDArray[np.bool_], w: NDArray[np.float64], conf: float, what: str
) -> dict[str, Estimate]:
    wv = w[valid]
    total, n, n_eff = float(wv.sum()), int(valid.sum()), kish_effective_n(wv)
    return {k: proportion_estimate(float(w[m & valid].sum()), total, n, n_eff, conf, what=f"{what} {k}")
            for k, m in masks.items()}


def zones(
    satisfaction: NDArray[np.float64],
    defection_max: float,
    loyalty_min: float,
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
) -> dict[str, Estimate]:
    """Shares (percent, Wilson CI) of the defection, indifference and loyalty zones (Jones & Sasser 1995).

    ``satisfaction`` holds raw (reverse-coded if needed) values with NaN for missing/N/A.
    """
    if defection_max >= loyalty_min:
        raise ValueError(f"zone cut-offs: defection_max {defection_max} must be below loyalty_min {loyalty_min}")
    x = np.asarray(satisfaction, dtype=np.float64)
    w = check_weights(weights, x.shape[0])
    valid = ~np.isnan(x)
    masks = {"defection": x <= defection_max, "indifference": (x > defection_max) & (x < loyalty_min),
             "loyalty": x >= loyalty_min}
    return _shares(masks, valid, w, conf, "zone")


def quadrants(
    satisfaction: NDArray[np.float64],
    loyalty: NDArray[np.float64],
    satisfaction_high_min: float,
    loyalty_high_min: float,
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
) -> dict[str, Estimate]:
    """Satisfaction x loyalty quadrants (Jones & Sasser 1995) on respondents who answered both items.

    loyalists (apostles): high, high; mercenaries: high satisfaction, low loyalty; hostages: low satisfaction,
    high loyalty; defectors: low, low. "High" means >= the given raw cut-off.
    """
    s = np.asarray(satisfaction, dtype=np.float64)
    lo = np.asarray(loyalty, dtype=np.float64)
    if s.shape != lo.shape:
        raise ValueError("satisfaction and loyalty arrays must be aligned")
    w = check_weights(weights, s.shape[0])
    valid = ~(np.isnan(s) | np.isnan(lo))
    hs, hl = s >= satisfaction_high_min, lo >= loyalty_high_min
    masks = {"loyalists": hs & hl, "mercenaries": hs & ~hl, "hostages": ~hs & hl, "defectors": ~hs & ~hl}
    return _shares(masks, valid, w, conf, "quadrant")


def nps(
    recommend: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
    promoter_min: float = 9,
    detractor_max: float = 6,
) -> NpsResult:
    """Net promoter score (Reichheld 2003) with its multinomial standard error and adjusted Wald CI.

    NPS = 100 (p_P - p_D);  var(NPS/100) = (p_P(1-p_P) + p_D(1-p_D) + 2 p_P p_D) / n, n -> n_eff with weights;
    CI = `nps_interval` (Bonett & Price 2012: one pseudo-count added to promoters and detractors), clipped to
    [-100, 100].
    """
    x = np.asarray(recommend, dtype=np.float64)
    w = check_weights(weights, x.shape[0])
    valid = ~np.isnan(x)
    wv = w[valid]
    return nps_from_weighted(x[valid], wv, int(valid.sum()), kish_effective_n(wv), conf, promoter_min, detractor_max)


def nps_from_weighted(
    values: NDArray[np.float64] | NDArray[np.int64],
    weights: NDArray[np.float64],
    n: int,
    n_eff: float,
    conf: float = 0.95,
    promoter_min: float = 9,
    detractor_max: float = 6,
) -> NpsResult:
    """`nps` from answered recommendation values and their weights: one entry per respondent (`nps`), or one per
    distinct value with the summed weight of its respondents (the streamed summary's histogram). ``n`` is the
    number of respondents, ``n_eff`` their Kish effective size (sum w)^2 / sum w^2.

    NPS = 100 (p_P - p_D) with p = sum_{group} w / W;  se = 100 sqrt((p_P(1-p_P) + p_D(1-p_D) + 2 p_P p_D) / n_eff);
    CI = the adjusted Wald interval `nps_interval` on the effective counts n_eff p_P and n_eff p_D out of n_eff
    (Bonett & Price 2012; docs/methods.md section 10.3), clipped to [-100, 100].
    """
    W = float(weights.sum())
    if n == 0 or W <= 0:
        return NpsResult(Estimate.insufficient(n, "NPS: nobody answered the recommendation item"), 0.0, 0.0, 0.0)
    prom, detr = values >= promoter_min, values <= detractor_max
    pp = float(weights[prom].sum() / W)
    pd_ = float(weights[detr].sum() / W)
    value = 100.0 * (pp - pd_)
    groups = {"promoters": prom, "passives": (values > detractor_max) & (values < promoter_min), "detractors": detr}
    shares = {k: proportion_estimate(float(weights[m].sum()), W, n, n_eff, conf, what=f"NPS {k}")
              for k, m in groups.items()}
    if n < 2:
        est = Estimate(value=value, n=n, ci=None, status="insufficient_data",
                       reason="NPS: one answer only, no confidence interval")
        return NpsResult(est, 100 * pp, 100 * (1 - pp - pd_), 100 * pd_, shares)
    se = 100.0 * float(np.sqrt((pp * (1 - pp) + pd_ * (1 - pd_) + 2 * pp * pd_) / n_eff))
    lo, hi = nps_interval(pp * n_eff, pd_ * n_eff, n_eff, conf)
    est = Estimate(value=value, n=n, ci=(float(lo), float(hi)), se=se, n_eff=n_eff)
    return NpsResult(est, 100 * pp, 100 * (1 - pp - pd_), 100 * pd_, shares)


def nps_interval(
    promoters: float | NDArray[np.float64],
    detractors: float | NDArray[np.float64],
    n: float | NDArray[np.float64],
    conf: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Adjusted Wald interval (percent points) for NPS = 100 (p_P - p_D) from promoter and detractor counts.

    Why: the plain normal interval p_P - p_D +- z se under-covers at small n (about 93 % at n = 30), most when
    the shares are near 0 or 1. Adding one pseudo-observation to each of the two shares (Bonett & Price 2012,
    "Adjusted Wald confidence interval for a difference of binomial proportions based on paired data", J. Educ.
    Behav. Stat. 37; the Agresti & Caffo 2000 idea for dependent shares) centres and widens it just enough:

        p~_P = (x_P + 1) / (n + 2),  p~_D = (x_D + 1) / (n + 2),  d~ = p~_P - p~_D,
        CI = 100 * (d~ +- z sqrt((p~_P + p~_D - d~^2) / (n + 2))), clipped to [-100, 100]

    (docs/methods.md section 10.3). Vectorised: counts may be arrays. With weights pass the weighted shares
    times n_eff as counts and n_eff as n.
    """
    xp = np.asarray(promoters, dtype=np.float64)
    xd = np.asarray(detractors, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    if (nn <= 0).any() or (xp < 0).any() or (xd < 0).any() or (xp + xd > nn * (1 + 1e-9)).any():
        raise ValueError("NPS interval: counts must be non-negative with promoters + detractors <= n > 0")
    pp = (xp + 1.0) / (nn + 2.0)
    pd_ = (xd + 1.0) / (nn + 2.0)
    dd = pp - pd_
    h = z_quantile(conf) * np.sqrt(np.maximum(pp + pd_ - dd * dd, 0.0) / (nn + 2.0))
    return np.maximum(100.0 * (dd - h), -100.0), np.minimum(100.0 * (dd + h), 100.0)


def expected_lifetime(retention: float) -> float:
    """Expected customer lifetime in periods, 1 / (1 - r) (90 % -> 10, 95 % -> 20; docs/methods.md section 6)."""
    if not 0 <= retention < 1:
        raise ValueError(f"retention rate must be in [0, 1), got {retention}")
    return 1.0 / (1.0 - retention)


def lifetime_value(retention: float, margin_per_period: float) -> float:
    """Customer lifetime value = margin per period * 1 / (1 - r) (undiscounted)."""
    return margin_per_period * expected_lifetime(retention)


def _oriented(definition: SurveyDefinition, data: ResponseData, item_id: str, brand: str | None) -> NDArray[
    np.float64
]:
    rule = item_scoring(definition, item_id)
    return rule.oriented(data.raw_values(item_id, brand if definition.is_per_brand(item_id) else None))


def loyalty_analysis(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    brand: str | None = None,
    defection_max: float | None = None,
    loyalty_min: float | None = None,
    satisfaction_high_min: float | None = None,
    loyalty_high_min: float | None = None,
    conf: float = 0.95,
) -> dict[str, object]:
    """Zones, quadrants and NPS from the definition's loyalty block (cut-offs overridable).

    Per-brand items use ``brand`` (default: own brand) on the respondents who rated it. Returns a
    JSON-ready dict (see docs/analytics-json.md); raises ValueError when the definition has no loyalty block.
    """
    lb = definition.loyalty
    if lb is None:
        raise ValueError(f"survey {definition.slug!r} has no loyalty block")
    rows = np.ones(data.n, dtype=bool)
    used = [i for i in (lb.satisfaction_item, lb.loyalty_item, lb.nps_item) if i]
    if any(definition.is_per_brand(i) for i in used):
        rows = data.rated(brand)
    sub = data.take(rows) if not rows.all() else data
    w = sub.weight
    dmax = lb.defection_max if defection_max is None else defection_max
    lmin = lb.loyalty_min if loyalty_min is None else loyalty_min
    sat = _oriented(definition, sub, lb.satisfaction_item, brand)
    out: dict[str, object] = {
        "satisfaction_item": lb.satisfaction_item,
        "cutoffs": {"defection_max": dmax, "loyalty_min": lmin},
        "zones": {k: v.to_dict() for k, v in zones(sat, dmax, lmin, w, conf).items()},
    }
    if lb.loyalty_item:
        loy = _oriented(definition, sub, lb.loyalty_item, brand)
        if loyalty_high_min is None:
            loyalty_high_min = lb.loyalty_high_min
        if loyalty_high_min is None:
            sc = definition.scale_of(lb.loyalty_item)
            loyalty_high_min = sc.max - sc.top_box_count + 1
        shm = lmin if satisfaction_high_min is None else satisfaction_high_min
        q = quadrants(sat, loy, shm, loyalty_high_min, w, conf)
        out["quadrants"] = {
            "loyalty_item": lb.loyalty_item,
            "cutoffs": {"satisfaction_high_min": shm, "loyalty_high_min": loyalty_high_min},
            **{k: v.to_dict() for k, v in q.items()},
        }
    else:
        out["quadrants"] = None
    if lb.nps_item:
        out["nps"] = {"item": lb.nps_item, **nps(sub.raw_values(lb.nps_item, brand if definition.is_per_brand(
            lb.nps_item) else None), w, conf).to_dict()}
    else:
        out["nps"] = None
    return out
