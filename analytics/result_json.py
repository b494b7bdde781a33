"""The pieces of the analysis JSON (docs/analytics-json.md) that the full analysis (`analytics.analyze`) and the
streamed summary (`analytics.streaming`) both build, so that the two agree by construction: the schema version,
the JSON conversion, the survey header, which items are scored and their top box, the tree and brand figures,
the weighting summary, and the markers of sections that cannot be estimated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from analytics.inference import Estimate
from analytics.itemstats import ItemStats
from analytics.tree import TreeResult
from survey_defs.schema import SurveyDefinition

__all__ = [
    "CI_METHOD",
    "DIGITS",
    "MAX_FLAG_EXAMPLES",
    "NO_COMPETITORS",
    "NO_OWN_INDEX",
    "NO_TREE",
    "SCHEMA_VERSION",
    "SECTIONS",
    "brand_figures",
    "empty_sections",
    "insufficient",
    "item_sections",
    "no_satisfaction_item",
    "scored_items",
    "survey_header",
    "to_jsonable",
    "top_box",
    "tree_dict",
    "unraked_weighting",
    "weight_summary",
]

SCHEMA_VERSION = 2
DIGITS = 6
MAX_FLAG_EXAMPLES = 50
CI_METHOD = "delta method (linearisation with the item covariance; see analytics.tree)"
SECTIONS = ("items", "satisfaction_rate", "index", "brands", "benchmarks", "waves", "segments", "loyalty",
            "priorities")
"""The sections every definition has (servqual, kano and acsi exist only with their blocks)."""
NO_TREE = "the definition has no indicator tree"
NO_OWN_INDEX = "no index for the own brand"
NO_COMPETITORS = "no competitor brands rated on per-brand items"


def to_jsonable(obj: Any, digits: int = DIGITS) -> Any:
    """numpy scalars/arrays -> Python, tuples -> lists, floats rounded to ``digits`` decimals, NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v, digits) for v in obj.tolist()]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return round(f, digits) if math.isfinite(f) else None
    if isinstance(obj, Estimate):
        return to_jsonable(obj.to_dict(), digits)
    return obj


def insufficient(n: int, reason: str) -> dict[str, Any]:
    """A figure or section that cannot be estimated on ``n`` respondents, and why."""
    return {"value": None, "n": n, "status": "insufficient_data", "reason": reason}


def survey_header(definition: SurveyDefinition) -> dict[str, Any]:
    """The ``survey`` block: slug, version, title, own brand, brands and waves."""
    d = definition
    return {"slug": d.slug, "version": d.version, "title": d.title, "own_brand": d.own_brand.id,
            "brands": d.brand_ids, "waves": d.wave_ids()}


def empty_sections(definition: SurveyDefinition, reason: str) -> dict[str, Any]:
    """Every section but ``acsi`` when nobody is left to analyse (servqual and kano: None without their block)."""
    out: dict[str, Any] = {k: insufficient(0, reason) for k in SECTIONS}
    for k, block in (("servqual", definition.servqual), ("kano", definition.kano)):
        out[k] = None if block is None else insufficient(0, reason)
    return out


def scored_items(definition: SurveyDefinition, ids: Iterable[str]) -> list[str]:
    """The items of ``ids`` that have item statistics (0-100 scores): likert, nps and yes/no."""
    return [i for i in ids if definition.item(i).type in ("likert", "nps", "yes_no")]


def top_box(definition: SurveyDefinition, item_id: str) -> int:
    """How many top codes count as satisfied: the scale's ``top_box_count``; 1 ("yes") for a yes/no item."""
    return 1 if definition.item(item_id).type == "yes_no" else definition.scale_of(item_id).top_box_count


def item_sections(definition: SurveyDefinition, stats: Iterable[ItemStats]) -> dict[str, Any]:
    """The ``items`` entries of item statistics, each marked per brand or not."""
    out: dict[str, Any] = {}
    for st in stats:
        d = st.to_dict(None)
        d["per_brand"] = definition.is_per_brand(st.item_id)
        out[st.item_id] = d
    return out


def no_satisfaction_item() -> dict[str, Any]:
    """The ``satisfaction_rate`` of a definition without an overall satisfaction item."""
    return insufficient(0, "the definition names no overall satisfaction item (loyalty.satisfaction_item)")


def tree_dict(tree: TreeResult) -> dict[str, Any]:
    """The ``index`` section: the CSI with its CI, and every node of the tree with its weights and score."""
    nodes = []
    for nd in tree.nodes:
        nodes.append({
            "id": nd.id, "path": nd.path, "level": nd.level, "label": nd.label, "item": nd.item,
            "parent": nd.parent, "weight": nd.weight, "nominal_weight": nd.nominal_weight,
            "renormalised": nd.renormalised, "score": nd.score.to_dict(),
            "weight_source": nd.weight_source, "weight_diagnostics": nd.weight_diagnostics or None,
        })
    return {**tree.index.to_dict(), "brand": tree.brand, "ci_method": CI_METHOD, "nodes": nodes,
            "warnings": list(tree.warnings)}


def brand_figures(tree: TreeResult, own: bool) -> dict[str, Any]:
    """One brand's entry of ``brands``: its index and every node's score but the root's."""
    return {**tree.index.to_dict(), "own": own, "nodes": {nd.id: nd.score.to_dict() for nd in tree.nodes[1:]}}


def weight_summary(n: int, n_eff: float, w_min: float | None, w_max: float | None) -> dict[str, Any]:
    """The weights' summary in ``weighting``: Kish n_eff, the design effect deff = n / n_eff (Kish 1965) and the
    weight range; no range with nobody analysed."""
    if n == 0:
        return {"n_eff": 0.0, "min_weight": None, "max_weight": None}
    return {"n_eff": n_eff, "design_effect": n / n_eff if n_eff > 0 else None, "min_weight": w_min,
            "max_weight": w_max}


def unraked_weighting(weighted: bool, summary: dict[str, Any]) -> dict[str, Any]:
    """The ``weighting`` report without a weighting block: the data's own weights (or none) as they are."""
    return {"method": "given" if weighted else "none", "margins": None, "iterations": 0, "converged": None,
            "max_error": None, **summary, "variance": "fixed-weight" if weighted else "unweighted"}
