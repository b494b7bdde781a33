"""Change over time: the reported period against the previous one (the summary's ``change``) and the trend section
with its chart.

A report on one wave cannot see the wave before it in its own analysis, so the change then comes from the extras
(`reports.extras.compute_extras`), which also give the per-wave trend rows, each computed as its own report would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import bounds, family_of, mark, p_of, section_reason, test_of, val, verdict
from reports.context.labels import TOP_LEVEL_CHART_MAX, Labels, top_level_ids
from reports.i18n import t
from survey_defs.schema import SurveyDefinition

__all__ = ["trend_chart", "trend_section", "wave_change"]


def _no_change_message(d: SurveyDefinition, extras: Mapping[str, Any], lang: str, L: Labels,
                       wave: str | None, cmp: object) -> str:
    """Why there is no change against a previous period, in plain words (no waves, none/one with data, first)."""
    present = [r["wave"] for r in extras.get("trend") or []]
    if not d.waves:
        return t("no_waves_defined", lang)
    if not present:
        return t("no_wave_data", lang)
    if len(present) == 1:
        return t("one_wave", lang, waves=L.wave(present[0]))
    if wave and wave in present and present.index(wave) == 0:
        return t("first_wave", lang, wave=L.wave(wave))
    return L.cannot(cmp)


def wave_change(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
                L: Labels, wave: str | None = None) -> dict[str, Any]:
    """The latest (or selected) period against the previous one: from extras for a one-wave report (the analysis
    of one wave cannot see the one before it), else from the analysis."""
    cmp = analysis.get("waves")
    if isinstance(extras.get("wave_change"), Mapping) and (wave or section_reason(cmp)):
        cmp = extras["wave_change"]
    elif wave:  # a selected wave without a previous one: the analysis' own comparison is of nothing
        cmp = None
    reason = section_reason(cmp)
    if reason or not isinstance(cmp, Mapping):
        return {"available": False, "message": _no_change_message(d, extras, lang, L, wave, cmp)}
    idx = cmp.get("index") or {}
    test = test_of(idx)
    diff = val(idx.get("diff"))
    sig = bool(test.get("significant"))
    return {
        "available": True, "message": None,
        "latest": cmp.get("latest"), "previous": cmp.get("previous"),
        "latest_label": L.wave(cmp.get("latest")), "previous_label": L.wave(cmp.get("previous")),
        "a": val(idx.get("a")), "b": val(idx.get("b")), "a_text": fmt.num(val(idx.get("a"))),
        "b_text": fmt.num(val(idx.get("b"))),
        "diff": diff, "diff_text": fmt.signed(diff),
        "significant": sig, "verdict": verdict(sig, lang), "p": p_of(test),
        "family_text": family_of(test, lang), "verdict_family": verdict(sig, lang, test),
        "p_text": fmt.pvalue(p_of(test)), "test": test.get("test"), "family": test.get("family"),
        "diff_ci": bounds(test), "diff_ci_text": fmt.ci(bounds(test)),
        "nodes": {k: {"diff": val(v.get("diff")), "mark": mark(v), "p": p_of(test_of(v)),
                      "significant": bool(test_of(v).get("significant"))}
                  for k, v in (cmp.get("nodes") or {}).items()},
    }


def trend_section(d: SurveyDefinition, extras: Mapping[str, Any], change: Mapping[str, Any], lang: str,
                  L: Labels, wave: str | None) -> dict[str, Any]:
    """The trend section: one row per wave with data (n, index, CI, top-level dimensions), the selected wave
    marked, and the change's mark per dimension."""
    rows_in = [r for r in extras.get("trend") or [] if isinstance(r.get("index"), Mapping)]
    top = top_level_ids(d)
    if not d.waves:
        return {"available": False, "message": t("no_waves_defined", lang), "rows": [], "nodes": []}
    if not rows_in:
        return {"available": False, "message": t("no_wave_data", lang), "rows": [], "nodes": [], "change": change}
    if len(rows_in) < 2:
        return {"available": False, "message": t("one_wave", lang, waves=L.wave(rows_in[0]["wave"])), "rows": [],
                "nodes": [], "change": change}
    rows = []
    for r in rows_in:
        rows.append({"wave": r["wave"], "label": L.wave(r["wave"]), "n": fmt.integer(r["n"]),
                     "value": val(r["index"]), "text": fmt.num(val(r["index"])), "ci": fmt.ci(bounds(r["index"])),
                     "ci_raw": bounds(r["index"]), "selected": r["wave"] == wave,
                     "nodes": [{"id": k, "value": val((r.get("nodes") or {}).get(k)),
                                "text": fmt.num(val((r.get("nodes") or {}).get(k)))} for k in top]})
    node_change = change.get("nodes") or {}
    nodes = [{"id": k, "label": L.node(k), "mark": (node_change.get(k) or {}).get("mark", ""),
              "diff_text": fmt.signed((node_change.get(k) or {}).get("diff"))} for k in top]
    return {"available": True, "message": None, "rows": rows, "nodes": nodes, "change": change}


def trend_chart(d: SurveyDefinition, trend: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any] | None:
    """The index and (at most `TOP_LEVEL_CHART_MAX`) top-level dimensions by wave; None without a trend."""
    if not trend.get("available"):
        return None
    rows = trend["rows"]
    series = [{"name": L.node(d.indicators.id) if d.indicators else "CSI", "main": True,
               "values": [r["value"] for r in rows], "ci": [r["ci_raw"] for r in rows]}]
    for k, nd in enumerate(trend["nodes"][:TOP_LEVEL_CHART_MAX]):
        series.append({"name": nd["label"], "main": False, "values": [r["nodes"][k]["value"] for r in rows],
                       "ci": None})
    return {"kind": "trend", "title": t("trend_chart", lang), "waves": [r["label"] for r in rows], "series": series}
