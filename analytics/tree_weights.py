"""The sibling weights of every parent node of the indicator tree: given, AHP, equal, an override, or derived
from the data (entropy, CRITIC, regression on the children's respondent-level scores); they must sum to 1
(tolerance `WEIGHT_TOL`, otherwise ``ValueError`` with the node's path). Formulas and references of each method
are in `analytics.weights`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analytics.tree_nodes import FlatNode, Layout, layout
from analytics.weights import (
    Weights,
    ahp,
    critic_weights,
    entropy_weights,
    equal_weights,
    regression_importance,
    validate_weights,
)
from survey_defs.schema import SurveyDefinition

__all__ = [
    "WEIGHT_TOL",
    "NeedsRespondentData",
    "derived_weights",
    "fixed_node_weights",
    "fixed_weights",
    "missing_warnings",
    "node_overrides",
    "weight_diagnostics",
    "weight_warnings",
]

WEIGHT_TOL = 1e-6


class NeedsRespondentData(ValueError):
    """The statistic needs respondent-level data (derived weights), not only sufficient statistics."""


def _static_weights(nd: FlatNode, nodes: list[FlatNode]) -> Weights | None:
    """The children's weights the definition gives: AHP (Saaty 1980), equal, or given; None with ``derive``."""
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


def derived_weights(
    nd: FlatNode,
    nodes: list[FlatNode],
    child_scores: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    outcome: NDArray[np.float64] | None,
) -> Weights:
    """A node's children's weights from the data: entropy, CRITIC or regression (Johnson relative weights for
    the outcome) on the children's respondent-level scores (`analytics.weights`); errors name the node."""
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


def node_overrides(lay: Layout, weights: Mapping[str, ArrayLike] | None) -> dict[str, ArrayLike]:
    """The explicit weights per parent node id, checked to name only parents of the tree."""
    overrides = dict(weights or {})
    known_ids = {nd.id for nd in lay.nodes if nd.children}
    unknown = sorted(set(overrides) - known_ids)
    if unknown:
        raise ValueError(f"weights given for unknown or leaf nodes: {', '.join(unknown)}")
    return overrides


def fixed_weights(nd: FlatNode, nodes: list[FlatNode], overrides: Mapping[str, ArrayLike]) -> Weights | None:
    """The children's weights when they do not depend on the data (override, given, AHP, equal); None when the
    node derives them from the data."""
    if nd.id in overrides:
        names = [nodes[c].id for c in nd.children]
        return Weights(names, validate_weights(overrides[nd.id], names, f"indicator node {nd.path}", WEIGHT_TOL),
                       "override")
    return _static_weights(nd, nodes)


def weight_warnings(nd: FlatNode, wt: Weights) -> list[str]:
    """Warnings about a node's weights: an inconsistent AHP matrix (CR >= 0.1), weights set to zero."""
    out = []
    if isinstance(wt.diagnostics.get("consistent"), bool) and not wt.diagnostics["consistent"]:
        out.append(f"indicator node {nd.path}: AHP matrix {wt.diagnostics['message']}")
    if wt.diagnostics.get("zeroed"):
        out.append(f"indicator node {nd.path}: {wt.diagnostics.get('message')}")
    return out


def missing_warnings(items: list[str], W: NDArray[np.float64]) -> list[str]:
    """One warning per leaf item without answers (sum of weights W_j = 0), whose siblings are renormalised."""
    return [f"item {items[j]!r} has no answers; its siblings' weights were renormalised" for j in
            np.flatnonzero(W <= 0)]


def fixed_node_weights(
    definition: SurveyDefinition, weights: Mapping[str, ArrayLike] | None = None
) -> tuple[dict[int, NDArray[np.float64]], dict[int, Weights], list[str]]:
    """Every parent's children's weights without looking at data (flat node index -> weights), their sources
    and warnings; `NeedsRespondentData` when a node derives its weights from the data and no override is given.
    """
    lay = layout(definition)
    overrides = node_overrides(lay, weights)
    nw: dict[int, NDArray[np.float64]] = {}
    wsrc: dict[int, Weights] = {}
    warnings: list[str] = []
    for nd in reversed(lay.nodes):
        if nd.item is not None:
            continue
        wt = fixed_weights(nd, lay.nodes, overrides)
        if wt is None:
            raise NeedsRespondentData(
                f"indicator node {nd.path} derives its weights from respondent-level scores ({nd.node.derive})")
        warnings.extend(weight_warnings(nd, wt))
        nw[nd.index] = wt.weights
        wsrc[nd.index] = wt
    return nw, wsrc, warnings


def weight_diagnostics(wt: Weights) -> dict[str, object]:
    """A node's weights with their diagnostics (AHP consistency, regression beta, VIF, adjusted R^2,
    condition number) as JSON-ready values."""
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
