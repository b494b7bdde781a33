"""The flattened indicator tree: its nodes in pre-order, the propagation of scores up the tree with weights
renormalised over answered children (docs/methods.md section 3), the leaf items of a definition (`Layout`), and the
result types of `analytics.tree.compute_tree`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.inference import Estimate
from analytics.itemstats import ItemStats, stats_from_histogram
from analytics.scoring import ItemScoring, item_scoring
from survey_defs.schema import IndicatorNode, SurveyDefinition

__all__ = [
    "FlatNode",
    "Layout",
    "NodeResult",
    "TreeResult",
    "combine",
    "flatten",
    "frame_brand",
    "frame_rows",
    "layout",
    "no_frame_error",
    "propagate",
]


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
    answered (docs/methods.md section 3). Returns (rows, n_nodes).
    """
    r = leaf_scores.shape[0]
    out = np.full((r, len(nodes)), np.nan)
    for nd in reversed(nodes):
        if nd.item is not None:
            out[:, nd.index] = leaf_scores[:, leaf_col[nd.index]]
            continue
        if nd.index not in node_weights:
            continue
        out[:, nd.index] = combine(out[:, list(nd.children)], node_weights[nd.index])
    return out


def combine(s: NDArray[np.float64], wc: NDArray[np.float64]) -> NDArray[np.float64]:
    """Weighted mean over answered children with renormalised weights; NaN when none answered."""
    ans = ~np.isnan(s)
    den = ans @ wc
    num = np.where(ans, s, 0.0) @ wc
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


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
    variance: str = "fixed-weight"
    """How the CIs were computed: ``"fixed-weight"`` linearisation, or ``"calibrated"`` (raked weights,
    `analytics.calibration`)."""

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


@dataclass(frozen=True)
class Layout:
    """The flattened tree with its leaf items and their scoring rules (the same for every frame)."""

    nodes: list[FlatNode]
    items: list[str]
    leaf_col: dict[int, int]
    rules: list[ItemScoring]
    per_brand: bool


def layout(definition: SurveyDefinition) -> Layout:
    """The definition's tree flattened, its distinct leaf items in order of first use and their scoring rules.

    Raises ``ValueError`` without an indicator tree, for a leaf naming an unknown item, or as `flatten` does.
    """
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
    return Layout(nodes, items, leaf_col, rules, per_brand)


def frame_brand(definition: SurveyDefinition, lay: Layout, brand: str | None) -> str | None:
    """The brand whose ratings the leaves use: ``brand`` or the own brand when a leaf is asked per brand."""
    return (brand or definition.own_brand.id) if lay.per_brand else brand


def frame_rows(data: ResponseData, lay: Layout, brand_id: str | None) -> NDArray[np.bool_]:
    """Which respondents form the frame: those who rated the brand when a leaf item is asked per brand."""
    return data.rated(brand_id) if lay.per_brand else np.ones(data.n, dtype=bool)


def no_frame_error(brand_id: str | None) -> ValueError:
    """The error of an empty frame (nobody rated the brand)."""
    return ValueError(
        f"no respondents{'' if brand_id is None else f' rated brand {brand_id!r}'}: cannot compute the index"
    )
