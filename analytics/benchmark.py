"""Benchmarking (docs/methods.md section 8): our brand against each competitor, and the latest period against the
previous one, on the index, every node and every item; gap to the best brand.

Tests
-----
* Paired t-test (``scipy.stats.ttest_rel``) when the same respondents rated both brands, Welch's t-test
  (``scipy.stats.ttest_ind(equal_var=False)``) otherwise; with respondent weights the weighted versions in
  `analytics.inference.weighted_t_test`. Node and index tests use the respondent-level scores
  (docs/methods.md section 3), item tests the item scores.
* Pairing rule: a comparison is paired when at least 2 respondents gave both ratings and they make up at least
  half of the smaller group (``PAIRED_SHARE``); the paired test then uses those respondents.
* The difference of the aggregate indices (from item means) gets a seeded percentile bootstrap CI over
  respondents (Efron & Tibshirani 1993): resampling respondents jointly for paired designs (so the
  correlation between the brands is kept), independently within each group otherwise.
* Two families of tests (methods.md section 8). Primary: the headline index against each competitor and
  against the previous wave, each tested alone on its raw p with the CI of the difference. Secondary: the
  nodes (dimensions) and items of one call, Holm (1979) corrected within that family. Every test names its
  ``family`` and states "significant" or "not significant" plainly.
* Each side's score (``a``, ``b``) is the figure of the tree (n, delta-method CI; analytics.tree).
* Gap to the best brand, per node and item: gap = max_b score_b - score_own (>= 0), with a seeded percentile
  bootstrap CI: respondents of the common data are resampled once per replicate for all brands together (a
  respondent's ratings of every brand stay together, as in the paired design), every brand's node scores are
  recomputed from its resampled item means with the nominal weights, and the gap is the replicate's maximum
  minus the own brand's score (so the best brand may change between replicates). The interval is therefore
  never below 0; the point estimate of a maximum is biased upwards when brands are close, which the interval
  reflects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.inference import Estimate, holm, weighted_t_test
from analytics.settings import DEFAULTS
from analytics.tree import TreeResult, compute_tree, index_from_means, propagate
from survey_defs.schema import SurveyDefinition

__all__ = [
    "PAIRED_SHARE",
    "PRIMARY",
    "SECONDARY",
    "Frame",
    "bootstrap_gap_to_best",
    "bootstrap_index_difference",
    "compare_brands",
    "compare_frames",
    "compare_waves",
    "gap_to_best",
    "item_figures",
]

PAIRED_SHARE = 0.5
PRIMARY = "primary"
SECONDARY = "secondary"
_BOOT_CHUNK = 100


@dataclass(frozen=True, eq=False)
class Frame:
    """One side of a comparison: a tree computed on ``data`` and the positions of its respondents in a common
    key space (``keys``: data row numbers for brand comparisons, respondent ids for periods)."""

    label: str
    tree: TreeResult
    data: ResponseData
    keys: NDArray[np.object_]

    @property
    def item_scores(self) -> NDArray[np.float64]:
        return self.data.score_matrix(self.tree.items, self.tree.brand)[self.tree.rows]

    @property
    def w(self) -> NDArray[np.float64] | None:
        return self.tree.weights


def _pairs(a: Frame, b: Frame) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    ka, kb = a.keys[a.tree.rows], b.keys[b.tree.rows]
    _, ia, ib = np.intersect1d(ka.astype(str), kb.astype(str), assume_unique=False, return_indices=True)
    return ia, ib


def _boot_means(X: NDArray[np.float64], w: NDArray[np.float64] | None, counts: NDArray[np.float64]) -> NDArray[
    np.float64
]:
    obs = ~np.isnan(X)
    ww = np.ones(X.shape[0]) if w is None else w
    num = counts @ (np.where(obs, X, 0.0) * ww[:, None])
    den = counts @ (obs * ww[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _counts(rng: np.random.Generator, b: int, n: int) -> NDArray[np.float64]:
    idx = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


GROUPED_ABOVE = 10_000
N_GROUPS = 2_000


def _group_sums(X: NDArray[np.float64], w: NDArray[np.float64] | None, groups: NDArray[np.intp],
                n_groups: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-group weighted sums of answered scores and of answered weights, item by item."""
    obs = ~np.isnan(X)
    ww = np.ones(X.shape[0]) if w is None else w
    vals = np.where(obs, X, 0.0) * ww[:, None]
    dens = obs * ww[:, None]
    num = np.zeros((n_groups, X.shape[1]))
    den = np.zeros((n_groups, X.shape[1]))
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    num[g[starts]] = np.add.reduceat(vals[order], starts, axis=0)
    den[g[starts]] = np.add.reduceat(dens[order], starts, axis=0)
    return num, den


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap_index_difference(
    a: Frame,
    b: Frame,
    *,
    paired: bool,
    n_boot: int = DEFAULTS.n_boot,
    conf: float = DEFAULTS.conf,
    random_state: int | np.random.Generator = 0,
) -> dict[str, Any]:
    """Percentile bootstrap CI of index(a) - index(b) (aggregate indices from item means; Efron & Tibshirani 1993).

    Paired: respondents of the union of both frames are resampled jointly; otherwise each frame separately.
    Up to 10,000 resampling units the respondents are resampled directly, cost O(n_boot * n * k) in chunks of
    100 replicates. Above that, respondents are assigned at random to 2,000 groups and the groups are resampled
    (a grouped bootstrap): each item mean is a ratio of sums, random groups' sums are i.i.d., and resampling
    G groups reproduces the respondent-level bootstrap variance up to O(1/G) (about 3 % on the variance), at
    cost O(n_boot * G * k). Pairing is kept because a respondent's rows for both brands share one group.
    """
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    Xa, Xb = a.item_scores, b.item_scores
    diffs = np.empty(n_boot)
    if paired:
        ka, kb = a.keys[a.tree.rows].astype(str), b.keys[b.tree.rows].astype(str)
        union, inv = np.unique(np.concatenate([ka, kb]), return_inverse=True)
        ia, ib = inv[: len(ka)], inv[len(ka):]
        units = len(union)
    else:
        units = max(Xa.shape[0], Xb.shape[0])
    grouped = units > GROUPED_ABOVE
    if grouped:
        if paired:
            g_union = rng.integers(0, N_GROUPS, len(union))
            ga, gb = g_union[ia], g_union[ib]
        else:
            ga, gb = rng.integers(0, N_GROUPS, Xa.shape[0]), rng.integers(0, N_GROUPS, Xb.shape[0])
        num_a, den_a = _group_sums(Xa, a.w, ga, N_GROUPS)
        num_b, den_b = _group_sums(Xb, b.w, gb, N_GROUPS)
    for s in range(0, n_boot, _BOOT_CHUNK):
        m = min(_BOOT_CHUNK, n_boot - s)
        if grouped:
            ca = _counts(rng, m, N_GROUPS)
            cb = ca if paired else _counts(rng, m, N_GROUPS)
            ia_ = index_from_means(a.tree, _ratio(ca @ num_a, ca @ den_a))
            ib_ = index_from_means(b.tree, _ratio(cb @ num_b, cb @ den_b))
        else:
            if paired:
                c = _counts(rng, m, len(union))
                ca, cb = c[:, ia], c[:, ib]
            else:
                ca, cb = _counts(rng, m, Xa.shape[0]), _counts(rng, m, Xb.shape[0])
            ia_ = index_from_means(a.tree, _boot_means(Xa, a.w, ca))
            ib_ = index_from_means(b.tree, _boot_means(Xb, b.w, cb))
        diffs[s : s + m] = ia_ - ib_
    ok = diffs[~np.isnan(diffs)]
    alpha = (1 - conf) / 2
    lo, hi = np.quantile(ok, [alpha, 1 - alpha]) if ok.size else (np.nan, np.nan)
    return {"method": "percentile bootstrap" + (f" over {N_GROUPS} random groups of respondents" if grouped else ""),
            "n_boot": n_boot, "ci": [float(lo), float(hi)],
            "se": float(ok.std(ddof=1)) if ok.size > 1 else None}


