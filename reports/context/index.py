"""The indicator tree: one row per node (weight among its siblings, global weight, score, CI, n, and where the
weights came from), the index section built on those rows and its bar chart.

Without scores (the index could not be computed) the rows still show the definition's weights, so that the method
section can describe the tree of a survey that has no data yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports import fmt
from reports.context.figures import bounds, section_reason, val
from reports.context.labels import Labels
from reports.i18n import t, t_or
from survey_defs.schema import IndicatorNode, SurveyDefinition

__all__ = ["index_chart", "index_section", "tree_rows"]


def _source_text(src: object, lang: str, cr: object = None, consistent: object = True) -> str:
    """How a node's children are weighted, in words; AHP with its consistency ratio (``—`` when not computed)."""
    if src == "ahp":
        return t("ws_ahp", lang, cr=fmt.num(cr, 3), ok=t("ws_ahp_ok" if consistent else "ws_ahp_bad", lang))
    return t_or("ws_" + str(src), lang, str(src))


def _analysed_source(node: Mapping[str, Any] | None, lang: str) -> str:
    """`_source_text` of an analysed node (its ``weight_source`` and AHP ``weight_diagnostics``); '' for none."""
    src = node.get("weight_source") if node else None
    if src is None:
        return ""
    diag = (node.get("weight_diagnostics") or {}) if node and src == "ahp" else {}
    return _source_text(src, lang, diag.get("cr"), diag.get("consistent", True))


def _definition_rows(d: SurveyDefinition, L: Labels, lang: str) -> list[dict[str, Any]]:
    """The tree as defined (weights given in the definition, no scores): for a survey the index cannot score."""
    if d.indicators is None:
        return []
    rows = []

    def visit(nd: IndicatorNode, level: int, parent: IndicatorNode | None) -> None:
        source = "" if parent is None else _source_text(parent.weight_source, lang)
        rows.append({"id": nd.id, "level": level, "label": L.node(nd.id), "leaf": nd.is_leaf,
                     "weight": fmt.weight(nd.weight) if nd.weight is not None else fmt.DASH,
                     "global_weight": fmt.DASH, "source": source,
                     "children_source": "" if nd.is_leaf else _source_text(nd.weight_source, lang),
                     "score": fmt.DASH, "ci": fmt.DASH, "n": fmt.DASH, "raw": None, "renormalised": False,
                     "reverse": bool(nd.item and d.item(nd.item).reverse)})
        for c in nd.children:
            visit(c, level + 1, nd)
    visit(d.indicators, 0, None)
    return rows


def tree_rows(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> list[dict[str, Any]]:
    """One row per indicator node (depth-first): weight among siblings, global weight, score, CI, n, and where
    the weights came from (``source``: this node's; ``children_source``: its children's)."""
    idx = analysis.get("index")
    if section_reason(idx) or not isinstance(idx, Mapping):
        return _definition_rows(d, L, lang)
    nodes = idx.get("nodes") or []
    by_id = {nd["id"]: nd for nd in nodes}
    rows = []
    gw: dict[str, float] = {}
    for nd in nodes:
        parent = by_id.get(nd.get("parent")) if nd.get("parent") else None
        w = nd.get("weight")
        gw[nd["id"]] = 1.0 if parent is None else gw.get(parent["id"], 1.0) * float(w or 0)
        sc = nd.get("score") or {}
        rows.append({
            "id": nd["id"], "level": int(nd.get("level") or 0), "label": L.node(nd["id"]),
            "leaf": nd.get("item") is not None,
            "weight": fmt.weight(w) if w is not None else fmt.DASH,
            "global_weight": fmt.weight(gw[nd["id"]]),
            "source": _analysed_source(parent, lang),
            "children_source": _analysed_source(nd, lang) if nd.get("item") is None else "",
            "score": fmt.num(val(sc)), "raw": val(sc), "ci": fmt.ci(bounds(sc)), "ci_raw": bounds(sc),
            "n": fmt.integer(sc.get("n")) if isinstance(sc, Mapping) and sc.get("n") is not None else fmt.DASH,
            "renormalised": bool(nd.get("renormalised")),
            "reverse": bool(nd.get("item") in d.item_map and d.item(nd["item"]).reverse),
            "reason": section_reason(sc) if isinstance(sc, Mapping) and sc.get("value") is None else None,
        })
    return rows


def index_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """The index table: every node of the tree with its score, and the analysis' warnings."""
    idx = analysis.get("index")
    reason = section_reason(idx)
    if reason:
        return {"available": False, "message": L.cannot(idx), "rows": [], "warnings": []}
    rows = tree_rows(d, analysis, lang, L)
    return {"available": True, "message": None, "rows": rows, "warnings": list((idx or {}).get("warnings") or []),
            "any_renormalised": any(r["renormalised"] for r in rows), "any_reverse": any(r["reverse"] for r in rows)}


def index_chart(rows: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any] | None:
    """Bars by level: the index, the top-level dimensions and their sub-dimensions (leaves are in the table)."""
    bars = [r for r in rows if not r["leaf"] and r["raw"] is not None]
    if not bars:
        return None
    return {"kind": "index_bars", "title": t("index_chart", lang),
            "labels": [r["label"] for r in bars], "levels": [r["level"] for r in bars],
            "values": [r["raw"] for r in bars], "ci": [r.get("ci_raw") for r in bars]}
