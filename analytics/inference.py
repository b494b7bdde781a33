"""Inference helpers shared by every analysis: weighted means and their standard errors, confidence intervals,
Wilson intervals, the Kish effective sample size, weighted t-tests and the Holm correction.

Conventions (one place, so no formula is duplicated elsewhere):

* Respondent weights are survey weights (sampling / raking weights), not frequency weights. A weighted mean is
  the Hajek ratio estimator m = sum(w x) / sum(w). Its variance is the with-replacement linearisation
  (Taylor) estimator var(m) = n/(n-1) * sum(((w/sum w) (x - m))^2) (Woodruff 1971; Kish 1965, ch. 2.8), which
  for equal weights is exactly s^2/n.
* Confidence intervals for means use Student's t with n - 1 degrees of freedom (n_eff - 1 with weights).
* Effective sample size (Kish 1965): n_eff = (sum w)^2 / sum w^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "Estimate",
    "TestResult",
    "check_weights",
    "holm",
    "kish_effective_n",
    "mean_ci",
    "mean_estimate",
    "t_quantile",
    "weighted_mean_se",
    "weighted_t_test",
    "wilson_ci",
    "z_quantile",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its sample size and confidence interval.

    ``n`` is the number of respondents behind the figure; ``n_eff`` the Kish effective size (equal to ``n``
    without weights). ``value`` is None and ``status`` is ``"insufficient_data"`` when it cannot be estimated.
    """

    value: float | None
    n: int
    ci: tuple[float, float] | None
    se: float | None = None
    n_eff: float | None = None
    status: str = "ok"
    reason: str | None = None
    ci_note: str | None = None
    """Why ``ci`` is None although the value is estimated (e.g. a fixed weight, or the bootstrap switched off)."""

    def to_dict(self, digits: int | None = None) -> dict[str, object]:
        """The JSON form used by `analytics.analyze` (see docs/analytics-json.md)."""

        def r(x: float | None) -> float | None:
            if x is None:
                return None
            return float(round(x, digits)) if digits is not None else float(x)

        if self.value is None:
            return {"value": None, "n": int(self.n), "ci": None, "status": self.status, "reason": self.reason}
        out: dict[str, object] = {
            "value": r(self.value),
            "n": int(self.n),
            "ci": [r(self.ci[0]), r(self.ci[1])] if self.ci is not None else None,
            "se": r(self.se),
        }
        if self.n_eff is not None and abs(self.n_eff - self.n) > 1e-9:
            out["n_eff"] = r(self.n_eff)
        if self.ci is None and self.ci_note:
            out["ci_note"] = self.ci_note
        if self.status != "ok":
            out["status"] = self.status
            out["reason"] = self.reason
        return out

    @classmethod
    def insufficient(cls, n: int, reason: str) -> Estimate:
        return cls(value=None, n=n, ci=None, status="insufficient_data", reason=reason)


@dataclass(frozen=True)
class TestResult:
    """A two-sample or paired comparison: difference (a - b), its CI, the statistic, df and p-value."""

    test: str
    diff: float
    ci: tuple[float, float]
    statistic: float
    df: float
    p_value: float
    n_a: int
    n_b: int


def check_weights(weights: ArrayLike | None, n: int, what: str = "respondent weights") -> NDArray[np.float64]:
    """Validate respondent weights: length n, finite, non-negative, positive sum. None -> ones.

    Raises
    ------
    ValueError
        Naming ``what`` when the weights do not match the data.
    """
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"{what}: expected {n} weights, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"{what}: weights must be finite and non-negative")
    if n and w.sum() <= 0:
        raise ValueError(f"{what}: weights sum to zero")
    return w


def kish_effective_n(weights: ArrayLike) -> float:
    """Kish (1965) effective sample size n_eff = (sum w)^2 / sum w^2 (0 for no weights)."""
    w = np.asarray(weights, dtype=np.float64)
    s2 = float(np.dot(w, w))
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def z_quantile(conf: float = 0.95) -> float:
    """Two-sided standard-normal quantile, e.g. 1.95996 for 95 %."""
    if not 0 < conf < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {conf}")
    return float(stats.norm.ppf(0.5 + conf / 2))


def t_quantile(df: float, conf: float = 0.95) -> float:
    """Two-sided Student-t quantile with ``df`` degrees of freedom (normal when df is infinite)."""
    if not 0 < conf < 1:
        raise ValueError(f"confidence level must be in (0, 1), got {conf}")
    return float(stats.t.ppf(0.5 + conf / 2, df)) if np.isfinite(df) else z_quantile(conf)


def weighted_mean_se(
    x: NDArray[np.float64], weights: NDArray[np.float64] | None = None
) -> tuple[float, float, int, float]:
    """Weighted (Hajek) mean of the non-NaN values of ``x`` and its linearisation standard error.

    m = sum(w x) / sum(w);  var(m) = n/(n-1) * sum((w_i / sum w)^2 (x_i - m)^2)   (Kish 1965; Woodruff 1971)

    Returns ``(mean, se, n, n_eff)`` over the observed values; se is NaN when n < 2. Callers turn NaN into an
    explicit insufficient-data result; this helper never raises for thin data.
    """
    x = np.asarray(x, dtype=np.float64)
    obs = ~np.isnan(x)
    xo = x[obs]
    n = int(xo.shape[0])
    if n == 0:
        return float("nan"), float("nan"), 0, 0.0
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)[obs]
    W = float(w.sum())
    if W <= 0:
        return float("nan"), float("nan"), n, 0.0
    m = float(np.dot(w, xo) / W)
    n_eff = kish_effective_n(w)
    if n < 2:
        return m, float("nan"), n, n_eff
    r = (w / W) * (xo - m)
    se = float(np.sqrt(n / (n - 1) * np.dot(r, r)))
    return m, se, n, n_eff