def _test(x: NDArray[np.float64], y: NDArray[np.float64], wa: NDArray[np.float64] | None,
          wb: NDArray[np.float64] | None, pairs: tuple[NDArray[np.intp], NDArray[np.intp]] | None) -> dict[str, Any]:
    try:
        if pairs is not None:
            ia, ib = pairs
            r = weighted_t_test(x[ia], y[ib], paired=True, weights_a=None if wa is None else wa[ia])
        else:
            r = weighted_t_test(x, y, paired=False, weights_a=wa, weights_b=wb)
    except ValueError as exc:
        return {"status": "insufficient_data", "reason": str(exc), "p_value": None}
    return {"test": r.test, "diff": r.diff, "ci": [r.ci[0], r.ci[1]], "statistic": r.statistic, "df": r.df,
            "p_value": r.p_value, "n_a": r.n_a, "n_b": r.n_b}


def compare_frames(
    a: Frame,
    b: Frame,
    *,
    n_boot: int = DEFAULTS.n_boot,
    conf: float = DEFAULTS.conf,
    random_state: int | np.random.Generator = 0,
) -> dict[str, Any]:
    """Compare frame a against b on the index (bootstrap CI + test), every node and every item (tests).

    Returns a dict with ``design`` (paired or independent, with the pairing counts), ``index``, ``nodes``
    and ``items``; the tests have no verdict yet (`compare_brands` / `compare_waves` judge them by family).
    """
    ia, ib = _pairs(a, b)
    na, nb = int(a.tree.rows.sum()), int(b.tree.rows.sum())
    paired = len(ia) >= 2 and len(ia) >= PAIRED_SHARE * min(na, nb)
    pairs = (ia, ib) if paired else None
    Ra, Rb = a.tree.respondent_scores, b.tree.respondent_scores
    if Ra is None or Rb is None:
        raise ValueError("compare_frames needs trees computed with respondent_level=True")
    ea, eb = a.tree.index, b.tree.index
    out: dict[str, Any] = {
        "a": a.label, "b": b.label,
        "design": {"paired": paired, "n_pairs": len(ia), "n_a": na, "n_b": nb,
                   "rule": f"paired when >= 2 respondents rated both and they are >= {PAIRED_SHARE:.0%} of the "
                           "smaller group; Welch otherwise"},
    }
    idx: dict[str, Any] = {
        "a": ea.to_dict(), "b": eb.to_dict(),
        "diff": None if ea.value is None or eb.value is None else ea.value - eb.value,
        "test": _test(Ra[:, 0], Rb[:, 0], a.w, b.w, pairs),
    }
    if idx["diff"] is not None and n_boot > 0:
        idx["bootstrap"] = bootstrap_index_difference(a, b, paired=paired, n_boot=n_boot, conf=conf,
                                                      random_state=random_state)
    out["index"] = idx
    nodes = {}
    for j, nd in enumerate(a.tree.nodes[1:], start=1):
        if nd.item is not None:
            continue
        sa, sb = nd.score.value, b.tree.nodes[j].score.value
        nodes[nd.id] = {"a": nd.score.to_dict(), "b": b.tree.nodes[j].score.to_dict(),
                        "diff": None if sa is None or sb is None else sa - sb,
                        "test": _test(Ra[:, j], Rb[:, j], a.w, b.w, pairs)}
    out["nodes"] = nodes
    Xa, Xb = a.item_scores, b.item_scores
    fa, fb = item_figures(a.tree, conf), item_figures(b.tree, conf)
    items = {}
    for j, item in enumerate(a.tree.items):
        ma, mb = a.tree.item_means[j], b.tree.item_means[j]
        ok = not (np.isnan(ma) or np.isnan(mb))
        items[item] = {"a": fa[item].to_dict(), "b": fb[item].to_dict(),
                       "diff": float(ma - mb) if ok else None,
                       "test": _test(Xa[:, j], Xb[:, j], a.w, b.w, pairs)}
    out["items"] = items
    return out


