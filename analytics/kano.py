"""Kano classification (Kano et al. 1984; methods.md section 7).

Each feature has a functional ("if it has X") and a dysfunctional ("if it lacks X") question, answered
1 = like, 2 = must-be, 3 = neutral, 4 = live with, 5 = dislike. The Kano evaluation table maps the pair to
A (attractive), O (one-dimensional), M (must-be), I (indifferent), R (reverse) or Q (questionable):

    functional \\ dysfunctional   like  must-be  neutral  live-with  dislike
    like                          Q     A        A        A          O
    must-be                       R     I        I        I          M
    neutral                       R     I        I        I          M
    live with                     R     I        I        I          M
    dislike                       R     R        R        R          Q

Category = the most frequent (weighted) category; ties are broken by the usual M > O > A > I > R > Q order
(Berger et al. 1993). Customer-satisfaction coefficients (Berger et al. 1993):
Better = (A + O) / (A + O + M + I), Worse = -(O + M) / (A + O + M + I).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import check_weights

__all__ = ["ANSWERS", "CATEGORIES", "KANO_TABLE", "KanoResult", "kano", "kano_category"]

ANSWERS = ("like", "must-be", "neutral", "live-with", "dislike")
CATEGORIES = ("A", "O", "M", "I", "R", "Q")
KANO_TABLE = np.array([
    ["Q", "A", "A", "A", "O"],
    ["R", "I", "I", "I", "M"],
    ["R", "I", "I", "I", "M"],
    ["R", "I", "I", "I", "M"],
    ["R", "R", "R", "R", "Q"],
])
_TIE_ORDER = ("M", "O", "A", "I", "R", "Q")


@dataclass(frozen=True)
class KanoResult:
    """Counts (weighted), category and Better/Worse coefficients of one feature."""

    n: int
    counts: dict[str, float]
    category: str | None
    better: float | None
    worse: float | None

    def to_dict(self) -> dict[str, object]:
        status = {} if self.category else {"status": "insufficient_data", "reason": "no valid answer pairs"}
        return {"n": self.n, "counts": dict(self.counts), "category": self.category, "better": self.better,
                "worse": self.worse, **status}


def kano_category(functional: ArrayLike, dysfunctional: ArrayLike) -> NDArray[np.str_]:
    """Evaluation-table category per respondent; '' where either answer is missing or not in 1..5."""
    f = np.asarray(functional, dtype=np.float64)
    d = np.asarray(dysfunctional, dtype=np.float64)
    if f.shape != d.shape:
        raise ValueError("Kano: functional and dysfunctional answers must be aligned")
    ok = np.isin(f, [1, 2, 3, 4, 5]) & np.isin(d, [1, 2, 3, 4, 5])
    out = np.full(f.shape, "", dtype="<U1")
    out[ok] = KANO_TABLE[f[ok].astype(int) - 1, d[ok].astype(int) - 1]
    return out


def kano(functional: ArrayLike, dysfunctional: ArrayLike, weights: ArrayLike | None = None) -> KanoResult:
    """Classify one feature from its answer pairs (module docstring for the table and formulas)."""
    cat = kano_category(functional, dysfunctional)
    w = check_weights(weights, cat.shape[0], "Kano respondent weights")
    counts = {c: float(w[cat == c].sum()) for c in CATEGORIES}
    n = int((cat != "").sum())
    if n == 0:
        return KanoResult(0, counts, None, None, None)
    top = max(counts.values())
    category = next(c for c in _TIE_ORDER if counts[c] == top)
    den = counts["A"] + counts["O"] + counts["M"] + counts["I"]
    better = (counts["A"] + counts["O"]) / den if den > 0 else None
    worse = -(counts["O"] + counts["M"]) / den if den > 0 else None
    return KanoResult(n, counts, category, better, worse)
