"""Bootstrap inference for a PLS path model, from weighted cross-products instead of resampled data.

A bootstrap resample draws n rows with replacement; all PLS needs from it is the resample's correlation
matrix. With ``c`` the resample's multiplicity counts (a multinomial draw, ``Σ c = n``) and ``Z`` the
standardised data,

    Σ_r c_r z_r z_rᵀ = Zᵀ diag(c) Z,   Σ_r c_r z_r = Zᵀ c,

so for a block of b resamples, with ``P`` the n × (p(p+1)/2 + p) matrix of row-wise products ``z_j z_k``
(j ≤ k) and the ``z_j`` themselves, one GEMM ``counts (b×n) @ P`` gives every resample's sufficient
statistics, and the batched algorithm of :mod:`analytics.pls.algorithm` fits the whole block at once. No
resampled data set is ever materialised.

Inference (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*; Hair et al., *Primer*, §5.4):
standard error = standard deviation (n − 1) of the bootstrap estimates, ``t = estimate / se``, and the
percentile interval is the (α/2, 1 − α/2) quantiles of the bootstrap distribution. Next to it every table has
the BCa interval (Efron 1987; Efron & Tibshirani 1993, ch. 14; docs/methods.md section 10.4): the quantiles at

    α_k = Φ(z0 + (z0 + z_k) / (1 − a (z0 + z_k))),   z_k = Φ⁻¹(α/2), Φ⁻¹(1 − α/2),
    z0 = Φ⁻¹((#{θ* < θ̂} + #{θ* = θ̂}/2) / B),   a = Σ (θ̄ − θ_(j))³ / (6 (Σ (θ̄ − θ_(j))²)^(3/2))

with θ_(j) the estimate without unit j (the jackknife, fitted in batches like the resamples: its count
vectors are all ones but a zero). Up to ``JACKKNIFE_UNITS`` resampling units the jackknife deletes one at a
time; above, one of ``JACKKNIFE_GROUPS`` random groups of units at a time (the grouped jackknife: a is a ratio
of the influence values' third and second moments, which groups of many units estimate as well).

Large samples: above ``GROUPED_ABOVE`` rows the resampling units are ``N_GROUPS`` random groups of rows
(the random-group bootstrap; Wolter 2007, *Introduction to Variance Estimation*, ch. 2): the rows are assigned
to groups at random once, each group's products ``P`` are summed, and a resample draws groups with
replacement, ``G = counts_g @ P_g`` with the resample's size ``Σ c_g m_g``. The groups are i.i.d., so the
bootstrap distribution estimates the same sampling distribution, at O(groups) instead of O(n) per resample
(at 10^6 rows: seconds instead of minutes, and no n-row count matrix).

Reproducibility: resamples are generated in fixed blocks, block k from child k of
``SeedSequence(random_state)``, so the numbers depend on the seed alone, never on ``n_jobs``. Blocks run on a
thread pool: the GEMM and the batched linear algebra release the GIL.

Failures: a resample whose algebra breaks down (an item constant in the resample, a singular matrix) or whose
iteration does not converge is excluded from the statistics, counted by reason in the result, and warned
about.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from analytics.pls import ipma as _ipma
from analytics.pls._blas import single_threaded_blas
from analytics.pls.algorithm import fit_correlations, total_effects
from analytics.pls.ipma import IndexWeights
from analytics.pls.moments import _Columns
from analytics.pls.spec import ModelSpec

if TYPE_CHECKING:
    from analytics.pls.model import PLSPathModel

Array = NDArray[np.float64]
BLOCK_RESAMPLES = 50  # resamples per block (fewer for very large n, to bound the count matrix)
COUNT_CELLS = 4_000_000  # at most this many cells in one block's b × n count matrix
P_CACHE_BYTES = 64 * 2**20  # build the product matrix P once when it fits in this; else per row chunk
ROW_CHUNK = 8192
GROUPED_ABOVE = 20_000  # rows; at most this many, resample rows exactly
N_GROUPS = 4_000
JACKKNIFE_UNITS = 1_000  # at most this many resampling units: delete-one jackknife for the BCa acceleration
JACKKNIFE_GROUPS = 200  # otherwise delete one of this many random groups of units
CI_METHODS = ("percentile", "bca")

REASON_CONSTANT = "an item is constant in the resample"
REASON_SINGULAR = "singular matrix in the PLS algebra"
REASON_NOT_CONVERGED = "iteration did not converge"


@dataclass(frozen=True)
class _Context:
    Z: Array  # n × p standardised data (rows used by the fit)
    P: Array | None  # n × q products, when small enough to keep
    spec: ModelSpec
    scheme: str
    max_iter: int
    tol: float
    mean: Array
    std: Array
    ranges: tuple[Array, Array] | None  # the items' scale bounds, when indices are bootstrapped
    index_weights: IndexWeights
    Pg: Array | None = None  # N_GROUPS × q group sums of P (grouped bootstrap)
    mg: Array | None = None  # rows per group


@dataclass
class _Block:
    paths: Array
    weights: Array
    loadings: Array
    indices: Array | None
    total: Array
    r2: Array
    reason: NDArray[np.object_]


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap distributions and their summaries.

    Attributes
    ----------
    n_boot : resamples drawn. n_ok : resamples that entered the statistics. n_failed : the rest.
    failures : count per failure reason. failed_resamples : their positions in 0 … n_boot − 1.
    ci : confidence level of the intervals. entropy : the seed's entropy (reproduces the run
    as ``random_state`` when none was given). n_jobs : worker threads used.
    estimates : full-sample estimate per parameter group (Series).
    samples : bootstrap estimates per group (DataFrame, one row per successful resample).

    jackknife : the jackknife estimates per group (one row per deleted unit or group; NaN where the fit failed),
    for the BCa acceleration. jackknife_units : what was deleted ("rows", or "<G> random groups of ...").

    The tables ``paths``, ``weights``, ``loadings``, ``indices``, ``total_effects`` and ``r2`` each have
    columns ``estimate, boot_mean, se, t, ci_lower, ci_upper`` (percentile) and ``bca_lower,
    bca_upper``. ``indices`` exists only when the items' scale bounds were known (given to the bootstrap, or as
    the model's ``scale``): an index needs them.
    """

    n_boot: int
    n_failed: int
    failures: dict[str, int]
    failed_resamples: NDArray[np.int64]
    ci: float
    entropy: int
    n_jobs: int
    estimates: dict[str, pd.Series] = field(repr=False)
    samples: dict[str, pd.DataFrame] = field(repr=False)
    resampling: str = "rows"  # or "<N> random groups of rows" (above GROUPED_ABOVE rows)
    jackknife: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    jackknife_units: str = "rows"

    @property
    def n_ok(self) -> int:
        return self.n_boot - self.n_failed

    def table(self, group: str) -> pd.DataFrame:
        """Summary of one parameter group: estimate, bootstrap mean, SE, t, percentile and BCa CIs."""
        if group not in self.estimates:
            hint = (" (pass scale_min and scale_max to bootstrap(), or build the model with scale=(min, max))"
                    if group == "indices" else "")
            raise KeyError(f"no bootstrap results for {group!r}{hint}")
        est = self.estimates[group]
        s = self.samples[group]
        a = (1.0 - self.ci) / 2.0
        se = s.std(axis=0, ddof=1) if len(s) > 1 else pd.Series(np.nan, index=s.columns)
        q = s.quantile([a, 1.0 - a]) if len(s) else pd.DataFrame(np.nan, index=[a, 1 - a], columns=s.columns)
        fixed = se <= 1e-12 * np.maximum(1.0, est.abs())  # e.g. a single item's weight: no t value
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (est / se).mask(fixed)
        jk = self.jackknife.get(group)
        blo, bhi = bca_bounds(est.to_numpy(), s.to_numpy(), None if jk is None else jk.to_numpy(), self.ci)
        blo[fixed.to_numpy()] = est.to_numpy()[fixed.to_numpy()]
        bhi[fixed.to_numpy()] = est.to_numpy()[fixed.to_numpy()]
        return pd.DataFrame(
            {
                "estimate": est,
                "boot_mean": s.mean(axis=0),
                "se": se,
                "t": t,
                "ci_lower": q.iloc[0],
                "ci_upper": q.iloc[1],
                "bca_lower": pd.Series(blo, index=est.index),
                "bca_upper": pd.Series(bhi, index=est.index),
            }
        )

    @cached_property
    def paths(self) -> pd.DataFrame:
        return self.table("paths")

    @cached_property
    def weights(self) -> pd.DataFrame:
        return self.table("weights")

    @cached_property
    def loadings(self) -> pd.DataFrame:
        return self.table("loadings")

    @cached_property
    def indices(self) -> pd.DataFrame:
        return self.table("indices")

    @cached_property
    def total_effects(self) -> pd.DataFrame:
        return self.table("total_effects")

    @cached_property
    def r2(self) -> pd.DataFrame:
        return self.table("r2")

    def summary(self) -> pd.DataFrame:
        """All groups in one DataFrame indexed by (group, parameter)."""
        return pd.concat({g: self.table(g) for g in self.estimates}, names=["group", "parameter"])

    def __str__(self) -> str:
        head = f"bootstrap: {self.n_ok} of {self.n_boot} resamples used, {self.ci:.0%} percentile CIs"
        if self.n_failed:
            head += "; failed: " + ", ".join(f"{v} ({k})" for k, v in self.failures.items())
        return head + "\n" + self.summary().to_string()


