"""Customer priority: weighted criteria scores, ranks, A-E grades and the value x satisfaction matrix
(docs/methods.md section 12.7).

* Criteria (revenue, margin, growth, strategic fit, satisfaction, ...) are min-max normalised per column,
  z_ij = (x_ij - min_j) / (max_j - min_j) for a benefit criterion and (max_j - x_ij) / (max_j - min_j) for a
  cost criterion (0 for a constant column), then score_i = 100 sum_j w_j z_ij with sum_j w_j = 1 (simple
  additive weighting; Hwang & Yoon 1981). Weights are given, or Saaty's AHP eigenvector weights of a
  pairwise-comparison matrix (``survey_defs.ahp``; Saaty 1980), whose consistency ratio is reported.
* Rank 1 = highest score (ties share the smallest rank).
* Grades A-E by score cut-offs (default >= 80, 60, 40, 20), or by Pareto shares (ABC analysis): customers in
  descending score order, grade by the cumulative share of a value (default: the score) held by those ranked
  before them: < 50 % A, < 80 % B, < 95 % C, < 99 % D, else E.
* Matrix (value against satisfaction, cut at the medians unless given): protect (high value, high
  satisfaction), develop (high value, low satisfaction: raise it), maintain (low value, high satisfaction: at
  low cost), reconsider (low value, low satisfaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from analytics.economics.tables import Factor
from survey_defs.ahp import MatrixLike, ahp_weights

__all__ = ["GRADES", "QUADRANTS", "PriorityResult", "grade_by_cutoffs", "grade_by_pareto", "priority_matrix",
           "priority_ranking"]

GRADES = ("A", "B", "C", "D", "E")
QUADRANTS = ("protect", "develop", "maintain", "reconsider")


@dataclass(frozen=True)
class PriorityResult:
    """Per customer: normalised criteria, score (0-100), rank and grade code (into ``GRADES``)."""

    criteria: tuple[str, ...]
    weights: NDArray[np.float64]
    normalised: NDArray[np.float64]
    score: NDArray[np.float64]
    rank: NDArray[np.int64]
    grade: Factor
    ahp_cr: float | None

    def to_dict(self) -> dict[str, object]:
        counts = np.bincount(self.grade.codes, minlength=len(GRADES))
        return {"criteria": list(self.criteria), "weights": [round(float(w), 4) for w in self.weights],
                "ahp_cr": self.ahp_cr, "grades": {g: int(c) for g, c in zip(GRADES, counts, strict=True)}}


def grade_by_cutoffs(score: ArrayLike, cutoffs: Sequence[float] = (80, 60, 40, 20)) -> Factor:
    """A if score >= cutoffs[0], B if >= cutoffs[1], ..., E below the last cut-off (docs/methods.md 12.7)."""
    c = np.asarray(cutoffs, dtype=np.float64)
    if c.shape != (4,) or not np.all(np.diff(c) < 0):
        raise ValueError("cutoffs: give four decreasing scores (for A, B, C, D)")
    s = np.asarray(score, dtype=np.float64)
    return Factor(np.searchsorted(-c, -s, side="left").astype(np.int64), GRADES)  # = #{cut-offs above s}


def grade_by_pareto(score: ArrayLike, value: ArrayLike | None = None,
                    shares: Sequence[float] = (0.5, 0.8, 0.95, 0.99)) -> Factor:
    """ABC-style grades: in descending score order, the cumulative share of ``value`` held by the customers
    ranked before each one; A below shares[0], B below shares[1], ... (docs/methods.md 12.7)."""
    s = np.asarray(score, dtype=np.float64)
    v = s if value is None else np.asarray(value, dtype=np.float64)
    sh = np.asarray(shares, dtype=np.float64)
    if sh.shape != (4,) or not np.all(np.diff(sh) > 0) or sh[0] <= 0 or sh[-1] > 1:
        raise ValueError("shares: give four increasing shares in (0, 1] (upper bounds of A, B, C, D)")
    if v.shape != s.shape or np.any(v < 0) or v.sum() <= 0:
        raise ValueError("Pareto value: non-negative, aligned with the scores, not all zero")
    order = np.argsort(-s, kind="stable")
    before = np.concatenate(([0.0], np.cumsum(v[order])[:-1])) / v.sum()
    codes = np.empty(s.shape[0], dtype=np.int64)
    codes[order] = np.searchsorted(sh, before, side="right")
    return Factor(codes, GRADES)


def priority_ranking(
    criteria: ArrayLike,
    names: Sequence[str],
    *,
    weights: ArrayLike | None = None,
    ahp_matrix: MatrixLike | None = None,
    benefit: Sequence[bool] | None = None,
    grade_by: Literal["cutoffs", "pareto"] = "cutoffs",
    cutoffs: Sequence[float] = (80, 60, 40, 20),
    pareto_value: ArrayLike | None = None,
    pareto_shares: Sequence[float] = (0.5, 0.8, 0.95, 0.99),
) -> PriorityResult:
    """Weighted-criteria score, rank and grade of every customer (docs/methods.md 12.7).

    ``criteria`` is n x k (one column per name); give ``weights`` (k, normalised to sum 1) or an AHP
    ``ahp_matrix`` (k x k). ``benefit[j]`` False marks a cost criterion (less is better).
    """
    X = np.asarray(criteria, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"criteria: expected an n x {len(names)} matrix, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("criteria: values must be finite (impute or drop the customers first)")
    if (weights is None) == (ahp_matrix is None):
        raise ValueError("give either weights or an AHP matrix")
    cr = None
    if ahp_matrix is not None:
        res = ahp_weights(ahp_matrix)
        if res.n != X.shape[1]:
            raise ValueError(f"AHP matrix is {res.n} x {res.n} for {X.shape[1]} criteria")
        w, cr = res.weights, res.cr
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (X.shape[1],) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"weights: {X.shape[1]} non-negative numbers, not all zero")
        w = w / w.sum()
    b = np.ones(X.shape[1], dtype=bool) if benefit is None else np.asarray(benefit, dtype=bool)
    if b.shape != (X.shape[1],):
        raise ValueError("benefit: one flag per criterion")
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    Z = np.where(b, X - lo, hi - X) / span
    Z[:, hi == lo] = 0.0
    score = 100.0 * Z @ w
    rank = rankdata(-score, method="min").astype(np.int64)
    if grade_by == "cutoffs":
        grade = grade_by_cutoffs(score, cutoffs)
    elif grade_by == "pareto":
        grade = grade_by_pareto(score, pareto_value, pareto_shares)
    else:
        raise ValueError(f"grade_by must be 'cutoffs' or 'pareto', got {grade_by!r}")
    return PriorityResult(tuple(names), w, Z, score, rank, grade, cr)


def priority_matrix(value: ArrayLike, satisfaction: ArrayLike, value_cut: float | None = None,
                    satisfaction_cut: float | None = None) -> tuple[Factor, float, float]:
    """Quadrant of each customer (``QUADRANTS``) and the two cuts used (medians unless given); "high" means
    >= the cut. NaN satisfaction -> code -1 (docs/methods.md 12.7)."""
    v = np.asarray(value, dtype=np.float64)
    s = np.asarray(satisfaction, dtype=np.float64)
    if v.shape != s.shape or v.ndim != 1:
        raise ValueError("value and satisfaction must be aligned 1-d arrays")
    ok = ~(np.isnan(v) | np.isnan(s))
    if not ok.any():
        raise ValueError("priority matrix: no customer has both a value and a satisfaction")
    vc = float(np.median(v[ok])) if value_cut is None else float(value_cut)
    sc = float(np.median(s[ok])) if satisfaction_cut is None else float(satisfaction_cut)
    hv, hs = v >= vc, s >= sc
    codes = np.where(hv, np.where(hs, 0, 1), np.where(hs, 2, 3))
    return Factor(np.where(ok, codes, -1).astype(np.int64), QUADRANTS), vc, sc
