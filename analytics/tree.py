"""Weighted-average CSI over the indicator tree, any depth (加权平均法; methods.md section 3).

Node score = sum_c w_c * score_c over its children; a leaf's score is its item's mean 0-100 score (each item
over its own n); the CSI is the root's score. Sibling weights come from the definition (given, AHP, equal) or
from data (entropy, CRITIC, regression on the children's respondent-level scores) and must sum to 1
(tolerance 1e-6; otherwise ``ValueError`` with the node's path).

Missing data
------------
* Respondent level: for each respondent the weights of answered siblings are renormalised; a node with no
  answered children is missing (NaN). Used for distributions, segments and paired tests.
* Aggregate: the same rule applied to the item means: an item nobody answered drops out and its siblings'
  weights are renormalised (reported in ``warnings`` and as ``renormalised`` on the node), so the index is
  never a silent NaN. With no missing data the aggregate index equals the (weighted) mean of the
  respondent-level indices exactly.

Confidence intervals: delta method
----------------------------------
With all items available a node score is linear in the item means, I = sum_j c_j m_j, c_j the product of the
(renormalised) weights on the path from the node to leaf j. Each item mean m_j = sum_i w_i o_ij x_ij / W_j
(o_ij = 1 when answered, W_j = sum_i w_i o_ij) is a ratio estimator with linearised values
z_ij = w_i o_ij (x_ij - m_j) / W_j, so respondent i's influence on I is u_i = sum_j c_j z_ij and

    var(I) = n/(n-1) * sum_i u_i^2                      (Woodruff 1971; Kish 1965; Deville 1999)

This is the delta method with the full item covariance matrix estimated on pairwise-available answers: it
accounts for the correlation between items and for each item's own n, so it is honest under missing data
and with survey weights. The interval is I +- t_{n_eff-1} se. The coverage is checked by simulation in
``tests/analytics/test_coverage.py``. (Bootstrap intervals for differences of indices are in
`analytics.benchmark`.)

Sufficient statistics (the streamed path)
-----------------------------------------
Everything above the respondent level is a function of a few sums over respondents (`TreeStatistics`): the
per-item histogram (count, sum w, sum w^2 per code; it gives n_j, W_j and m_j), per node the respondents with an
answer under it with their sum w and sum w^2 (for n_eff), the frame size n, and the matrix
M = sum_i w_i^2 d_i d_i' with d_ij = o_ij (x_ij - m_j). `compute_tree` makes them in one pass over codes in
memory; `TreeAccumulator` adds them up chunk by chunk, and both finish with the same step
(`tree_from_statistics`). Since m_j is unknown until the last chunk, the accumulator keeps, around a fixed
provisional centre c_j (the first chunk's item means) with x'_ij = x_ij - c_j and p_ij = w_i o_ij,

    S2 = sum_i (p_i x'_i)(p_i x'_i)',  S1 = sum_i (p_i x'_i) p_i',  S0 = sum_i p_i p_i'

and centres at the end with delta = m - c (the usual shift of a sum of cross-products, e.g. Chan, Golub &
LeVeque 1983):

    M = S2 - S1 diag(delta) - diag(delta) S1' + S0 * (delta delta')

The centre keeps |delta| small, so the subtraction loses few digits; the test suite checks it against the
centred one-pass M to 1e-9. Derived weights (entropy, CRITIC, regression) need respondent-level child scores,
so the statistics-only path refuses them (`NeedsRespondentData`) unless weights are given explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.data import ResponseData
from analytics.inference import Estimate, t_quantile
from analytics.itemstats import ItemStats, checked_histogram, histogram_means, stats_from_histogram
from analytics.scoring import ItemScoring, item_scoring, score_matrix
from analytics.weights import (
    Weights,
    ahp,
    critic_weights,
    entropy_weights,
    equal_weights,
    regression_importance,
    validate_weights,
)
from survey_defs.schema import IndicatorNode, SurveyDefinition

__all__ = [
    "FlatNode",
    "NeedsRespondentData",
    "NodeResult",
    "TreeAccumulator",
    "TreeResult",
    "TreeStatistics",
    "compute_tree",
    "fixed_node_weights",
    "flatten",
    "index_from_means",
    "propagate",
    "tree_from_statistics",
]

WEIGHT_TOL = 1e-6
_BLOCK = 1 << 13  # rows per block in the moment pass: the block's temporaries stay in cache


@dataclass(frozen=True)
class FlatNode:
    """A node of the flattened tree (pre-order: parents before children)."""

    index: int
    id: str
    path: str
    level: int
    parent: int
    children: tuple[int, ...]
    item: str | None
    node: IndicatorNode


def flatten(root: IndicatorNode) -> list[FlatNode]:
    """Pre-order list of the nodes with their paths (``root/child/...``).

    Raises ``ValueError`` for a leaf without an item, a parent with an item, or duplicated node ids.
    """
    out: list[FlatNode] = []
    seen: set[str] = set()

    def visit(node: IndicatorNode, parent: int, path: str, level: int) -> int:
        idx = len(out)
        p = f"{path}/{node.id}" if path else node.id
        if node.id in seen:
            raise ValueError(f"indicator tree: node id {node.id!r} is used twice ({p})")
        seen.add(node.id)
        if node.is_leaf and not node.item:
            raise ValueError(f"indicator node {p}: a leaf must name an item")
        if not node.is_leaf and node.item:
            raise ValueError(f"indicator node {p}: a node with children cannot also name an item")
        out.append(FlatNode(idx, node.id, p, level, parent, (), node.item, node))
        kids = tuple(visit(c, idx, p, level + 1) for c in node.children)
        out[idx] = FlatNode(idx, node.id, p, level, parent, kids, node.item, node)
        return idx

    visit(root, -1, "", 0)
    return out


def propagate(
    leaf_scores: NDArray[np.float64],
    nodes: list[FlatNode],
    leaf_col: Mapping[int, int],
    node_weights: Mapping[int, NDArray[np.float64]],
    upto: int | None = None,
) -> NDArray[np.float64]:
    """Node scores for each row of ``leaf_scores`` (rows = respondents, or item-mean vectors).

    For every parent, bottom-up: score = sum_{c answered} w_c s_c / sum_{c answered} w_c; NaN when no child is
    answered (methods.md section 3). Returns (rows, n_nodes).
    """
    r = leaf_scores.shape[0]
    out = np.full((r, len(nodes)), np.nan)
    for nd in reversed(nodes):
        if nd.item is not None:
            out[:, nd.index] = leaf_scores[:, leaf_col[nd.index]]
            continue
        if nd.index not in node_weights:
            continue
        out[:, nd.index] = _combine(out[:, list(nd.children)], node_weights[nd.index])
    return out


@dataclass(frozen=True)
class NodeResult:
    """One node of the computed tree."""

    id: str
    path: str
    level: int
    label: dict[str, str] | None
    item: str | None
    parent: str | None
    weight: float | None
    """This node's weight among its siblings as used (after any renormalisation); None for the root."""
    nominal_weight: float | None
    """The weight from the definition / AHP / data before renormalisation."""
    score: Estimate
    weight_source: str | None = None
    """For a parent: where its children's weights come from (given, ahp, equal, entropy, critic, regression,
    override)."""
    weight_diagnostics: dict[str, object] = field(default_factory=dict)
    renormalised: bool = False


