"""The cover and the summary: the cover facts (``meta``: what period the figures cover), the six headline KPIs, up to
three findings written from the numbers, and the table of the index and its top-level dimensions.

The summary only restates what the sections computed (change, ranking, benchmark, model), so that a figure reads
the same on the first page as in its section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from analytics.settings import AnalysisSettings
from reports import fmt
from reports.context.benchmark import INDEX
from reports.context.figures import bounds, section_reason, val
from reports.context.labels import Labels
from reports.context.segments import segment_finding
from reports.i18n import t
from survey_defs.schema import SurveyDefinition

__all__ = ["dimensions_table", "findings_list", "kpi_list", "meta_section"]


def meta_section(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
                 generated: dt.date, organisation: str | None, wave: str | None, L: Labels) -> dict[str, Any]:
    """Cover facts. ``period`` names exactly what the figures cover: one wave, or every wave pooled."""
    present = [r["wave"] for r in extras.get("trend") or []]
    sep = fmt.list_sep(lang)
    pooled = False
    if wave:
        period = L.wave(wave)
    elif present:
        period, pooled = t("all_waves", lang, waves=sep.join(L.wave(w) for w in present)), len(present) > 1
    elif d.waves:
        period, pooled = t("all_waves", lang, waves=sep.join(L.wave(w.id) for w in d.waves)), True
    else:
        period = t("no_waves", lang)
    n = analysis.get("n") or {}
    return {
        "title": d.text(d.title, lang),
        "organisation": organisation or d.text(d.organisation, lang),
        "own_brand": L.brand(d.own_brand.id),
        "slug": d.slug,
        "version": d.version,
        "period": period,
        "pooled": pooled,
        "period_note": t("period_note_pooled" if pooled else "period_note", lang, period=period),
        "wave": wave,
        "generated": fmt.date(generated, lang),
        "generated_iso": generated.isoformat(),
        "n_analysed": int(n.get("analysed") or 0),
        "n_analysed_text": fmt.integer(n.get("analysed") or 0),
        "conf_pct": fmt.num(100 * AnalysisSettings.from_json(analysis.get("settings")).conf, 0),
    }


def _verdict_p(verdict: str, p_text: str, lang: str) -> str:
    """"significant, p = 0.003" (``，`` in Chinese)."""
    return verdict + fmt.comma(lang) + p_text


def findings_list(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels,
                  change: Mapping[str, Any], ranking: Mapping[str, Any], conf_pct: str,
                  pooled: bool = False) -> list[str]:
    """Up to three findings, each written from the numbers; the first that can be stated come first.

    A pooled report (every wave together) says so, and states the change as latest against previous wave with
    both values, so that the pooled CSI is never read as the latest wave's.
    """
    out: list[str] = []
    idx = analysis.get("index")
    if not section_reason(idx):
        if change.get("available"):
            diff = float(change["diff"] or 0)
            direction = t("up" if diff > 0 else "down", lang)
            kw = {"prev": change["previous_label"], "diff": f"{direction} {fmt.num(abs(diff))}",
                  "verdict": change["verdict"], "p": change["p_text"], "dci": change["diff_ci_text"],
                  "family": change["family_text"]}
            ch = t("f_change_pooled", lang, latest=change["latest_label"], a=change["a_text"], b=change["b_text"],
                   **kw) if pooled else t("f_change", lang, **kw)
        else:
            reason = str(change.get("message") or "").rstrip("。.")
            ch = t("f_change_none", lang, reason=reason[:1].lower() + reason[1:] if lang == "en" else reason)
        out.append(t("f_csi", lang, value=fmt.num(val(idx)), ci_label=t("ci_level", lang, level=conf_pct),
                     ci=fmt.ci(bounds(idx)), change=ch))
    if ranking.get("available"):
        details = fmt.clause_sep(lang).join(
            t("f_rank_vs", lang, brand=v["label"], value=v["value_text"], diff=v["diff_text"],
              verdict=_verdict_p(v["verdict_plain"], v["p_text"], lang) if v["verdict"] else "")
            for v in ranking["vs"])
        # every index-vs-competitor test is a primary comparison: the family is said once for all of them
        out.append(t("f_rank", lang, rank=ranking["rank"], n=ranking["n"], details=details,
                     family=t("fam_primary", lang)))
    loy = analysis.get("loyalty")
    rate = analysis.get("satisfaction_rate")
    if isinstance(loy, Mapping) and not section_reason(loy) and not section_reason(rate) and d.loyalty:
        zones = loy.get("zones") or {}
        nps = loy.get("nps")
        sc = L.scale(d.loyalty.satisfaction_item)
        top = sc.labels.get(lang, sc.labels.get(d.default_language, [""]))[-1] if sc else ""
        has_nps = isinstance(nps, Mapping) and not section_reason(nps)
        out.append(t("f_loyalty" if has_nps else "f_loyalty_no_nps", lang, rate=fmt.pct(val(rate)),
                     loyal=fmt.pct(val(zones.get("loyalty"))), defect=fmt.pct(val(zones.get("defection"))),
                     top=top, nps=fmt.num(val(nps)) if has_nps else fmt.DASH))
    if len(out) < 3 and not section_reason(idx):
        tops = [nd for nd in (idx or {}).get("nodes", []) if nd.get("level") == 1 and val(nd.get("score")) is not None]
        if len(tops) >= 2:
            best = max(tops, key=lambda nd: val(nd["score"]) or 0)
            worst = min(tops, key=lambda nd: val(nd["score"]) or 0)
            out.append(t("f_dims", lang, best=L.node(best["id"]), best_v=fmt.num(val(best["score"])),
                         worst=L.node(worst["id"]), worst_v=fmt.num(val(worst["score"]))))
    if len(out) < 3:
        seg = segment_finding(analysis, lang)
        if seg:
            out.append(seg)
    return out[:3]


def kpi_list(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: Labels, change: Mapping[str, Any],
             ranking: Mapping[str, Any], model: Mapping[str, Any], conf_pct: str,
             period: str = "") -> list[dict[str, Any]]:
    """The summary's six headline figures; each says why when it cannot be given."""
    ci_label = t("ci_level", lang, level=conf_pct)
    idx, rate = analysis.get("index"), analysis.get("satisfaction_rate")
    loy_sec = analysis.get("loyalty")
    loy = loy_sec if isinstance(loy_sec, Mapping) else None
    na = t("not_available", lang)
    sep = fmt.clause_sep(lang)

    def kpi(key: str, est: object, value: str, note: str) -> dict[str, Any]:
        reason = section_reason(est)
        return {"key": key, "label": t(key, lang), "value": value if not reason else na,
                "raw": val(est) if not reason else None, "note": fmt.sentence(L.why(est), lang) if reason else note}

    out = [kpi("kpi_csi", idx, fmt.num(val(idx)), f"{ci_label} {fmt.ci(bounds(idx))}" + (sep + period if period
                                                                                          else ""))]
    out.append({"key": "kpi_change", "label": t("kpi_change", lang),
                "value": change["diff_text"] if change.get("available") else na,
                "raw": change.get("diff") if change.get("available") else None,
                "note": (_verdict_p(change["verdict_family"], change["p_text"], lang)
                         + sep + t("change_ci", lang, ci=change["diff_ci_text"])
                         + sep + t("vs_prev", lang, prev=change["previous_label"]))
                if change.get("available") else change.get("message")})
    out.append({"key": "kpi_rank", "label": t("kpi_rank", lang),
                "value": ranking["text"] if ranking.get("available") else na,
                "raw": ranking.get("rank"),
                "note": sep.join(f"{r['label']} {fmt.num(r['value'])}" for r in ranking.get("order", []))
                if ranking.get("available") else ranking.get("message")})
    rate_note = ""
    if d.loyalty and not section_reason(rate):
        rate_note = t("rate_def", lang, item=L.short(L.item(d.loyalty.satisfaction_item), 40, 14),
                      boxes=(rate or {}).get("boxes", 2))
    out.append(kpi("kpi_rate", rate, fmt.pct(val(rate)), rate_note))
    if d.loyalty is None:
        nps_est: object = {"status": "insufficient_data", "reason": ""}
        nps_note = t("no_loyalty", lang)
    elif d.loyalty.nps_item is None:
        nps_est, nps_note = {"status": "insufficient_data", "reason": ""}, t("no_nps", lang)
    elif loy is None or section_reason(loy):  # the loyalty section itself has no result (e.g. no responses)
        nps_est, nps_note = loy_sec or {"status": "insufficient_data"}, ""
    else:
        nps_est, nps_note = loy.get("nps") or {"status": "insufficient_data"}, ""
    entry = kpi("kpi_nps", nps_est, fmt.num(val(nps_est)), f"{ci_label} {fmt.ci(bounds(nps_est))}")
    if nps_note:
        entry["note"] = nps_note
    out.append(entry)
    if model.get("available"):
        out.append({"key": "kpi_acsi", "label": t("kpi_acsi", lang), "value": model["index_text"],
                    "raw": model.get("index"), "note": model.get("index_note", "")})
    else:
        out.append({"key": "kpi_acsi", "label": t("kpi_acsi", lang), "value": na, "raw": None,
                    "note": model.get("message")})
    return out


