"""The PLS path-modelling algorithm of Wold and Lohmöller, on indicator correlation matrices, batched.

Everything is computed from ``R``, the p×p correlation matrix of the indicators (Lohmöller 1989, *Latent
Variable Path Modeling with Partial Least Squares*, ch. 2; Tenenhaus, Esposito Vinzi, Chatelin & Lauro 2005,
"PLS path modeling", *Computational Statistics & Data Analysis* 48, §2). With ``W`` the p×K matrix of outer
weights (item i's weight in column of its construct, zero elsewhere), scaled so that every construct score
``Y = Z W`` of the standardised data ``Z`` has unit variance (``diag(Wᵀ R W) = 1``):

1. construct correlations: ``C = Wᵀ R W``;
2. inner weights ``E`` (K×K), ``E[j, i]`` the weight of construct j in construct i's inner proxy
   ``Ỹ_i = Σ_j E[j, i] Y_j`` over the neighbours j of i:

   - centroid: ``E[j, i] = sign(C[j, i])``;
   - factorial: ``E[j, i] = C[j, i]``;
   - path: for a predecessor j of i the coefficient of j in the OLS of ``Y_i`` on all of i's predecessors,
     ``C[P, P]⁻¹ C[P, i]``; for a successor j, ``C[j, i]``;

3. covariances of the indicators with the inner proxies: ``T = R W E``;
4. new outer weights: mode A ``w_k ∝ T[b, k]`` (block b of construct k), mode B ``w_k ∝ R_bb⁻¹ T[b, k]``
   (the regression of the proxy on the block), each rescaled to ``w_kᵀ R_bb w_k = 1``;

starting from unit weights and stopping when the largest absolute change in any outer weight is below ``tol``.
Then each construct's sign is fixed so that most of its loadings are positive, and

- loadings and cross-loadings: ``corr(x_i, Y_k) = (R W)[i, k]``;
- path coefficients of endogenous i on its predecessors P: ``β = C[P, P]⁻¹ C[P, i]``, ``R² = C[i, P] β``;
- total effects ``Σ_{m≥1} Bᵐ = (I − B)⁻¹ − I`` for the (nilpotent) path matrix ``B``.

Every array carries a leading batch axis, so one call fits a whole block of bootstrap resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.pls.spec import ModelSpec

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Estimates:
    """Batched results; axis 0 is the batch (a single fit has batch size 1).

    ``weights`` is B×p×K (block-diagonal pattern), ``construct_corr`` B×K×K, ``loadings`` and
    ``item_weights`` B×p (each item on its own construct), ``paths`` and ``total`` B×K×K (source rows,
    target columns), ``r2`` B×K (NaN for exogenous constructs). ``failed`` marks batch members whose
    algebra broke down (a singular matrix or a non-positive variance); their numbers are NaN.
    """

    weights: Array
    construct_corr: Array
    cross_loadings: Array
    loadings: Array
    item_weights: Array
    paths: Array
    total: Array
    r2: Array
    n_iter: NDArray[np.int64]
    converged: NDArray[np.bool_]
    failed: NDArray[np.bool_]


def fit_correlations(
    R: Array, spec: ModelSpec, scheme: str, max_iter: int, tol: float
) -> Estimates:
    """Run the PLS iteration and derive all estimates for a batch of correlation matrices ``R`` (B×p×p)."""
    W, n_iter, converged, failed = iterate(R, spec, scheme, max_iter, tol)
    return finalize(R, W, spec, n_iter, converged, failed)


def iterate(
    R: Array, spec: ModelSpec, scheme: str, max_iter: int, tol: float
) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Lohmöller's iteration; returns outer weights (B×p×K), iterations, converged and failed flags.

    Batch members that have converged (or failed) drop out of the active set, so each member's result does
    not depend on which others share its batch.
    """
    B = R.shape[0]
    mask = spec.mask
    W = np.broadcast_to(mask, (B, *mask.shape)).copy()
    W, bad = _normalise(R, W)
    n_iter = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    failed = bad.copy()
    active = np.flatnonzero(~failed)
    for it in range(1, max_iter + 1):
        if active.size == 0:
            break
        Ra = R[active] if active.size < B else R
        Wa = W[active] if active.size < B else W
        Wn, bad = _step(Ra, Wa, spec, scheme)
        with np.errstate(invalid="ignore"):
            diff = np.abs(Wn - Wa).max(axis=(1, 2))
        W[active] = Wn
        n_iter[active] = it
        failed[active[bad]] = True
        done = bad | (diff < tol)
        converged[active[done & ~bad]] = True
        active = active[~done]
    W[failed] = np.nan
    return W, n_iter, converged, failed