@dataclass(frozen=True, eq=False)
class TreeResult:
    """The weighted index tree for one frame of respondents (one brand)."""

    brand: str | None
    nodes: list[NodeResult]
    items: list[str]
    item_means: NDArray[np.float64]
    item_n: NDArray[np.int64]
    coefficients: NDArray[np.float64]
    """(n_items, n_nodes): node score = coefficients[:, node] @ item_means."""
    node_weights: dict[str, NDArray[np.float64]]
    """Parent id -> its children's weights (nominal, before renormalisation); reuse them for other frames."""
    rows: NDArray[np.bool_]
    """Which respondents of the input data form the frame (those who rated the brand for per-brand items)."""
    respondent_scores: NDArray[np.float64] | None
    """(frame rows, n_nodes) respondent-level node scores, or None when not requested."""
    weights: NDArray[np.float64] | None
    flat: list[FlatNode] = field(default_factory=list)
    leaf_col: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    histogram: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]] | None = None
    rules: list[ItemScoring] = field(default_factory=list)

    def item_stats(self, top_box: list[int] | None = None, conf: float = 0.95) -> list[ItemStats]:
        """Item statistics of the tree's items on the frame, from the histogram already computed (no new pass).

        ``top_box`` defaults to 2 for every item; pass ``Scale.top_box_count`` per item for the scale's rule.
        """
        if self.histogram is None:  # pragma: no cover - always set by compute_tree
            raise ValueError("no histogram stored")
        return stats_from_histogram(self.histogram, self.rules, top_box or [2] * len(self.rules), conf)

    @cached_property
    def by_id(self) -> dict[str, NodeResult]:
        return {nd.id: nd for nd in self.nodes}

    @property
    def root(self) -> NodeResult:
        return self.nodes[0]

    @property
    def index(self) -> Estimate:
        """The CSI: the root's score with its CI."""
        return self.nodes[0].score

    def respondent_index(self, node: str | None = None) -> NDArray[np.float64]:
        """Respondent-level scores of ``node`` (default: the root) for the frame's respondents."""
        if self.respondent_scores is None:
            raise ValueError("respondent-level scores were not computed (pass respondent_level=True)")
        j = 0 if node is None else [nd.id for nd in self.nodes].index(node)
        return self.respondent_scores[:, j]


