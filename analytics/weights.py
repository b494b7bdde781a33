"""Where indicator weights come from (docs/methods.md section 4): AHP, entropy, CRITIC and derived importance.

Every function returns the weights (summing to 1) together with its diagnostics, and raises ``ValueError``
naming the offending items for inputs it cannot weigh (a constant indicator, a singular design, a weights
vector of the wrong length). All accept respondent weights.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.inference import check_weights

__all__ = [
    "AhpWeights",
    "RegressionImportance",
    "Weights",
    "ahp",
    "critic_weights",
    "entropy_weights",
    "equal_weights",
    "regression_importance",
    "relative_weights",
    "shapley_r2",
    "validate_weights",
]


@dataclass(frozen=True)
class Weights:
    """Weights over named indicators with the method that produced them and its diagnostics."""

    names: list[str]
    weights: NDArray[np.float64]
    method: str
    diagnostics: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.names, self.weights, strict=True)}


@dataclass(frozen=True)
class AhpWeights(Weights):
    """AHP weights (Saaty 1980): principal eigenvector, lambda_max, CI = (lambda_max - n)/(n - 1), RI, CR = CI/RI."""

    lambda_max: float = 0.0
    ci: float = 0.0
    ri: float = 0.0
    cr: float = 0.0
    consistent: bool = True


@dataclass(frozen=True)
class RegressionImportance(Weights):
    """Derived importance of indicators for an outcome (overall satisfaction).

    ``weights`` are Johnson's (2000) relative weights rescaled to sum 1 (non-negative and robust to
    collinearity); ``beta`` the standardised OLS coefficients (statsmodels), with p-values, R^2, adjusted R^2,
    VIFs and the condition number of the standardised design; ``raw_relative`` the relative weights before
    rescaling (they sum to R^2); ``shapley`` the Shapley decomposition of R^2 (Lipovetsky & Conklin 2001) when
    k <= 12.
    """

    beta: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    p_values: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    r2: float = 0.0
    adj_r2: float = 0.0
    vif: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    condition_number: float = 0.0
    raw_relative: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    shapley: NDArray[np.float64] | None = None
    n: int = 0


def _names(k: int, names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [f"x{j}" for j in range(k)]
    if len(names) != k:
        raise ValueError(f"{len(names)} names given for {k} indicators")
    return list(names)


def validate_weights(
    weights: ArrayLike, names: Sequence[str], where: str = "weights", tol: float = 1e-6
) -> NDArray[np.float64]:
    """Check a weights vector against its items: same length, finite, non-negative, sum 1 within ``tol``.

    Raises ``ValueError`` naming ``where`` (e.g. the node path) and the items.
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != len(names):
        raise ValueError(f"{where}: {w.shape[0]} weights for {len(names)} items ({', '.join(names)})")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"{where}: weights must be finite and non-negative, got {w.tolist()}")
    if abs(w.sum() - 1.0) > tol:
        raise ValueError(f"{where}: weights of {', '.join(names)} sum to {w.sum():.6g}, not 1")
    return w


def equal_weights(names: Sequence[str]) -> Weights:
    """1/k each."""
    k = len(names)
    if k == 0:
        raise ValueError("equal weights of no items")
    return Weights(list(names), np.full(k, 1.0 / k), "equal")


