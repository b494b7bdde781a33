"""Importance-performance analysis and the ranked "improve first" list (docs/methods.md section 7).

Quadrants (Martilla & James 1977), split at the means (or medians) of the plotted items:
high importance & low performance = ``improve_first``; high & high = ``keep_up``; low & low = ``low_priority``;
low importance & high performance = ``possible_overkill``. "High" means >= the split value.

Ranking rule (documented, deterministic): priority_j = (importance_j / sum importance) * (target_j -
performance_j), the importance-weighted gap to the target (default 100, the top of the 0-100 scale, or e.g.
the best competitor's score per item). The improve-first list holds the ``improve_first`` quadrant ordered by
priority (descending, ties by lower performance, then name); ``ranking`` orders every item the same way.

Every row's importance, performance, gap and priority is a figure ``{"value", "n", "ci", ...}``. Intervals:
performance is the item mean with its CI (given by the caller); with a fixed target t the gap's interval is
[t - hi, t - lo]; with fixed importances (weights from the indicator tree) the share s_j is a constant, so the
priority's interval is s_j times the gap's. Estimated importances (derived importance) and gaps to an estimated
target (the best brand) carry the caller's bootstrap intervals; where no interval is given the figure says why
in ``ci_note``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["QUADRANTS", "importance_performance"]

QUADRANTS = ("improve_first", "keep_up", "low_priority", "possible_overkill")


def _figure(value: float, n: int | None, ci: ArrayLike | None, note: str) -> dict[str, object]:
    out: dict[str, object] = {"value": float(value), "n": None if n is None else int(n)}
    c = None if ci is None else np.asarray(ci, dtype=np.float64)
    if c is not None and np.isfinite(c).all():
        out["ci"] = [float(c[0]), float(c[1])]
    else:
        out["ci"] = None
        out["ci_note"] = note
    return out


def importance_performance(
    names: Sequence[str],
    importance: ArrayLike,
    performance: ArrayLike,
    *,
    split: Literal["mean", "median"] = "mean",
    target: float | Mapping[str, float] = 100.0,
    n: ArrayLike | None = None,
    performance_ci: ArrayLike | None = None,
    importance_ci: ArrayLike | None = None,
    importance_note: str = "fixed importance (weights from the indicator tree), not estimated",
    gap_ci: ArrayLike | None = None,
    priority_ci: ArrayLike | None = None,
) -> dict[str, object]:
    """Quadrants and the improve-first ranking of ``names``.

    ``n`` (per item), ``performance_ci``, ``importance_ci``, ``gap_ci`` and ``priority_ci`` ((k, 2) arrays,
    NaN rows for none) make the row figures' n and intervals (module docstring). ``importance_ci=None`` means
    the importances are fixed. ``gap_ci`` is required for an interval when ``target`` is a mapping (an
    estimated target such as the best brand's item means).

    Raises ValueError when the arrays do not match the names or contain NaN (name the items).
    """
    imp = np.asarray(importance, dtype=np.float64)
    perf = np.asarray(performance, dtype=np.float64)
    k = len(names)
    if imp.shape != (k,) or perf.shape != (k,):
        raise ValueError(f"importance {imp.shape} and performance {perf.shape} must match {k} items")
    bad = [names[int(j)] for j in np.flatnonzero(np.isnan(imp) | np.isnan(perf))]
    if bad:
        raise ValueError(f"importance-performance: no importance or performance for {', '.join(bad)}")
    if k == 0:
        raise ValueError("importance-performance of no items")
    if (imp < 0).any():
        raise ValueError("importance must be non-negative")

    def arr2(a: ArrayLike | None, what: str) -> NDArray[np.float64]:
        if a is None:
            return np.full((k, 2), np.nan)
        x = np.asarray(a, dtype=np.float64)
        if x.shape != (k, 2):
            raise ValueError(f"importance-performance: {what} has shape {x.shape}, expected ({k}, 2)")
        return x

    nn = [None] * k if n is None else [int(v) for v in np.asarray(n).ravel()]
    if len(nn) != k:
        raise ValueError(f"importance-performance: {len(nn)} sample sizes for {k} items")
    pci, ici, gci, rci = (arr2(performance_ci, "performance_ci"), arr2(importance_ci, "importance_ci"),
                          arr2(gap_ci, "gap_ci"), arr2(priority_ci, "priority_ci"))
    f = np.mean if split == "mean" else np.median
    si, sp = float(f(imp)), float(f(perf))
    fixed_target = not isinstance(target, Mapping)
    tgt = np.array([target.get(nm, 100.0) if isinstance(target, Mapping) else target for nm in names], dtype=float)
    tot = imp.sum()
    share = imp / tot if tot > 0 else np.full(k, 1.0 / k)
    gap = tgt - perf
    prio = share * gap
    if gap_ci is None and fixed_target:
        gci = np.column_stack([tgt - pci[:, 1], tgt - pci[:, 0]])
    if priority_ci is None and importance_ci is None:
        rci = share[:, None] * gci
    gap_note = ("the target is an estimate (the best brand's item mean); no interval given" if not fixed_target
                else "the performance has no interval")
    prio_note = ("importance and gap are estimated separately; no joint interval" if importance_ci is not None
                 else gap_note)
    rows = []
    for j, nm in enumerate(names):
        hi_i, hi_p = imp[j] >= si, perf[j] >= sp
        q = ("keep_up" if hi_p else "improve_first") if hi_i else ("possible_overkill" if hi_p else "low_priority")
        rows.append({"item": nm,
                     "importance": _figure(imp[j], nn[j], None if importance_ci is None else ici[j], importance_note),
                     "performance": _figure(perf[j], nn[j], pci[j], "no interval given for the performance"),
                     "quadrant": q, "target": float(tgt[j]),
                     "gap": _figure(gap[j], nn[j], gci[j], gap_note),
                     "priority": _figure(prio[j], nn[j], rci[j], prio_note)})
    order = sorted(range(k), key=lambda j: (-prio[j], perf[j], names[j]))
    ranking = [rows[j] for j in order]
    return {
        "split": split,
        "split_importance": si,
        "split_performance": sp,
        "rule": "priority = importance share x (target - performance); improve_first quadrant ranked by priority",
        "items": rows,
        "quadrants": {q: [r["item"] for r in ranking if r["quadrant"] == q] for q in QUADRANTS},
        "improve_first": [r for r in ranking if r["quadrant"] == "improve_first"],
        "ranking": [r["item"] for r in ranking],
    }


def _moment_group_sums(D: NDArray[np.float64], cw: NDArray[np.float64], groups: NDArray[np.intp],
                       n_groups: int, chunk: int = 8192) -> NDArray[np.float64]:
    """Per group: S0 = sum cw, S1 = sum cw d, S2 = sum cw d d' (flattened), for the grouped bootstrap.

    The same sums as the per-respondent moment matrix, built a row chunk at a time so that memory is
    O(chunk (k+1)^2), not O(n (k+1)^2) (at 10^6 respondents the full matrix was ~2 GiB, and its temporaries more).
    """
    from scipy import sparse

    n, kk = D.shape
    out = np.zeros((n_groups, 1 + kk + kk * kk))
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        d, c = D[a:b], cw[a:b]
        h = sparse.csr_matrix((c, (groups[a:b], np.arange(b - a))), shape=(n_groups, b - a))
        out[:, 0] += np.asarray(h.sum(axis=1)).ravel()
        out[:, 1:1 + kk] += h @ d
        out[:, 1 + kk:] += h @ (d[:, :, None] * d[:, None, :]).reshape(b - a, kk * kk)
    return out


def bootstrap_priorities(
    X: ArrayLike,
    y: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    n_boot: int = 1000,
    conf: float = 0.95,
    target: float = 100.0,
    random_state: int | np.random.Generator = 0,
) -> dict[str, object]:
    """Seeded percentile bootstrap (Efron & Tibshirani 1993) of derived importance and priority, jointly.

    Each replicate resamples respondents (``X``: (n, k) item scores with NaN, ``y``: the overall-satisfaction
    score, ``weights``) and recomputes (i) every item's weighted mean over its answers, (ii) Johnson's (2000)
    relative weights from the weighted correlations of the complete cases, rescaled to shares s_j, and (iii)
    priority_j = s_j (target - mean_j). Resampling respondents directly costs O(n (k+1)^2) per replicate;
    above ``GROUPED_ABOVE`` respondents, or when that cost exceeds 4e6 with n > 4,000, the resampling units
    are 2,000 random groups of respondents and every statistic is rebuilt from group sums (means, and the
    moments behind the correlations), as in `analytics.benchmark.bootstrap_index_difference`. Replicates
    whose correlation matrix is singular are dropped and counted.

    Returns ``{"importance": (k, 2), "priority": (k, 2), "method": str, "n_failed": int}`` percentile
    intervals (NaN when fewer than 2 replicates succeeded).
    """
    from analytics.benchmark import _BOOT_CHUNK, GROUPED_ABOVE, N_GROUPS, _counts, _group_sums
    from analytics.inference import check_weights
    from analytics.weights import relative_weights

    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    x = np.asarray(X, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    n, k = x.shape
    if yy.shape != (n,):
        raise ValueError(f"bootstrap_priorities: outcome has shape {yy.shape}, expected ({n},)")
    w = check_weights(weights, n, "bootstrap_priorities weights")
    comp = (~np.isnan(x).any(axis=1) & ~np.isnan(yy) & (w > 0)).astype(np.float64)
    Z = np.column_stack([x, yy])
    Zc = np.where(np.isnan(Z), 0.0, Z)
    mu = (comp * w) @ Zc / max(float((comp * w).sum()), 1e-300)
    D = (Zc - mu) * comp[:, None]
    del Z, Zc
    cw = comp * w
    # direct resampling costs n (k+1)^2 per replicate: switch to groups when that exceeds the grouped cost a lot
    grouped = n > GROUPED_ABOVE or (n > 2 * N_GROUPS and n * (k + 1) ** 2 > 4_000_000)
    if grouped:
        g = rng.integers(0, N_GROUPS, n)
        num_g, den_g = _group_sums(x, w, g, N_GROUPS)
        mom_g = _moment_group_sums(D, cw, g, N_GROUPS)
    else:
        obs = ~np.isnan(x)
        cols_num = np.where(obs, x, 0.0) * w[:, None]
        cols_den = obs * w[:, None]
        cross = (D[:, :, None] * D[:, None, :]).reshape(n, (k + 1) ** 2)
        mom = np.column_stack([cw, cw[:, None] * D, cw[:, None] * cross])  # per respondent: S0, S1, S2
    imp = np.full((n_boot, k), np.nan)
    pri = np.full((n_boot, k), np.nan)
    failed = 0
    for s in range(0, n_boot, _BOOT_CHUNK):
        m = min(_BOOT_CHUNK, n_boot - s)
        c = _counts(rng, m, N_GROUPS if grouped else n)
        if grouped:
            num, den, mm = c @ num_g, c @ den_g, c @ mom_g
        else:
            num, den, mm = c @ cols_num, c @ cols_den, c @ mom
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        for r in range(m):
            s0 = mm[r, 0]
            if not s0 > 0:
                failed += 1
                continue
            d1 = mm[r, 1 : k + 2] / s0
            cov = mm[r, k + 2 :].reshape(k + 1, k + 1) / s0 - np.outer(d1, d1)
            sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
            if not (sd > 1e-12).all():
                failed += 1
                continue
            corr = cov / np.outer(sd, sd)
            try:
                ev = np.linalg.eigvalsh(corr[:k, :k])
                if ev[0] < 1e-10 * max(ev[-1], 1.0):
                    raise np.linalg.LinAlgError("singular")
                raw = relative_weights(corr[:k, :k], corr[:k, k])
            except np.linalg.LinAlgError:
                failed += 1
                continue
            if not raw.sum() > 0:
                failed += 1
                continue
            sh = raw / raw.sum()
            imp[s + r] = sh
            pri[s + r] = sh * (target - means[r])
    alpha = (1 - conf) / 2

    def pct(a: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.full((k, 2), np.nan)
        for j in range(k):
            v = a[:, j][~np.isnan(a[:, j])]
            if v.size >= 2:
                out[j] = np.quantile(v, [alpha, 1 - alpha])
        return out

    method = f"percentile bootstrap, {n_boot} resamples of respondents" + (
        f" over {N_GROUPS} random groups" if grouped else "")
    return {"importance": pct(imp), "priority": pct(pri), "method": method, "n_failed": failed}
