"""Simulated data from a known population PLS path model (for tests, benchmarks and demos).

The population is a *composite* model (Dijkstra 2017, "A perfect match between a model and a mode", in
*Partial Least Squares Path Modeling*, Springer): each construct is the equally weighted composite of its
block, the items of a block are equicorrelated (correlation ``r``), and the composites follow the recursive
structural model with the given path coefficients. The indicator correlation matrix is then

    Σ_bb = (1 − r) I + r 11ᵀ,   Σ_ab = c_a c_b Φ_ab 11ᵀ,   c_a = √((1 + (k_a − 1) r_a) / k_a),

with ``Φ`` the construct correlations implied by the paths. Equal weights are an eigenvector of an
equicorrelated block, so mode A PLS is consistent here: on the population Σ it returns the population paths
exactly, and on samples it recovers them within sampling error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.pls.spec import build_spec

ECSI_BLOCKS: dict[str, list[str]] = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"EXPE{i}" for i in range(1, 4)],
    "Quality": [f"QUAL{i}" for i in range(1, 8)],
    "Value": [f"VAL{i}" for i in range(1, 3)],
    "Satisfaction": [f"SAT{i}" for i in range(1, 4)],
    "Complaints": ["COM1"],
    "Loyalty": [f"LOY{i}" for i in range(1, 4)],
}
"""The ECSI model's 7 constructs and 24 items (as in the ``mobile`` data of Tenenhaus et al. 2005)."""

ECSI_PATHS: dict[tuple[str, str], float] = {
    ("Image", "Expectation"): 0.50,
    ("Image", "Satisfaction"): 0.20,
    ("Image", "Loyalty"): 0.20,
    ("Expectation", "Quality"): 0.55,
    ("Expectation", "Value"): 0.10,
    ("Expectation", "Satisfaction"): 0.05,
    ("Quality", "Value"): 0.55,
    ("Quality", "Satisfaction"): 0.45,
    ("Value", "Satisfaction"): 0.25,
    ("Satisfaction", "Complaints"): 0.50,
    ("Satisfaction", "Loyalty"): 0.45,
    ("Complaints", "Loyalty"): 0.10,
}
"""Population path coefficients of the simulated ECSI model."""


def construct_correlations(
    constructs: Sequence[str], paths: Mapping[tuple[str, str], float]
) -> NDArray[np.float64]:
    """Correlations Φ of unit-variance constructs implied by a recursive path model.

    Exogenous constructs are uncorrelated. An endogenous construct ``Y_i = Σ_j β_ji Y_j + ζ_i`` gets the
    residual variance ``1 − βᵀ Φ_PP β`` (which must be positive) and ``Φ_im = Σ_j β_ji Φ_jm``.
    """
    spec = build_spec({c: [f"__{c}"] for c in constructs}, list(paths))
    K = len(constructs)
    Phi = np.eye(K)
    done: list[int] = []
    for i in spec.topo_order:
        P = list(spec.predecessors[i])
        if P:
            beta = np.array([paths[(constructs[j], constructs[i])] for j in P])
            explained = beta @ Phi[np.ix_(P, P)] @ beta
            if not explained < 1.0:
                raise ValueError(f"paths into {constructs[i]!r} explain {explained:.3f} >= 1 of its variance")
            for m in done:
                Phi[i, m] = Phi[m, i] = beta @ Phi[P, m]
        done.append(i)
    return Phi


def population_correlation(
    blocks: Mapping[str, Sequence[str]],
    paths: Mapping[tuple[str, str], float],
    item_corr: float | Mapping[str, float] = 0.6,
) -> pd.DataFrame:
    """The indicator correlation matrix of the composite population model (see the module docstring)."""
    constructs = list(blocks)
    Phi = construct_correlations(constructs, paths)
    items = [i for c in constructs for i in blocks[c]]
    owner = np.array([constructs.index(c) for c in constructs for _ in blocks[c]])
    r = np.array([item_corr[c] if isinstance(item_corr, Mapping) else item_corr for c in constructs])
    k = np.array([len(blocks[c]) for c in constructs])
    cfac = np.sqrt((1 + (k - 1) * r) / k)
    S = np.outer(cfac[owner], cfac[owner]) * Phi[np.ix_(owner, owner)]
    same = owner[:, None] == owner[None, :]
    S[same] = r[owner][:, None].repeat(len(items), axis=1)[same]
    np.fill_diagonal(S, 1.0)
    return pd.DataFrame(S, index=items, columns=items)


def simulate(
    n: int,
    blocks: Mapping[str, Sequence[str]] | None = None,
    paths: Mapping[tuple[str, str], float] | None = None,
    *,
    item_corr: float | Mapping[str, float] = 0.6,
    likert: tuple[int, int] | None = None,
    random_state: int | None = None,
) -> pd.DataFrame:
    """Draw ``n`` rows from the population model (default: the ECSI model).

    Continuous standard-normal margins by default; ``likert=(1, 10)`` rounds ``mid + z · range/5`` to the
    integer scale and clips (a realistic survey; the paths then only approximately match the population).
    """
    blocks = ECSI_BLOCKS if blocks is None else blocks
    paths = ECSI_PATHS if paths is None else paths
    S = population_correlation(blocks, paths, item_corr)
    rng = np.random.default_rng(random_state)
    L = np.linalg.cholesky(S.to_numpy())
    X = rng.standard_normal((n, L.shape[0])) @ L.T
    if likert is not None:
        lo, hi = likert
        X = np.clip(np.rint((lo + hi) / 2 + X * (hi - lo) / 5), lo, hi)
    return pd.DataFrame(X, columns=S.columns)
