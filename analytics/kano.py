"""Kano classification (Kano et al. 1984; docs/methods.md section 7).

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

Counts are weighted with respondent weights. Better and Worse are proportions among the respondents classified
A, O, M or I (n = their number), so each carries the Wilson (1927) interval on their Kish effective size
(`analytics.inference.wilson_ci`); Worse's interval is that of (O + M) / (A + O + M + I), negated. They stay on
the -1..1 scale of the coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import Estimate, check_weights, kish_effective_n, wilson_ci
from survey_defs.schema import KANO_ANSWERS

__all__ = ["ANSWERS", "CATEGORIES", "KANO_TABLE", "KanoResult", "kano", "kano_category"]

ANSWERS = KANO_ANSWERS
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
    """Counts (weighted), category and Better/Worse coefficients (with n and CI) of one feature."""

    n: int
    counts: dict[str, float]
    category: str | None
    better_estimate: Estimate
    worse_estimate: Estimate
    n_by_category: dict[str, int] | None = None

    @property
    def better(self) -> float | None:
        return self.better_estimate.value

    @property
    def worse(self) -> float | None:
        return self.worse_estimate.value

    def to_dict(self) -> dict[str, object]:
        status = {} if self.category else {"status": "insufficient_data", "reason": "no valid answer pairs"}
        return {"n": self.n, "counts": dict(self.counts), "n_by_category": dict(self.n_by_category or {}),
                "category": self.category, "better": self.better_estimate.to_dict(),
                "worse": self.worse_estimate.to_dict(), **status}


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


def _coefficient(num: float, den: float, n: int, n_eff: float, sign: float, conf: float, what: str) -> Estimate:
    if n == 0 or den <= 0:
        return Estimate.insufficient(n, f"{what}: no respondent classified A, O, M or I")
    p = num / den
    lo, hi = wilson_ci(p, n_eff, conf)
    se = float(np.sqrt(p * (1 - p) / n_eff))
    ci = (lo, hi) if sign > 0 else (-hi, -lo)
    return Estimate(value=sign * p, n=n, ci=ci, se=se, n_eff=n_eff)


def kano(functional: ArrayLike, dysfunctional: ArrayLike, weights: ArrayLike | None = None,
         conf: float = 0.95, what: str = "Kano") -> KanoResult:
    """Classify one feature from its answer pairs (module docstring for the table and formulas)."""
    cat = kano_category(functional, dysfunctional)
    w = check_weights(weights, cat.shape[0], f"{what} respondent weights")
    counts = {c: float(w[cat == c].sum()) for c in CATEGORIES}
    n_by = {c: int((cat == c).sum()) for c in CATEGORIES}
    n = int((cat != "").sum())
    aomi = np.isin(cat, ["A", "O", "M", "I"])
    n4, ne4 = int(aomi.sum()), kish_effective_n(w[aomi])
    den = counts["A"] + counts["O"] + counts["M"] + counts["I"]
    better = _coefficient(counts["A"] + counts["O"], den, n4, ne4, 1.0, conf, f"{what} Better")
    worse = _coefficient(counts["O"] + counts["M"], den, n4, ne4, -1.0, conf, f"{what} Worse")
    if n == 0 or sum(counts.values()) <= 0:
        return KanoResult(n, counts, None, better, worse, n_by)
    top = max(counts.values())
    category = next(c for c in _TIE_ORDER if counts[c] == top)
    return KanoResult(n, counts, category, better, worse, n_by)
