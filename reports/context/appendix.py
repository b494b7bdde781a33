"""The appendix: the item statistics table (each top-box column with its own counting rule), the respondents'
comments (each distinct text once, with how it was sampled) and the glossary filled in from this survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import bounds, section_reason, val
from reports.context.labels import Labels
from reports.i18n import glossary, t
from survey_defs.schema import SurveyDefinition

__all__ = ["comments_section", "glossary_rows", "items_table"]


def items_table(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """The appendix item table. The top-box column states each item's own rule: which raw answers it counts
    (the scale's ``top_box``, after reverse coding), or the share answering yes for a yes/no item, whose 0–100
    "mean" would only repeat that share; reverse-coded items are marked R."""
    items = analysis.get("items")
    reason = section_reason(items)
    if reason or not isinstance(items, Mapping):
        return {"available": False, "message": L.cannot(items), "rows": [], "any_reverse": False}
    rows = []
    for iid in [i for i in (d.respondent_item_ids + d.brand_item_ids) if i in items]:
        st = items[iid]
        tb = st.get("top_box") or {}
        it = d.item(iid)
        is_yes_no = it.type == "yes_no"
        boxes = int(tb.get("boxes") or (1 if is_yes_no else d.scale_of(iid).top_box_count))
        if is_yes_no:
            rule = t("yes_rule", lang)
        else:
            sc = d.scale_of(iid)
            lo, hi = (sc.min, sc.min + boxes - 1) if it.reverse else (sc.max - boxes + 1, sc.max)
            rule = t("answer_rule" if lo == hi else "answers_rule", lang, lo=lo, hi=hi)
        rows.append({"id": iid, "label": L.item(iid), "n": fmt.integer(st.get("n")),
                     "mean": fmt.DASH if is_yes_no else fmt.num(val(st.get("mean"))),
                     "sd": fmt.DASH if is_yes_no else fmt.num(st.get("sd")),
                     "top_box": fmt.pct(val(tb)), "boxes": boxes, "rule": rule, "yes_no": is_yes_no,
                     "ci": fmt.ci(bounds(tb)) if is_yes_no else fmt.ci(bounds(st.get("mean"))),
                     "brand_item": bool(st.get("per_brand")), "reverse": it.reverse})
    return {"available": bool(rows), "message": None if rows else t("section_error", lang, reason=fmt.DASH),
            "rows": rows, "any_reverse": any(r["reverse"] for r in rows)}


def comments_section(d: SurveyDefinition, extras: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """The appendix comments: each distinct text once, with its total count and the waves and satisfaction
    bands its copies came from (`reports.extras.sample_comments`)."""
    sample = extras.get("comments") or []
    total = int(extras.get("n_comments") or 0)
    if not total:
        return {"available": False, "message": t("no_comments", lang), "rows": []}
    band = {"low": t("sat_low", lang), "mid": t("sat_mid", lang), "high": t("sat_high", lang),
            "unknown": t("sat_unknown", lang)}
    sep = fmt.list_sep(lang)
    rows = []
    for c in sample:
        strata = c.get("strata") or [{"wave": c.get("wave"), "band": c.get("band"), "count": c.get("count", 1)}]
        waves = list(dict.fromkeys(str(s.get("wave") or "") for s in strata))
        bands = list(dict.fromkeys(str(s.get("band") or "") for s in strata))
        wave_text = sep.join(L.wave(w) for w in waves if w)
        band_text = sep.join(band[b] for b in bands if b in band and b != "unknown")
        count = int(c.get("count") or 1)
        rows.append({"text": str(c.get("text") or ""), "count": count,
                     "count_text": t("times", lang, n=count) if count > 1 else "",
                     "wave": wave_text, "band": band_text, "strata": strata,
                     "item": L.short(L.item(c.get("item")), 30, 12) if len(d.text_item_ids) > 1 else ""})
    distinct = int(extras.get("n_distinct_comments") or len(rows))
    note = (t("comments_all", lang, total=fmt.integer(total)) if len(rows) >= distinct else
            t("comments_note", lang, total=fmt.integer(total), unique=fmt.integer(distinct), shown=len(rows),
              seed=extras.get("comment_seed", "")))
    return {"available": True, "message": None, "rows": rows, "note": note, "total": total, "shown": len(rows)}


def glossary_rows(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels,
                  priorities: Mapping[str, Any]) -> list[dict[str, str]]:
    """The glossary with this survey's quadrant split and satisfaction-rate boxes (labels from its scale)."""
    rate = analysis.get("satisfaction_rate")
    labels: list[str] = []
    boxes = 2
    if d.loyalty is not None and d.item(d.loyalty.satisfaction_item).scale:
        sc = d.scale_of(d.loyalty.satisfaction_item)
        boxes = int(rate.get("boxes") or sc.top_box_count) if isinstance(rate, Mapping) else sc.top_box_count
        labs = L.scale_labels(sc)
        if d.item(d.loyalty.satisfaction_item).reverse:  # the "top" boxes are then the lowest raw answers
            labs = labs[::-1]
        labels = list(reversed(labs[-boxes:])) if len(labs) >= boxes else []
    split = priorities.get("split") or str((analysis.get("settings") or {}).get("priority_split") or "mean")
    cons = None
    if d.model is not None:
        cons = [d.text(c.label, lang) if c.label else c.id for c in d.model.constructs]
        cons = [c[:1].lower() + c[1:] if lang == "en" else c for c in cons]
    return glossary(lang, split=split, boxes=boxes, box_labels=labels, constructs=cons)
