"""Satisfaction rate (满意率) and other proportions with Wilson intervals (docs/methods.md sections 2 and 8).

Satisfaction rate = satisfied respondents / respondents answering * 100, where "satisfied" is the top
``scale.top_box_count`` points (top-2 of 5 and 7, top-3 of 10/11 unless the definition says otherwise) after
reverse coding. N/A and missing answers are excluded from the denominator. With respondent weights the
proportion is weighted and the Wilson (1927) interval uses the Kish (1965) effective sample size when the
weights are fixed (given with the data). When they come from raking in the analysis, the proportion's
variance is the calibrated one (`analytics.calibration`, docs/methods.md section 10.1) and the Wilson interval
uses the effective size of that variance, n* = p(1 - p) / var_cal (the design-effect form of the Wilson
interval: Kish's n / deff with the estimate's own design effect; docs/methods.md section 10.2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from analytics.calibration import Calibration, calibrated_mean_variances
from analytics.inference import Estimate, check_weights, kish_effective_n, wilson_ci
from analytics.scoring import ItemScoring

__all__ = ["proportion_estimate", "satisfaction_rate", "top_box_threshold"]


def proportion_estimate(
    success_weight: float,
    total_weight: float,
    n: int,
    n_eff: float,
    conf: float = 0.95,
    what: str = "rate",
    variance: float | None = None,
) -> Estimate:
    """A weighted proportion in percent with a Wilson interval on the effective size.

    p = success_weight / total_weight; CI = 100 * Wilson(p, n_eff) (Wilson 1927; Kish 1965 for n_eff). With
    ``variance`` (the proportion's calibrated variance, `analytics.calibration`) the Wilson size is
    n* = p(1 - p) / variance instead (docs/methods.md section 10.2); at p = 0 or 1 (no variance to scale)
    n_eff stays.
    """
    if n == 0 or total_weight <= 0:
        return Estimate.insufficient(n, f"{what}: no answers")
    p = success_weight / total_weight
    size = n_eff
    if variance is not None and variance > 0 and 0 < p < 1:
        size = p * (1 - p) / variance
    lo, hi = wilson_ci(p, size, conf)
    se = 100.0 * float(np.sqrt(p * (1 - p) / size))
    return Estimate(value=100.0 * p, n=n, ci=(100.0 * lo, 100.0 * hi), se=se, n_eff=n_eff)


def top_box_threshold(rule: ItemScoring, top_box: int) -> float:
    """Smallest oriented raw value that counts as satisfied: max - top_box + 1."""
    if not 1 <= top_box <= rule.max - rule.min + 1:
        raise ValueError(f"item {rule.item_id!r}: top_box {top_box} does not fit the scale {rule.min}..{rule.max}")
    return float(rule.max - top_box + 1)


def satisfaction_rate(
    codes: NDArray[np.integer],
    rule: ItemScoring,
    top_box: int,
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
    calibration: Calibration | None = None,
) -> Estimate:
    """Share (percent) of answering respondents in the top ``top_box`` points of the item's scale.

    Parameters
    ----------
    codes : (n,) stored codes of the item (negative = missing / N/A, excluded).
    rule : the item's scoring rule (gives the scale bounds and reverse coding).
    top_box : how many top points count as satisfied (``Scale.top_box_count``).
    calibration : the raking behind ``weights`` (on these respondents as its domain): the CI then uses the
        calibrated variance (module docstring). None: the weights are taken as fixed.
    """
    c = np.asarray(codes)
    w = check_weights(weights, c.shape[0])
    obs = c >= 0
    x = rule.oriented(c[obs].astype(np.float64))
    wo = w[obs]
    sat = x >= top_box_threshold(rule, top_box)
    var = None
    if calibration is not None:
        calibration.check(weights, f"satisfaction rate of {rule.item_id!r}")
        y = np.full(c.shape[0], np.nan)
        y[obs] = sat
        var = float(calibrated_mean_variances(y, calibration)[0])
    return proportion_estimate(
        float(wo[sat].sum()), float(wo.sum()), int(obs.sum()), kish_effective_n(wo), conf,
        what=f"satisfaction rate of {rule.item_id!r}", variance=var,
    )
