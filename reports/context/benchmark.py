"""Against competitors: the summary's ranking of brands, the benchmark section (index and top-level dimensions per
competitor, items where one is significantly ahead) and the brand chart.

Every difference is ours − theirs, and its ▲/▼/= mark (`reports.context.figures.mark`) belongs to that difference,
never to a competitor's score. The index row is a primary comparison (tested alone, raw p); the dimension and item
rows are secondary (Holm-corrected within their family); the legend says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import bounds, mark, p_of, section_reason, test_of, val, verdict
from reports.context.labels import TOP_LEVEL_CHART_MAX, Labels, top_level_ids
from reports.i18n import t
from survey_defs.schema import SurveyDefinition

__all__ = ["benchmark_section", "brand_chart", "ranking_section"]

INDEX = "__index__"  # the row key of the index itself among the top-level dimensions


def ranking_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """Our rank among the brands by index, and the difference to each competitor with its test."""
    brands = analysis.get("brands")
    own = d.own_brand.id
    if len(d.brand_ids) < 2:
        return {"available": False, "message": t("one_brand", lang)}
    if section_reason(brands) or not isinstance(brands, Mapping):
        return {"available": False, "message": L.cannot(brands)}
    scored = [(b, val(v)) for b, v in brands.items() if val(v) is not None]
    if own not in dict(scored) or len(scored) < 2:
        if own not in dict(scored):
            return {"available": False, "message": L.cannot(brands.get(own))}
        why = next((v for b, v in brands.items() if b != own and section_reason(v)), None)
        return {"available": False, "message": L.cannot(why) if why is not None else t("one_brand", lang)}
    order = sorted(scored, key=lambda bv: -float(bv[1] or 0))
    rank = [b for b, _ in order].index(own) + 1
    bench = analysis.get("benchmarks") if not section_reason(analysis.get("benchmarks")) else None
    comps = (bench or {}).get("competitors") or {}
    vs = []
    for b, v in order:
        if b == own:
            continue
        c = comps.get(b) or {}
        idx = c.get("index") or {}
        test = test_of(idx)
        diff = (dict(scored)[own] or 0) - (v or 0)
        vs.append({"brand": b, "label": L.brand(b), "value": v, "value_text": fmt.num(v), "diff": diff,
                   "diff_text": fmt.signed(diff), "mark": mark(idx),
                   "significant": test.get("significant"), "p": p_of(test), "p_text": fmt.pvalue(p_of(test)),
                   "verdict": verdict(test.get("significant"), lang, test) if test else "",
                   "verdict_plain": verdict(test.get("significant"), lang) if test else "",
                   "family": test.get("family"), "diff_ci_text": fmt.ci(bounds(test)) if test else ""})
    return {"available": True, "message": None, "rank": rank, "n": len(order), "text": f"{rank} / {len(order)}",
            "order": [{"brand": b, "label": L.brand(b), "value": v, "own": b == own} for b, v in order], "vs": vs}


def _at(node: Mapping[str, Any], key: str) -> Any:
    """The figure of row ``key`` in a brand's (or a comparison's) result: its index, or one of its nodes."""
    return node if key == INDEX else (node.get("nodes") or {}).get(key)


def benchmark_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """The benchmark table (index and top-level dimensions: ours, each competitor's, the difference and its
    mark) and the items where a competitor is significantly ahead; brands without an index say why."""
    own = d.own_brand.id
    if len(d.brand_ids) < 2:
        return {"available": False, "message": t("one_brand", lang)}
    bench = analysis.get("benchmarks")
    brands = analysis.get("brands")
    if section_reason(brands) or not isinstance(brands, Mapping):
        return {"available": False, "message": L.cannot(brands)}
    if section_reason(bench):
        return {"available": False, "message": L.cannot(bench)}
    comps = [b for b in d.brand_ids if b != own and val(brands.get(b)) is not None]
    if not comps:
        reasons = fmt.clause_sep(lang).join(f"{L.brand(b)}: {L.why(brands.get(b))}" for b in d.brand_ids if b != own)
        return {"available": False, "message": t("section_error", lang, reason=reasons)}
    cmp = (bench or {}).get("competitors") or {}
    rows = []
    for key in [INDEX, *top_level_ids(d)]:
        label = L.node(d.indicators.id) if key == INDEX and d.indicators else L.node(key)
        own_est = _at(brands[own], key)
        cells = []
        for b in comps:
            est = _at(brands[b], key)
            bc = cmp.get(b) or {}
            c = bc.get("index") if key == INDEX else _at(bc, key)
            diff = (val(own_est) or 0) - (val(est) or 0) if val(own_est) is not None and val(est) is not None \
                else None
            cells.append({"brand": b, "value": val(est), "text": fmt.num(val(est)), "diff": diff,
                          "diff_text": fmt.signed(diff), "mark": mark(c), "p_text": fmt.pvalue(p_of(test_of(c)))
                          if test_of(c) else ""})
        rows.append({"key": key, "label": label, "own": val(own_est), "own_text": fmt.num(val(own_est)),
                     "own_ci": fmt.ci(bounds(own_est)), "cells": cells, "is_index": key == INDEX})
    behind = []
    for b in comps:
        for item_id, c in ((cmp.get(b) or {}).get("items") or {}).items():
            if mark(c) == "▼":
                behind.append({"brand": L.brand(b), "label": L.item(item_id), "own": fmt.num(val(c.get("a"))),
                               "other": fmt.num(val(c.get("b"))), "diff": fmt.signed(val(c.get("diff"))),
                               "p_text": fmt.pvalue(p_of(test_of(c)))})
    tests = {str(test_of((cmp.get(b) or {}).get("index")).get("test") or "") for b in comps}
    test_name = ", ".join(t("test_paired", lang) if x == "paired_t" else t("test_welch", lang) if x == "welch_t" else x
                          for x in sorted(tests) if x)
    alpha = ((bench or {}).get("multiplicity") or {}).get("alpha", 0.05)
    return {"available": True, "message": None, "own_label": L.brand(own),
            "competitors": [{"id": b, "label": L.brand(b), "n": fmt.integer((brands.get(b) or {}).get("n"))}
                            for b in comps],
            "own_n": fmt.integer((brands.get(own) or {}).get("n")),
            "rows": rows, "behind": behind, "legend": t("sig_legend", lang, test=test_name or "t", alpha=alpha),
            "partial": [f"{L.brand(b)}: {fmt.sentence(L.why(brands.get(b)), lang)}" for b in d.brand_ids
                        if b != own and b not in comps]}


def brand_chart(bench: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """Our bars and each competitor's for the index and (at most `TOP_LEVEL_CHART_MAX`) top-level dimensions."""
    if not bench.get("available"):
        return None
    rows = bench["rows"][: TOP_LEVEL_CHART_MAX + 1]
    series = [{"name": bench["own_label"], "own": True, "values": [r["own"] for r in rows],
               "marks": ["" for _ in rows]}]
    for k, c in enumerate(bench["competitors"]):
        # no significance marks on a competitor's bar: "▲" there reads as "the competitor is up"; the table
        # below the chart puts each mark on the difference (ours − theirs)
        series.append({"name": c["label"], "own": False, "values": [r["cells"][k]["value"] for r in rows],
                       "marks": ["" for _ in rows]})
    return {"kind": "brand_bars", "title": t("brand_chart", lang), "categories": [r["label"] for r in rows],
            "series": series}
