"""The method section: how many responses were received, filtered, excluded (by rule) and analysed, by channel;
the margin of error; weighting; how the tree's weights were set; and how answers become 0–100 scores.

Everything here is stated from this survey's analysis and definition (its scales, its quality rules), not canned.
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

from analytics.settings import AnalysisSettings
from reports import fmt
from reports.context.figures import bounds, section_reason
from reports.context.index import tree_rows
from reports.context.labels import Labels
from reports.i18n import t, t_or
from survey_defs.schema import SurveyDefinition

__all__ = ["method_section"]


def method_section(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
                   L: Labels) -> dict[str, Any]:
    """The method section. The margin of error is half the index CI's width; the proportion MOE is the worst
    case z·√(0.25 / n_eff) at the analysis' confidence level."""
    n = analysis.get("n") or {}
    q = analysis.get("quality") or {}
    ex = q.get("exclusions") or {}
    params = q.get("params") or {}
    conf = AnalysisSettings.from_json(analysis.get("settings")).conf
    channels = extras.get("channels") or []
    total = sum(c["received"] for c in channels) or 0
    ch_rows = [{"label": L.channel(c["channel"]), "received": fmt.integer(c["received"]),
                "analysed": fmt.integer(c["analysed"]),
                "share": fmt.share(c["received"] / total) if total else fmt.DASH} for c in channels]
    frac = params.get("speeder_fraction", 0.3)
    excl = []
    for flag, cnt in (ex.get("by_flag") or {}).items():
        label = t_or("flag_" + flag, lang, flag, frac=fmt.share(frac, 0))
        excl.append({"label": label, "count": fmt.integer(cnt), "raw": cnt})
    idx = analysis.get("index")
    moe = None
    if not section_reason(idx) and bounds(idx):
        c = bounds(idx) or [0, 0]
        moe = (c[1] - c[0]) / 2
    n_eff = float(n.get("n_eff") or 0)
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    pmoe = 100 * z * (0.25 / n_eff) ** 0.5 if n_eff > 0 else None
    ci_method = str((idx or {}).get("ci_method") or "") if isinstance(idx, Mapping) else ""
    moe_text = t("moe_text", lang, level=fmt.num(conf * 100, 0), moe=fmt.num(moe, 2),
                 method=t("ci_method_delta", lang) if ci_method.startswith("delta") else ci_method or "—",
                 pmoe=fmt.num(pmoe, 1)) if moe is not None else t("not_available", lang)
    weighting = t("weighting_yes", lang, neff=fmt.integer(n_eff)) if n.get("weighted") else t("weighting_none", lang)
    return {
        "counts": [
            {"label": t("n_received", lang), "value": fmt.integer(n.get("responses") or 0)},
            {"label": t("n_filtered", lang), "value": fmt.integer(n.get("filtered") or 0)},
            {"label": t("n_excluded", lang), "value": fmt.integer(ex.get("n_excluded") or 0)},
            {"label": t("n_analysed", lang), "value": fmt.integer(n.get("analysed") or 0)},
        ],
        "channels": ch_rows,
        "exclusions": excl,
        "exclusion_total": fmt.integer(ex.get("n_excluded") or 0),
        "moe": moe, "moe_text": moe_text, "proportion_moe": pmoe,
        "weighting": weighting,
        "tree": [r for r in tree_rows(d, analysis, lang, L) if not r["leaf"]],
        "tree_note": t("tree_note", lang),
        "scoring_note": _scoring_note(d, lang),
    }


def _score_text(x: float) -> str:
    return fmt.num(x, 0) if abs(x - round(x)) < 1e-9 else fmt.num(x, 1)


def _scoring_note(d: SurveyDefinition, lang: str) -> str:
    """How answers become 0–100 scores, built from the scales the scored items actually use (never canned)."""
    parts: list[str] = []
    seen: set[tuple[int, int, str]] = set()
    yes_no = False
    for iid in d.respondent_item_ids + d.brand_item_ids:
        it = d.item(iid)
        if it.type == "yes_no":
            yes_no = True
            continue
        if it.type not in ("likert", "nps") or it.scale is None:
            continue
        sc = d.scale_of(iid)
        key = (sc.points, sc.min, sc.scoring)
        if key in seen:
            continue
        seen.add(key)
        scores = [sc.score(x) for x in reversed(sc.values)]
        values = "/".join(_score_text(v) for v in scores) if sc.points <= 7 else \
            f"{_score_text(scores[-1])}, {_score_text(scores[-2])}, …, {_score_text(scores[0])}"
        if sc.scoring == "percent_of_max" or sc.min == 0:  # linear from 0 is answer / max x 100 too
            parts.append(t("scoring_pom", lang, points=sc.points, lo=sc.min, hi=sc.max, values=values))
        else:
            parts.append(t("scoring_linear", lang, points=sc.points, lo=sc.min, hi=sc.max, span=sc.max - sc.min,
                           values=values))
    if yes_no:
        parts.append(t("scoring_yes_no", lang))
    return t("scoring_note", lang, scales=fmt.clause_sep(lang).join(parts) or fmt.DASH)