def _verdict(t: dict[str, Any], p: float, reject: bool, family: str) -> None:
    t["family"] = family
    if np.isnan(p):
        if family == SECONDARY:
            t["p_holm"] = None
        t["verdict"] = "not tested"
        return
    if family == SECONDARY:
        t["p_holm"] = float(p)
    t["significant"] = bool(reject)
    t["verdict"] = "significant" if reject else "not significant"


def _families(results: Sequence[dict[str, Any]], alpha: float = DEFAULTS.alpha) -> dict[str, Any]:
    """Test the primary family alone and Holm-correct the secondary family within itself (methods.md section 8).

    Primary: each comparison's headline index test, judged on its own raw p against ``alpha`` (no correction:
    each is a separate question management asks, and the difference's CI is reported with it). Secondary: every
    node and item test of the call, Holm (1979) adjusted together. Each test gets ``family``; secondary tests get
    ``p_holm``. Returns the ``multiplicity`` block (docs/analytics-json.md).
    """
    primary = [r["index"]["test"] for r in results]
    secondary: list[dict[str, Any]] = []
    for r in results:
        secondary.extend(v["test"] for v in r["nodes"].values())
        secondary.extend(v["test"] for v in r["items"].values())
    for t in primary:
        p = np.nan if t.get("p_value") is None else float(t["p_value"])
        _verdict(t, p, bool(p < alpha), PRIMARY)
    ps = np.array([np.nan if t.get("p_value") is None else t["p_value"] for t in secondary], dtype=np.float64)
    reject, adj = holm(ps, alpha)
    for t, rj, pa in zip(secondary, reject, adj, strict=True):
        _verdict(t, float(pa), bool(rj), SECONDARY)
    return {"alpha": alpha,
            PRIMARY: {"n_tests": len(primary), "correction": "none",
                      "rule": "the headline index against the previous wave and against each competitor: each "
                              "tested alone on its raw p, with the CI of the difference"},
            SECONDARY: {"n_tests": len(secondary), "correction": "holm",
                        "rule": "dimensions and items: Holm-corrected within this family"}}


