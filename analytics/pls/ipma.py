"""ACSI-style 0-100 indices and the importance-performance map (IPMA) from a fitted PLS path model.

Index (Fornell, Johnson, Anderson, Cha & Bryant 1996, "The American Customer Satisfaction Index", *Journal of
Marketing* 60(4); Ringle & Sarstedt 2016, "Gain more insight from your PLS-SEM results: the importance-
performance map analysis", *Industrial Management & Data Systems* 116(9)). Each item is rescaled to 0-100,

    x̃_i = (x_i − min_i) / (max_i − min_i) · 100,

the construct's standardised outer weights ``w_i`` are turned into weights on the rescaled items,
``u_i = w_i / sd(x̃_i)``, and rescaled to sum 1, ``w̃_i = u_i / Σ_j u_j``. The index is then

    index = Σ w̃_i · mean(x̃_i)   (0 … 100).

When every item of the construct shares one scale [min, max] this is the formula of ``methods.md`` §5,
``(Σ w̃_i x̄_i − min) / (max − min) · 100`` with ``w̃_i ∝ w_i / sd(x_i)``; for 1-10 items
``Σ w̃_i (x̄_i − 1) / 9 · 100``. The unstandardised construct score ``Σ w̃_i x̃_i`` has standard deviation
``1 / |Σ_j u_j|`` (because ``wᵀ R w = 1``), so an unstandardised effect of driver s on target t is the
standardised one times ``(Σ u)_s / (Σ u)_t``: the change in the target's 0-100 score per point of the
driver's 0-100 score — the IPMA *importance*. The driver's index is its *performance*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.pls.spec import ModelSpec

Array = NDArray[np.float64]
Bound = float | Mapping[str, float] | None


def item_ranges(
    items: Sequence[str],
    scale_min: Bound,
    scale_max: Bound,
    obs_min: Array,
    obs_max: Array,
) -> tuple[Array, Array]:
    """Per-item scale bounds: a number for all items, a mapping by item, or ``None`` for the observed range.

    Raises ``ValueError`` naming an item whose bounds are missing from a mapping or empty (max <= min).
    """
    lo = _bound(items, scale_min, obs_min, "scale_min")
    hi = _bound(items, scale_max, obs_max, "scale_max")
    for j, i in enumerate(items):
        if not hi[j] > lo[j]:
            raise ValueError(f"item {i!r}: scale_max {hi[j]:g} is not above scale_min {lo[j]:g}")
    return lo, hi


def _bound(items: Sequence[str], value: Bound, observed: Array, name: str) -> Array:
    if value is None:
        return np.asarray(observed, dtype=np.float64).copy()
    if isinstance(value, Mapping):
        out = np.empty(len(items))
        for j, i in enumerate(items):
            if i not in value:
                raise ValueError(f"{name} has no value for item {i!r}")
            out[j] = float(value[i])
        return out
    return np.full(len(items), float(value))


def unstandardised_weight_sums(item_weights: Array, std: Array, lo: Array, hi: Array, spec: ModelSpec) -> Array:
    """``Σ_i u_i`` per construct (…×K), with ``u_i = w_i / sd(x̃_i)`` on the 0-100 rescaled items."""
    sd_rescaled = std * 100.0 / (hi - lo)
    return (item_weights / sd_rescaled) @ spec.mask


def rescaled_weights(item_weights: Array, std: Array, lo: Array, hi: Array, spec: ModelSpec) -> Array:
    """Weights ``w̃_i`` on the rescaled items, summing to 1 within each construct (…×p)."""
    sd_rescaled = std * 100.0 / (hi - lo)
    u = item_weights / sd_rescaled
    return u / (u @ spec.mask)[..., spec.item_construct]


def construct_indices(
    item_weights: Array, mean: Array, std: Array, lo: Array, hi: Array, spec: ModelSpec
) -> Array:
    """0-100 index of every construct (…×K): ``Σ w̃_i · mean(x̃_i)`` over the construct's items."""
    wt = rescaled_weights(item_weights, std, lo, hi, spec)
    perf = (mean - lo) / (hi - lo) * 100.0
    return (wt * perf) @ spec.mask


def unstandardised_total(total: Array, usum: Array) -> Array:
    """Unstandardised total effects (…×K×K, sources rows): ``T[s, t] · (Σu)_s / (Σu)_t``."""
    return total * usum[..., :, None] / usum[..., None, :]


def ipma_table(
    target: str,
    spec: ModelSpec,
    total_std: Array,
    usum: Array,
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
    unstd = unstandardised_total(total_std, usum)
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