def _static_weights(nd: FlatNode, nodes: list[FlatNode]) -> Weights | None:
    kids = [nodes[c] for c in nd.children]
    names = [k.id for k in kids]
    node = nd.node
    if node.ahp is not None:
        a = np.asarray(node.ahp, dtype=np.float64)
        if a.shape != (len(kids), len(kids)):
            raise ValueError(
                f"indicator node {nd.path}: AHP matrix is {a.shape[0]}x{a.shape[1] if a.ndim == 2 else 0} "
                f"but the node has {len(kids)} children ({', '.join(names)})"
            )
        try:
            return ahp(a, names)
        except ValueError as exc:
            raise ValueError(f"indicator node {nd.path}: {exc}") from None
    if node.derive is not None:
        return None
    if node.equal:
        return equal_weights(names)
    given = [k.node.weight for k in kids]
    absent = [k.id for k, g in zip(kids, given, strict=True) if g is None]
    if absent:
        raise ValueError(f"indicator node {nd.path}: children {', '.join(absent)} have no weight")
    w = validate_weights([float(g) for g in given if g is not None], names, f"indicator node {nd.path}", WEIGHT_TOL)
    return Weights(names, w, "given")


def _derived_weights(
    nd: FlatNode,
    nodes: list[FlatNode],
    child_scores: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    outcome: NDArray[np.float64] | None,
) -> Weights:
    names = [nodes[c].id for c in nd.children]
    method = nd.node.derive
    try:
        if method == "entropy":
            return entropy_weights(child_scores, w, names)
        if method == "critic":
            return critic_weights(child_scores, w, names)
        if outcome is None:
            raise ValueError("regression weights need an overall satisfaction item (loyalty.satisfaction_item)")
        return regression_importance(child_scores, outcome, w, names, shapley=False)
    except ValueError as exc:
        raise ValueError(f"indicator node {nd.path}: {exc}") from None


class NeedsRespondentData(ValueError):
    """The statistic needs respondent-level data (derived weights), not only sufficient statistics."""


@dataclass(frozen=True)
class _Layout:
    """The flattened tree with its leaf items and their scoring rules (the same for every frame)."""

    nodes: list[FlatNode]
    items: list[str]
    leaf_col: dict[int, int]
    rules: list[ItemScoring]
    per_brand: bool


def _layout(definition: SurveyDefinition) -> _Layout:
    root = definition.indicators
    if root is None:
        raise ValueError(f"survey {definition.slug!r} has no indicator tree")
    nodes = flatten(root)
    items: list[str] = []
    leaf_col: dict[int, int] = {}
    for nd in nodes:
        if nd.item is None:
            continue
        if nd.item not in definition.item_map:
            raise ValueError(f"indicator node {nd.path}: unknown item {nd.item!r}")
        if nd.item not in items:
            items.append(nd.item)
        leaf_col[nd.index] = items.index(nd.item)
    rules = [item_scoring(definition, i) for i in items]
    per_brand = any(definition.is_per_brand(i) for i in items)
    return _Layout(nodes, items, leaf_col, rules, per_brand)


def _frame_brand(definition: SurveyDefinition, lay: _Layout, brand: str | None) -> str | None:
    return (brand or definition.own_brand.id) if lay.per_brand else brand


def _frame(data: ResponseData, lay: _Layout, brand_id: str | None) -> NDArray[np.bool_]:
    """Which respondents form the frame: those who rated the brand when a leaf item is asked per brand."""
    return data.rated(brand_id) if lay.per_brand else np.ones(data.n, dtype=bool)


def _no_frame(brand_id: str | None) -> ValueError:
    return ValueError(
        f"no respondents{'' if brand_id is None else f' rated brand {brand_id!r}'}: cannot compute the index"
    )