def ahp(matrix: ArrayLike, names: Sequence[str] | None = None) -> AhpWeights:
    """AHP weights with Saaty's consistency diagnostics (Saaty 1980; docs/methods.md section 4).

    w = principal eigenvector of the reciprocal matrix A normalised to sum 1; CI = (lambda_max - n)/(n - 1);
    CR = CI / RI(n), RI from Saaty's table; CR >= 0.10 is inconsistent (reported, not raised). Delegates the
    arithmetic to `survey_defs.ahp.ahp_weights` (definition validation needs it too).
    """
    from survey_defs.ahp import ahp_weights

    a = np.asarray(matrix, dtype=np.float64)
    res = ahp_weights(a)
    nm = _names(res.weights.shape[0], names)
    msg = (
        f"consistent (CR = {res.cr:.3f} < 0.10)"
        if res.consistent
        else f"inconsistent: CR = {res.cr:.3f} >= 0.10; revise the pairwise comparisons"
    )
    return AhpWeights(
        nm, np.asarray(res.weights, dtype=np.float64), "ahp",
        {"lambda_max": res.lambda_max, "ci": res.ci, "ri": res.ri, "cr": res.cr,
         "consistent": bool(res.consistent), "message": msg},
        lambda_max=float(res.lambda_max), ci=float(res.ci), ri=float(res.ri), cr=float(res.cr),
        consistent=bool(res.consistent),
    )