def item_figures(tree: TreeResult, conf: float = DEFAULTS.conf) -> dict[str, Estimate]:
    """Each item's mean score figure (n, CI) on the tree's frame, from the tree's histogram: the same figure as
    `analytics.itemstats` gives (its n is the item's answers, its CI the item's t-interval)."""
    return {st.item_id: st.mean for st in tree.item_stats(conf=conf)}


def _node_replicates(tree: TreeResult, X: NDArray[np.float64], counts: NDArray[np.float64] | None,
                     num: NDArray[np.float64] | None = None, den: NDArray[np.float64] | None = None) -> NDArray[
    np.float64
]:
    """(replicates, n_nodes) node scores from resampled item means (respondent counts, or group sums)."""
    if num is not None and den is not None:
        means = _ratio(num, den)
    else:
        assert counts is not None
        means = _boot_means(X, tree.weights, counts)
    nw = {nd.index: tree.node_weights[nd.id] for nd in tree.flat if nd.children}
    return propagate(means, tree.flat, tree.leaf_col, nw)


def bootstrap_gap_to_best(
    trees: dict[str, TreeResult],
    own: str,
    data: ResponseData,
    *,
    n_boot: int = DEFAULTS.n_boot,
    conf: float = DEFAULTS.conf,
    random_state: int | np.random.Generator = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], str]:
    """Percentile bootstrap of max_b score_b - score_own for every node (module docstring).

    All trees must come from ``data`` (their ``rows`` index it). Returns (lo, hi, se, method) per node;
    above ``GROUPED_ABOVE`` respondents the grouped bootstrap of `bootstrap_index_difference` is used.
    """
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    brands = list(trees)
    n = data.n
    X = {b: data.score_matrix(trees[b].items, trees[b].brand)[trees[b].rows] for b in brands}
    rows = {b: np.flatnonzero(trees[b].rows) for b in brands}
    n_nodes = len(trees[own].nodes)
    gaps = np.empty((n_boot, n_nodes))
    grouped = n > GROUPED_ABOVE
    sums: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] = {}
    if grouped:
        g = rng.integers(0, N_GROUPS, n)
        sums = {b: _group_sums(X[b], trees[b].weights, g[rows[b]], N_GROUPS) for b in brands}
    for s in range(0, n_boot, _BOOT_CHUNK):
        m = min(_BOOT_CHUNK, n_boot - s)
        c = _counts(rng, m, N_GROUPS if grouped else n)
        reps = {}
        for b in brands:
            if grouped:
                num, den = sums[b]
                reps[b] = _node_replicates(trees[b], X[b], None, c @ num, c @ den)
            else:
                reps[b] = _node_replicates(trees[b], X[b], c[:, rows[b]])
        stack = np.stack([reps[b] for b in brands])  # (brands, m, nodes)
        with np.errstate(invalid="ignore"):
            best = np.where(np.isnan(stack), -np.inf, stack).max(axis=0)
        gaps[s : s + m] = np.where(np.isfinite(best), best - reps[own], np.nan)
    alpha = (1 - conf) / 2
    lo = np.full(n_nodes, np.nan)
    hi = np.full(n_nodes, np.nan)
    se = np.full(n_nodes, np.nan)
    for j in range(n_nodes):
        ok = gaps[:, j][~np.isnan(gaps[:, j])]
        if ok.size >= 2:
            lo[j], hi[j] = np.quantile(ok, [alpha, 1 - alpha])
            se[j] = ok.std(ddof=1)
    method = f"percentile bootstrap, {n_boot} resamples of respondents (all brands together)" + (
        f" over {N_GROUPS} random groups" if grouped else "")
    return lo, hi, se, method