def _overrides(lay: _Layout, weights: Mapping[str, ArrayLike] | None) -> dict[str, ArrayLike]:
    overrides = dict(weights or {})
    known_ids = {nd.id for nd in lay.nodes if nd.children}
    unknown = sorted(set(overrides) - known_ids)
    if unknown:
        raise ValueError(f"weights given for unknown or leaf nodes: {', '.join(unknown)}")
    return overrides


def _fixed_weights(nd: FlatNode, nodes: list[FlatNode], overrides: Mapping[str, ArrayLike]) -> Weights | None:
    """The children's weights when they do not depend on the data (override, given, AHP, equal); None when the
    node derives them from the data."""
    if nd.id in overrides:
        names = [nodes[c].id for c in nd.children]
        return Weights(names, validate_weights(overrides[nd.id], names, f"indicator node {nd.path}", WEIGHT_TOL),
                       "override")
    return _static_weights(nd, nodes)


def _weight_warnings(nd: FlatNode, wt: Weights) -> list[str]:
    out = []
    if isinstance(wt.diagnostics.get("consistent"), bool) and not wt.diagnostics["consistent"]:
        out.append(f"indicator node {nd.path}: AHP matrix {wt.diagnostics['message']}")
    if wt.diagnostics.get("zeroed"):
        out.append(f"indicator node {nd.path}: {wt.diagnostics.get('message')}")
    return out


def _missing_warnings(items: list[str], W: NDArray[np.float64]) -> list[str]:
    return [f"item {items[j]!r} has no answers; its siblings' weights were renormalised" for j in
            np.flatnonzero(W <= 0)]


def fixed_node_weights(
    definition: SurveyDefinition, weights: Mapping[str, ArrayLike] | None = None
) -> tuple[dict[int, NDArray[np.float64]], dict[int, Weights], list[str]]:
    """Every parent's children's weights without looking at data (flat node index -> weights), their sources
    and warnings; `NeedsRespondentData` when a node derives its weights from the data and no override is given.
    """
    lay = _layout(definition)
    overrides = _overrides(lay, weights)
    nw: dict[int, NDArray[np.float64]] = {}
    wsrc: dict[int, Weights] = {}
    warnings: list[str] = []
    for nd in reversed(lay.nodes):
        if nd.item is not None:
            continue
        wt = _fixed_weights(nd, lay.nodes, overrides)
        if wt is None:
            raise NeedsRespondentData(
                f"indicator node {nd.path} derives its weights from respondent-level scores ({nd.node.derive})")
        warnings.extend(_weight_warnings(nd, wt))
        nw[nd.index] = wt.weights
        wsrc[nd.index] = wt
    return nw, wsrc, warnings


@dataclass(frozen=True, eq=False)
class TreeStatistics:
    """The sums over one frame of respondents that the aggregate tree and its delta-method CIs need.

    ``n`` is the frame size; ``histogram`` the (count, sum w, sum w^2) code histogram per item
    (`analytics.itemstats.code_histogram` layout); ``M`` = sum_i w_i^2 d_i d_i' centred at the item means
    (module docstring); ``node_n``, ``sw``, ``sw2`` per flat node: respondents with an answer under the node and
    their sum of weights and of squared weights.
    """

    n: int
    histogram: tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]
    M: NDArray[np.float64]
    node_n: NDArray[np.int64]
    sw: NDArray[np.float64]
    sw2: NDArray[np.float64]


