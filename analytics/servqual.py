"""SERVQUAL gaps (Parasuraman, Zeithaml & Berry 1988; docs/methods.md section 7): gap = perception - expectation
per statement and per dimension (reliability, assurance, tangibles, empathy, responsiveness), each with a paired
t-test of P against E (``scipy.stats.ttest_rel``; weighted version in `analytics.inference`).

* Statement: the respondents who answered both P and E. Its gap is the (weighted) mean of d_i = P_i - E_i,
  with the linearisation CI of `analytics.inference.mean_estimate` (for equal weights exactly the paired-t
  interval mean(d) +- t_{n-1} s_d / sqrt(n)).
* Dimension: a respondent's dimension score is the mean of the dimension's statements answered on both sides
  (P and E separately); the dimension gap is the mean of the respondents' P - E dimension scores, CI as above.
* Overall: G = (1/D) sum_d m_d, the unweighted mean of the D dimension gaps, each m_d a Hajek mean over its
  own respondents S_d. Its delta-method (linearisation) variance is

      var(G) = n/(n-1) sum_i u_i^2,   u_i = (1/D) sum_d 1[i in S_d] w_i (g_id - m_d) / W_d

  (Woodruff 1971; W_d = sum of weights in S_d), CI G +- t_{n_eff-1} se. Without missing answers it equals the
  interval of the mean of the respondents' average gap.

Gaps are in the points of the items' (shared) scale, as SERVQUAL reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import Estimate, check_weights, kish_effective_n, mean_ci, mean_estimate, weighted_t_test

__all__ = ["DIMENSIONS", "overall_gap", "servqual_gaps"]

DIMENSIONS = ("reliability", "assurance", "tangibles", "empathy", "responsiveness")


def _paired(p: NDArray[np.float64], e: NDArray[np.float64], w: NDArray[np.float64] | None, what: str,
            conf: float) -> dict[str, object]:
    """Perception, expectation and gap figures over the complete pairs, and the paired test."""
    ok = ~(np.isnan(p) | np.isnan(e))
    wk = None if w is None else w[ok]
    out: dict[str, object] = {
        "n": int(ok.sum()),
        "perception": mean_estimate(p[ok], wk, conf, what=f"{what} perception").to_dict(),
        "expectation": mean_estimate(e[ok], wk, conf, what=f"{what} expectation").to_dict(),
        "gap": mean_estimate(p[ok] - e[ok], wk, conf, what=f"{what} gap").to_dict(),
    }
    try:
        r = weighted_t_test(p, e, paired=True, weights_a=w, conf=conf)
    except ValueError as exc:
        out["test"] = {"status": "insufficient_data", "reason": f"{what}: {exc}", "p_value": None}
        return out
    out["test"] = {"test": r.test, "statistic": r.statistic, "df": r.df, "p_value": r.p_value}
    return out


def overall_gap(gaps: NDArray[np.float64], weights: NDArray[np.float64] | None = None, conf: float = 0.95,
                what: str = "SERVQUAL overall gap") -> Estimate:
    """G = mean over dimensions of the dimension gaps, with the delta-method CI of the module docstring.

    ``gaps`` is the (n, D) matrix of respondent-level dimension gaps, NaN where a respondent has none.
    """
    g = np.asarray(gaps, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"{what}: expected an (n, D) matrix of dimension gaps, got shape {g.shape}")
    w = check_weights(weights, g.shape[0], f"{what} weights")
    has = ~np.isnan(g)
    Wd = has.T.astype(np.float64) @ w
    dims = Wd > 0
    if not dims.any():
        return Estimate.insufficient(0, f"{what}: no respondent answered both sides of any statement")
    D = int(dims.sum())
    gz = np.where(has, g, 0.0)
    m = np.where(dims, (w @ gz) / np.where(dims, Wd, 1.0), 0.0)
    G = float(m[dims].mean())
    rows = has[:, dims].any(axis=1) & (w > 0)
    n = int(rows.sum())
    if n < 2:
        return Estimate(value=G, n=n, ci=None, status="insufficient_data",
                        reason=f"{what}: fewer than 2 respondents, no confidence interval")
    z = np.where(has[:, dims], (gz[:, dims] - m[dims]) * w[:, None] / Wd[dims], 0.0)
    u = z.sum(axis=1)[rows] / D
    se = float(np.sqrt(n / (n - 1) * np.dot(u, u)))
    n_eff = kish_effective_n(w[rows])
    return Estimate(value=G, n=n, ci=mean_ci(G, se, max(n_eff - 1.0, 1.0), conf), se=se, n_eff=n_eff)


def servqual_gaps(
    perception: ArrayLike,
    expectation: ArrayLike,
    items: Sequence[str],
    dimensions: Mapping[str, str],
    weights: ArrayLike | None = None,
    conf: float = 0.95,
) -> dict[str, object]:
    """Gap analysis of aligned (n, k) perception and expectation scores (NaN = missing).

    ``items`` names the k statements and ``dimensions`` maps each to its dimension. Returns
    ``{"items": {statement: ...}, "dimensions": {dimension: ...}, "overall_gap": <figure>}`` (formulas in the
    module docstring). Raises ValueError naming statements without a dimension, or when the matrices or the
    weights do not match.
    """
    P = np.asarray(perception, dtype=np.float64)
    E = np.asarray(expectation, dtype=np.float64)
    if P.shape != E.shape or P.ndim != 2 or P.shape[1] != len(items):
        raise ValueError(f"SERVQUAL: perception {P.shape} and expectation {E.shape} must be (n, {len(items)})")
    missing = [i for i in items if i not in dimensions]
    if missing:
        raise ValueError(f"SERVQUAL: items without a dimension: {', '.join(missing)}")
    w = None if weights is None else check_weights(weights, P.shape[0], "SERVQUAL respondent weights")
    out_items = {it: _paired(P[:, j], E[:, j], w, f"statement {it}", conf) for j, it in enumerate(items)}
    dims: dict[str, object] = {}
    gap_cols: list[NDArray[np.float64]] = []
    for dim in dict.fromkeys(dimensions[i] for i in items):
        cols = [j for j, i in enumerate(items) if dimensions[i] == dim]
        both = ~(np.isnan(P[:, cols]) | np.isnan(E[:, cols]))
        cnt = both.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            pd_ = np.where(cnt > 0, np.where(both, P[:, cols], 0).sum(axis=1) / cnt, np.nan)
            ed = np.where(cnt > 0, np.where(both, E[:, cols], 0).sum(axis=1) / cnt, np.nan)
        r = _paired(pd_, ed, w, f"dimension {dim}", conf)
        r["items"] = [items[j] for j in cols]
        dims[dim] = r
        gap_cols.append(pd_ - ed)
    G = overall_gap(np.column_stack(gap_cols) if gap_cols else np.empty((P.shape[0], 0)), w, conf)
    return {"items": out_items, "dimensions": dims, "overall_gap": G.to_dict()}
