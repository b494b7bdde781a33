"""Variance of estimates under raked (calibrated) weights: linearisation with calibration residuals
(docs/methods.md section 10.1).

Why
---
Raking makes the weighted shares of the margin variables equal their population values exactly, in every
sample. The part of an estimate's sampling variability that is explained by those variables is therefore
removed by the weighting. A variance formula that treats the raked weights as fixed (the Hajek
linearisation of `analytics.inference`, or Wilson on Kish's n_eff) still counts that part, so its intervals
over-cover whenever the outcome differs between margin categories (a satisfaction rate higher among older
customers, say).

Formula
-------
For an estimate whose linearised (influence) variable is u_i (for a Hajek mean over the answering
respondents, u_i = o_i (y_i - m) / W, W = sum of the answering respondents' weights), let x_i be the vector of
the margin categories' indicators of respondent i (one block of dummies per raking variable) and w_i the
final weights. Regress u on x with weights w,

    B = (sum_i w_i x_i x_i')^+ sum_i w_i x_i u_i,     e_i = u_i - x_i' B,

and estimate

    var = sum_i (w_i e_i / (1 - h_i))^2,     h_i = w_i x_i' (sum_k w_k x_k x_k')^+ x_i

(Deville & Särndal 1992, "Calibration estimators in survey sampling", JASA 87; the residual form for raking
is the GREG approximation of Deville, Särndal & Sautory 1993, JASA 88, which holds because every calibration
distance, raking's included, has the same first-order expansion as the linear one). The leverage factor
1 / (1 - h_i) is the small-sample correction that makes the sum approximate the delete-one jackknife (the
HC3 form of MacKinnon & White 1985; for the regression estimator Valliant 2002, "Variance estimation for the
general regression estimator", Survey Methodology 28): residuals of respondents in thin margin categories
(few respondents with large weights) are shrunk by the fit, and without it the intervals cover about 94 %
instead of 95 % at n = 300 in ``bench/coverage.py``'s population. With x_i = 1 and equal weights h_i = 1/n
and the formula is (n/(n-1))^2 sum u_i^2, within a factor n/(n-1) of the fixed-weight one of
`analytics.inference`. The generalised inverse handles the dummies' collinearity (each variable's block sums
to one); residuals and leverages do not depend on which inverse is used.

An estimate on a domain (the respondents who rated a brand, say) keeps u_i = 0 outside it, but the regression
and the sum run over every raked respondent: the calibration was done on all of them (`Calibration.domain`).

Why not a bootstrap that repeats the raking: it gives the same first-order answer at B times the cost (each
replicate re-rakes and recomputes every figure), and it needs enough respondents in every margin category of
each replicate; the residual formula is exact for linear calibration and costs one weighted least-squares fit
with a handful of columns. The bench (``bench/coverage.py``) checks the coverage both ways round.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

__all__ = ["CALIBRATED", "FIXED", "Calibration", "MarginDesign", "calibrated_mean_variances"]

#: ``variance`` labels recorded in `analytics.analyze`'s output.
CALIBRATED = "calibrated"
FIXED = "fixed-weight"


@dataclass(frozen=True, eq=False)
class MarginDesign:
    """The raking margins as categorical variables on the raked respondents: what the calibrated variance
    regresses on (the indicator matrix is built from the codes, one block of dummies per variable).

    Attributes
    ----------
    names : the raking variables, in raking order.
    codes : per variable, the (n,) category index of every respondent (0 .. size - 1).
    sizes : per variable, the number of categories.
    """

    names: tuple[str, ...]
    codes: tuple[NDArray[np.intp], ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        if not (len(self.names) == len(self.codes) == len(self.sizes)) or not self.names:
            raise ValueError("margin design: names, codes and sizes must have the same (non-zero) length")
        n = self.codes[0].shape[0]
        for name, c, k in zip(self.names, self.codes, self.sizes, strict=True):
            if c.shape != (n,):
                raise ValueError(f"margin design: variable {name!r} has shape {c.shape}, expected ({n},)")
            if n and (c.min() < 0 or c.max() >= k):
                raise ValueError(f"margin design: variable {name!r} has codes outside 0..{k - 1}")

    @property
    def n(self) -> int:
        return int(self.codes[0].shape[0])

    @cached_property
    def matrix(self) -> sparse.csr_matrix:
        """(n, sum of sizes) sparse indicator matrix: one 1 per variable in every row."""
        offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        cols = np.stack([c + o for c, o in zip(self.codes, offsets, strict=True)], axis=1).ravel()
        rows = np.repeat(np.arange(self.n), len(self.codes))
        return sparse.csr_matrix((np.ones(cols.shape[0]), (rows, cols)), shape=(self.n, int(sum(self.sizes))))


@dataclass(frozen=True, eq=False)
class Calibration:
    """A margin design with the final raked weights, and optionally a domain of those respondents.

    ``rows`` (None = all) is the domain the caller's estimates live on; the caller's linearised values are
    given on the domain only and count as zero elsewhere (module docstring).
    """

    design: MarginDesign
    weights: NDArray[np.float64]
    rows: NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        if self.weights.shape != (self.design.n,):
            raise ValueError(f"calibration: {self.weights.shape[0]} weights for {self.design.n} respondents")
        if self.rows is not None and self.rows.shape != (self.design.n,):
            raise ValueError(f"calibration: domain mask of shape {self.rows.shape} for {self.design.n} respondents")

    @property
    def n(self) -> int:
        """All raked respondents (the n of the variance formula)."""
        return self.design.n

    @property
    def n_domain(self) -> int:
        return self.n if self.rows is None else int(self.rows.sum())

    @property
    def domain_weights(self) -> NDArray[np.float64]:
        return self.weights if self.rows is None else self.weights[self.rows]

    def domain(self, rows: ArrayLike) -> Calibration:
        """The same calibration with estimates on a subset (a mask over the current domain's respondents)."""
        r = np.asarray(rows, dtype=bool)
        if r.shape != (self.n_domain,):
            raise ValueError(f"calibration domain: mask of shape {r.shape} for {self.n_domain} respondents")
        if self.rows is None:
            return Calibration(self.design, self.weights, r.copy())
        full = self.rows.copy()
        full[np.flatnonzero(self.rows)[~r]] = False
        return Calibration(self.design, self.weights, full)

    def check(self, weights: ArrayLike | None, what: str) -> None:
        """ValueError unless ``weights`` are this calibration's final weights on its domain (so a raked
        calibration is never combined with other weights by mistake)."""
        if weights is None:
            raise ValueError(f"{what}: a calibration was given but the data are unweighted")
        w = np.asarray(weights, dtype=np.float64)
        dw = self.domain_weights
        if w.shape != dw.shape or not np.allclose(w, dw, rtol=1e-9, atol=0.0):
            raise ValueError(f"{what}: the weights are not the raked weights of the calibration "
                             f"({w.shape[0]} weights, domain of {dw.shape[0]})")

    def residuals(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibration residuals e = u - X B of linearised values ``u`` ((n_domain,) or (n_domain, k), given on
        the domain), over every raked respondent: (n,) or (n, k). B is the weighted least-squares fit of u on
        the margin indicators X with the final weights (module docstring)."""
        u = np.asarray(u, dtype=np.float64)
        if u.shape[0] != self.n_domain:
            raise ValueError(f"calibration: {u.shape[0]} linearised values for a domain of {self.n_domain}")
        vec = u.ndim == 1
        U = u[:, None] if vec else u
        if self.rows is not None:
            full = np.zeros((self.n, U.shape[1]))
            full[self.rows] = U
            U = full
        X = self.design.matrix
        B = self._inverse @ (self._xtw @ U)
        E = U - X @ B
        return E[:, 0] if vec else E

    @cached_property
    def _xtw(self) -> sparse.csr_matrix:
        return self.design.matrix.T.multiply(self.weights[None, :]).tocsr()

    @cached_property
    def _inverse(self) -> NDArray[np.float64]:
        """(X' W X)^+ for the margin indicators X and the final weights."""
        return np.linalg.pinv((self._xtw @ self.design.matrix).toarray(), hermitian=True)

    @cached_property
    def scale(self) -> NDArray[np.float64]:
        """w_i / (1 - h_i): what multiplies a residual in the variance (leverage h_i, module docstring)."""
        X = self.design.matrix
        h = np.empty(self.n)
        for a in range(0, self.n, 1 << 16):
            xb = X[a : a + (1 << 16)]
            h[a : a + xb.shape[0]] = np.asarray(xb.multiply(xb @ self._inverse).sum(axis=1)).ravel()
        h *= self.weights
        return self.weights / np.clip(1.0 - h, 1e-12, None)

    def influence_covariance(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """sum_i w_i^2 e_i e_i' / (1 - h_i)^2 for the residuals e of ``u`` ((n_domain, k)): the covariance matrix
        of the k estimates whose linearised values are u's columns. A vector gives a (1, 1) matrix."""
        E = self.residuals(np.asarray(u, dtype=np.float64).reshape(self.n_domain, -1))
        E *= self.scale[:, None]
        return E.T @ E


def calibrated_mean_variances(y: NDArray[np.float64], calibration: Calibration) -> NDArray[np.float64]:
    """Calibrated variances of the Hajek means of the columns of ``y`` ((n_domain,) or (n_domain, k); NaN =
    not answered), each over its own answering respondents.

    u_ij = o_ij (y_ij - m_j) / W_j, var_j = sum_i (w_i e_ij / (1 - h_i))^2 (module docstring); NaN for a
    column nobody answered.
    """
    Y = np.asarray(y, dtype=np.float64)
    vec = Y.ndim == 1
    Y = Y[:, None] if vec else Y
    if Y.shape[0] != calibration.n_domain:
        raise ValueError(f"calibrated means: {Y.shape[0]} rows for a domain of {calibration.n_domain}")
    w = calibration.domain_weights
    obs = ~np.isnan(Y)
    W = (w[:, None] * obs).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(obs, Y, 0.0).T @ w / W
        U = np.where(obs, Y - m[None, :], 0.0) / np.where(W > 0, W, 1.0)[None, :]
    E = calibration.residuals(U) * calibration.scale[:, None]
    var = np.einsum("ij,ij->j", E, E)
    var = np.where(W > 0, var, np.nan)
    return var[0:1] if vec else var