def compute_tree(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    brand: str | None = None,
    weights: Mapping[str, ArrayLike] | None = None,
    conf: float = 0.95,
    respondent_level: bool = True,
    outcome_item: str | None = None,
) -> TreeResult:
    """Compute every node score of the indicator tree with CIs, for one brand.

    Parameters
    ----------
    brand : whose ratings the per-brand leaves use (default: the own brand); the frame is the respondents who
        rated it. Respondent-level leaves are the same for every brand.
    weights : node id -> children's weights, overriding the definition (e.g. the own brand's derived weights
        when scoring competitors). Validated against the children (length, sum 1).
    respondent_level : also compute respondent-level node scores (needed for derived weights, segments and
        paired tests; skip for speed).
    outcome_item : the overall-satisfaction item for ``derive: regression`` (default
        ``definition.loyalty.satisfaction_item``).

    Raises
    ------
    ValueError
        No indicator tree; an unknown or unscored leaf item; weights that do not match or do not sum to 1
        (with the node path); no respondents in the frame; no answers at all under the root.
    """
    lay = _layout(definition)
    nodes, items, leaf_col, rules = lay.nodes, lay.items, lay.leaf_col, lay.rules
    brand_id = _frame_brand(definition, lay, brand)
    rows = _frame(data, lay, brand_id)
    all_rows = bool(rows.all())
    n = int(rows.sum())
    if n == 0:
        raise _no_frame(brand_id)
    codes = data.code_matrix(items, brand_id)
    if not all_rows:
        codes = codes[rows]
    w = None if data.weight is None else (data.weight if all_rows else data.weight[rows])
    hist = checked_histogram(codes, rules, w)
    _, W, m = histogram_means(hist, rules)
    warnings = _missing_warnings(items, W)

    # ---- weights, bottom-up (derived weights need the children's respondent-level scores)
    overrides = _overrides(lay, weights)
    has_derived = any(nd.node.derive is not None and nd.id not in overrides for nd in nodes if nd.children)
    need_resp = respondent_level or has_derived
    nw: dict[int, NDArray[np.float64]] = {}
    wsrc: dict[int, Weights] = {}
    R = np.full((n, len(nodes)), np.nan) if need_resp else None
    X = score_matrix(codes, rules) if need_resp else None
    outcome = None
    for nd in reversed(nodes):
        if nd.item is not None:
            if R is not None and X is not None:
                R[:, nd.index] = X[:, leaf_col[nd.index]]
            continue
        wt = _fixed_weights(nd, nodes, overrides)
        if wt is None and R is not None:
            if nd.node.derive == "regression" and outcome is None:
                oid = outcome_item or (definition.loyalty.satisfaction_item if definition.loyalty else None)
                if oid is not None:
                    outcome = data.scores(oid, brand_id if definition.is_per_brand(oid) else None)
                    outcome = outcome if all_rows else outcome[rows]
            wt = _derived_weights(nd, nodes, R[:, list(nd.children)], w, outcome)
        if wt is None:  # pragma: no cover - R exists whenever a node derives its weights
            raise ValueError(f"indicator node {nd.path}: derived weights need respondent-level scores")
        warnings.extend(_weight_warnings(nd, wt))
        nw[nd.index] = wt.weights
        wsrc[nd.index] = wt
        if R is not None:
            R[:, nd.index] = _combine(R[:, list(nd.children)], wt.weights)

    M, node_n, sw, sw2 = _moments(codes, rules, m, w, nodes, leaf_col)
    stats = TreeStatistics(n, hist, M, node_n, sw, sw2)
    return _finish(lay, stats, nw, wsrc, warnings, brand_id, conf, rows=rows,
                   respondent_scores=R if respondent_level else None, weights=w)


def tree_from_statistics(
    definition: SurveyDefinition,
    stats: TreeStatistics,
    *,
    brand: str | None = None,
    weights: Mapping[str, ArrayLike] | None = None,
    conf: float = 0.95,
) -> TreeResult:
    """The tree of `compute_tree` from its sufficient statistics alone (e.g. `TreeAccumulator.statistics`).

    Node scores, CIs, renormalisation and warnings are those `compute_tree` gives on the same respondents (it
    ends in the same step). The weights must not depend on respondent-level data: a node with ``derive`` and
    no entry in ``weights`` raises `NeedsRespondentData`. The result has no respondent-level scores and an
    empty ``rows`` (the frame's respondents are not known here).
    """
    lay = _layout(definition)
    brand_id = _frame_brand(definition, lay, brand)
    nw, wsrc, wwarn = fixed_node_weights(definition, weights)
    if stats.n == 0:
        raise _no_frame(brand_id)
    _, W, _ = histogram_means(stats.histogram, lay.rules)
    return _finish(lay, stats, nw, wsrc, _missing_warnings(lay.items, W) + wwarn, brand_id, conf,
                   rows=np.zeros(0, dtype=bool), respondent_scores=None, weights=None)


