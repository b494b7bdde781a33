"""ACSI-style 0-100 indices and the importance-performance map (IPMA) from a fitted PLS path model.

Index (docs/methods.md section 5; Fornell, Johnson, Anderson, Cha & Bryant 1996, "The American Customer Satisfaction
Index", *Journal of Marketing* 60(4)). Each item is rescaled to 0-100 on its declared scale,

    x̃_i = (x_i − min_i) / (max_i − min_i) · 100,

the construct's outer weights are rescaled to sum 1 within the construct, ``w̃_i = u_i / Σ_j u_j``, and

    index = Σ w̃_i · mean(x̃_i)   (0 … 100).

Two choices of ``u`` (the ``weights`` argument):

- ``"standardized"`` (default, the contract of issue 5 and docs/methods.md section 5): ``u_i = w_i``, the outer
  weights ``outer_weights_`` as estimated. With every item of the construct on one scale [min, max] the index is
  ``(Σ w̃_i x̄_i − min) / (max − min) · 100``; for 1-10 items ``Σ w̃_i (x̄_i − 1) / 9 · 100``.
- ``"unstandardized"``: ``u_i = w_i / sd(x̃_i)``, the weights that apply to the (rescaled) raw items rather than
  to the standardised ones, as in Fornell et al. (1996) and SmartPLS's IPMA (Ringle & Sarstedt 2016, "Gain
  more insight from your PLS-SEM results: the importance-performance map analysis", *Industrial Management &
  Data Systems* 116(9)). Then the 0-100 score ``Σ w̃_i x̃_i`` is the standardised PLS score times
  ``1 / Σ_j u_j`` plus a constant.

IPMA. A construct's 0-100 *score* is ``S_k = Σ w̃_i x̃_i`` over its items, with the weights chosen; its mean is
the construct's index, the *performance*. The *importance* of a driver s for a target t is the unstandardised
total effect: the structural model re-estimated by OLS on the 0-100 scores (each endogenous score on its
predecessors' scores, ``b = Cov(S_P)⁻¹ Cov(S_P, S_t)``), chained along the paths, ``(I − B)⁻¹ − I`` — the
change in the target's score per point of the driver's score. The score covariances come from the same
sufficient statistics, ``Cov(S) = W̃ᵀ D Σ D W̃`` with ``Σ`` the items' covariance and ``D = diag(100/(max −
min))``. With unstandardised weights the scores are linear in the PLS scores, and this equals the standardised
total effect times ``(Σu)_s / (Σu)_t`` (Ringle & Sarstedt 2016); with standardised weights it is the same OLS
on scores that are no longer exact multiples of the PLS scores, so it can differ from the rescaled
standardised effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.pls.algorithm import total_effects
from analytics.pls.spec import ModelSpec

Array = NDArray[np.float64]
Bound = float | Mapping[str, float]
IndexWeights = Literal["standardized", "unstandardized"]
INDEX_WEIGHTS: tuple[str, ...] = ("standardized", "unstandardized")


def check_index_weights(weights: str) -> IndexWeights:
    """Validate the ``weights`` choice; ``ValueError`` naming the allowed values otherwise."""
    if weights not in INDEX_WEIGHTS:
        raise ValueError(f"weights must be 'standardized' or 'unstandardized', got {weights!r}")
    return "standardized" if weights == "standardized" else "unstandardized"


def item_ranges(
    items: Sequence[str],
    scale_min: Bound | None,
    scale_max: Bound | None,
) -> tuple[Array, Array]:
    """Per-item scale bounds: a number for all items, or a mapping by item for items on different scales.

    The bounds are the items' *declared* scale (e.g. 1 and 10), never the observed range: an index relative to
    the observed extremes would move with the sample. Raises ``ValueError`` when a bound is missing, when a
    mapping lacks an item (named), or when an item's range is empty (max <= min).
    """
    lo = _bound(items, scale_min, "scale_min")
    hi = _bound(items, scale_max, "scale_max")
    for j, i in enumerate(items):
        if not hi[j] > lo[j]:
            raise ValueError(f"item {i!r}: scale_max {hi[j]:g} is not above scale_min {lo[j]:g}")
    return lo, hi


def _bound(items: Sequence[str], value: Bound | None, name: str) -> Array:
    if value is None:
        raise ValueError(
            f"{name} is required: the items' declared scale bound (one number, or a mapping by item), e.g. "
            "scale_min=1, scale_max=10 for 1-10 items"
        )
    if isinstance(value, Mapping):
        out = np.empty(len(items))
        for j, i in enumerate(items):
            if i not in value:
                raise ValueError(f"{name} has no value for item {i!r}")
            out[j] = float(value[i])
        return out
    return np.full(len(items), float(value))


def rescaled_weights(
    item_weights: Array, std: Array, lo: Array, hi: Array, spec: ModelSpec, weights: IndexWeights
) -> Array:
    """Weights ``w̃_i`` on the 0-100 rescaled items, summing to 1 within each construct (…×p).

    ``"standardized"``: ``w̃ ∝ w``; ``"unstandardized"``: ``w̃ ∝ w / sd(x̃)`` (see the module docstring).
    """
    u = item_weights if weights == "standardized" else item_weights / (std * 100.0 / (hi - lo))
    return u / (u @ spec.mask)[..., spec.item_construct]


def construct_indices(
    item_weights: Array, mean: Array, std: Array, lo: Array, hi: Array, spec: ModelSpec, weights: IndexWeights
) -> Array:
    """0-100 index of every construct (…×K): ``Σ w̃_i · mean(x̃_i)`` over the construct's items."""
    wt = rescaled_weights(item_weights, std, lo, hi, spec, weights)
    perf = (mean - lo) / (hi - lo) * 100.0
    return (wt * perf) @ spec.mask


