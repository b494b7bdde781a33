"""Weighted-average CSI over the indicator tree, any depth (加权平均法; docs/methods.md section 3).

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
``tests/analytics/test_coverage.py``.

When the weights come from raking in the analysis (``calibration``), the same delta method runs on the
calibration residuals of the linearised values instead (`analytics.calibration`; docs/methods.md section
10.1): the columns d_j of D (d_ij = o_ij (x_ij - m_j)) are regressed, with the final weights, on the raking
margins' indicators over all raked respondents, and M = sum_i w_i^2 e_i e_i' / (1 - h_i)^2 uses the residuals e
(h_i the respondent's leverage in that regression). Every node
is linear in the columns, so one residualisation serves the whole tree. The result's ``variance`` says which
was used. (Bootstrap intervals for differences of indices are in
`analytics.benchmark`.)

The sufficient statistics behind the aggregate tree, and the accumulator of the streamed path, are in
`analytics.tree_stats`; the flattened tree and the result types in `analytics.tree_nodes`; the sibling weights
in `analytics.tree_weights`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.calibration import CALIBRATED, Calibration
from analytics.data import ResponseData
from analytics.itemstats import checked_histogram, histogram_means
from analytics.scoring import score_matrix
from analytics.tree_nodes import (
    FlatNode,
    NodeResult,
    TreeResult,
    combine,
    flatten,
    frame_brand,
    frame_rows,
    layout,
    no_frame_error,
    propagate,
)
from analytics.tree_stats import TreeAccumulator, TreeStatistics, finish_tree, tree_from_statistics, tree_moments
from analytics.tree_weights import (
    WEIGHT_TOL,
    NeedsRespondentData,
    derived_weights,
    fixed_node_weights,
    fixed_weights,
    missing_warnings,
    node_overrides,
    weight_warnings,
)
from analytics.weights import Weights
from survey_defs.schema import SurveyDefinition

__all__ = [
    "WEIGHT_TOL",
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

# the earlier private names of two helpers, which tests/analytics/test_streaming.py imports from here
_layout = layout
_moments = tree_moments


def compute_tree(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    brand: str | None = None,
    weights: Mapping[str, ArrayLike] | None = None,
    conf: float = 0.95,
    respondent_level: bool = True,
    outcome_item: str | None = None,
    calibration: Calibration | None = None,
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
    calibration : the raking that made ``data``'s weights (domain: the respondents of ``data``); the CIs then
        use the calibrated variance (module docstring). None: the weights are taken as fixed.

    Raises
    ------
    ValueError
        No indicator tree; an unknown or unscored leaf item; weights that do not match or do not sum to 1
        (with the node path); no respondents in the frame; no answers at all under the root.
    """
    lay = layout(definition)
    nodes, items, leaf_col, rules = lay.nodes, lay.items, lay.leaf_col, lay.rules
    brand_id = frame_brand(definition, lay, brand)
    rows = frame_rows(data, lay, brand_id)
    all_rows = bool(rows.all())
    n = int(rows.sum())
    if n == 0:
        raise no_frame_error(brand_id)
    codes = data.code_matrix(items, brand_id)
    if not all_rows:
        codes = codes[rows]
    w = None if data.weight is None else (data.weight if all_rows else data.weight[rows])
    hist = checked_histogram(codes, rules, w)
    _, W, m = histogram_means(hist, rules)
    warnings = missing_warnings(items, W)

    # ---- weights, bottom-up (derived weights need the children's respondent-level scores)
    overrides = node_overrides(lay, weights)
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
        wt = fixed_weights(nd, nodes, overrides)
        if wt is None and R is not None:
            if nd.node.derive == "regression" and outcome is None:
                oid = outcome_item or (definition.loyalty.satisfaction_item if definition.loyalty else None)
                if oid is not None:
                    outcome = data.scores(oid, brand_id if definition.is_per_brand(oid) else None)
                    outcome = outcome if all_rows else outcome[rows]
            wt = derived_weights(nd, nodes, R[:, list(nd.children)], w, outcome)
        if wt is None:  # pragma: no cover - R exists whenever a node derives its weights
            raise ValueError(f"indicator node {nd.path}: derived weights need respondent-level scores")
        warnings.extend(weight_warnings(nd, wt))
        nw[nd.index] = wt.weights
        wsrc[nd.index] = wt
        if R is not None:
            R[:, nd.index] = combine(R[:, list(nd.children)], wt.weights)

    M, node_n, sw, sw2 = tree_moments(codes, rules, m, w, nodes, leaf_col)
    if calibration is not None:
        cal = calibration if all_rows else calibration.domain(rows)
        cal.check(w, "indicator tree")
        D = np.nan_to_num((X if X is not None else score_matrix(codes, rules)) - m[None, :])
        # finish_tree scales by n/(n-1) of the frame; the calibrated sum has its own small-sample (leverage) factor
        M = cal.influence_covariance(D) * ((n - 1) / n if n > 1 else 1.0)
    stats = TreeStatistics(n, hist, M, node_n, sw, sw2)
    res = finish_tree(lay, stats, nw, wsrc, warnings, brand_id, conf, rows=rows,
                      respondent_scores=R if respondent_level else None, weights=w)
    return res if calibration is None else replace(res, variance=CALIBRATED)


def index_from_means(result: TreeResult, means: NDArray[np.float64], node: str | None = None) -> NDArray[np.float64]:
    """Score of ``node`` (default: the root) for each row of ``means`` ((r, n_items) item means, NaN =
    unavailable), with the tree's nominal weights and the renormalisation rule of docs/methods.md section 3.

    Used by the bootstrap in `analytics.benchmark`; equals the aggregate score for ``means = item_means``.
    """
    flat = result.flat
    nw = {nd.index: result.node_weights[nd.id] for nd in flat if nd.children}
    out = propagate(np.atleast_2d(means), flat, result.leaf_col, nw)
    j = 0 if node is None else [nd.id for nd in flat].index(node)
    return out[:, j]