def _finish(
    lay: _Layout,
    stats: TreeStatistics,
    nw: dict[int, NDArray[np.float64]],
    wsrc: dict[int, Weights],
    warnings: list[str],
    brand_id: str | None,
    conf: float,
    *,
    rows: NDArray[np.bool_],
    respondent_scores: NDArray[np.float64] | None,
    weights: NDArray[np.float64] | None,
) -> TreeResult:
    """From the statistics and the weights to node scores, delta-method CIs and the TreeResult (module
    docstring): the step the in-memory and the streamed path share."""
    nodes, items, leaf_col, rules = lay.nodes, lay.items, lay.leaf_col, lay.rules
    n = stats.n
    item_n, W, m = histogram_means(stats.histogram, rules)

    # ---- aggregate scores and coefficients (renormalising over unavailable items)
    k = len(items)
    C = np.zeros((k, len(nodes)))
    avail = np.zeros(len(nodes), dtype=bool)
    used_w = np.full(len(nodes), np.nan)
    renorm = np.zeros(len(nodes), dtype=bool)
    for nd in reversed(nodes):
        if nd.item is not None:
            j = leaf_col[nd.index]
            avail[nd.index] = W[j] > 0
            if avail[nd.index]:
                C[j, nd.index] = 1.0
            continue
        kids = np.array(nd.children)
        ok = avail[kids]
        if not ok.any():
            continue
        avail[nd.index] = True
        wk = np.where(ok, nw[nd.index], 0.0)
        if wk.sum() <= 0:  # only zero-weight children answered
            avail[nd.index] = False
            continue
        renorm[nd.index] = not ok.all()
        wk = wk / wk.sum()
        used_w[kids] = wk
        C[:, nd.index] = C[:, kids] @ wk
    if not avail[0]:
        raise ValueError("no answers to any item of the indicator tree: cannot compute the index")
    scores = C.T @ np.nan_to_num(m)

    # ---- delta-method standard errors (linearisation), all nodes at once
    with np.errstate(invalid="ignore", divide="ignore"):
        A = np.where(W[:, None] > 0, C / np.where(W > 0, W, 1.0)[:, None], 0.0)
    node_n, sw, sw2 = stats.node_n, stats.sw, stats.sw2
    var = (n / (n - 1) if n > 1 else np.nan) * np.einsum("jn,jk,kn->n", A, stats.M, A)
    node_neff = sw * sw / np.maximum(sw2, 1e-300)
    smin = np.array([r.score_min for r in rules])
    smax = np.array([r.score_max for r in rules])

    results: list[NodeResult] = []
    for nd in nodes:
        j = nd.index
        leaves = C[:, j] > 0
        if not avail[j]:
            est = Estimate.insufficient(0, f"indicator node {nd.path}: no answers to any of its items")
        elif node_n[j] < 2 or not np.isfinite(var[j]):
            est = Estimate(value=float(scores[j]), n=int(node_n[j]), ci=None, status="insufficient_data",
                           reason=f"indicator node {nd.path}: fewer than 2 respondents, no confidence interval")
        else:
            se = float(np.sqrt(max(var[j], 0.0)))
            h = t_quantile(max(node_neff[j] - 1.0, 1.0), conf) * se
            lo_b, hi_b = float(smin[leaves[:k]].min()), float(smax[leaves[:k]].max())
            est = Estimate(value=float(scores[j]), n=int(node_n[j]),
                           ci=(max(scores[j] - h, lo_b), min(scores[j] + h, hi_b)), se=se,
                           n_eff=float(node_neff[j]))
        src = wsrc.get(j)
        parent = nodes[nd.parent] if nd.parent >= 0 else None
        nominal = None
        if parent is not None:
            nominal = float(nw[parent.index][parent.children.index(j)])
        results.append(NodeResult(
            id=nd.id, path=nd.path, level=nd.level, label=dict(nd.node.label) if nd.node.label else None,
            item=nd.item, parent=parent.id if parent else None,
            weight=None if parent is None or np.isnan(used_w[j]) else float(used_w[j]),
            nominal_weight=nominal, score=est,
            weight_source=src.method if src else None,
            weight_diagnostics=_diag(src) if src else {},
            renormalised=bool(renorm[j]),
        ))
    return TreeResult(
        brand=brand_id, nodes=results, items=items, item_means=m, item_n=item_n, coefficients=C,
        node_weights={nodes[i].id: v for i, v in nw.items()}, rows=rows,
        respondent_scores=respondent_scores, weights=weights, flat=nodes, leaf_col=leaf_col,
        warnings=warnings, histogram=stats.histogram, rules=rules,
    )


