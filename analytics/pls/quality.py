"""Quality criteria of a PLS path model, all from the indicator correlations ``R`` and the estimates.

Measurement model (Hair, Hult, Ringle & Sarstedt 2022, *A Primer on PLS-SEM*, 3rd ed., ch. 4-5):

- Cronbach's alpha of a block of k standardised items: ``α = k/(k−1) · (1 − k / Σ_ij R_ij)``
  (Cronbach 1951; on standardised items, as PLS uses them).
- ρ_A (Dijkstra & Henseler 2015, "Consistent partial least squares path modeling", *MIS Quarterly* 39(2)):
  ``ρ_A = (wᵀw)² · wᵀ(S − diag S)w / wᵀ(wwᵀ − diag(wwᵀ))w`` with the outer weights ``w`` scaled to unit
  score variance and ``S = R_bb``; 1 for mode B and single-item blocks.
- Composite reliability ρ_C = ``(Σ λ)² / ((Σ λ)² + Σ (1 − λ²))`` and AVE = ``Σ λ² / k`` from the loadings λ
  (Fornell & Larcker 1981, *Journal of Marketing Research* 18(1)).
- HTMT (Henseler, Ringle & Sarstedt 2015, "A new criterion for assessing discriminant validity",
  *J. Academy of Marketing Science* 43): the mean heterotrait-heteromethod correlation of two blocks over the
  geometric mean of their mean monotrait-heteromethod correlations, with absolute correlations as SmartPLS and
  seminr use them; a single-item block's monotrait mean is 1. Flags above 0.85 (conservative) and 0.90.
- Fornell-Larcker: √AVE on the diagonal against the construct correlations below it.
- Item VIF: ``diag(R_bb⁻¹)``, the VIF of each item regressed on the rest of its block.

Structural model: inner VIF ``diag(C_PP⁻¹)`` over each endogenous construct's predecessors P, and Cohen's
effect size ``f² = (R²_incl − R²_excl) / (1 − R²_incl)``, where R²_excl comes from re-estimating the model
without the path (Hair et al. 2022, §6.3; as seminr does). Re-estimation is cheap: it reruns the iteration on
the same correlation matrix.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.pls.spec import ModelSpec

Array = NDArray[np.float64]
HTMT_LIMITS = (0.85, 0.90)


def cronbach_alpha(R: Array, spec: ModelSpec) -> pd.Series:
    """Standardised Cronbach's alpha per construct (1 for a single-item block)."""
    out = []
    for sl in spec.block_slices:
        k = sl.stop - sl.start
        out.append(1.0 if k == 1 else k / (k - 1) * (1.0 - k / R[sl, sl].sum()))
    return pd.Series(out, index=list(spec.constructs), name="alpha")


def rho_a(R: Array, item_weights: Array, spec: ModelSpec) -> pd.Series:
    """Dijkstra-Henseler ρ_A per construct from unit-variance-scaled outer weights."""
    out = []
    for k, sl in enumerate(spec.block_slices):
        if spec.modes[k] == "B" or sl.stop - sl.start == 1:
            out.append(1.0)
            continue
        w = item_weights[sl]
        S = R[sl, sl] - np.diag(np.diag(R[sl, sl]))
        ww = np.outer(w, w)
        ww -= np.diag(np.diag(ww))
        out.append(float((w @ w) ** 2 * (w @ S @ w) / (w @ ww @ w)))
    return pd.Series(out, index=list(spec.constructs), name="rho_A")


def rho_c_ave(loadings: Array, spec: ModelSpec) -> pd.DataFrame:
    """Composite reliability ρ_C and AVE per construct from the loadings."""
    rows = []
    for sl in spec.block_slices:
        lam = loadings[sl]
        s = lam.sum()
        rows.append((s * s / (s * s + (1.0 - lam * lam).sum()), float((lam * lam).mean())))
    return pd.DataFrame(rows, index=list(spec.constructs), columns=["rho_C", "AVE"])