def _step(R: Array, W: Array, spec: ModelSpec, scheme: str) -> tuple[Array, NDArray[np.bool_]]:
    RW = R @ W
    C = np.swapaxes(W, 1, 2) @ RW
    E, bad = inner_weights(C, spec, scheme)
    T = RW @ E
    Wn = T * spec.mask
    for k in spec.mode_b:
        sl = spec.block_slices[k]
        x, bad_b = _solve(R[:, sl, sl], T[:, sl, k])
        Wn[:, sl, k] = x
        bad |= bad_b
    Wn, bad_n = _normalise(R, Wn)
    return Wn, bad | bad_n


def inner_weights(C: Array, spec: ModelSpec, scheme: str) -> tuple[Array, NDArray[np.bool_]]:
    """Inner weights ``E`` (B×K×K) from construct correlations ``C`` for the chosen scheme.

    Lohmöller (1989, §2.2.3); Tenenhaus et al. (2005, §2.1, "inner estimation").
    """
    D = spec.adjacency
    bad = np.zeros(C.shape[0], dtype=bool)
    if scheme == "centroid":
        return np.sign(C) * (D + D.T), bad
    if scheme == "factorial":
        return C * (D + D.T), bad
    E = C * D.T  # successors j of i: E[j, i] = C[j, i]
    for i in spec.endogenous:
        P = list(spec.predecessors[i])
        beta, bad_i = _solve(C[:, P][:, :, P], C[:, P, i])
        E[:, P, i] = beta
        bad |= bad_i
    return E, bad


def finalize(
    R: Array,
    W: Array,
    spec: ModelSpec,
    n_iter: NDArray[np.int64],
    converged: NDArray[np.bool_],
    failed: NDArray[np.bool_],
) -> Estimates:
    """Fix signs and derive loadings, construct correlations, paths, R² and total effects from ``R, W``."""
    B = R.shape[0]
    p, K = spec.mask.shape
    failed = failed.copy()
    RW = R @ W
    L = RW * spec.mask
    flip = (L < 0).sum(axis=1) > (L > 0).sum(axis=1)  # B×K: most loadings negative
    sign = np.where(flip, -1.0, 1.0)[:, None, :]
    W = W * sign
    RW = RW * sign
    C = np.swapaxes(W, 1, 2) @ RW
    rows = np.arange(p)
    loadings = RW[:, rows, spec.item_construct]
    item_weights = W[:, rows, spec.item_construct]
    paths = np.zeros((B, K, K))
    r2 = np.full((B, K), np.nan)
    for i in spec.endogenous:
        P = list(spec.predecessors[i])
        beta, bad = _solve(C[:, P][:, :, P], C[:, P, i])
        paths[:, P, i] = beta
        r2[:, i] = np.einsum("bj,bj->b", beta, C[:, P, i])
        failed |= bad
    total = total_effects(paths)
    failed |= ~np.isfinite(paths).all(axis=(1, 2)) | ~np.isfinite(loadings).all(axis=1)
    return Estimates(
        weights=W,
        construct_corr=C,
        cross_loadings=RW,
        loadings=loadings,
        item_weights=item_weights,
        paths=paths,
        total=total,
        r2=r2,
        n_iter=n_iter,
        converged=converged & ~failed,
        failed=failed,
    )


def total_effects(paths: Array) -> Array:
    """Total effects ``B + B² + … + B^(K−1)`` of an acyclic path matrix (sources rows, targets columns).

    Because the inner model is acyclic, ``B`` is nilpotent and the series equals ``(I − B)⁻¹ − I``
    (Bollen 1987; Hair et al., *Primer*, ch. 6). Works on a batch (…×K×K).
    """
    K = paths.shape[-1]
    total = paths.copy()
    power = paths
    for _ in range(K - 2):
        power = power @ paths
        total += power
    return total


def _normalise(R: Array, W: Array) -> tuple[Array, NDArray[np.bool_]]:
    """Scale each construct's weights to unit score variance ``wᵀ R w = 1``."""
    var = np.einsum("bpk,bpk->bk", W, R @ W)
    bad = ~(np.isfinite(var) & (var > 0)).all(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        W = W / np.sqrt(var)[:, None, :]
    return W, bad


def _solve(A: Array, b: Array) -> tuple[Array, NDArray[np.bool_]]:
    """Batched ``A⁻¹ b`` (A: B×k×k, b: B×k); singular or non-finite members come back NaN and flagged."""
    B = A.shape[0]
    bad: NDArray[np.bool_] = np.asarray(~(np.isfinite(A).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)))
    if bad.any():
        A = A.copy()
        b = b.copy()
        A[bad] = np.eye(A.shape[1])
        b[bad] = 0.0
    x: Array
    try:
        x = np.asarray(np.linalg.solve(A, b[..., None])[..., 0], dtype=np.float64)
    except np.linalg.LinAlgError:
        x = np.empty_like(b)
        for m in range(B):
            try:
                x[m] = np.linalg.solve(A[m], b[m])
            except np.linalg.LinAlgError:
                x[m] = np.nan
                bad[m] = True
    bad |= ~np.isfinite(x).all(axis=1)
    if bad.any():
        x[bad] = np.nan
    return x, bad
