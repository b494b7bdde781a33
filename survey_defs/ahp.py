"""AHP (analytic hierarchy process) arithmetic: weights and consistency of a pairwise-comparison matrix.

Lives in ``survey_defs`` because validating a definition needs the consistency ratio; ``analytics.weights``
wraps it. numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Saaty's random consistency index RI(n) for n = 1..15 (index 0 is n = 1).
RANDOM_INDEX: tuple[float, ...] = (
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
)  # fmt: skip

#: A matrix with CR at or above this is inconsistent (Saaty's 10 % rule).
CR_THRESHOLD = 0.10

MAX_N = len(RANDOM_INDEX)

#: A pairwise-comparison matrix: nested lists (as in a definition) or an array.
MatrixLike = Sequence[Sequence[float]] | NDArray[Any]


@dataclass(frozen=True)
class AhpResult:
    """Weights and consistency figures of one pairwise-comparison matrix."""

    weights: NDArray[np.float64]
    lambda_max: float
    ci: float
    ri: float
    cr: float

    @property
    def consistent(self) -> bool:
        """Saaty's rule: CR < 0.10."""
        return self.cr < CR_THRESHOLD

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])


def _as_matrix(matrix: MatrixLike) -> NDArray[np.float64]:
    """Check shape, size and positivity; AHP is only defined for positive square matrices."""
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"AHP matrix must be a square matrix of numbers ({exc})") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"AHP matrix must be square and non-empty, got shape {a.shape}")
    if a.shape[0] > MAX_N:
        raise ValueError(f"AHP matrix has {a.shape[0]} rows; at most {MAX_N} are supported (Saaty's RI table)")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("AHP matrix cells must be finite and > 0")
    return a


def is_reciprocal(matrix: MatrixLike, tol: float = 1e-6) -> bool:
    """True when a_ii = 1 and a_ij * a_ji = 1 for all i, j (within ``tol``)."""
    a = _as_matrix(matrix)
    return bool(np.all(np.abs(np.diag(a) - 1.0) <= tol) and np.all(np.abs(a * a.T - 1.0) <= tol))


def ahp_weights(matrix: MatrixLike) -> AhpResult:
    """Saaty's eigenvector weights and consistency ratio of a pairwise-comparison matrix A (n x n).

    w is the principal (Perron) eigenvector of A normalised to sum 1, A w = λmax w;
    CI = (λmax - n) / (n - 1); CR = CI / RI(n), with Saaty's random index RI; CR = 0 for n <= 2.
    A matrix is consistent when CR < 0.10.

    Reference: T. L. Saaty, *The Analytic Hierarchy Process*, McGraw-Hill, 1980.

    Raises ValueError for a non-square matrix, n > 15 or a cell that is not a positive number.
    """
    a = _as_matrix(matrix)
    n = a.shape[0]
    if n == 1:
        return AhpResult(weights=np.ones(1), lambda_max=1.0, ci=0.0, ri=0.0, cr=0.0)
    eigvals, eigvecs = np.linalg.eig(a)
    k = int(np.argmax(eigvals.real))
    lambda_max = float(eigvals[k].real)
    v = np.abs(eigvecs[:, k].real)  # Perron vector: one sign, positive for a positive matrix
    w = v / v.sum()
    ci = (lambda_max - n) / (n - 1)
    ri = RANDOM_INDEX[n - 1]
    cr = ci / ri if n > 2 else 0.0
    return AhpResult(weights=w, lambda_max=lambda_max, ci=float(ci), ri=ri, cr=float(cr))
