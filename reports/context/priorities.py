"""The priorities section: every item ranked by priority with its importance share, performance, gap and the best
competitor's lead; the summary's three priority sentences (improve-first items first, then the next in
priority order); and the importance–performance chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import section_reason, val
from reports.context.labels import Labels
from reports.i18n import t, t_or
from survey_defs.schema import SurveyDefinition

__all__ = ["ipa_chart", "priorities_section"]

QUADRANTS = ("improve_first", "keep_up", "low_priority", "possible_overkill")


def _rows(d: SurveyDefinition, items: list[Mapping[str, Any]], gap_best: Mapping[str, Any], total_imp: float,
          lang: str, L: Labels) -> list[dict[str, Any]]:
    """The table's rows in priority order, with the importance rank and the best other brand where it leads."""
    by_imp = sorted(items, key=lambda it: -(val(it.get("importance")) or 0.0))
    imp_rank = {it["item"]: k + 1 for k, it in enumerate(by_imp)}
    number = {it["item"]: k + 1 for k, it in
              enumerate(sorted(items, key=lambda it: -(val(it.get("priority")) or 0.0)))}
    leaf_of = {v: k for k, v in L.node_item.items()}
    rows = []
    for it in sorted(items, key=lambda it: number[it["item"]]):
        gb = gap_best.get(leaf_of.get(it["item"], ""), {}) if isinstance(gap_best, Mapping) else {}
        best_other = gb if gb and gb.get("best_brand") not in (None, d.own_brand.id) else None
        share = 100 * (val(it.get("importance")) or 0.0) / total_imp
        perf = val(it.get("performance"))
        best_v = val(best_other.get("best")) if best_other else None
        lead = best_v - perf if best_v is not None and perf is not None else None
        rev = bool(d.item_map[it["item"]].reverse) if it["item"] in d.item_map else False
        rows.append({
            "no": number[it["item"]], "item": it["item"], "label": L.item(it["item"]), "reverse": rev,
            "short": L.short(L.item(it["item"])),
            "importance": val(it.get("importance")), "importance_share": share, "importance_text": fmt.pct(share),
            "importance_rank": imp_rank[it["item"]],
            "performance": perf, "performance_text": fmt.num(perf),
            "target": val(it.get("target")), "target_text": fmt.num(val(it.get("target"))),
            "gap": val(it.get("gap")), "gap_text": fmt.num(val(it.get("gap"))),
            "priority": val(it.get("priority")), "priority_text": fmt.num(val(it.get("priority")), 2),
            "quadrant": it.get("quadrant"),
            "quadrant_label": t_or("ipa_" + str(it.get("quadrant")), lang, str(it.get("quadrant"))),
            "best_brand": L.brand(best_other["best_brand"]) if best_other else None,
            "best_value": best_v,
            "lead": lead, "lead_text": fmt.num(lead) if lead is not None else "",
            "leader_text": fmt.num(best_v) if best_other else "",
        })
    return rows


def _sentence(r: Mapping[str, Any], n: int, lang: str, next_: bool) -> str:
    """One priority as a sentence: the item, its score, importance rank and share, gap, and the best brand's lead."""
    best = ""
    if r.get("best_brand") and isinstance(r.get("lead"), int | float) and r["lead"] > 0:
        best = t("p_best", lang, brand=r["best_brand"], value=fmt.num(r["best_value"]), lead=fmt.num(r["lead"]))
    s = t("p_item", lang, item=r["label"], perf=r["performance_text"], rank=r["importance_rank"], n=n,
          imp=r["importance_text"], gap=r["gap_text"], best=best, next=t("p_next", lang) if next_ else "")
    return s


