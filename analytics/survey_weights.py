"""Survey weights (methods.md section 8): raking / iterative proportional fitting to population margins and the
Kish effective sample size.

Raking (Deming & Stephan 1940) adjusts the weights one variable at a time so that the weighted shares of its
categories match the target margins, w_i <- w_i * target_c / current_c for i in category c, cycling until the
largest absolute difference between weighted and target shares is below ``tol``. The final weights are scaled
to mean 1 (they sum to n). Kish (1965): n_eff = (sum w)^2 / sum w^2, design effect = n / n_eff.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from analytics.data import ResponseData
from analytics.inference import check_weights, kish_effective_n

__all__ = ["RakeResult", "RakingConvergenceWarning", "kish_effective_n", "rake", "rake_data"]


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

    def report(self) -> dict[str, object]:
        return {"iterations": self.iterations, "max_deviation": self.max_deviation, "converged": self.converged,
                "n_eff": self.n_eff, "design_effect": self.design_effect}


def rake(
    variables: Mapping[str, ArrayLike],
    margins: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> RakeResult:
    """Rake ``base_weights`` (default 1) so each variable's weighted shares match ``margins``.

    Parameters
    ----------
    variables : name -> (n,) category per respondent.
    margins : name -> category -> target share or count (normalised to shares per variable).

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
    dev = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        for c, t in cats.values():
            cur = np.bincount(c, weights=w, minlength=t.shape[0]) / w.sum()
            w *= (t / cur)[c]
        dev = max(float(np.abs(np.bincount(c, weights=w, minlength=t.shape[0]) / w.sum() - t).max())
                  for c, t in cats.values())
        if dev < tol:
            break
    converged = dev < tol
    if not converged:
        warnings.warn(f"raking did not converge in {max_iter} iterations (max deviation {dev:.2e})",
                      RakingConvergenceWarning, stacklevel=2)
    w *= n / w.sum()
    ne = kish_effective_n(w)
    return RakeResult(w, it, dev, converged, ne, n / ne if ne > 0 else float("inf"))


def rake_data(
    data: ResponseData,
    margins: Mapping[str, Mapping[str, float]],
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> tuple[ResponseData, RakeResult]:
    """Rake a ResponseData to margins over its segment (choice) items, keyed by option code.

    Respondents who did not answer a raking variable keep the adjustment of the other variables (their
    category is ``"(missing)"``, which must then appear in the margins) — so a missing answer is never dropped
    silently.
    """
    variables: dict[str, NDArray[np.object_]] = {}
    for item_id in margins:
        it = data.definition.item_map.get(item_id)
        if it is None or it.type != "choice" or not it.options:
            raise ValueError(f"raking variable {item_id!r} is not a choice item")
        codes = data.segment_codes(item_id)
        lab = np.array([o.code for o in it.options] + ["(missing)", "(missing)"], dtype=object)
        variables[item_id] = lab[np.where(codes >= 0, codes, len(it.options))]
    res = rake(variables, margins, base_weights=data.weight, max_iter=max_iter, tol=tol)
    return data.with_weights(res.weights), res
