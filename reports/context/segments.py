"""The segments section: the index per group of each segment question (n, CI, small-n flag, the respondents who did
not answer it) with the one-way ANOVA between groups, the segment chart, and the summary's segment finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.figures import bounds, section_reason, val, verdict
from reports.context.labels import Labels
from reports.i18n import t
from survey_defs.schema import SurveyDefinition

__all__ = ["segment_chart", "segment_finding", "segments_section"]

ALPHA = 0.05  # a segment variable's ANOVA counts as significant below this p


def _group_rows(s: Mapping[str, Any], lang: str, L: Labels) -> list[dict[str, Any]]:
    """One row per group of one segment question, then the respondents who did not answer it (if any)."""
    rows = []
    for code, est in (s.get("segments") or {}).items():
        lab = (est.get("label") or {}).get(lang) if isinstance(est.get("label"), Mapping) else None
        rows.append({"code": code, "label": lab or code, "n": fmt.integer(est.get("n")), "n_raw": est.get("n"),
                     "value": val(est), "text": fmt.num(val(est)), "ci": fmt.ci(bounds(est)), "ci_raw": bounds(est),
                     "small_n": bool(est.get("small_n")),
                     "reason": fmt.sentence(L.why(est), lang) if val(est) is None else None})
    if s.get("unknown"):
        rows.append({"code": "", "label": t("unknown_segment", lang), "n": fmt.integer(s.get("unknown")),
                     "n_raw": s.get("unknown"), "value": None, "text": fmt.DASH, "ci": fmt.DASH, "ci_raw": None,
                     "small_n": False, "reason": None})
    return rows


def segments_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any]:
    """Every segment question of the survey as a group of rows with its test (or why it has none)."""
    if not d.segment_item_ids:
        return {"available": False, "message": t("no_segments", lang), "groups": []}
    segs = analysis.get("segments")
    reason = section_reason(segs)
    if reason or not isinstance(segs, Mapping):
        return {"available": False, "message": L.cannot(segs), "groups": [], "any_small_n": False}
    groups: list[dict[str, Any]] = []
    min_n = (analysis.get("settings") or {}).get("min_segment_n", 30)
    for sid in d.segment_item_ids:
        s = segs.get(sid)
        r = section_reason(s)
        title = L.item(sid)
        if r or not isinstance(s, Mapping):
            groups.append({"id": sid, "title": title, "available": False,
                           "message": L.cannot(s), "rows": []})
            continue
        min_n = s.get("min_n", min_n)
        rows = _group_rows(s, lang, L)
        test = s.get("test") or {}
        if isinstance(test.get("p_value"), int | float):
            sig = test["p_value"] < ALPHA
            test_text = t("segment_test", lang, p=fmt.pvalue(test["p_value"]), verdict=verdict(sig, lang))
        else:
            test_text = t("segment_no_test", lang, reason=L.why(test))
        groups.append({"id": sid, "title": title, "short": L.short(title, 30, 12), "available": True,
                       "message": None, "rows": rows, "test": test_text})
    return {"available": any(g["available"] for g in groups), "message": None, "groups": groups,
            "small_n_note": t("small_n", lang, min_n=min_n), "min_n": min_n,
            "any_small_n": any(r["small_n"] for g in groups for r in g["rows"]),
            "overall": val(analysis.get("index"))}


def segment_chart(seg: Mapping[str, Any], lang: str, L: Labels) -> dict[str, Any] | None:
    """The groups with a score, question by question, against the overall index; None when there are none."""
    if not seg.get("available"):
        return None
    groups: list[dict[str, Any]] = []
    for g in seg["groups"]:
        if not g["available"]:
            continue
        rows = [r for r in g["rows"] if r["value"] is not None]
        if rows:
            groups.append({"title": g["short"], "labels": [L.short(r["label"], 26, 12) for r in rows],
                           "values": [r["value"] for r in rows], "ci": [r["ci_raw"] for r in rows],
                           "small_n": [r["small_n"] for r in rows], "n": [r["n"] for r in rows]})
    if not groups:
        return None
    return {"kind": "segments", "title": t("segment_chart", lang), "groups": groups, "overall": seg.get("overall"),
            "small_n_label": t("small_n", lang, min_n=seg.get("min_n", 30))}


def segment_finding(analysis: Mapping[str, Any], lang: str) -> str | None:
    """The lowest segment of the most significant segment variable (ANOVA p < 0.05), if any."""
    segs = analysis.get("segments")
    if not isinstance(segs, Mapping) or section_reason(segs):
        return None
    best: tuple[float, str] | None = None
    for sid, s in segs.items():
        if section_reason(s) or not isinstance(s, Mapping):
            continue
        p = (s.get("test") or {}).get("p_value")
        if isinstance(p, int | float) and p < ALPHA and (best is None or p < best[0]):
            best = (float(p), sid)
    if best is None:
        return None
    s = segs[best[1]]
    rows = [(k, v) for k, v in (s.get("segments") or {}).items() if val(v) is not None and not v.get("small_n")]
    if len(rows) < 2:
        return None
    lo = min(rows, key=lambda kv: val(kv[1]) or 0)
    hi = max(rows, key=lambda kv: val(kv[1]) or 0)

    def label(v: Mapping[str, Any]) -> str:
        return str((v.get("label") or {}).get(lang) or "")

    return t("f_segment", lang, seg=label(lo[1]), low=fmt.num(val(lo[1])), n=fmt.integer(lo[1].get("n")),
             best=label(hi[1]), high=fmt.num(val(hi[1])), gap=fmt.num((val(hi[1]) or 0) - (val(lo[1]) or 0)),
             p=fmt.pvalue(best[0]))
