"""Importance-performance analysis and the ranked "improve first" list (methods.md section 7).

Quadrants (Martilla & James 1977), split at the means (or medians) of the plotted items:
high importance & low performance = ``improve_first``; high & high = ``keep_up``; low & low = ``low_priority``;
low importance & high performance = ``possible_overkill``. "High" means >= the split value.

Ranking rule (documented, deterministic): priority_j = (importance_j / sum importance) * (target_j -
performance_j), the importance-weighted gap to the target (default 100, the top of the 0-100 scale, or e.g.
the best competitor's score per item). The improve-first list holds the ``improve_first`` quadrant ordered by
priority (descending, ties by lower performance, then name); ``ranking`` orders every item the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["QUADRANTS", "importance_performance"]

QUADRANTS = ("improve_first", "keep_up", "low_priority", "possible_overkill")


def importance_performance(
    names: Sequence[str],
    importance: ArrayLike,
    performance: ArrayLike,
    *,
    split: Literal["mean", "median"] = "mean",
    target: float | Mapping[str, float] = 100.0,
) -> dict[str, object]:
    """Quadrants and the improve-first ranking of ``names``.

    Raises ValueError when the arrays do not match the names or contain NaN (name the items).
    """
    imp = np.asarray(importance, dtype=np.float64)
    perf = np.asarray(performance, dtype=np.float64)
    if imp.shape != (len(names),) or perf.shape != (len(names),):
        raise ValueError(f"importance {imp.shape} and performance {perf.shape} must match {len(names)} items")
    bad = [names[int(j)] for j in np.flatnonzero(np.isnan(imp) | np.isnan(perf))]
    if bad:
        raise ValueError(f"importance-performance: no importance or performance for {', '.join(bad)}")
    if len(names) == 0:
        raise ValueError("importance-performance of no items")
    if (imp < 0).any():
        raise ValueError("importance must be non-negative")
    f = np.mean if split == "mean" else np.median
    si, sp = float(f(imp)), float(f(perf))
    tgt = np.array([target.get(n, 100.0) if isinstance(target, Mapping) else target for n in names], dtype=float)
    tot = imp.sum()
    share = imp / tot if tot > 0 else np.full(len(names), 1.0 / len(names))
    gap = tgt - perf
    prio = share * gap
    rows = []
    for j, n in enumerate(names):
        hi_i, hi_p = imp[j] >= si, perf[j] >= sp
        q = ("keep_up" if hi_p else "improve_first") if hi_i else ("possible_overkill" if hi_p else "low_priority")
        rows.append({"item": n, "importance": float(imp[j]), "performance": float(perf[j]), "quadrant": q,
                     "target": float(tgt[j]), "gap": float(gap[j]), "priority": float(prio[j])})
    order = sorted(range(len(names)), key=lambda j: (-prio[j], perf[j], names[j]))
    ranking = [rows[j] for j in order]
    return {
        "split": split,
        "split_importance": si,
        "split_performance": sp,
        "rule": "priority = importance share x (target - performance); improve_first quadrant ranked by priority",
        "items": rows,
        "quadrants": {q: [r["item"] for r in ranking if r["quadrant"] == q] for q in QUADRANTS},
        "improve_first": [r for r in ranking if r["quadrant"] == "improve_first"],
        "ranking": [r["item"] for r in ranking],
    }