def _complete(
    X: ArrayLike, weights: ArrayLike | None, names: list[str], y: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None]:
    x = np.asarray(X, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise ValueError(f"indicator matrix has shape {x.shape}, expected (n, {len(names)})")
    w = check_weights(weights, x.shape[0])
    ok = ~np.isnan(x).any(axis=1) & (w > 0)
    yy = None
    if y is not None:
        yy = np.asarray(y, dtype=np.float64)
        if yy.shape != (x.shape[0],):
            raise ValueError(f"outcome has shape {yy.shape}, expected ({x.shape[0]},)")
        ok &= ~np.isnan(yy)
        yy = yy[ok]
    return x[ok], w[ok], yy


def _wcov(x: NDArray[np.float64], w: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted mean and covariance (normalised weights, divisor sum w)."""
    p = w / w.sum()
    m = p @ x
    d = x - m
    return m, (d * p[:, None]).T @ d


def _check_constant(sd: NDArray[np.float64], names: list[str], what: str) -> None:
    const = [names[j] for j in np.flatnonzero(sd <= 1e-12 * max(1.0, float(np.max(sd, initial=0.0))))]
    if const:
        raise ValueError(f"{what}: constant indicator(s) {', '.join(const)} carry no information")


def entropy_weights(
    X: ArrayLike, weights: ArrayLike | None = None, names: Sequence[str] | None = None
) -> Weights:
    """Entropy weights on complete cases of non-negative indicators (docs/methods.md section 4).

    Textbook (equal weights): p_ij = x_ij / sum_i x_ij;  e_j = -(1/ln n) sum_i p_ij ln p_ij;  d_j = 1 - e_j;
    w_j = d_j / sum d_j  (0 ln 0 = 0).

    With respondent weights, each respondent stands for v_i = n w_i / sum w population units (weights rescaled
    to mean 1, so the result does not depend on the weights' scale): p_ij = x_ij / sum_i v_i x_ij and
    e_j = -(1/ln n) sum_i v_i p_ij ln p_ij, the entropy of the estimated population distribution of x_j. Equal
    weights give the textbook formula, and a constant indicator has e_j = 1 exactly whatever the weights.

    An indicator with d_j = 0 (constant over the respondents) gets weight 0; ``diagnostics["zeroed"]`` names it
    (CRITIC raises instead, because its sigma_j = 0 leaves the correlations undefined).
    """
    x0 = np.asarray(X, dtype=np.float64)
    nm = _names(x0.shape[1] if x0.ndim == 2 else 0, names)
    x, w, _ = _complete(x0, weights, nm)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"entropy weights of {', '.join(nm)}: need at least 2 complete respondents, got {n}")
    if (x < 0).any():
        raise ValueError("entropy weights need non-negative indicators (use 0-100 scores)")
    v = w * (n / w.sum())
    tot = v @ x
    zero = [nm[j] for j in np.flatnonzero(tot <= 0)]
    if zero:
        raise ValueError(f"entropy weights: indicator(s) {', '.join(zero)} are zero for everybody")
    p = x / tot
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -(v @ plogp) / np.log(n)
    d = 1.0 - e
    const = np.ptp(x, axis=0) <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))
    d = np.where(const | (d < 1e-12), 0.0, d)  # a constant indicator has e = 1 up to rounding
    if d.sum() <= 0:
        raise ValueError(f"entropy weights: {', '.join(nm)} are all constant; no indicator discriminates")
    zeroed = [nm[j] for j in np.flatnonzero(d == 0)]
    diag: dict[str, object] = {"entropy": e.tolist(), "divergence": d.tolist(), "n": n, "zeroed": zeroed}
    if zeroed:
        diag["message"] = (f"indicator(s) {', '.join(zeroed)} do not vary over the {n} respondents and get "
                           "entropy weight 0")
    return Weights(nm, d / d.sum(), "entropy", diag)


def critic_weights(
    X: ArrayLike, weights: ArrayLike | None = None, names: Sequence[str] | None = None
) -> Weights:
    """CRITIC weights (Diakoulaki et al. 1995; docs/methods.md section 4) on complete cases.

    C_j = sigma_j * sum_k (1 - r_jk) on min-max standardised indicators; w_j = C_j / sum C_j.
    sigma and r are weighted when respondent weights are given. A constant indicator raises ValueError.
    """
    x0 = np.asarray(X, dtype=np.float64)
    nm = _names(x0.shape[1] if x0.ndim == 2 else 0, names)
    x, w, _ = _complete(x0, weights, nm)
    if x.shape[0] < 3:
        raise ValueError(f"CRITIC weights of {', '.join(nm)}: need at least 3 complete respondents")
    rng = x.max(axis=0) - x.min(axis=0)
    _check_constant(rng, nm, "CRITIC weights")
    z = (x - x.min(axis=0)) / rng
    _, cov = _wcov(z, w)
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    c = sd * (1.0 - r).sum(axis=1)
    return Weights(nm, c / c.sum(), "critic", {"sd": sd.tolist(), "information": c.tolist(), "n": x.shape[0]})


def _corr(x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64], nm: list[str]) -> tuple[
    NDArray[np.float64], NDArray[np.float64]
]:
    _, cov = _wcov(np.column_stack([x, y]), w)
    sd = np.sqrt(np.diag(cov))
    _check_constant(sd[:-1], nm, "derived importance")
    if sd[-1] <= 1e-12:
        raise ValueError("derived importance: the outcome is constant")
    r = cov / np.outer(sd, sd)
    return r[:-1, :-1], r[:-1, -1]


def _singular(rxx: NDArray[np.float64], nm: list[str]) -> None:
    ev, vec = np.linalg.eigh(rxx)
    if ev[0] < 1e-10 * max(ev[-1], 1.0):
        involved = [nm[j] for j in np.flatnonzero(np.abs(vec[:, 0]) > 1e-6)]
        raise ValueError(
            f"derived importance: singular design, the indicators {', '.join(involved)} are linearly dependent"
        )


def relative_weights(rxx: NDArray[np.float64], rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Johnson's (2000) relative weights from the predictor correlations R and validities r_xy.

    R = V diag(l) V';  L = V diag(sqrt l) V' (= R^(1/2));  beta* = L^(-1) r_xy;  eps_j = sum_k L_jk^2 beta*_k^2.
    The eps_j are non-negative and sum to R^2.
    """
    ev, vec = np.linalg.eigh(rxx)
    ev = np.clip(ev, 0.0, None)
    lam = (vec * np.sqrt(ev)) @ vec.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def _r2(rxx: NDArray[np.float64], rxy: NDArray[np.float64], s: list[int]) -> float:
    if not s:
        return 0.0
    rs = rxy[s]
    return float(rs @ np.linalg.solve(rxx[np.ix_(s, s)], rs))


def shapley_r2(rxx: NDArray[np.float64], rxy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Shapley decomposition of R^2 (Lipovetsky & Conklin 2001): each predictor's average marginal R^2 gain
    over all orders, phi_j = sum_S |S|!(k-|S|-1)!/k! (R^2(S + j) - R^2(S)). Exact; O(2^k), k <= 12.
    """
    k = rxy.shape[0]
    if k > 12:
        raise ValueError(f"Shapley R^2 decomposition is exact and limited to 12 predictors, got {k}")
    r2 = {}
    for size in range(k + 1):
        for s in itertools.combinations(range(k), size):
            r2[s] = _r2(rxx, rxy, list(s))
    fact = [float(np.prod(range(1, m + 1))) for m in range(k + 1)]
    phi = np.zeros(k)
    for s, v in r2.items():
        for j in range(k):
            if j in s:
                continue
            t = tuple(sorted((*s, j)))
            phi[j] += fact[len(s)] * fact[k - len(s) - 1] / fact[k] * (r2[t] - v)
    return phi


def regression_importance(
    X: ArrayLike,
    y: ArrayLike,
    weights: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    shapley: bool = True,
) -> RegressionImportance:
    """Derived importance: regress the outcome (overall satisfaction) on the indicators (docs/methods.md section 4).

    Standardised OLS (WLS with respondent weights) through statsmodels on complete cases gives beta, p-values,
    R^2 and adjusted R^2; VIF_j = 1 / (1 - R^2_j) = diag(R^-1); the condition number is that of the
    correlation matrix, sqrt(l_max / l_min). The weights are Johnson's (2000) relative weights rescaled to sum
    1. A constant indicator or a singular design raises ValueError naming the indicators involved.

    Survey weights are not precision weights, so with unequal respondent weights the p-values use the
    heteroskedasticity-robust HC1 sandwich (White 1980; MacKinnon & White 1985), which for WLS is the
    with-replacement linearisation variance of the weighted estimator (Binder 1983):
    cov(b) = n/(n-k-1) (X'WX)^-1 (sum_i w_i^2 e_i^2 x_i x_i') (X'WX)^-1. Without weights (or equal ones) the
    classical OLS covariance is used. ``diagnostics["p_value_method"]`` says which.
    """
    import statsmodels.api as sm

    x0 = np.asarray(X, dtype=np.float64)
    nm = _names(x0.shape[1] if x0.ndim == 2 else 0, names)
    x, w, yy = _complete(x0, weights, nm, y)
    assert yy is not None
    k, n = len(nm), x.shape[0]
    if n < k + 2:
        raise ValueError(f"derived importance of {', '.join(nm)}: {n} complete respondents for {k} indicators")
    rxx, rxy = _corr(x, yy, w, nm)
    _singular(rxx, nm)
    m, cov = _wcov(np.column_stack([x, yy]), w)
    sd = np.sqrt(np.diag(cov))
    z = (np.column_stack([x, yy]) - m) / sd
    robust = bool(np.ptp(w) > 1e-12 * w.max())
    fit = sm.WLS(z[:, -1], sm.add_constant(z[:, :-1], has_constant="add"), weights=w).fit(
        cov_type="HC1" if robust else "nonrobust")
    raw = relative_weights(rxx, rxy)
    if raw.sum() <= 1e-12:
        raise ValueError(f"derived importance: {', '.join(nm)} explain nothing of the outcome (R^2 = 0)")
    ev = np.linalg.eigvalsh(rxx)
    return RegressionImportance(
        nm,
        raw / raw.sum(),
        "regression",
        {"r2": float(fit.rsquared), "n": n, "weights_from": "relative_weights (Johnson 2000)",
         "p_value_method": "WLS with HC1 robust covariance (survey weights)" if robust else "OLS"},
        beta=np.asarray(fit.params[1:], dtype=np.float64),
        p_values=np.asarray(fit.pvalues[1:], dtype=np.float64),
        r2=float(fit.rsquared),
        adj_r2=float(fit.rsquared_adj),
        vif=np.diag(np.linalg.inv(rxx)),
        condition_number=float(np.sqrt(ev[-1] / ev[0])),
        raw_relative=raw,
        shapley=shapley_r2(rxx, rxy) if shapley and k <= 12 else None,
        n=n,
    )