def gap_to_best(
    trees: dict[str, TreeResult],
    own: str,
    data: ResponseData | None = None,
    *,
    n_boot: int = 0,
    conf: float = DEFAULTS.conf,
    random_state: int | np.random.Generator = 0,
) -> dict[str, Any]:
    """For the index, each node and each item: the best brand, its score and own score (figures) and the gap
    best - own (>= 0) as a figure (n = the own brand's n) with a bootstrap CI when ``data`` and ``n_boot`` are
    given (`bootstrap_gap_to_best`)."""
    ref = trees[own]
    boot = None
    if data is not None and n_boot > 0:
        boot = bootstrap_gap_to_best(trees, own, data, n_boot=n_boot, conf=conf, random_state=random_state)
    out: dict[str, Any] = {}
    for j, nd in enumerate(ref.nodes):
        vals: dict[str, float] = {}
        for b, t in trees.items():
            v = t.nodes[j].score.value
            if v is not None:
                vals[b] = v
        own_v = nd.score.value
        if not vals or own_v is None:
            out[nd.id] = {"status": "insufficient_data", "reason": f"node {nd.path}: no scores to compare"}
            continue
        best = max(vals, key=lambda k: vals[k])
        g = vals[best] - own_v
        if boot is not None and np.isfinite(boot[0][j]):
            gap = Estimate(value=g, n=nd.score.n, ci=(float(boot[0][j]), float(boot[1][j])), se=float(boot[2][j]))
            gd: dict[str, Any] = {**gap.to_dict(), "ci_method": boot[3]}
        else:
            note = "bootstrap off (n_boot = 0)" if boot is None else "too few bootstrap replicates with scores"
            gd = Estimate(value=g, n=nd.score.n, ci=None, ci_note=note).to_dict()
        out[nd.id] = {"best_brand": best, "best": trees[best].nodes[j].score.to_dict(), "own": nd.score.to_dict(),
                      "gap": gd}
    return out


