"""Survey weights (docs/methods.md section 8): raking / iterative proportional fitting to population margins and the
Kish effective sample size.

Raking (Deming & Stephan 1940) adjusts the weights one variable at a time so that the weighted shares of its
categories match the target margins, w_i <- w_i * target_c / current_c for i in category c, cycling until the
largest absolute difference between weighted and target shares is below ``tol``. The final weights are scaled
to mean 1 (they sum to n). Kish (1965): n_eff = (sum w)^2 / sum w^2, design effect = n / n_eff.

Trimming (optional ``bounds`` = (lo, hi) relative to the mean weight): after each raking cycle the weights are
clipped to [lo * mean, hi * mean], and the cycle repeats until the margins are met within ``tol`` and no weight
is outside its bounds (raking with trimming, as in Battaglia et al. 2009, "Practical considerations in raking
survey data"). Bounds that the margins make infeasible leave the margins unmet: reported, never hidden.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from analytics.calibration import Calibration, MarginDesign
from analytics.data import ResponseData
from analytics.inference import check_weights, kish_effective_n

__all__ = ["MISSING", "RakeResult", "RakingConvergenceWarning", "kish_effective_n", "rake", "rake_data"]

#: The raking category of respondents who did not answer a raking variable.
MISSING = "(missing)"


class RakingConvergenceWarning(UserWarning):
    """Raking stopped at ``max_iter`` without meeting the tolerance."""


@dataclass(frozen=True, eq=False)
class RakeResult:
    """Raked weights (mean 1) with the convergence report."""

    weights: NDArray[np.float64]
    iterations: int
    max_deviation: float
    converged: bool
    n_eff: float
    design_effect: float
    bounds: tuple[float | None, float | None] | None = None
    n_trimmed: int = 0
    dropped: dict[str, dict[str, float]] | None = None
    """Margin categories without respondents that `rake_data` left out (``drop_empty``), with their shares."""
    design: MarginDesign | None = None
    """The raking variables' categories per respondent: what the calibrated variance regresses on."""

    def calibration(self) -> Calibration:
        """The margin design with the final weights, for calibrated variances (`analytics.calibration`)."""
        if self.design is None:
            raise ValueError("this raking result has no margin design")
        return Calibration(self.design, self.weights)

    @property
    def min_weight(self) -> float:
        return float(self.weights.min()) if self.weights.size else float("nan")

    @property
    def max_weight(self) -> float:
        return float(self.weights.max()) if self.weights.size else float("nan")

    def report(self) -> dict[str, object]:
        return {"iterations": self.iterations, "max_deviation": self.max_deviation, "converged": self.converged,
                "n_eff": self.n_eff, "design_effect": self.design_effect, "min_weight": self.min_weight,
                "max_weight": self.max_weight, "bounds": None if self.bounds is None else list(self.bounds),
                "n_trimmed": self.n_trimmed}


def _trim(w: NDArray[np.float64], pos: NDArray[np.bool_], lo: float, hi: float, max_rounds: int = 100) -> None:
    """Clip the positive weights to [lo, hi] x their mean, in place, repeating until the clipped weights are
    within the bounds of their own (shifted) mean."""
    for _ in range(max_rounds):
        m = w.mean()
        x = w[pos]
        if not ((x < lo * m * (1 - 1e-12)).any() or (x > hi * m * (1 + 1e-12)).any()):
            return
        w[pos] = np.clip(x, lo * m, hi * m)