class TreeAccumulator:
    """`TreeStatistics` of one brand's frame, added up chunk by chunk: memory O(items^2), whatever n.

    ``add`` takes whole respondents (a `ResponseData` chunk, filters and exclusions already applied);
    ``statistics`` centres the cross-products at the final item means (module docstring). Chunks of any size
    (one respondent included) give the same statistics as one pass over all of them, up to rounding.
    """

    def __init__(self, definition: SurveyDefinition, *, brand: str | None = None) -> None:
        self.definition = definition
        self._lay = _layout(definition)
        self.brand = _frame_brand(definition, self._lay, brand)
        k, nn = len(self._lay.items), len(self._lay.nodes)
        self.n = 0
        self._hist: list[NDArray[np.float64]] | None = None
        self._centre: NDArray[np.float64] | None = None
        self._S2 = np.zeros((k, k))
        self._S1 = np.zeros((k, k))
        self._S0 = np.zeros((k, k))
        self._node_n = np.zeros(nn, dtype=np.int64)
        self._sw = np.zeros(nn)
        self._sw2 = np.zeros(nn)
        self._nw: dict[int, NDArray[np.float64]] | None = None

    @property
    def items(self) -> list[str]:
        return self._lay.items

    def frame(self, data: ResponseData) -> NDArray[np.bool_]:
        """Which respondents of ``data`` belong to the frame (rated the brand, for per-brand leaves)."""
        return _frame(data, self._lay, self.brand)

    @property
    def score_bounds(self) -> tuple[float, float]:
        """The lowest and highest 0-100 score any leaf item can take (the range of an index)."""
        return (min(r.score_min for r in self._lay.rules), max(r.score_max for r in self._lay.rules))

    def respondent_index(self, data: ResponseData, rows: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
        """Respondent-level root scores of the frame's respondents in ``data`` (weights renormalised over each
        respondent's answered siblings, methods.md section 3; NaN with no answer under the root), with the
        tree's fixed weights (`NeedsRespondentData` if a node derives them)."""
        lay = self._lay
        if self._nw is None:
            self._nw = fixed_node_weights(self.definition)[0]
        rows = self.frame(data) if rows is None else rows
        codes = data.code_matrix(lay.items, self.brand)
        X = score_matrix(codes[rows] if not rows.all() else codes, lay.rules)
        return propagate(X, lay.nodes, lay.leaf_col, self._nw)[:, 0]

    def add(self, data: ResponseData, rows: NDArray[np.bool_] | None = None) -> None:
        """Add the frame's respondents of one chunk (``rows``: the frame mask, when already known)."""
        lay = self._lay
        rows = self.frame(data) if rows is None else rows
        m = int(rows.sum())
        if m == 0:
            return
        codes = data.code_matrix(lay.items, self.brand)
        w = data.weight
        if m < data.n:
            codes = codes[rows]
            w = None if w is None else w[rows]
        hist = checked_histogram(codes, lay.rules, w)
        if self._hist is None:
            self._hist = [hist[0].copy(), hist[1].copy(), hist[2].copy()]
            _, _, mean = histogram_means(hist, lay.rules)
            self._centre = np.where(np.isnan(mean), 50.0, mean)
        else:
            for acc, h in zip(self._hist, hist, strict=True):
                acc += h
        assert self._centre is not None
        S2, node_n, sw, sw2, S1, S0 = _moments(codes, lay.rules, self._centre, w, lay.nodes, lay.leaf_col,
                                               cross=True)
        self._S2 += S2
        self._S1 += S1
        self._S0 += S0
        self._node_n += node_n
        self._sw += sw
        self._sw2 += sw2
        self.n += m

    def statistics(self) -> TreeStatistics:
        """The accumulated statistics, M centred at the item means of all chunks added."""
        lay = self._lay
        if self._hist is None or self._centre is None:
            k, width = len(lay.items), max((r.max for r in lay.rules), default=0) + 3
            z = np.zeros((k, width))
            return TreeStatistics(0, (z.astype(np.int64), z, z.copy()), np.zeros((k, k)), self._node_n,
                                  self._sw, self._sw2)
        hist = (self._hist[0].astype(np.int64), self._hist[1], self._hist[2])
        _, _, m = histogram_means(hist, lay.rules)
        delta = np.nan_to_num(m) - self._centre
        delta[np.isnan(m)] = 0.0  # no answers: every sum of the item is 0
        S1d = self._S1 * delta[None, :]
        M = self._S2 - S1d - S1d.T + self._S0 * np.outer(delta, delta)
        return TreeStatistics(self.n, hist, M, self._node_n.copy(), self._sw.copy(), self._sw2.copy())


def _moments(
    codes: NDArray[np.integer],
    rules: list[ItemScoring],
    centre: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    nodes: list[FlatNode],
    leaf_col: Mapping[int, int],
    cross: bool = False,
) -> tuple[NDArray[np.float64], ...]:
    """One blocked pass over the codes: M = sum_i w_i^2 d_i d_i' with d_ij = o_ij (x_ij - c_j) (the pairwise-
    available item covariance behind the delta method when c = the item means), and per node the number of
    respondents with an answer under it, with their sum of weights and of squared weights (for n_eff). Answer
    counts per node are summed up the tree (children's rows), which is cheaper than a matrix product with the
    leaf-membership matrix.

    Returns (M, node_n, sw, sw2), and with ``cross`` also S1 = sum_i (w_i d_i)(w_i o_i)' and
    S0 = sum_i (w_i o_i)(w_i o_i)', the terms that re-centre M at other means (module docstring)."""
    k = len(rules)
    a = np.array([r.offset for r in rules]) - np.nan_to_num(centre)
    b = np.array([r.slope for r in rules])
    nn = len(nodes)
    M = np.zeros((k, k))
    Z2 = np.zeros((2 * k, 2 * k)) if cross else None  # [d, p]'[d, p]: M, S1 and S0 in one product
    node_n = np.zeros(nn, dtype=np.int64)
    sw = np.zeros(nn)
    sw2 = np.zeros(nn)
    post = [(nd.index, leaf_col.get(nd.index), list(nd.children)) for nd in reversed(nodes)]
    for r0 in range(0, codes.shape[0], _BLOCK):
        cb = codes[r0 : r0 + _BLOCK]
        valid = cb >= 0
        d = cb * b
        d += a
        d *= valid
        vt = np.ascontiguousarray(valid.T).view(np.int8)
        cnt = np.empty((nn, cb.shape[0]), dtype=np.int16)
        for j, col, kids in post:
            if col is not None:
                cnt[j] = vt[col]
            else:
                np.sum(cnt[kids], axis=0, out=cnt[j])
        under = cnt > 0
        node_n += np.count_nonzero(under, axis=1)
        if w is not None:
            wb = w[r0 : r0 + _BLOCK]
            d *= wb[:, None]
            sw += np.where(under, wb, 0.0).sum(axis=1)
            sw2 += np.where(under, wb * wb, 0.0).sum(axis=1)
        if Z2 is None:
            M += d.T @ d
            continue
        z = np.empty((cb.shape[0], 2 * k))
        z[:, :k] = d
        np.multiply(valid, 1.0 if w is None else wb[:, None], out=z[:, k:])
        Z2 += z.T @ z
    if w is None:
        sw = node_n.astype(np.float64)
        sw2 = sw
    if Z2 is not None:
        return Z2[:k, :k].copy(), node_n, sw, sw2, Z2[:k, k:].copy(), Z2[k:, k:].copy()
    return M, node_n, sw, sw2


def _combine(s: NDArray[np.float64], wc: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted mean over answered children with renormalised weights; NaN when none answered."""
    ans = ~np.isnan(s)
    den = ans @ wc
    num = np.where(ans, s, 0.0) @ wc
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _diag(wt: Weights) -> dict[str, object]:
    d: dict[str, object] = {"weights": wt.as_dict()}
    for k, v in wt.diagnostics.items():
        d[k] = v.tolist() if isinstance(v, np.ndarray) else v
    beta = getattr(wt, "beta", None)
    if beta is not None and len(beta):
        d["beta"] = dict(zip(wt.names, map(float, beta), strict=True))
        d["vif"] = dict(zip(wt.names, map(float, wt.vif), strict=True))  # type: ignore[attr-defined]
        d["adj_r2"] = float(wt.adj_r2)  # type: ignore[attr-defined]
        d["condition_number"] = float(wt.condition_number)  # type: ignore[attr-defined]
    return d


def index_from_means(result: TreeResult, means: NDArray[np.float64], node: str | None = None) -> NDArray[np.float64]:
    """Score of ``node`` (default: the root) for each row of ``means`` ((r, n_items) item means, NaN =
    unavailable), with the tree's nominal weights and the renormalisation rule of methods.md section 3.

    Used by the bootstrap in `analytics.benchmark`; equals the aggregate score for ``means = item_means``.
    """
    flat = result.flat
    nw = {nd.index: result.node_weights[nd.id] for nd in flat if nd.children}
    out = propagate(np.atleast_2d(means), flat, result.leaf_col, nw)
    j = 0 if node is None else [nd.id for nd in flat].index(node)
    return out[:, j]