def run_bootstrap(
    model: PLSPathModel,
    data: pd.DataFrame,
    *,
    n_boot: int,
    random_state: int | np.random.SeedSequence | None,
    n_jobs: int | None,
    ranges: tuple[Array, Array] | None,
    index_weights: IndexWeights,
    ci: float,
) -> BootstrapResult:
    """Bootstrap a fitted model on ``data`` (the frame it was fitted on); see the module docstring."""
    if int(n_boot) < 2:
        raise ValueError(f"n_boot must be at least 2, got {n_boot!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be between 0 and 1, got {ci!r}")
    spec: ModelSpec = model._spec
    m = model._moments
    Z = _standardised_rows(data, spec.items, m.mean, m.std, model.missing_report_.method)  # as in the fit
    if Z.shape[0] != m.n:
        raise ValueError(f"the data has {Z.shape[0]} usable rows but the model was fitted on {m.n}")
    n, p = Z.shape
    q = p * (p + 1) // 2 + p
    ss = random_state if isinstance(random_state, np.random.SeedSequence) else np.random.SeedSequence(random_state)
    grouped = n > GROUPED_ABOVE
    units = N_GROUPS if grouped else n
    size = int(max(1, min(BLOCK_RESAMPLES, COUNT_CELLS // units)))
    sizes = [min(size, n_boot - a) for a in range(0, n_boot, size)]
    seeds = ss.spawn(len(sizes))
    if grouped:
        groups = np.random.default_rng(ss.spawn(1)[0]).integers(0, N_GROUPS, n)
        Pg, mg = _group_products(Z, groups)
        ctx = _Context(Z, None, spec, model.scheme, model.max_iter, model.tol, m.mean, m.std, ranges, index_weights,
                       Pg, mg)
    else:
        P = _products(Z) if n * q * 8 <= P_CACHE_BYTES else None
        ctx = _Context(Z, P, spec, model.scheme, model.max_iter, model.tol, m.mean, m.std, ranges, index_weights)
    jobs = _n_jobs(n_jobs)
    if jobs == 1 or len(sizes) == 1:
        blocks = [_run_block(ctx, s, b) for s, b in zip(seeds, sizes, strict=True)]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            blocks = list(pool.map(_run_block, [ctx] * len(sizes), seeds, sizes))

    reason = np.concatenate([b.reason for b in blocks])
    ok = reason == ""
    failed = np.flatnonzero(~ok)
    failures: dict[str, int] = {}
    for r in reason[~ok]:
        failures[str(r)] = failures.get(str(r), 0) + 1
    if failed.size:
        warnings.warn(
            f"{failed.size} of {n_boot} bootstrap resamples failed and were left out: "
            + ", ".join(f"{v} ({k})" for k, v in failures.items()),
            RuntimeWarning,
            stacklevel=3,
        )

    names = list(spec.constructs)
    path_idx = [(names.index(s), names.index(t)) for s, t in spec.paths]
    path_lab = [f"{s} -> {t}" for s, t in spec.paths]
    reach = np.argwhere(total_effects(spec.adjacency) > 0)
    tot_lab = [f"{names[s]} -> {names[t]}" for s, t in reach]
    endo = list(spec.endogenous)
    est = model._est

    def collect(bl: list[_Block], keep: NDArray[np.bool_] | None) -> dict[str, Array]:
        """Per parameter group, the (fits, parameters) estimates: the kept rows, or all with failures NaN."""
        reasons = np.concatenate([b.reason for b in bl])

        def cat(attr: str) -> Array:
            a = np.concatenate([getattr(b, attr) for b in bl]).astype(np.float64)
            if keep is not None:
                return a[keep]
            a[reasons != ""] = np.nan
            return a

        paths_, total_ = cat("paths"), cat("total")
        out = {"paths": np.stack([paths_[:, s, t] for s, t in path_idx], axis=1),
               "weights": cat("weights"), "loadings": cat("loadings"),
               "total_effects": np.stack([total_[:, s, t] for s, t in reach], axis=1), "r2": cat("r2")[:, endo]}
        if ranges is not None:
            out["indices"] = cat("indices")
        return out

    boot = collect(blocks, ok)
    labels: dict[str, tuple[list[str], Array]] = {
        "paths": (path_lab, np.array([est.paths[0][s, t] for s, t in path_idx])),
        "weights": (list(spec.items), est.item_weights[0]),
        "loadings": (list(spec.items), est.loadings[0]),
        "total_effects": (tot_lab, np.array([est.total[0][s, t] for s, t in reach])),
        "r2": ([names[i] for i in endo], est.r2[0, endo]),
    }
    if ranges is not None:
        lo, hi = ranges
        full_idx = model.indices(_as_map(spec.items, lo), _as_map(spec.items, hi), weights=index_weights)
        labels["indices"] = (names, full_idx.to_numpy())
    groups = {g: (lab, v, boot[g]) for g, (lab, v) in labels.items()}
    jk_counts, jk_units = _jackknife_counts(units, ss, grouped)
    with single_threaded_blas():
        jk_blocks = [_fit_counts(ctx, jk_counts[a : a + size]) for a in range(0, jk_counts.shape[0], size)]
    jk = collect(jk_blocks, None)
    return BootstrapResult(
        n_boot=int(n_boot),
        n_failed=int(failed.size),
        failures=failures,
        failed_resamples=failed.astype(np.int64),
        ci=float(ci),
        entropy=int(ss.entropy) if isinstance(ss.entropy, int) else 0,
        n_jobs=jobs,
        estimates={g: pd.Series(v, index=lab, name=g) for g, (lab, v, _) in groups.items()},
        samples={g: pd.DataFrame(s, columns=lab) for g, (lab, _, s) in groups.items()},
        resampling=f"{N_GROUPS} random groups of rows" if grouped else "rows",
        jackknife={g: pd.DataFrame(jk[g], columns=lab) for g, (lab, _) in labels.items()},
        jackknife_units=jk_units,
    )


def _jackknife_counts(units: int, ss: np.random.SeedSequence, grouped: bool) -> tuple[Array, str]:
    """The jackknife's count vectors over the resampling units: delete one unit at a time, or (above
    ``JACKKNIFE_UNITS``) one of ``JACKKNIFE_GROUPS`` random groups of units (module docstring)."""
    what = f"{N_GROUPS} random groups of rows" if grouped else "rows"
    if units <= JACKKNIFE_UNITS:
        return 1.0 - np.eye(units), what
    g = np.random.default_rng(ss.spawn(1)[0]).permutation(units) % JACKKNIFE_GROUPS
    counts = np.ones((JACKKNIFE_GROUPS, units))
    counts[g, np.arange(units)] = 0.0
    return counts, f"{JACKKNIFE_GROUPS} random groups of {what}"


def bca_bounds(estimate: Array, samples: Array, jackknife: Array | None, ci: float) -> tuple[Array, Array]:
    """BCa bounds (Efron 1987) per column of ``samples`` (B × p) around ``estimate`` (p,), with the acceleration
    from the jackknife estimates (J × p, NaN rows = failed fits; None: a = 0, the bias-corrected percentile
    interval). Formulas in the module docstring; NaN where a bound cannot be formed (every replicate on one
    side of the estimate, fewer than 2 replicates)."""
    B, p = samples.shape
    lo = np.full(p, np.nan)
    hi = np.full(p, np.nan)
    if B < 2:
        return lo, hi
    below = (samples < estimate[None, :]).sum(axis=0) + 0.5 * (samples == estimate[None, :]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = stats.norm.ppf(below / B)
    a = np.zeros(p)
    if jackknife is not None and jackknife.shape[0] > 2:
        jk = jackknife[~np.isnan(jackknife).any(axis=1)]
        if jk.shape[0] > 2:
            d = jk.mean(axis=0)[None, :] - jk
            den = 6.0 * (d**2).sum(axis=0) ** 1.5
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(den > 0, (d**3).sum(axis=0) / np.where(den > 0, den, 1.0), 0.0)
    zq = stats.norm.ppf([(1 - ci) / 2, (1 + ci) / 2])
    ok = np.isfinite(z0)
    for j in np.flatnonzero(ok):
        zz = z0[j] + zq
        alpha = stats.norm.cdf(z0[j] + zz / (1 - a[j] * zz))
        lo[j], hi[j] = np.quantile(samples[:, j], alpha)
    return lo, hi


def _run_block(ctx: _Context, seed: np.random.SeedSequence, size: int) -> _Block:
    """Draw ``size`` resamples from ``seed`` and fit them as one batch."""
    with single_threaded_blas():
        return _fit_block(ctx, seed, size)


def _fit_block(ctx: _Context, seed: np.random.SeedSequence, size: int) -> _Block:
    rng = np.random.default_rng(seed)
    n = ctx.Z.shape[0]
    units = n if ctx.Pg is None else ctx.Pg.shape[0]
    draws = rng.integers(0, units, size=(size, units))
    draws += (np.arange(size) * units)[:, None]
    counts = np.bincount(draws.ravel(), minlength=size * units).reshape(size, units).astype(np.float64)
    del draws
    return _fit_counts(ctx, counts, resample=True)


def _fit_counts(ctx: _Context, counts: Array, resample: bool = False) -> _Block:
    """Fit one batch of weighted samples given by their multiplicity counts over the resampling units (rows,
    or groups of rows): bootstrap resamples (``resample``: each sums to n) or jackknife deletions."""
    Z, spec = ctx.Z, ctx.spec
    n, p = Z.shape
    size = counts.shape[0]
    nb: Array | float = float(n) if resample else counts.sum(axis=1)[:, None]
    if ctx.Pg is not None and ctx.mg is not None:
        G = counts @ ctx.Pg
        nb = (counts @ ctx.mg)[:, None]  # each resample's number of rows
    elif ctx.P is not None:
        G = counts @ ctx.P
    else:
        G = np.zeros((size, p * (p + 1) // 2 + p))
        for a in range(0, n, ROW_CHUNK):
            G += counts[:, a : a + ROW_CHUNK] @ _products(Z[a : a + ROW_CHUNK])
    iu = np.triu_indices(p)
    npair = iu[0].size
    Q = np.empty((size, p, p))
    Q[:, iu[0], iu[1]] = G[:, :npair]
    Q[:, iu[1], iu[0]] = G[:, :npair]
    mu = G[:, npair:] / nb
    nb3 = nb[:, :, None] if isinstance(nb, np.ndarray) else nb
    cov = (Q - nb3 * mu[:, :, None] * mu[:, None, :]) / (nb3 - 1)
    var = np.diagonal(cov, axis1=1, axis2=2).copy()
    constant = (var <= 1e-12).any(axis=1)
    var[constant] = 1.0
    d = np.sqrt(var)
    R = cov / (d[:, :, None] * d[:, None, :])
    R[:, np.arange(p), np.arange(p)] = 1.0
    R[constant] = np.eye(p)
    est = fit_correlations(R, spec, ctx.scheme, ctx.max_iter, ctx.tol)
    reason = np.full(size, "", dtype=object)
    reason[~est.converged] = REASON_NOT_CONVERGED
    reason[est.failed] = REASON_SINGULAR
    reason[constant] = REASON_CONSTANT
    idx = None
    if ctx.ranges is not None:
        mean_b = ctx.mean + ctx.std * mu
        std_b = ctx.std * d
        lo, hi = ctx.ranges
        with np.errstate(invalid="ignore", divide="ignore"):
            idx = _ipma.construct_indices(est.item_weights, mean_b, std_b, lo, hi, spec, ctx.index_weights)
    return _Block(
        paths=est.paths,
        weights=est.item_weights,
        loadings=est.loadings,
        indices=idx,
        total=est.total,
        r2=est.r2,
        reason=reason,
    )


def _group_products(Z: Array, groups: NDArray[np.intp]) -> tuple[Array, Array]:
    """Each group's sum of the row products ``_products(Z)`` and its number of rows, a row chunk at a time."""
    from scipy import sparse

    n, p = Z.shape
    Pg = np.zeros((N_GROUPS, p * (p + 1) // 2 + p))
    for a in range(0, n, ROW_CHUNK):
        b = min(a + ROW_CHUNK, n)
        h = sparse.csr_matrix((np.ones(b - a), (groups[a:b], np.arange(b - a))), shape=(N_GROUPS, b - a))
        Pg += h @ _products(Z[a:b])
    return Pg, np.bincount(groups, minlength=N_GROUPS).astype(np.float64)


def _products(Z: Array) -> Array:
    """Row-wise products ``z_j z_k`` (j ≤ k) followed by the ``z_j``: the bootstrap's moment matrix."""
    p = Z.shape[1]
    iu = np.triu_indices(p)
    out = np.empty((Z.shape[0], iu[0].size + p))
    np.multiply(Z[:, iu[0]], Z[:, iu[1]], out=out[:, : iu[0].size])
    out[:, iu[0].size :] = Z
    return out


def _standardised_rows(
    data: pd.DataFrame, items: tuple[str, ...], mean: Array, std: Array, missing: str | None
) -> Array:
    """The rows the fit used, standardised; a missing cell (mean replacement) becomes 0."""
    cols = _Columns(data, items)
    out = np.empty((cols.n, len(items)))
    keep = np.ones(cols.n, dtype=bool)
    for a, b, x in cols.chunks():
        x -= mean
        x /= std
        nan = np.isnan(x)
        if nan.any():
            if missing is None:
                j = int(np.flatnonzero(nan.any(axis=0))[0])
                raise ValueError(
                    f"item {items[j]!r} has missing values but the model was fitted with missing=None"
                )
            if missing == "casewise":
                keep[a:b] = ~nan.any(axis=1)
            x[nan] = 0.0
        out[a:b] = x
    return out if keep.all() else out[keep]


def _n_jobs(n_jobs: int | None) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_jobs is None or n_jobs == -1:
        return cores
    if n_jobs < -1 or n_jobs == 0:
        return max(1, cores + 1 + n_jobs) if n_jobs < 0 else 1
    return int(n_jobs)


def _as_map(items: tuple[str, ...], values: Array) -> dict[str, float]:
    return {i: float(v) for i, v in zip(items, values, strict=True)}
