"""Sufficient statistics of the indicator tree (the streamed path).

Everything above the respondent level is a function of a few sums over respondents (`TreeStatistics`): the
per-item histogram (count, sum w, sum w^2 per code; it gives n_j, W_j and m_j), per node the respondents with an
answer under it with their sum w and sum w^2 (for n_eff), the frame size n, and the matrix
M = sum_i w_i^2 d_i d_i' with d_ij = o_ij (x_ij - m_j). `analytics.tree.compute_tree` makes them in one pass
over codes in memory; `TreeAccumulator` adds them up chunk by chunk, and both finish with the same step
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
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.data import ResponseData
from analytics.inference import Estimate, t_quantile
from analytics.itemstats import OFFSET, checked_histogram, histogram_means
from analytics.scoring import ItemScoring, score_matrix
from analytics.tree_nodes import (
    FlatNode,
    Layout,
    NodeResult,
    TreeResult,
    frame_brand,
    frame_rows,
    layout,
    no_frame_error,
    propagate,
)
from analytics.tree_weights import fixed_node_weights, missing_warnings, weight_diagnostics
from analytics.weights import Weights
from survey_defs.schema import SurveyDefinition

__all__ = ["TreeAccumulator", "TreeStatistics", "finish_tree", "tree_from_statistics", "tree_moments"]

_BLOCK = 1 << 13  # rows per block in the moment pass: the block's temporaries stay in cache


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
    lay = layout(definition)
    brand_id = frame_brand(definition, lay, brand)
    nw, wsrc, wwarn = fixed_node_weights(definition, weights)
    if stats.n == 0:
        raise no_frame_error(brand_id)
    _, W, _ = histogram_means(stats.histogram, lay.rules)
    return finish_tree(lay, stats, nw, wsrc, missing_warnings(lay.items, W) + wwarn, brand_id, conf,
                       rows=np.zeros(0, dtype=bool), respondent_scores=None, weights=None)


def finish_tree(
    lay: Layout,
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
    """From the statistics and the weights to node scores, delta-method CIs and the TreeResult: the step the
    in-memory and the streamed path share.

    Node scores I = C' m, C the (renormalised) path weights from each node to its leaves; with a_j = c_j / W_j
    the delta-method variance is var(I) = n/(n-1) a' M a (= n/(n-1) sum_i u_i^2 of `analytics.tree`'s module
    docstring; Woodruff 1971, Kish 1965, Deville 1999) and the interval I +- t_{n_eff-1} se, clipped to the
    score range of the node's leaves."""
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
            weight_diagnostics=weight_diagnostics(src) if src else {},
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
        self._lay = layout(definition)
        self.brand = frame_brand(definition, self._lay, brand)
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
        return frame_rows(data, self._lay, self.brand)

    @property
    def score_bounds(self) -> tuple[float, float]:
        """The lowest and highest 0-100 score any leaf item can take (the range of an index)."""
        return (min(r.score_min for r in self._lay.rules), max(r.score_max for r in self._lay.rules))

    def respondent_index(self, data: ResponseData, rows: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
        """Respondent-level root scores of the frame's respondents in ``data`` (weights renormalised over each
        respondent's answered siblings, docs/methods.md section 3; NaN with no answer under the root), with the
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
        S2, node_n, sw, sw2, S1, S0 = tree_moments(codes, lay.rules, self._centre, w, lay.nodes, lay.leaf_col,
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
            k, width = len(lay.items), max((r.max for r in lay.rules), default=0) + 1 + OFFSET
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


def tree_moments(
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