def priorities_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """The priorities section: every item's quadrant, and all items ranked by priority with their gaps.

    Importance is shown as each item's share of the total (Johnson's weights sum to R², not to 1, so "0.084"
    alone reads as nothing); the gap is to the top of the 0–100 scale, which is what `analytics.priorities`
    ranks on, and the best competitor's score is given next to it where a competitor is ahead.
    """
    pr = analysis.get("priorities")
    reason = section_reason(pr)
    if reason or not isinstance(pr, Mapping):
        return {"available": False, "message": L.cannot(pr), "why": L.why(pr), "improve": [], "rows": [],
                "summary": []}
    # rows carry plain numbers or figures {"value", "n", "ci"} (docs/analytics-json.md): read both through val
    items = [it for it in pr.get("items") or [] if val(it.get("performance")) is not None]
    total_imp = sum(val(it.get("importance")) or 0.0 for it in items) or 1.0
    gap_best = ((analysis.get("benchmarks") or {}).get("gap_to_best") or {}) \
        if isinstance(analysis.get("benchmarks"), Mapping) else {}
    rows = _rows(d, items, gap_best, total_imp, lang, L)
    improve = [r for r in rows if r["quadrant"] == "improve_first"]
    summary = []
    for r in improve[:3]:
        summary.append(_sentence(r, len(rows), lang, next_=False))
    for r in [r for r in rows if r["quadrant"] != "improve_first"][: 3 - len(summary)]:
        summary.append(_sentence(r, len(rows), lang, next_=True))
    src = str(pr.get("importance_source") or "")
    reg = pr.get("regression") or {}
    if src.startswith("derived") and d.loyalty:
        src_text = t("imp_derived", lang, item=L.item(d.loyalty.satisfaction_item), r2=fmt.num(reg.get("r2"), 3))
    elif src.startswith("tree"):
        src_text = t("imp_tree", lang)
    else:
        src_text = src
    leaf_of = {v: k for k, v in L.node_item.items()}
    vs_best = []
    for it in pr.get("improve_first_vs_best_brand") or []:
        gb = gap_best.get(leaf_of.get(it["item"], ""), {}) if isinstance(gap_best, Mapping) else {}
        vs_best.append({"label": L.item(it["item"]), "performance_text": fmt.num(val(it.get("performance"))),
                        "target_text": fmt.num(val(it.get("target"))), "gap_text": fmt.num(val(it.get("gap"))),
                        "best_brand": L.brand(gb.get("best_brand", "")) if gb else "",
                        "priority_text": fmt.num(val(it.get("priority")), 2)})
    split_i = pr.get("split_importance")
    return {
        "available": True, "message": None, "why": None, "rows": rows, "improve": improve, "summary": summary,
        "any_leader": any(r["leader_text"] for r in rows), "any_reverse": any(r["reverse"] for r in rows),
        "none_improve": t("none_in_quadrant", lang) if not improve else None,
        "note": t("importance_source", lang, src=src_text,
                  split=t("split_median" if pr.get("split") == "median" else "split_mean", lang)),
        "split": "median" if pr.get("split") == "median" else "mean",
        "split_importance": 100 * float(split_i) / total_imp if isinstance(split_i, int | float) else None,
        "split_performance": pr.get("split_performance"),
        "vs_best": vs_best,
    }


def ipa_chart(pr: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """The importance–performance chart, importance as a share of the total (the table's unit)."""
    if not pr.get("available") or not pr["rows"]:
        return None
    its = [r for r in pr["rows"] if isinstance(r["performance"], int | float) and
           isinstance(r["importance"], int | float)]
    if not its:
        return None
    return {"kind": "ipa", "title": t("ipa_chart", lang), "x_title": t("performance", lang),
            "y_title": t("imp_share_axis", lang), "numbers": [r["no"] for r in its],
            "labels": [r["short"] for r in its],
            "x": [r["performance"] for r in its], "y": [r["importance_share"] for r in its],
            "quadrant": [r["quadrant"] for r in its], "split_x": pr.get("split_performance"),
            "split_y": pr.get("split_importance"),
            "quadrant_names": {q: t("ipa_" + q, lang) for q in QUADRANTS}}