def compare_brands(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    own: str | None = None,
    competitors: Sequence[str] | None = None,
    own_tree: TreeResult | None = None,
    trees: dict[str, TreeResult] | None = None,
    n_boot: int = DEFAULTS.n_boot,
    conf: float = DEFAULTS.conf,
    alpha: float = DEFAULTS.alpha,
    random_state: int = 0,
) -> dict[str, Any]:
    """Our brand against each competitor: index (bootstrap CI of the difference + test; primary family, raw p),
    nodes and items (secondary family, Holm-adjusted together); plus the gap to the best brand. Competitors
    nobody rated are reported as insufficient data. Competitor trees reuse the own brand's weights (derived
    weights included); precomputed trees (respondent_level=True) can be passed in ``trees`` by brand id.
    """
    own = own or definition.own_brand.id
    comps = list(competitors) if competitors is not None else [b for b in definition.brand_ids if b != own]
    if own_tree is None:
        own_tree = compute_tree(definition, data, brand=own)
    keys = np.arange(data.n).astype(str).astype(object)
    fa = Frame(own, own_tree, data, keys)
    rng = np.random.default_rng(random_state)
    results: list[dict[str, Any]] = []
    out: dict[str, Any] = {"own": own, "competitors": {}}
    given = dict(trees or {})
    trees = {own: own_tree}
    for c in comps:
        try:
            tc = given.get(c) or compute_tree(definition, data, brand=c, weights=own_tree.node_weights)
        except ValueError as exc:
            out["competitors"][c] = {"status": "insufficient_data", "reason": str(exc)}
            continue
        trees[c] = tc
        r = compare_frames(fa, Frame(c, tc, data, keys), n_boot=n_boot, conf=conf, random_state=rng)
        results.append(r)
        out["competitors"][c] = r
    out["multiplicity"] = _families(results, alpha)
    out["gap_to_best"] = gap_to_best(trees, own, data, n_boot=n_boot, conf=conf, random_state=rng)
    return out


def compare_waves(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    latest: str | None = None,
    previous: str | None = None,
    brand: str | None = None,
    weights: dict[str, NDArray[np.float64]] | None = None,
    n_boot: int = DEFAULTS.n_boot,
    conf: float = DEFAULTS.conf,
    alpha: float = DEFAULTS.alpha,
    random_state: int = 0,
) -> dict[str, Any]:
    """Latest period against the previous one (definition order of waves present in the data), with the same
    tests: paired when respondents (by respondent id) answered both waves per the pairing rule, Welch
    otherwise. Returns ``{"status": "insufficient_data", ...}`` with fewer than two waves.
    """
    present = [w for w in definition.wave_ids() if (data.wave == w).any()]
    if latest is None or previous is None:
        if len(present) < 2:
            return {"status": "insufficient_data",
                    "reason": f"waves comparison needs two waves with responses, found {present or 'none'}"}
        latest, previous = latest or present[-1], previous or present[present.index(latest or present[-1]) - 1]
    da, db = data.filter(wave=latest), data.filter(wave=previous)
    try:
        ta = compute_tree(definition, da, brand=brand, weights=weights)
        tb = compute_tree(definition, db, brand=brand, weights=weights or ta.node_weights)
    except ValueError as exc:
        return {"status": "insufficient_data", "reason": str(exc), "latest": latest, "previous": previous}
    r = compare_frames(Frame(str(latest), ta, da, da.respondent_id), Frame(str(previous), tb, db, db.respondent_id),
                       n_boot=n_boot, conf=conf, random_state=random_state)
    fam = _families([r], alpha)
    return {"latest": latest, "previous": previous, **r, "multiplicity": fam}
