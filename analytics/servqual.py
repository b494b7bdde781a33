"""SERVQUAL gaps (Parasuraman, Zeithaml & Berry 1988; methods.md section 7): gap = perception - expectation
per item and per dimension (reliability, assurance, tangibles, empathy, responsiveness), each with a paired
t-test of P against E (``scipy.stats.ttest_rel``; weighted version in `analytics.inference`).

A respondent's dimension score is the mean of the dimension's answered items (P and E separately, over the
items answered on both sides); the overall gap is the unweighted mean of the dimension gaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from analytics.inference import weighted_t_test

__all__ = ["DIMENSIONS", "servqual_gaps"]

DIMENSIONS = ("reliability", "assurance", "tangibles", "empathy", "responsiveness")


def _paired(p: np.ndarray, e: np.ndarray, w: np.ndarray | None, what: str) -> dict[str, object]:
    ok = ~(np.isnan(p) | np.isnan(e))
    out: dict[str, object] = {"n": int(ok.sum()),
                              "perception": float(np.average(p[ok], weights=None if w is None else w[ok]))
                              if ok.any() else None,
                              "expectation": float(np.average(e[ok], weights=None if w is None else w[ok]))
                              if ok.any() else None}
    try:
        r = weighted_t_test(p, e, paired=True, weights_a=w)
    except ValueError as exc:
        out.update({"gap": None if not ok.any() else out["perception"] - out["expectation"],  # type: ignore[operator]
                    "status": "insufficient_data", "reason": f"{what}: {exc}"})
        return out
    out.update({"gap": r.diff, "ci": [r.ci[0], r.ci[1]], "statistic": r.statistic, "df": r.df,
                "p_value": r.p_value})
    return out


def servqual_gaps(
    perception: ArrayLike,
    expectation: ArrayLike,
    items: Sequence[str],
    dimensions: Mapping[str, str],
    weights: ArrayLike | None = None,
) -> dict[str, object]:
    """Gap analysis of aligned (n, k) perception and expectation scores (NaN = missing).

    ``dimensions`` maps each item to its dimension. Raises ValueError naming items without a dimension or
    when the matrices do not match the items.
    """
    P = np.asarray(perception, dtype=np.float64)
    E = np.asarray(expectation, dtype=np.float64)
    if P.shape != E.shape or P.ndim != 2 or P.shape[1] != len(items):
        raise ValueError(f"SERVQUAL: perception {P.shape} and expectation {E.shape} must be (n, {len(items)})")
    missing = [i for i in items if i not in dimensions]
    if missing:
        raise ValueError(f"SERVQUAL: items without a dimension: {', '.join(missing)}")
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    out_items = {it: _paired(P[:, j], E[:, j], w, f"item {it}") for j, it in enumerate(items)}
    dims: dict[str, object] = {}
    gaps: list[float] = []
    for dim in dict.fromkeys(dimensions[i] for i in items):
        cols = [j for j, i in enumerate(items) if dimensions[i] == dim]
        both = ~(np.isnan(P[:, cols]) | np.isnan(E[:, cols]))
        cnt = both.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            pd_ = np.where(cnt > 0, np.where(both, P[:, cols], 0).sum(axis=1) / cnt, np.nan)
            ed = np.where(cnt > 0, np.where(both, E[:, cols], 0).sum(axis=1) / cnt, np.nan)
        r = _paired(pd_, ed, w, f"dimension {dim}")
        r["items"] = [items[j] for j in cols]
        dims[dim] = r
        g = r.get("gap")
        if isinstance(g, float | int):
            gaps.append(float(g))
    return {"items": out_items, "dimensions": dims,
            "overall_gap": float(np.mean(gaps)) if gaps else None}