def mean_ci(mean: float, se: float, df: float, conf: float = 0.95) -> tuple[float, float]:
    """mean +- t_{df, (1+conf)/2} * se."""
    h = t_quantile(df, conf) * se
    return (mean - h, mean + h)


def mean_estimate(
    x: NDArray[np.float64],
    weights: NDArray[np.float64] | None = None,
    conf: float = 0.95,
    what: str = "mean",
    bounds: tuple[float, float] | None = None,
) -> Estimate:
    """A weighted mean with its t-interval (df = n_eff - 1), or an explicit insufficient-data estimate.

    With ``bounds`` the CI is clipped to the scale (the estimate itself always lies inside it).
    """
    m, se, n, n_eff = weighted_mean_se(x, weights)
    if n == 0:
        return Estimate.insufficient(0, f"{what}: no answers")
    if n < 2:
        return Estimate.insufficient(n, f"{what}: one answer only, no confidence interval")
    lo, hi = mean_ci(m, se, max(n_eff - 1.0, 1.0), conf)
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return Estimate(value=m, n=n, ci=(lo, hi), se=se, n_eff=n_eff)


def wilson_ci(p: float, n: float, conf: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a proportion p observed on n (or n_eff) trials.

    centre = (p + z^2/(2n)) / (1 + z^2/n);  half = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4n^2))
    """
    if n <= 0:
        raise ValueError("Wilson interval needs n > 0")
    z = z_quantile(conf)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * np.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return (float(max(centre - half, 0.0)), float(min(centre + half, 1.0)))


def holm(p_values: ArrayLike, alpha: float = 0.05) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Holm (1979) step-down adjustment through statsmodels ``multipletests``.

    Returns ``(reject, adjusted_p)`` in the input order; NaN p-values are left out and stay NaN/False.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=np.float64)
    reject = np.zeros(p.shape, dtype=bool)
    adj = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        rej, padj, _, _ = multipletests(p[ok], alpha=alpha, method="holm")
        reject[ok] = rej
        adj[ok] = padj
    return reject, adj


def weighted_t_test(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    *,
    paired: bool,
    weights_a: NDArray[np.float64] | None = None,
    weights_b: NDArray[np.float64] | None = None,
    conf: float = 0.95,
) -> TestResult:
    """Paired or Welch t-test of mean(a) - mean(b), with respondent weights.

    Without weights this is exactly ``scipy.stats.ttest_rel`` (paired) or ``ttest_ind(equal_var=False)``
    (Welch 1947), which are called directly. With weights the means are Hajek means, the standard errors the
    linearisation ones above, and the Welch-Satterthwaite df uses the Kish effective sizes:
    df = (se_a^2 + se_b^2)^2 / (se_a^4/(n_a-1) + se_b^4/(n_b-1)). Paired inputs must be aligned and
    NaN-free pairs are used.

    Raises
    ------
    ValueError
        If a group has fewer than 2 observations or no variance at all.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if paired:
        if a.shape != b.shape:
            raise ValueError("paired test needs aligned arrays")
        if weights_a is not None:
            weights_a = check_weights(weights_a, a.shape[0], "paired test weights")
        ok = ~(np.isnan(a) | np.isnan(b))
        d = a[ok] - b[ok]
        n = int(d.shape[0])
        if n < 2:
            raise ValueError(f"paired test needs at least 2 complete pairs, got {n}")
        w = None if weights_a is None else weights_a[ok]
        m, se, _, n_eff = weighted_mean_se(d, w)
        if not se > 0:
            raise ValueError("paired test: the differences have no variance")
        df = max(n_eff - 1.0, 1.0)
        if w is None:
            res = stats.ttest_rel(a[ok], b[ok])
            t, p = float(res.statistic), float(res.pvalue)
        else:
            t = m / se
            p = float(2 * stats.t.sf(abs(t), df))
        return TestResult("paired_t", m, mean_ci(m, se, df, conf), t, df, p, n, n)
    wa = None if weights_a is None else check_weights(weights_a, a.shape[0], "Welch test weights of group a")
    wb = None if weights_b is None else check_weights(weights_b, b.shape[0], "Welch test weights of group b")
    ma, sa, na, nea = weighted_mean_se(a, wa)
    mb, sb, nb, neb = weighted_mean_se(b, wb)
    if na < 2 or nb < 2:
        raise ValueError(f"Welch test needs at least 2 observations per group, got {na} and {nb}")
    v = sa * sa + sb * sb
    if not v > 0:
        raise ValueError("Welch test: neither group has any variance")
    se = float(np.sqrt(v))
    dfa, dfb = max(nea - 1.0, 1.0), max(neb - 1.0, 1.0)
    df = v * v / (sa**4 / dfa + sb**4 / dfb)
    diff = ma - mb
    if wa is None and wb is None:
        res = stats.ttest_ind(a[~np.isnan(a)], b[~np.isnan(b)], equal_var=False)
        t, p = float(res.statistic), float(res.pvalue)
    else:
        t = diff / se
        p = float(2 * stats.t.sf(abs(t), df))
    return TestResult("welch_t", diff, mean_ci(diff, se, df, conf), t, df, p, na, nb)