def score_paths(
    item_weights: Array, cov: Array, lo: Array, hi: Array, spec: ModelSpec, weights: IndexWeights
) -> Array:
    """Unstandardised path coefficients (K×K, sources rows) of the 0-100 scores ``S = X̃ W̃``.

    OLS of each endogenous score on its predecessors' scores, from ``Cov(S) = W̃ᵀ D Σ D W̃``.
    """
    std = np.sqrt(np.diag(cov))
    Wt = rescaled_weights(item_weights, std, lo, hi, spec, weights)[:, None] * spec.mask
    d = 100.0 / (hi - lo)
    S = Wt.T @ (cov * np.outer(d, d)) @ Wt
    B = np.zeros_like(S)
    for i in spec.endogenous:
        P = list(spec.predecessors[i])
        B[P, i] = np.linalg.solve(S[np.ix_(P, P)], S[P, i])
    return B


def unstandardised_total(
    item_weights: Array, cov: Array, lo: Array, hi: Array, spec: ModelSpec, weights: IndexWeights
) -> Array:
    """Unstandardised total effects (K×K, sources rows) among the 0-100 scores: ``(I − B)⁻¹ − I``."""
    return total_effects(score_paths(item_weights, cov, lo, hi, spec, weights))


def ipma_table(
    target: str,
    spec: ModelSpec,
    total_std: Array,
    total_unstd: Array,
    indices: Array,
) -> pd.DataFrame:
    """IPMA table for ``target``: one row per construct with a total effect on it.

    Columns: ``importance`` (unstandardised total effect), ``performance`` (0-100 index),
    ``total_effect`` (standardised) and ``quadrant`` — split at the mean importance and mean performance
    of the drivers (Martilla & James 1977, "Importance-performance analysis", *Journal of Marketing* 41(1)):
    "concentrate here" (high importance, low performance), "keep up the good work", "low priority" and
    "possible overkill".
    """
    t = spec.constructs.index(target)
    unstd = total_unstd
    drivers = [s for s in range(spec.n_constructs) if s != t and total_std[s, t] != 0.0]
    if not drivers:
        raise ValueError(f"construct {target!r} has no drivers (no path leads to it)")
    df = pd.DataFrame(
        {
            "importance": [unstd[s, t] for s in drivers],
            "performance": [indices[s] for s in drivers],
            "total_effect": [total_std[s, t] for s in drivers],
        },
        index=pd.Index([spec.constructs[s] for s in drivers], name="driver"),
    )
    hi_imp = df["importance"] >= df["importance"].mean()
    hi_perf = df["performance"] >= df["performance"].mean()
    df["quadrant"] = np.select(
        [hi_imp & ~hi_perf, hi_imp & hi_perf, ~hi_imp & ~hi_perf],
        ["concentrate here", "keep up the good work", "low priority"],
        default="possible overkill",
    )
    return df