def dimensions_table(d: SurveyDefinition, index: Mapping[str, Any], bench: Mapping[str, Any],
                     change: Mapping[str, Any], L: Labels) -> dict[str, Any]:
    """The summary's table: the index and each top-level dimension with CI, change and the best competitor."""
    if not index.get("available"):
        return {"available": False, "rows": []}
    by_id = {r["id"]: r for r in index["rows"]}
    top = [d.indicators.id] + [c.id for c in d.indicators.children] if d.indicators else []
    bench_rows = {(INDEX if r["is_index"] else r["key"]): r for r in bench.get("rows") or []}
    rows = []
    for k, nid in enumerate(top):
        r = by_id.get(nid)
        if r is None:
            continue
        if change.get("available"):
            ch = change if k == 0 else (change.get("nodes") or {}).get(nid) or {}
            ch_text = fmt.signed(ch.get("diff"))
            ch_mark = ("▲" if (ch.get("diff") or 0) > 0 else "▼") if ch.get("significant") or \
                ch.get("mark") in ("▲", "▼") else ("=" if ch else "")
        else:
            ch_text, ch_mark = fmt.DASH, ""
        br = bench_rows.get(INDEX if k == 0 else nid)
        lead_label = lead_text = lead_mark = lead_diff = ""
        if br and br["cells"]:
            best = max((c for c in br["cells"] if c["value"] is not None), key=lambda c: c["value"], default=None)
            if best is not None:
                # the mark belongs to the difference (ours − theirs), not to the competitor's score
                lead_label, lead_text, lead_mark = L.brand(best["brand"]), best["text"], best["mark"]
                lead_diff = best["diff_text"]
        rows.append({"label": r["label"], "score": r["score"], "ci": r["ci"], "change": ch_text,
                     "change_mark": ch_mark, "leader": lead_label, "leader_score": lead_text,
                     "leader_diff": lead_diff, "leader_mark": lead_mark, "is_index": k == 0})
    return {"available": bool(rows), "rows": rows, "has_change": bool(change.get("available")),
            "has_leader": any(r["leader"] for r in rows)}
