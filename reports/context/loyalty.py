"""The loyalty section: the defection / indifference / loyalty zones of the overall-satisfaction answers, the
Jones & Sasser quadrants (satisfaction × loyalty) with their counts, the NPS and its parts, and their charts.

The zone ranges and the quadrants' cut-offs are stated in the survey's own answer labels, so that "completely
satisfied" (the top-box cut) is never read as the satisfaction rate's broader top boxes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import bounds, section_reason, val
from reports.context.labels import Labels
from reports.i18n import t
from survey_defs.schema import Loyalty, Scale, SurveyDefinition

__all__ = ["loyalty_charts", "loyalty_section"]

QUADRANTS = ("loyalists", "mercenaries", "hostages", "defectors")


def _quadrants(lb: Loyalty, analysis: Mapping[str, Any], loy: Mapping[str, Any], lang: str, L: Labels,
               sc: Scale | None) -> tuple[list[dict[str, Any]], str, str | None]:
    """The quadrant rows, the note defining them from the cut-offs (in answer labels) and the message when
    there are none."""
    quads = loy.get("quadrants")
    if not isinstance(quads, Mapping) or section_reason(quads):
        return [], "", L.cannot(quads) if isinstance(quads, Mapping) else t("no_loyalty_item", lang)
    q_rows = []
    q_n = 0
    for k in QUADRANTS:
        est = quads.get(k)
        total = int(est.get("n") or 0) if isinstance(est, Mapping) else 0
        q_n = max(q_n, total)
        # the figure's n is everyone who answered both items; the count is share x n (exact when unweighted)
        count = round((val(est) or 0.0) * total / 100) if val(est) is not None else None
        q_rows.append({"key": k, "label": t("q_" + k, lang), "value": val(est), "text": fmt.pct(val(est)),
                       "ci": fmt.ci(bounds(est)), "count": count, "count_text": fmt.integer(count)})
    qc = quads.get("cutoffs") or {}
    smin, lmin_q = qc.get("satisfaction_high_min"), qc.get("loyalty_high_min")
    loy_id = quads.get("loyalty_item") or lb.loyalty_item
    loy_sc = L.scale(loy_id) if loy_id else None

    def answers(lo: object, sc_max: int | None) -> str:
        if lo is None:
            return fmt.DASH
        return t("answer_only" if lo == sc_max else "answers_from", lang, lo=lo)

    labs = L.scale_labels(sc) if sc else []
    slabel = ""
    if sc and isinstance(smin, int | float) and 0 <= int(smin) - sc.min < len(labs):
        slabel = labs[-1] if smin == sc.max else f"{labs[int(smin) - sc.min]}–{labs[-1]}"
    rate = analysis.get("satisfaction_rate")
    q_note = t("quadrant_def", lang, sat=L.short(L.item(lb.satisfaction_item), 30, 12),
               sans=answers(smin, sc.max if sc else None), slabel=slabel,
               boxes=(rate or {}).get("boxes", 2) if isinstance(rate, Mapping) else 2,
               loy=L.short(L.item(loy_id), 30, 12), lans=answers(lmin_q, loy_sc.max if loy_sc else None),
               n=fmt.integer(q_n))
    return q_rows, q_note, None


def _nps(loy: Mapping[str, Any], lang: str, L: Labels, conf_pct: str) -> dict[str, Any]:
    """The NPS, its promoters / passives / detractors and the sentence that adds them up."""
    nps = loy.get("nps")
    if not isinstance(nps, Mapping) or section_reason(nps):
        return {"available": False, "message": L.cannot(nps) if isinstance(nps, Mapping) else t("no_nps", lang)}
    parts = [("promoters", val(nps.get("promoters"))), ("passives", val(nps.get("passives"))),
             ("detractors", val(nps.get("detractors")))]
    return {"available": True, "message": None, "value": val(nps), "text": fmt.num(val(nps)),
            "parts": [{"key": k, "label": t(k, lang), "value": v, "text": fmt.pct(v)} for k, v in parts],
            "sentence": t("nps_text", lang, p=fmt.pct(parts[0][1]), d=fmt.pct(parts[2][1]),
                          nps=fmt.num(val(nps)), ci_label=t("ci_level", lang, level=conf_pct),
                          ci=fmt.ci(bounds(nps)), n=fmt.integer(nps.get("n")))}


def loyalty_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels,
                    conf_pct: str) -> dict[str, Any]:
    """Zones, quadrants and NPS; says plainly when the survey defines no loyalty items or no NPS question."""
    loy = analysis.get("loyalty")
    if loy is None or d.loyalty is None:
        return {"available": False, "message": t("no_loyalty", lang)}
    if section_reason(loy):
        return {"available": False, "message": L.cannot(loy)}
    lb = d.loyalty
    sid = lb.satisfaction_item
    sc = L.scale(sid)
    lo_v, hi_v = (sc.min, sc.max) if sc else (0, 1)
    cut = loy.get("cutoffs") or {}
    dmax, lmin = cut.get("defection_max", lb.defection_max), cut.get("loyalty_min", lb.loyalty_min)
    ranges = {"defection": (lo_v, dmax), "indifference": (dmax + 1, lmin - 1), "loyalty": (lmin, hi_v)}
    zones = []
    for z in ("defection", "indifference", "loyalty"):
        est = (loy.get("zones") or {}).get(z)
        a, b = ranges[z]
        zones.append({"key": z, "label": t("zone_" + z, lang),
                      "range": t("zone_range", lang, lo=a, hi=b) if a != b else t("zone_single", lang, lo=a),
                      "value": val(est), "text": fmt.pct(val(est)), "ci": fmt.ci(bounds(est))})
    q_rows, q_note, q_msg = _quadrants(lb, analysis, loy, lang, L, sc)
    nps_ctx = _nps(loy, lang, L, conf_pct)
    scale_text = ""
    if sc:
        labs = L.scale_labels(sc)
        if labs:
            scale_text = f"{sc.min} = {labs[0]} … {sc.max} = {labs[-1]}"
    loyal = (loy.get("zones") or {}).get("loyalty")
    return {"available": True, "message": None, "zones": zones, "quadrants": q_rows, "quadrant_note": q_note,
            "zone_note": t("zone_note", lang, item=L.short(L.item(sid), 40, 20), scale=scale_text),
            "quadrant_message": q_msg, "nps": nps_ctx,
            "n": fmt.integer(loyal.get("n") if isinstance(loyal, Mapping) else None)}


def loyalty_charts(loy: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The zones and the NPS composition as stacked bars (None each when not available)."""
    out: dict[str, Any] = {"zones": None, "nps": None}
    if not loy.get("available"):
        return out
    out["zones"] = {"kind": "stack", "title": t("zones", lang), "bar": "",
                    "parts": [{"key": z["key"], "label": z["label"], "value": z["value"]} for z in loy["zones"]]}
    if loy["nps"].get("available"):
        out["nps"] = {"kind": "stack", "title": t("nps_comp", lang) + f" (NPS {loy['nps']['text']})", "bar": "",
                      "parts": [{"key": p["key"], "label": p["label"], "value": p["value"]}
                                for p in loy["nps"]["parts"]]}
    return out