def htmt(R: Array, spec: ModelSpec) -> pd.DataFrame:
    """HTMT matrix (symmetric, NaN diagonal), constructs × constructs."""
    K = spec.n_constructs
    A = np.abs(R)
    mono = np.ones(K)
    for k, sl in enumerate(spec.block_slices):
        m = sl.stop - sl.start
        if m > 1:
            mono[k] = (A[sl, sl].sum() - m) / (m * (m - 1))
    out = np.full((K, K), np.nan)
    for a in range(K):
        for b in range(a + 1, K):
            hetero = A[spec.block_slices[a], spec.block_slices[b]].mean()
            with np.errstate(divide="ignore", invalid="ignore"):
                out[a, b] = out[b, a] = hetero / np.sqrt(mono[a] * mono[b])
    names = list(spec.constructs)
    return pd.DataFrame(out, index=names, columns=names)


def htmt_pairs(table: pd.DataFrame, limits: tuple[float, float] = HTMT_LIMITS) -> pd.DataFrame:
    """Every construct pair with its HTMT and a flag: ``""``, ``"> 0.85"`` or ``"> 0.90"``."""
    names = list(table.index)
    rows = []
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            v = float(table.iloc[a, b])
            flag = f"> {limits[1]:.2f}" if v > limits[1] else f"> {limits[0]:.2f}" if v > limits[0] else ""
            rows.append((names[a], names[b], v, flag))
    return pd.DataFrame(rows, columns=["construct_a", "construct_b", "htmt", "flag"])


def fornell_larcker(C: Array, ave: pd.Series, spec: ModelSpec) -> pd.DataFrame:
    """√AVE on the diagonal, construct correlations below it, NaN above (Fornell & Larcker 1981)."""
    K = spec.n_constructs
    out = np.where(np.tril(np.ones((K, K), dtype=bool), -1), C, np.nan)
    out[np.diag_indices(K)] = np.sqrt(ave.to_numpy())
    names = list(spec.constructs)
    return pd.DataFrame(out, index=names, columns=names)


def item_vif(R: Array, spec: ModelSpec) -> pd.Series:
    """VIF of each item against the other items of its block (1 for a single-item block)."""
    out = np.ones(spec.n_items)
    for sl in spec.block_slices:
        if sl.stop - sl.start > 1:
            out[sl] = np.diag(np.linalg.inv(R[sl, sl]))
    return pd.Series(out, index=list(spec.items), name="vif")


def inner_vif(C: Array, spec: ModelSpec) -> pd.DataFrame:
    """VIF of each predecessor in each endogenous construct's regression (sources × targets, NaN off-path)."""
    K = spec.n_constructs
    out = np.full((K, K), np.nan)
    for i in spec.endogenous:
        P = list(spec.predecessors[i])
        out[P, i] = np.diag(np.linalg.inv(C[np.ix_(P, P)])) if len(P) > 1 else 1.0
    names = list(spec.constructs)
    return pd.DataFrame(out, index=names, columns=names)


def f_squared(
    r2: Array, spec: ModelSpec, r2_without: Callable[[ModelSpec | None, int], float]
) -> pd.DataFrame:
    """Cohen's f² for every path (sources × targets, NaN off-path).

    ``r2_without(reduced_spec, target)`` returns the target's R² in the model re-estimated without the path
    (0 when the target is left with no predecessor or the reduced model is empty).
    """
    K = spec.n_constructs
    out = np.full((K, K), np.nan)
    for s, t in spec.paths:
        si, ti = spec.constructs.index(s), spec.constructs.index(t)
        reduced = spec.without_path(s, t)
        excl = r2_without(reduced, ti)
        out[si, ti] = (r2[ti] - excl) / (1.0 - r2[ti])
    names = list(spec.constructs)
    return pd.DataFrame(out, index=names, columns=names)
