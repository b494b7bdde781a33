"""Index per segment (docs/methods.md section 9): n, CI, small-n flag and a test of whether segments differ.

The segment index is the (weighted) mean of the respondent-level indices (docs/methods.md section 3) of the
segment's respondents, with the linearisation CI of `analytics.inference.mean_estimate`. Segments with
n < ``min_n`` (default 30) are shown but flagged; a segment of one respondent is reported as insufficient data.

Test: one-way ANOVA (``scipy.stats.f_oneway``; Fisher 1925) or Kruskal-Wallis (``scipy.stats.kruskal``;
Kruskal & Wallis 1952) over segments with at least 2 respondents. With respondent weights the ANOVA is the
F-test of the segment dummies in a WLS regression (statsmodels), which equals f_oneway for equal weights:

    F = ((SSR_0 - SSR_1) / (G - 1)) / (SSR_1 / (N - G)),  SSR_1 = sum_i w_i (y_i - ybar_w,g(i))^2,
    SSR_0 = sum_i w_i (y_i - ybar_w)^2   (weighted group means ybar_w,g; overall weighted mean ybar_w)

It is invariant to rescaling the weights, but it treats them as precision weights, which survey weights are
not: with very unequal weights read it as an approximation (the result says so). Kruskal-Wallis ignores
weights (stated in the result).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from analytics.inference import Estimate, check_weights, mean_estimate
from analytics.settings import DEFAULTS
from survey_defs.schema import SurveyDefinition

__all__ = ["MIN_N", "segment_test", "segments"]

MIN_N = DEFAULTS.min_segment_n


def segment_test(
    groups: list[NDArray[np.float64]],
    weights: list[NDArray[np.float64]] | None = None,
    method: Literal["anova", "kruskal"] = "anova",
) -> dict[str, object]:
    """Test equality of the groups' means (ANOVA, weighted through WLS) or distributions (Kruskal-Wallis)."""
    if weights is not None:
        if len(weights) != len(groups):
            raise ValueError(f"segment test: {len(weights)} weight vectors for {len(groups)} segments")
        for j, (g, wk) in enumerate(zip(groups, weights, strict=True)):
            if np.shape(wk) != g.shape:
                raise ValueError(f"segment test: segment {j + 1} has {g.shape[0]} values but weights of shape "
                                 f"{np.shape(wk)}")
    usable = [j for j, g in enumerate(groups) if g.shape[0] >= 2]
    if len(usable) < 2:
        return {"method": method, "status": "insufficient_data",
                "reason": "fewer than two segments with at least 2 respondents"}
    gs = [groups[j] for j in usable]
    if all(np.ptp(g) == 0 for g in gs) and np.ptp(np.concatenate(gs)) == 0:
        return {"method": method, "status": "insufficient_data", "reason": "the index is constant in every segment"}
    if method == "kruskal":
        res = stats.kruskal(*gs)
        out = {"method": "kruskal", "statistic": float(res.statistic), "df": len(gs) - 1, "p_value": float(res.pvalue)}
        if weights is not None:
            out["note"] = "Kruskal-Wallis ignores respondent weights"
        return out
    if weights is None:
        if all(np.ptp(g) == 0 for g in gs):
            return {"method": "anova", "status": "insufficient_data",
                    "reason": "no variance within segments (every segment is constant)"}
        res = stats.f_oneway(*gs)
        df2 = sum(g.shape[0] for g in gs) - len(gs)
        return {"method": "anova", "statistic": float(res.statistic), "df": [len(gs) - 1, df2],
                "p_value": float(res.pvalue)}
    import statsmodels.api as sm

    y = np.concatenate(gs)
    w = np.concatenate([weights[j] for j in usable])
    lab = np.concatenate([np.full(g.shape[0], k) for k, g in enumerate(gs)])
    Xd = np.column_stack([np.ones_like(y)] + [(lab == k).astype(float) for k in range(1, len(gs))])
    fit = sm.WLS(y, Xd, weights=w).fit()
    if not np.isfinite(fit.ssr) or fit.ssr <= 0:
        return {"method": "anova", "status": "insufficient_data", "reason": "no variance within segments"}
    ft = fit.f_test(np.eye(Xd.shape[1])[1:])
    return {"method": "anova (WLS F-test)", "statistic": float(np.squeeze(ft.fvalue)),
            "df": [int(ft.df_num), int(ft.df_denom)], "p_value": float(ft.pvalue),
            "note": "respondent weights enter as precision weights (WLS); an approximation for survey weights"}


def segments(
    definition: SurveyDefinition,
    item_id: str,
    codes: NDArray[np.integer],
    index: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
    *,
    conf: float = 0.95,
    min_n: int = MIN_N,
    method: Literal["anova", "kruskal"] = "anova",
    bounds: tuple[float, float] | None = None,
) -> dict[str, object]:
    """Index per option of a segment (choice) item and a test across segments.

    Parameters
    ----------
    codes : (n,) option index per respondent (negative = not answered, counted under ``"unknown"``).
    index : (n,) respondent-level index (NaN where the respondent has no index).
    """
    item = definition.item_map.get(item_id)
    if item is None or item.type != "choice" or not item.options:
        raise ValueError(f"segment item {item_id!r} is not a choice item")
    codes = np.asarray(codes)
    index = np.asarray(index, dtype=np.float64)
    if codes.shape != index.shape:
        raise ValueError(f"segment {item_id!r}: codes and index are not aligned")
    if weights is not None:
        weights = check_weights(weights, index.shape[0], f"segment {item_id!r} respondent weights")
    has = ~np.isnan(index)
    groups: list[NDArray[np.float64]] = []
    gweights: list[NDArray[np.float64]] = []
    out: dict[str, object] = {"item": item_id, "min_n": min_n, "segments": {}}
    for k, opt in enumerate(item.options):
        sel = (codes == k) & has
        x = index[sel]
        wk = None if weights is None else weights[sel]
        n = int(sel.sum())
        if n == 0:
            est = Estimate.insufficient(0, f"segment {item_id}={opt.code}: no respondents")
        elif n == 1:
            est = Estimate.insufficient(1, f"segment {item_id}={opt.code}: one respondent only")
        else:
            est = mean_estimate(x, wk, conf, what=f"segment {item_id}={opt.code}", bounds=bounds)
        d = est.to_dict()
        d["small_n"] = n < min_n
        d["label"] = dict(opt.label)
        out["segments"][opt.code] = d  # type: ignore[index]
        groups.append(x)
        gweights.append(np.ones(n) if wk is None else wk)
    out["unknown"] = int(((codes < 0) & has).sum())
    out["test"] = segment_test(groups, None if weights is None else gweights, method)
    return out