def rake(
    variables: Mapping[str, ArrayLike],
    margins: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
    bounds: tuple[float | None, float | None] | None = None,
) -> RakeResult:
    """Rake ``base_weights`` (default 1) so each variable's weighted shares match ``margins``.

    Parameters
    ----------
    variables : name -> (n,) category per respondent.
    margins : name -> category -> target share or count (normalised to shares per variable).
    bounds : optional (lo, hi) trimming bounds relative to the mean weight (either may be None).

    Raises
    ------
    ValueError
        Variables without margins or vice versa; a category in the data with no margin or a margin category
        with no respondents (named); non-positive targets.
    """
    if set(variables) != set(margins):
        raise ValueError(f"raking: variables {sorted(variables)} and margins {sorted(margins)} differ")
    cats: dict[str, tuple[NDArray[np.intp], NDArray[np.float64]]] = {}
    n = None
    for name, v in variables.items():
        arr = np.asarray(v, dtype=object)
        n = arr.shape[0] if n is None else n
        if arr.shape != (n,):
            raise ValueError(f"raking: variable {name!r} has shape {arr.shape}, expected ({n},)")
        m = margins[name]
        keys = list(m)
        tgt = np.array([m[k] for k in keys], dtype=np.float64)
        if (tgt <= 0).any() or not np.isfinite(tgt).all():
            raise ValueError(f"raking: margins of {name!r} must be positive")
        lookup = {str(k): j for j, k in enumerate(keys)}
        codes = pd.Series(arr.astype(str)).map(lookup)
        if codes.isna().any():
            bad = sorted(set(arr.astype(str)[codes.isna().to_numpy()]))
            raise ValueError(f"raking: variable {name!r} has categories without a margin: {', '.join(bad)}")
        c = codes.to_numpy(dtype=np.intp)
        empty = [str(keys[j]) for j in np.flatnonzero(np.bincount(c, minlength=len(keys)) == 0)]
        if empty:
            raise ValueError(f"raking: variable {name!r} has no respondents in margin categories {', '.join(empty)}")
        cats[name] = (c, tgt / tgt.sum())
    if n is None:
        raise ValueError("raking needs at least one variable")
    if n == 0:
        raise ValueError("raking: no respondents")
    w = check_weights(base_weights, n, "raking base weights").copy()
    if (w <= 0).all():
        raise ValueError("raking: base weights are all zero")
    lo, hi = (None, None) if bounds is None else bounds
    if lo is not None and not 0 < lo <= 1:
        raise ValueError(f"raking: lower trimming bound {lo} must be in (0, 1] (relative to the mean weight)")
    if hi is not None and not hi >= 1:
        raise ValueError(f"raking: upper trimming bound {hi} must be >= 1 (relative to the mean weight)")
    trim = lo is not None or hi is not None
    lo_b, hi_b = (0.0 if lo is None else lo), (np.inf if hi is None else hi)
    for name, (c, t) in cats.items():
        base = np.bincount(c, weights=w, minlength=t.shape[0])
        empty = [str(k) for j, k in enumerate(margins[name]) if not base[j] > 0]
        if empty:
            raise ValueError(f"raking: variable {name!r}: the respondents in categories {', '.join(empty)} all "
                             "have base weight 0")
    pos = w > 0  # zero base weights stay zero (and are not trimmed up)
    dev = np.inf
    it = 0
    outside = False
    for it in range(1, max_iter + 1):  # noqa: B007
        for c, t in cats.values():
            cur = np.bincount(c, weights=w, minlength=t.shape[0]) / w.sum()
            w *= (t / cur)[c]
        if trim:
            _trim(w, pos, lo_b, hi_b)
        dev = max(float(np.abs(np.bincount(c, weights=w, minlength=t.shape[0]) / w.sum() - t).max())
                  for c, t in cats.values())
        if trim:
            rel = w[pos] / w.mean()
            outside = bool((rel < lo_b * (1 - 1e-9)).any() or (rel > hi_b * (1 + 1e-9)).any())
        if dev < tol and not outside:
            break
    converged = dev < tol and not outside
    if not converged:
        warnings.warn(f"raking did not converge in {max_iter} iterations (max deviation {dev:.2e})",
                      RakingConvergenceWarning, stacklevel=2)
    w *= n / w.sum()
    ne = kish_effective_n(w)
    n_trim = 0
    if trim:
        n_trim = int((np.isclose(w[pos], lo_b, rtol=1e-6) | np.isclose(w[pos], hi_b, rtol=1e-6)).sum())
    design = MarginDesign(tuple(cats), tuple(c for c, _ in cats.values()),
                          tuple(int(t.shape[0]) for _, t in cats.values()))
    return RakeResult(w, it, dev, converged, ne, n / ne if ne > 0 else float("inf"),
                      bounds=(lo, hi) if trim else None, n_trimmed=n_trim, design=design)


def rake_data(
    data: ResponseData,
    margins: Mapping[str, Mapping[str, float]],
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
    bounds: tuple[float | None, float | None] | None = None,
    drop_empty: bool = False,
) -> tuple[ResponseData, RakeResult]:
    """Rake a ResponseData (starting from its weights, if any, as base weights) to margins over its choice
    items, keyed by option code.

    A respondent who did not answer a raking variable falls in its ``"(missing)"`` category, which must then
    have a share in the margins (ValueError naming the item and the count otherwise), so a missing answer is
    never dropped silently. With ``drop_empty`` a margin category without respondents (e.g. after a filter) is
    left out and the variable's other shares renormalised; `RakeResult.dropped` lists it.
    """
    variables: dict[str, NDArray[np.object_]] = {}
    used: dict[str, dict[str, float]] = {}
    dropped: dict[str, dict[str, float]] = {}
    for item_id, shares in margins.items():
        it = data.definition.item_map.get(item_id)
        if it is None or it.type != "choice" or not it.options:
            raise ValueError(f"raking variable {item_id!r} is not a choice item")
        codes = data.segment_codes(item_id)
        lab = np.array([o.code for o in it.options] + [MISSING, MISSING], dtype=object)
        cat = lab[np.where(codes >= 0, codes, len(it.options))]
        n_missing = int((codes < 0).sum())
        if n_missing and MISSING not in shares:
            raise ValueError(f"raking variable {item_id!r}: {n_missing} respondent(s) did not answer it; give "
                             f"a {MISSING!r} share in the margins or make the item required")
        variables[item_id] = cat
        keep = dict(shares)
        if drop_empty:
            present = set(pd.unique(cat))
            gone = {k: float(v) for k, v in shares.items() if k not in present}
            if gone:
                dropped[item_id] = gone
                keep = {k: v for k, v in shares.items() if k in present}
        used[item_id] = keep
    res = rake(variables, used, base_weights=data.weight, max_iter=max_iter, tol=tol, bounds=bounds)
    if dropped:
        res = replace(res, dropped=dropped)
    return data.with_weights(res.weights), res
