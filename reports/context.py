"""The report context: every number, label and sentence of a report as plain data, built before any rendering.

``build_context(definition, analysis, extras, lang=...)`` turns the stable analysis JSON (`analytics.analyze`),
the definition's labels and the data-derived extras (`reports.extras`) into dicts, lists, strings and numbers.
The template only places what is here, and the tests assert on it, not on pixels. Sentences (findings,
priorities, "cannot be computed because ...") are written here from the numbers, never canned.

Every section dict has ``available`` (bool) and ``message`` (why not, in the report's language) so that thin data
gives a plain statement instead of an empty chart. Chart data lives under ``charts`` as small plain dicts that
`reports.charts` turns into Plotly figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

from reports import fmt
from reports.i18n import LANGUAGES, glossary, strings, t
from reports.reasons import explain, explain_model_note
from survey_defs.schema import SurveyDefinition

__all__ = ["build_context", "section_reason"]

TOP_LEVEL_CHART_MAX = 8


# ---------------------------------------------------------------------------------------------------- helpers
def section_reason(sec: object) -> str | None:
    """Why an analysis section has no result (``status`` insufficient_data / error / unavailable), else None."""
    if sec is None:
        return "not computed"
    if isinstance(sec, Mapping) and sec.get("status") in ("insufficient_data", "error", "unavailable"):
        return str(sec.get("reason") or sec.get("status"))
    return None


def _status(sec: object) -> str:
    return str(sec.get("status") or "insufficient_data") if isinstance(sec, Mapping) else "insufficient_data"


def _val(est: object) -> float | None:
    if isinstance(est, Mapping):
        v = est.get("value")
        return float(v) if isinstance(v, int | float) else None
    return float(est) if isinstance(est, int | float) else None


def _ci(est: object) -> list[float] | None:
    if isinstance(est, Mapping):
        c = est.get("ci")
        if isinstance(c, Sequence) and len(c) == 2 and all(isinstance(x, int | float) for x in c):
            return [float(c[0]), float(c[1])]
    return None


class _Labels:
    """Labels from the definition in one language (items, nodes, brands, waves, options)."""

    def __init__(self, d: SurveyDefinition, lang: str) -> None:
        self.d, self.lang = d, lang
        self.nodes: dict[str, str] = {}
        self.node_item: dict[str, str] = {}
        if d.indicators is not None:
            for nd in d.indicators.walk():
                if nd.item:
                    self.node_item[nd.id] = nd.item
                self.nodes[nd.id] = d.text(nd.label, lang) if nd.label else (self.item(nd.item) if nd.item else nd.id)

    def item(self, item_id: str | None) -> str:
        if not item_id:
            return ""
        it = self.d.item_map.get(item_id)
        return self.d.text(it.text, self.lang) if it else item_id

    def node(self, node_id: str) -> str:
        return self.nodes.get(node_id, node_id)

    def brand(self, brand_id: str) -> str:
        for b in self.d.brands:
            if b.id == brand_id:
                return self.d.text(b.name, self.lang)
        return brand_id

    def wave(self, wave_id: object) -> str:
        for w in self.d.waves:
            if w.id == wave_id:
                return self.d.text(w.label, self.lang)
        return str(wave_id) if wave_id is not None else ""

    def channel(self, ch: str) -> str:
        names = {"web": ("网页", "Web"), "api": ("接口", "API"), "phone": ("电话", "Phone"),
                 "paper": ("纸质", "Paper"), "import": ("导入", "Import"), "unknown": ("未知", "Unknown")}
        pair = names.get(ch)
        return (pair[0] if self.lang == "zh" else pair[1]) if pair else ch

    def why(self, sec: object) -> str:
        """Why ``sec`` (an analysis section or figure) has no result, in this language (`reports.reasons`)."""
        return explain(section_reason(sec), self.lang, status=_status(sec), item=self.item, brand=self.brand)

    def cannot(self, sec: object) -> str:
        """"This section cannot be computed: <why>." in this language."""
        return t("section_error", self.lang, reason=self.why(sec))

    def short(self, text: str, n_en: int = 34, n_zh: int = 16) -> str:
        """A chart-sized label: cut at a word (en) or character count (zh) with an ellipsis."""
        limit = n_zh if self.lang == "zh" else n_en
        if len(text) <= limit:
            return text
        cut = text[:limit]
        if self.lang != "zh" and " " in cut:
            cut = cut[: cut.rfind(" ")]
        return cut.rstrip(" ,;:(（、，") + "…"


def _test_of(cmp: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not isinstance(cmp, Mapping):
        return {}
    test = cmp.get("test")
    return test if isinstance(test, Mapping) else {}


def _p(test: Mapping[str, Any]) -> object:
    """The p-value behind the verdict: Holm-adjusted where the analysis adjusted it."""
    return test.get("p_holm", test.get("p_value"))


def _mark(cmp: Mapping[str, Any] | None) -> str:
    """▲ own brand significantly higher, ▼ lower, = not significant, '' when untested."""
    test = _test_of(cmp)
    if "significant" not in test:
        return ""
    if not test.get("significant"):
        return "="
    diff = _val(test.get("diff", (cmp or {}).get("diff")))
    return "▲" if diff is not None and diff > 0 else "▼"


# ---------------------------------------------------------------------------------------------------- sections
def _meta(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
          generated: dt.date, organisation: str | None, wave: str | None, L: _Labels) -> dict[str, Any]:
    """Cover facts. ``period`` names exactly what the figures cover: one wave, or every wave pooled."""
    present = [r["wave"] for r in extras.get("trend") or []]
    sep = "、" if lang == "zh" else ", "
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
        "conf_pct": fmt.num(100 * float((analysis.get("settings") or {}).get("conf") or 0.95), 0),
    }


def _no_change_message(d: SurveyDefinition, extras: Mapping[str, Any], lang: str, L: _Labels,
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


def _wave_change(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
                 L: _Labels, wave: str | None = None) -> dict[str, Any]:
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
    test = _test_of(idx)
    diff = _val(idx.get("diff"))
    sig = bool(test.get("significant"))
    return {
        "available": True, "message": None,
        "latest": cmp.get("latest"), "previous": cmp.get("previous"),
        "latest_label": L.wave(cmp.get("latest")), "previous_label": L.wave(cmp.get("previous")),
        "a": _val(idx.get("a")), "b": _val(idx.get("b")), "a_text": fmt.num(_val(idx.get("a"))),
        "b_text": fmt.num(_val(idx.get("b"))),
        "diff": diff, "diff_text": fmt.signed(diff),
        "significant": sig, "verdict": t("sig" if sig else "nsig", lang), "p": _p(test),
        "p_text": fmt.pvalue(_p(test)), "test": test.get("test"),
        "nodes": {k: {"diff": _val(v.get("diff")), "mark": _mark(v), "p": _p(_test_of(v)),
                      "significant": bool(_test_of(v).get("significant"))}
                  for k, v in (cmp.get("nodes") or {}).items()},
    }


def _ranking(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
    brands = analysis.get("brands")
    own = d.own_brand.id
    if len(d.brand_ids) < 2:
        return {"available": False, "message": t("one_brand", lang)}
    if section_reason(brands) or not isinstance(brands, Mapping):
        return {"available": False, "message": L.cannot(brands)}
    scored = [(b, _val(v)) for b, v in brands.items() if _val(v) is not None]
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
        test = _test_of(idx)
        diff = (dict(scored)[own] or 0) - (v or 0)
        vs.append({"brand": b, "label": L.brand(b), "value": v, "value_text": fmt.num(v), "diff": diff,
                   "diff_text": fmt.signed(diff), "mark": _mark(idx),
                   "significant": test.get("significant"), "p": _p(test), "p_text": fmt.pvalue(_p(test)),
                   "verdict": t("sig" if test.get("significant") else "nsig", lang) if test else ""})
    return {"available": True, "message": None, "rank": rank, "n": len(order), "text": f"{rank} / {len(order)}",
            "order": [{"brand": b, "label": L.brand(b), "value": v, "own": b == own} for b, v in order], "vs": vs}


def _findings(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels, change: Mapping[str, Any],
              ranking: Mapping[str, Any], conf_pct: str, pooled: bool = False) -> list[str]:
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
                  "verdict": change["verdict"], "p": change["p_text"]}
            ch = t("f_change_pooled", lang, latest=change["latest_label"], a=change["a_text"], b=change["b_text"],
                   **kw) if pooled else t("f_change", lang, **kw)
        else:
            reason = str(change.get("message") or "").rstrip("。.")
            ch = t("f_change_none", lang, reason=reason[:1].lower() + reason[1:] if lang == "en" else reason)
        out.append(t("f_csi", lang, value=fmt.num(_val(idx)), ci_label=t("ci_level", lang, level=conf_pct),
                     ci=fmt.ci(_ci(idx)), change=ch))
    if ranking.get("available"):
        sep = "；" if lang == "zh" else "; "
        details = sep.join(t("f_rank_vs", lang, brand=v["label"], value=v["value_text"], diff=v["diff_text"],
                             verdict=(v["verdict"] + ("，" if lang == "zh" else ", ") + v["p_text"])
                             if v["verdict"] else "")
                           for v in ranking["vs"])
        out.append(t("f_rank", lang, rank=ranking["rank"], n=ranking["n"], details=details))
    loy = analysis.get("loyalty")
    rate = analysis.get("satisfaction_rate")
    if isinstance(loy, Mapping) and not section_reason(loy) and not section_reason(rate) and d.loyalty:
        zones = loy.get("zones") or {}
        nps = loy.get("nps")
        sid = d.loyalty.satisfaction_item
        sc = d.scale_of(sid) if d.item(sid).scale else None
        top = sc.labels.get(lang, sc.labels.get(d.default_language, [""]))[-1] if sc else ""
        has_nps = isinstance(nps, Mapping) and not section_reason(nps)
        out.append(t("f_loyalty" if has_nps else "f_loyalty_no_nps", lang, rate=fmt.pct(_val(rate)),
                     loyal=fmt.pct(_val(zones.get("loyalty"))), defect=fmt.pct(_val(zones.get("defection"))),
                     top=top, nps=fmt.num(_val(nps)) if has_nps else fmt.DASH))
    if len(out) < 3 and not section_reason(idx):
        tops = [nd for nd in (idx or {}).get("nodes", []) if nd.get("level") == 1 and _val(nd.get("score")) is not None]
        if len(tops) >= 2:
            best = max(tops, key=lambda nd: _val(nd["score"]) or 0)
            worst = min(tops, key=lambda nd: _val(nd["score"]) or 0)
            out.append(t("f_dims", lang, best=L.node(best["id"]), best_v=fmt.num(_val(best["score"])),
                         worst=L.node(worst["id"]), worst_v=fmt.num(_val(worst["score"]))))
    if len(out) < 3:
        seg = _segment_finding(analysis, lang)
        if seg:
            out.append(seg)
    return out[:3]


def _segment_finding(analysis: Mapping[str, Any], lang: str) -> str | None:
    """The lowest segment of the most significant segment variable (ANOVA p < 0.05), if any."""
    segs = analysis.get("segments")
    if not isinstance(segs, Mapping) or section_reason(segs):
        return None
    best: tuple[float, str] | None = None
    for sid, s in segs.items():
        if section_reason(s) or not isinstance(s, Mapping):
            continue
        p = (s.get("test") or {}).get("p_value")
        if isinstance(p, int | float) and p < 0.05 and (best is None or p < best[0]):
            best = (float(p), sid)
    if best is None:
        return None
    s = segs[best[1]]
    rows = [(k, v) for k, v in (s.get("segments") or {}).items() if _val(v) is not None and not v.get("small_n")]
    if len(rows) < 2:
        return None
    lo = min(rows, key=lambda kv: _val(kv[1]) or 0)
    hi = max(rows, key=lambda kv: _val(kv[1]) or 0)

    def label(v: Mapping[str, Any]) -> str:
        return str((v.get("label") or {}).get(lang) or "")

    return t("f_segment", lang, seg=label(lo[1]), low=fmt.num(_val(lo[1])), n=fmt.integer(lo[1].get("n")),
             best=label(hi[1]), high=fmt.num(_val(hi[1])), gap=fmt.num((_val(hi[1]) or 0) - (_val(lo[1]) or 0)),
             p=fmt.pvalue(best[0]))


def _priority_list(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
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
    # rows carry plain numbers or figures {"value", "n", "ci"} (docs/analytics-json.md): read both through _val
    items = [it for it in pr.get("items") or [] if _val(it.get("performance")) is not None]
    total_imp = sum(_val(it.get("importance")) or 0.0 for it in items) or 1.0
    by_imp = sorted(items, key=lambda it: -(_val(it.get("importance")) or 0.0))
    imp_rank = {it["item"]: k + 1 for k, it in enumerate(by_imp)}
    number = {it["item"]: k + 1 for k, it in
              enumerate(sorted(items, key=lambda it: -(_val(it.get("priority")) or 0.0)))}
    leaf_of = {v: k for k, v in L.node_item.items()}
    gap_best = ((analysis.get("benchmarks") or {}).get("gap_to_best") or {}) \
        if isinstance(analysis.get("benchmarks"), Mapping) else {}
    rows = []
    for it in sorted(items, key=lambda it: number[it["item"]]):
        gb = gap_best.get(leaf_of.get(it["item"], ""), {}) if isinstance(gap_best, Mapping) else {}
        best_other = gb if gb and gb.get("best_brand") not in (None, d.own_brand.id) else None
        share = 100 * (_val(it.get("importance")) or 0.0) / total_imp
        perf = _val(it.get("performance"))
        best_v = _val(best_other.get("best")) if best_other else None
        lead = best_v - perf if best_v is not None and perf is not None else None
        rev = bool(d.item_map[it["item"]].reverse) if it["item"] in d.item_map else False
        rows.append({
            "no": number[it["item"]], "item": it["item"], "label": L.item(it["item"]), "reverse": rev,
            "short": L.short(L.item(it["item"])),
            "importance": _val(it.get("importance")), "importance_share": share, "importance_text": fmt.pct(share),
            "importance_rank": imp_rank[it["item"]],
            "performance": perf, "performance_text": fmt.num(perf),
            "target": _val(it.get("target")), "target_text": fmt.num(_val(it.get("target"))),
            "gap": _val(it.get("gap")), "gap_text": fmt.num(_val(it.get("gap"))),
            "priority": _val(it.get("priority")), "priority_text": fmt.num(_val(it.get("priority")), 2),
            "quadrant": it.get("quadrant"), "quadrant_label": t("ipa_" + str(it.get("quadrant")), lang)
            if "ipa_" + str(it.get("quadrant")) in strings(lang) else str(it.get("quadrant")),
            "best_brand": L.brand(best_other["best_brand"]) if best_other else None,
            "best_value": best_v,
            "lead": lead, "lead_text": fmt.num(lead) if lead is not None else "",
            "leader_text": fmt.num(best_v) if best_other else "",
        })
    improve = [r for r in rows if r["quadrant"] == "improve_first"]
    summary = []
    for r in improve[:3]:
        summary.append(_priority_sentence(r, len(rows), lang, next_=False))
    for r in [r for r in rows if r["quadrant"] != "improve_first"][: 3 - len(summary)]:
        summary.append(_priority_sentence(r, len(rows), lang, next_=True))
    src = str(pr.get("importance_source") or "")
    reg = pr.get("regression") or {}
    if src.startswith("derived") and d.loyalty:
        src_text = t("imp_derived", lang, item=L.item(d.loyalty.satisfaction_item), r2=fmt.num(reg.get("r2"), 3))
    elif src.startswith("tree"):
        src_text = t("imp_tree", lang)
    else:
        src_text = src
    vs_best = []
    for it in pr.get("improve_first_vs_best_brand") or []:
        gb = gap_best.get(leaf_of.get(it["item"], ""), {}) if isinstance(gap_best, Mapping) else {}
        vs_best.append({"label": L.item(it["item"]), "performance_text": fmt.num(_val(it.get("performance"))),
                        "target_text": fmt.num(_val(it.get("target"))), "gap_text": fmt.num(_val(it.get("gap"))),
                        "best_brand": L.brand(gb.get("best_brand", "")) if gb else "",
                        "priority_text": fmt.num(_val(it.get("priority")), 2)})
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


def _priority_sentence(r: Mapping[str, Any], n: int, lang: str, next_: bool) -> str:
    best = ""
    if r.get("best_brand") and isinstance(r.get("lead"), int | float) and r["lead"] > 0:
        best = t("p_best", lang, brand=r["best_brand"], value=fmt.num(r["best_value"]), lead=fmt.num(r["lead"]))
    s = t("p_item", lang, item=r["label"], perf=r["performance_text"], rank=r["importance_rank"], n=n,
          imp=r["importance_text"], gap=r["gap_text"], best=best, next=t("p_next", lang) if next_ else "")
    return s


def _sentence(clause: str, lang: str) -> str:
    """A reason clause as a sentence: capitalised with a full stop (en), with 。 (zh)."""
    c = clause.strip().rstrip("。.")
    if not c:
        return ""
    return c + "。" if lang == "zh" else c[:1].upper() + c[1:] + "."


def _kpis(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels, change: Mapping[str, Any],
          ranking: Mapping[str, Any], model: Mapping[str, Any], conf_pct: str,
          period: str = "") -> list[dict[str, Any]]:
    """The summary's six headline figures; each says why when it cannot be given."""
    ci_label = t("ci_level", lang, level=conf_pct)
    idx, rate = analysis.get("index"), analysis.get("satisfaction_rate")
    loy_sec = analysis.get("loyalty")
    loy = loy_sec if isinstance(loy_sec, Mapping) else None
    na = t("not_available", lang)
    sep = "；" if lang == "zh" else "; "

    def kpi(key: str, est: object, value: str, note: str) -> dict[str, Any]:
        reason = section_reason(est)
        return {"key": key, "label": t(key, lang), "value": value if not reason else na,
                "raw": _val(est) if not reason else None, "note": _sentence(L.why(est), lang) if reason else note}

    out = [kpi("kpi_csi", idx, fmt.num(_val(idx)), f"{ci_label} {fmt.ci(_ci(idx))}" + (sep + period if period
                                                                                        else ""))]
    out.append({"key": "kpi_change", "label": t("kpi_change", lang),
                "value": change["diff_text"] if change.get("available") else na,
                "raw": change.get("diff") if change.get("available") else None,
                "note": (change["verdict"] + ("，" if lang == "zh" else ", ") + change["p_text"]
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
    out.append(kpi("kpi_rate", rate, fmt.pct(_val(rate)), rate_note))
    if d.loyalty is None:
        nps_est: object = {"status": "insufficient_data", "reason": ""}
        nps_note = t("no_loyalty", lang)
    elif d.loyalty.nps_item is None:
        nps_est, nps_note = {"status": "insufficient_data", "reason": ""}, t("no_nps", lang)
    elif loy is None or section_reason(loy):  # the loyalty section itself has no result (e.g. no responses)
        nps_est, nps_note = loy_sec or {"status": "insufficient_data"}, ""
    else:
        nps_est, nps_note = loy.get("nps") or {"status": "insufficient_data"}, ""
    entry = kpi("kpi_nps", nps_est, fmt.num(_val(nps_est)), f"{ci_label} {fmt.ci(_ci(nps_est))}")
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


def _method(d: SurveyDefinition, analysis: Mapping[str, Any], extras: Mapping[str, Any], lang: str,
            L: _Labels) -> dict[str, Any]:
    n = analysis.get("n") or {}
    q = analysis.get("quality") or {}
    ex = q.get("exclusions") or {}
    params = q.get("params") or {}
    conf = float((analysis.get("settings") or {}).get("conf") or 0.95)
    channels = extras.get("channels") or []
    total = sum(c["received"] for c in channels) or 0
    ch_rows = [{"label": L.channel(c["channel"]), "received": fmt.integer(c["received"]),
                "analysed": fmt.integer(c["analysed"]),
                "share": fmt.share(c["received"] / total) if total else fmt.DASH} for c in channels]
    frac = params.get("speeder_fraction", 0.3)
    excl = []
    for flag, cnt in (ex.get("by_flag") or {}).items():
        key = "flag_" + flag
        label = t(key, lang, frac=fmt.share(frac, 0)) if key in strings(lang) else flag
        excl.append({"label": label, "count": fmt.integer(cnt), "raw": cnt})
    idx = analysis.get("index")
    moe = None
    if not section_reason(idx) and _ci(idx):
        c = _ci(idx) or [0, 0]
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
        "tree": [r for r in _tree_rows(d, analysis, lang, L) if not r["leaf"]],
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
    return t("scoring_note", lang, scales=("；" if lang == "zh" else "; ").join(parts) or fmt.DASH)


def _weight_source_text(node: Mapping[str, Any] | None, lang: str) -> str:
    if not node:
        return ""
    src = node.get("weight_source")
    if src is None:
        return ""
    if src == "ahp":
        diag = node.get("weight_diagnostics") or {}
        cr = diag.get("cr")
        return t("ws_ahp", lang, cr=fmt.num(cr, 3),
                 ok=t("ws_ahp_ok" if diag.get("consistent", True) else "ws_ahp_bad", lang))
    key = "ws_" + str(src)
    return t(key, lang) if key in strings(lang) else str(src)


def _tree_rows(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> list[dict[str, Any]]:
    """One row per indicator node (depth-first): weight among siblings, global weight, score, CI, n, and where
    the weights came from (``source``: this node's; ``children_source``: its children's)."""
    idx = analysis.get("index")
    if section_reason(idx) or not isinstance(idx, Mapping):
        if d.indicators is None:
            return []
        # no scores, but the weights of the definition can still be shown
        rows = []

        def visit(nd: Any, level: int, parent: Any) -> None:
            rows.append({"id": nd.id, "level": level, "label": L.node(nd.id), "leaf": nd.is_leaf,
                         "weight": fmt.weight(nd.weight) if nd.weight is not None else fmt.DASH,
                         "global_weight": fmt.DASH, "source": "" if parent is None else _ws_def(parent, lang),
                         "children_source": "" if nd.is_leaf else _ws_def(nd, lang),
                         "score": fmt.DASH, "ci": fmt.DASH, "n": fmt.DASH, "raw": None, "renormalised": False,
                         "reverse": bool(nd.item and d.item(nd.item).reverse)})
            for c in nd.children:
                visit(c, level + 1, nd)
        visit(d.indicators, 0, None)
        return rows
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
            "source": _weight_source_text(parent, lang),
            "children_source": _weight_source_text(nd, lang) if nd.get("item") is None else "",
            "score": fmt.num(_val(sc)), "raw": _val(sc), "ci": fmt.ci(_ci(sc)), "ci_raw": _ci(sc),
            "n": fmt.integer(sc.get("n")) if isinstance(sc, Mapping) and sc.get("n") is not None else fmt.DASH,
            "renormalised": bool(nd.get("renormalised")),
            "reverse": bool(nd.get("item") in d.item_map and d.item(nd["item"]).reverse),
            "reason": section_reason(sc) if isinstance(sc, Mapping) and sc.get("value") is None else None,
        })
    return rows


def _ws_def(parent: Any, lang: str) -> str:
    src = parent.weight_source
    key = "ws_" + src
    if src == "ahp":
        return t("ws_ahp", lang, cr=fmt.DASH, ok=t("ws_ahp_ok", lang))
    return t(key, lang) if key in strings(lang) else src


def _index_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
    idx = analysis.get("index")
    reason = section_reason(idx)
    if reason:
        return {"available": False, "message": L.cannot(idx), "rows": [], "warnings": []}
    rows = _tree_rows(d, analysis, lang, L)
    return {"available": True, "message": None, "rows": rows, "warnings": list((idx or {}).get("warnings") or []),
            "any_renormalised": any(r["renormalised"] for r in rows), "any_reverse": any(r["reverse"] for r in rows)}


def _dimensions(d: SurveyDefinition, index: Mapping[str, Any], bench: Mapping[str, Any], change: Mapping[str, Any],
                lang: str, L: _Labels) -> dict[str, Any]:
    """The summary's table: the index and each top-level dimension with CI, change and the best competitor."""
    if not index.get("available"):
        return {"available": False, "rows": []}
    by_id = {r["id"]: r for r in index["rows"]}
    top = [d.indicators.id] + [c.id for c in d.indicators.children] if d.indicators else []
    bench_rows = {("__index__" if r["is_index"] else r["key"]): r for r in bench.get("rows") or []}
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
        br = bench_rows.get("__index__" if k == 0 else nid)
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


def _index_chart(rows: Sequence[Mapping[str, Any]], lang: str, L: _Labels) -> dict[str, Any] | None:
    """Bars by level: the index, the top-level dimensions and their sub-dimensions (leaves are in the table)."""
    bars = [r for r in rows if not r["leaf"] and r["raw"] is not None]
    if not bars:
        return None
    return {"kind": "index_bars", "title": t("index_chart", lang),
            "labels": [r["label"] for r in bars], "levels": [r["level"] for r in bars],
            "values": [r["raw"] for r in bars], "ci": [r.get("ci_raw") for r in bars]}


def _loyalty(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels,
             conf_pct: str) -> dict[str, Any]:
    loy = analysis.get("loyalty")
    if loy is None or d.loyalty is None:
        return {"available": False, "message": t("no_loyalty", lang)}
    if section_reason(loy):
        return {"available": False, "message": L.cannot(loy)}
    lb = d.loyalty
    sid = lb.satisfaction_item
    sc = d.scale_of(sid) if d.item(sid).scale else None
    lo_v, hi_v = (sc.min, sc.max) if sc else (0, 1)
    item_short = L.short(L.item(sid), 30, 12)
    cut = loy.get("cutoffs") or {}
    dmax, lmin = cut.get("defection_max", lb.defection_max), cut.get("loyalty_min", lb.loyalty_min)
    ranges = {"defection": (lo_v, dmax), "indifference": (dmax + 1, lmin - 1), "loyalty": (lmin, hi_v)}
    zones = []
    for z in ("defection", "indifference", "loyalty"):
        est = (loy.get("zones") or {}).get(z)
        a, b = ranges[z]
        zones.append({"key": z, "label": t("zone_" + z, lang),
                      "range": t("zone_range", lang, lo=a, hi=b) if a != b else t("zone_single", lang, lo=a),
                      "value": _val(est), "text": fmt.pct(_val(est)), "ci": fmt.ci(_ci(est))})
    quads = loy.get("quadrants")
    q_rows, q_note, q_msg = [], "", None
    if isinstance(quads, Mapping) and not section_reason(quads):
        q_n = 0
        for k in ("loyalists", "mercenaries", "hostages", "defectors"):
            est = quads.get(k)
            total = int(est.get("n") or 0) if isinstance(est, Mapping) else 0
            q_n = max(q_n, total)
            # the figure's n is everyone who answered both items; the count is share x n (exact when unweighted)
            count = round((_val(est) or 0.0) * total / 100) if _val(est) is not None else None
            q_rows.append({"key": k, "label": t("q_" + k, lang), "value": _val(est), "text": fmt.pct(_val(est)),
                           "ci": fmt.ci(_ci(est)), "count": count, "count_text": fmt.integer(count)})
        qc = quads.get("cutoffs") or {}
        smin, lmin_q = qc.get("satisfaction_high_min"), qc.get("loyalty_high_min")
        loy_id = quads.get("loyalty_item") or lb.loyalty_item
        loy_sc = d.scale_of(loy_id) if loy_id and d.item(loy_id).scale else None

        def answers(lo: object, sc_max: int | None) -> str:
            if lo is None:
                return fmt.DASH
            return t("answer_only" if lo == sc_max else "answers_from", lang, lo=lo)

        labs = (sc.labels.get(lang) or sc.labels.get(d.default_language) or []) if sc else []
        slabel = ""
        if sc and isinstance(smin, int | float) and 0 <= int(smin) - sc.min < len(labs):
            slabel = labs[-1] if smin == sc.max else f"{labs[int(smin) - sc.min]}–{labs[-1]}"
        rate = analysis.get("satisfaction_rate")
        q_note = t("quadrant_def", lang, sat=item_short, sans=answers(smin, sc.max if sc else None), slabel=slabel,
                   boxes=(rate or {}).get("boxes", 2) if isinstance(rate, Mapping) else 2,
                   loy=L.short(L.item(loy_id), 30, 12), lans=answers(lmin_q, loy_sc.max if loy_sc else None),
                   n=fmt.integer(q_n))
    else:
        q_msg = L.cannot(quads) if isinstance(quads, Mapping) else t("no_loyalty_item", lang)
    nps = loy.get("nps")
    nps_ctx: dict[str, Any] = {"available": False, "message": L.cannot(nps)
                               if isinstance(nps, Mapping) else t("no_nps", lang)}
    if isinstance(nps, Mapping) and not section_reason(nps):
        parts = [("promoters", _val(nps.get("promoters"))), ("passives", _val(nps.get("passives"))),
                 ("detractors", _val(nps.get("detractors")))]
        nps_ctx = {"available": True, "message": None, "value": _val(nps), "text": fmt.num(_val(nps)),
                   "parts": [{"key": k, "label": t(k, lang), "value": v, "text": fmt.pct(v)} for k, v in parts],
                   "sentence": t("nps_text", lang, p=fmt.pct(parts[0][1]), d=fmt.pct(parts[2][1]),
                                 nps=fmt.num(_val(nps)), ci_label=t("ci_level", lang, level=conf_pct),
                                 ci=fmt.ci(_ci(nps)), n=fmt.integer(nps.get("n")))}
    scale_text = ""
    if sc:
        labs = sc.labels.get(lang) or sc.labels.get(d.default_language) or []
        if labs:
            scale_text = f"{sc.min} = {labs[0]} … {sc.max} = {labs[-1]}"
    return {"available": True, "message": None, "zones": zones, "quadrants": q_rows, "quadrant_note": q_note,
            "zone_note": t("zone_note", lang, item=L.short(L.item(sid), 40, 20), scale=scale_text),
            "quadrant_message": q_msg, "nps": nps_ctx, "n": fmt.integer((loy.get("zones") or {}).get(
                "loyalty", {}).get("n") if isinstance((loy.get("zones") or {}).get("loyalty"), Mapping) else None)}


def _benchmark(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels,
               ranking: Mapping[str, Any]) -> dict[str, Any]:
    own = d.own_brand.id
    if len(d.brand_ids) < 2:
        return {"available": False, "message": t("one_brand", lang)}
    bench = analysis.get("benchmarks")
    brands = analysis.get("brands")
    if section_reason(brands) or not isinstance(brands, Mapping):
        return {"available": False, "message": L.cannot(brands)}
    if section_reason(bench):
        return {"available": False, "message": L.cannot(bench)}
    comps = [b for b in d.brand_ids if b != own and _val(brands.get(b)) is not None]
    if not comps:
        sep = "；" if lang == "zh" else "; "
        reasons = sep.join(f"{L.brand(b)}: {L.why(brands.get(b))}" for b in d.brand_ids if b != own)
        return {"available": False, "message": t("section_error", lang, reason=reasons)}
    cmp = (bench or {}).get("competitors") or {}
    top = [nd.id for nd in d.indicators.children] if d.indicators else []
    rows = []
    for key in ["__index__", *top]:
        label = L.node(d.indicators.id) if key == "__index__" and d.indicators else L.node(key)
        own_est = brands[own] if key == "__index__" else (brands[own].get("nodes") or {}).get(key)
        cells = []
        for b in comps:
            est = brands[b] if key == "__index__" else (brands[b].get("nodes") or {}).get(key)
            bc = cmp.get(b) or {}
            c = bc.get("index") if key == "__index__" else (bc.get("nodes") or {}).get(key)
            diff = (_val(own_est) or 0) - (_val(est) or 0) if _val(own_est) is not None and _val(est) is not None \
                else None
            cells.append({"brand": b, "value": _val(est), "text": fmt.num(_val(est)), "diff": diff,
                          "diff_text": fmt.signed(diff), "mark": _mark(c), "p_text": fmt.pvalue(_p(_test_of(c)))
                          if _test_of(c) else ""})
        rows.append({"key": key, "label": label, "own": _val(own_est), "own_text": fmt.num(_val(own_est)),
                     "own_ci": fmt.ci(_ci(own_est)), "cells": cells, "is_index": key == "__index__"})
    behind = []
    for b in comps:
        for item_id, c in ((cmp.get(b) or {}).get("items") or {}).items():
            if _mark(c) == "▼":
                behind.append({"brand": L.brand(b), "label": L.item(item_id), "own": fmt.num(_val(c.get("a"))),
                               "other": fmt.num(_val(c.get("b"))), "diff": fmt.signed(_val(c.get("diff"))),
                               "p_text": fmt.pvalue(_p(_test_of(c)))})
    tests = {str(_test_of((cmp.get(b) or {}).get("index")).get("test") or "") for b in comps}
    test_name = ", ".join(t("test_paired", lang) if x == "paired_t" else t("test_welch", lang) if x == "welch_t" else x
                          for x in sorted(tests) if x)
    alpha = ((bench or {}).get("holm") or {}).get("alpha", 0.05)
    return {"available": True, "message": None, "own_label": L.brand(own),
            "competitors": [{"id": b, "label": L.brand(b), "n": fmt.integer((brands.get(b) or {}).get("n"))}
                            for b in comps],
            "own_n": fmt.integer((brands.get(own) or {}).get("n")),
            "rows": rows, "behind": behind, "legend": t("sig_legend", lang, test=test_name or "t", alpha=alpha),
            "partial": [f"{L.brand(b)}: {_sentence(L.why(brands.get(b)), lang)}" for b in d.brand_ids
                        if b != own and b not in comps]}


def _brand_chart(d: SurveyDefinition, bench: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
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


def _trend(d: SurveyDefinition, extras: Mapping[str, Any], change: Mapping[str, Any], lang: str,
           L: _Labels, wave: str | None) -> dict[str, Any]:
    rows_in = [r for r in extras.get("trend") or [] if isinstance(r.get("index"), Mapping)]
    top = [nd.id for nd in d.indicators.children] if d.indicators else []
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
                     "value": _val(r["index"]), "text": fmt.num(_val(r["index"])), "ci": fmt.ci(_ci(r["index"])),
                     "ci_raw": _ci(r["index"]), "selected": r["wave"] == wave,
                     "nodes": [{"id": k, "value": _val((r.get("nodes") or {}).get(k)),
                                "text": fmt.num(_val((r.get("nodes") or {}).get(k)))} for k in top]})
    nodes = [{"id": k, "label": L.node(k), "mark": ((change.get("nodes") or {}).get(k) or {}).get("mark", ""),
              "diff_text": fmt.signed(((change.get("nodes") or {}).get(k) or {}).get("diff"))} for k in top]
    return {"available": True, "message": None, "rows": rows, "nodes": nodes, "change": change}


def _trend_chart(d: SurveyDefinition, trend: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any] | None:
    if not trend.get("available"):
        return None
    rows = trend["rows"]
    series = [{"name": L.node(d.indicators.id) if d.indicators else "CSI", "main": True,
               "values": [r["value"] for r in rows], "ci": [r["ci_raw"] for r in rows]}]
    for k, nd in enumerate(trend["nodes"][:TOP_LEVEL_CHART_MAX]):
        series.append({"name": nd["label"], "main": False, "values": [r["nodes"][k]["value"] for r in rows],
                       "ci": None})
    return {"kind": "trend", "title": t("trend_chart", lang), "waves": [r["label"] for r in rows], "series": series}


def _segments(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
    if not d.segment_item_ids:
        return {"available": False, "message": t("no_segments", lang), "groups": []}
    segs = analysis.get("segments")
    reason = section_reason(segs)
    if reason or not isinstance(segs, Mapping):
        return {"available": False, "message": L.cannot(segs), "groups": [], "any_small_n": False}
    groups = []
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
        rows = []
        for code, est in (s.get("segments") or {}).items():
            lab = (est.get("label") or {}).get(lang) if isinstance(est.get("label"), Mapping) else None
            rows.append({"code": code, "label": lab or code, "n": fmt.integer(est.get("n")), "n_raw": est.get("n"),
                         "value": _val(est), "text": fmt.num(_val(est)), "ci": fmt.ci(_ci(est)), "ci_raw": _ci(est),
                         "small_n": bool(est.get("small_n")),
                         "reason": _sentence(L.why(est), lang) if _val(est) is None else None})
        if s.get("unknown"):
            rows.append({"code": "", "label": t("unknown_segment", lang), "n": fmt.integer(s.get("unknown")),
                         "n_raw": s.get("unknown"), "value": None, "text": fmt.DASH, "ci": fmt.DASH, "ci_raw": None,
                         "small_n": False, "reason": None})
        test = s.get("test") or {}
        if isinstance(test.get("p_value"), int | float):
            sig = test["p_value"] < 0.05
            test_text = t("segment_test", lang, p=fmt.pvalue(test["p_value"]),
                          verdict=t("sig" if sig else "nsig", lang))
        else:
            test_text = t("segment_no_test", lang, reason=L.why(test))
        groups.append({"id": sid, "title": title, "short": L.short(title, 30, 12), "available": True,
                       "message": None, "rows": rows, "test": test_text})
    return {"available": any(g["available"] for g in groups), "message": None, "groups": groups,
            "small_n_note": t("small_n", lang, min_n=min_n), "min_n": min_n,
            "any_small_n": any(r["small_n"] for g in groups for r in g["rows"]),
            "overall": _val(analysis.get("index"))}


def _segment_chart(seg: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any] | None:
    if not seg.get("available"):
        return None
    groups = []
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


def _items_table(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
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
                     "mean": fmt.DASH if is_yes_no else fmt.num(_val(st.get("mean"))),
                     "sd": fmt.DASH if is_yes_no else fmt.num(st.get("sd")),
                     "top_box": fmt.pct(_val(tb)), "boxes": boxes, "rule": rule, "yes_no": is_yes_no,
                     "ci": fmt.ci(_ci(tb)) if is_yes_no else fmt.ci(_ci(st.get("mean"))),
                     "brand_item": bool(st.get("per_brand")), "reverse": it.reverse})
    return {"available": bool(rows), "message": None if rows else t("section_error", lang, reason=fmt.DASH),
            "rows": rows, "any_reverse": any(r["reverse"] for r in rows)}


def _comments(d: SurveyDefinition, extras: Mapping[str, Any], lang: str, L: _Labels) -> dict[str, Any]:
    """The appendix comments: each distinct text once, with its total count and the waves and satisfaction
    bands its copies came from (`reports.extras.sample_comments`)."""
    sample = extras.get("comments") or []
    total = int(extras.get("n_comments") or 0)
    if not total:
        return {"available": False, "message": t("no_comments", lang), "rows": []}
    band = {"low": t("sat_low", lang), "mid": t("sat_mid", lang), "high": t("sat_high", lang),
            "unknown": t("sat_unknown", lang)}
    sep = "、" if lang == "zh" else ", "
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


def _ipa_chart(pr: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
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
            "quadrant_names": {q: t("ipa_" + q, lang) for q in ("improve_first", "keep_up", "low_priority",
                                                                 "possible_overkill")}}


def _loyalty_charts(loy: Mapping[str, Any], lang: str) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------------- latent model
def _records(obj: object, key: str) -> list[dict[str, Any]]:
    """Accept a list of records or a dict keyed by construct (``{"SAT": {...}}`` / ``{"SAT": 0.7}``)."""
    def low(r: Mapping[str, Any]) -> dict[str, Any]:  # rho_A / AVE as in PLSSummary, rho_a / ave in JSON
        return {str(k).lower(): v for k, v in r.items()}

    if isinstance(obj, list):
        return [low(r) for r in obj if isinstance(r, Mapping)]
    if isinstance(obj, Mapping):
        out = []
        for k, v in obj.items():
            out.append(low({key: k, **v}) if isinstance(v, Mapping) else {key: k, "value": v})
        return out
    return []


def _model(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, conf_pct: str) -> dict[str, Any]:
    """The latent-model section from ``analysis["acsi"]``.

    Reads the shape documented in ``docs/analytics-json.md`` (`analytics.acsi`), and tolerates records or dicts
    keyed by construct for ``paths``, ``r2``, ``reliability``, ``htmt_pairs``/``htmt`` and ``ipma`` (the
    `analytics.pls.PLSSummary` tables).
    """
    acsi = analysis.get("acsi")
    if d.model is None or acsi is None:
        return {"available": False, "message": t("acsi_absent", lang)}
    if section_reason(acsi) or not isinstance(acsi, Mapping):
        why = explain(section_reason(acsi), lang, status=_status(acsi))
        return {"available": False, "message": t("acsi_unavailable", lang, reason=why)}
    labels = {c.id: d.text(c.label, lang) if c.label else c.id for c in d.model.constructs}
    paths = []
    for r in _records(acsi.get("paths"), "path"):
        s, tg = r.get("source"), r.get("target")
        coef = _val(r.get("coef", r.get("coefficient", r.get("value"))))
        if s is None and isinstance(r.get("path"), str) and "->" in r["path"]:
            s, tg = (x.strip() for x in r["path"].split("->", 1))
        if s is None or tg is None:
            continue
        sig = r.get("significant")
        paths.append({"source": s, "target": tg, "label": f"{labels.get(s, s)} → {labels.get(tg, tg)}",
                      "coef": coef, "coef_text": fmt.num(coef, 3), "ci": fmt.ci(r.get("ci"), 3) if r.get("ci") else "",
                      "p_text": fmt.pvalue(r["p_value"]) if isinstance(r.get("p_value"), int | float)
                      else ("✓" if sig else "✗" if sig is not None else ""),
                      "f2": fmt.num(r.get("f2"), 3) if r.get("f2") is not None else ""})
    cons_records = _records(acsi.get("constructs") or acsi.get("indices"), "construct")
    r2 = {}
    for r in _records(acsi.get("r2"), "construct") or cons_records:
        c = r.get("construct", r.get("id"))
        v = r.get("r2", r.get("value"))
        if c is not None and isinstance(v, int | float):
            r2[str(c)] = {"r2": v, "adj": r.get("r2_adj", r.get("adj_r2"))}
    indices: dict[str, Any] = {}
    for r in cons_records:
        c = str(r.get("construct", r.get("id")))
        v = r.get("score", r.get("index", r.get("value")))
        indices[c] = v if isinstance(v, Mapping) else {"value": v}
    quality = []
    for r in _records(acsi.get("reliability"), "construct") or cons_records:
        c = str(r.get("construct", r.get("id")))
        ave, rho_c = r.get("ave"), r.get("rho_c")
        alpha, rho_a = r.get("alpha", r.get("cronbach_alpha")), r.get("rho_a")
        single = len(next((x.items for x in d.model.constructs if x.id == c), [])) <= 1

        def mark(v: object, lim: float, single: bool = single) -> str:
            if single or not isinstance(v, int | float):
                return ""
            return "✓" if v >= lim else "✗"
        quality.append({"construct": labels.get(c, c), "alpha": fmt.num(alpha, 3), "alpha_mark": mark(alpha, 0.7),
                        "rho_a": fmt.num(rho_a, 3), "rho_a_mark": mark(rho_a, 0.7),
                        "rho_c": fmt.num(rho_c, 3), "rho_c_mark": mark(rho_c, 0.7),
                        "ave": fmt.num(ave, 3), "ave_mark": mark(ave, 0.5),
                        "r2": fmt.num((r2.get(c) or {}).get("r2"), 3)})
    htmt = []
    htmt_by: dict[frozenset[str], dict[str, str]] = {}
    htmt_src = acsi.get("htmt_pairs") if acsi.get("htmt_pairs") is not None else acsi.get("htmt")
    for r in _records(htmt_src if isinstance(htmt_src, list) else None, "pair"):
        ra, rb = r.get("a", r.get("construct_a")), r.get("b", r.get("construct_b"))
        v = _val(r.get("htmt", r.get("value")))
        if ra is None or rb is None or v is None:
            continue
        a, b = str(ra), str(rb)
        cell = {"pair": f"{labels.get(a, a)} – {labels.get(b, b)}", "value": fmt.num(v, 3),
                "mark": "✓" if v <= 0.85 else ("✗" if v > 0.90 else "!")}
        htmt.append(cell)
        htmt_by[frozenset((a, b))] = cell
    # the same values as a lower-triangular matrix: 21 pairs of 7 constructs fit in 6 rows instead of 21
    order = [c.id for c in d.model.constructs]
    htmt_matrix = {"columns": [labels[c] for c in order[:-1]],
                   "rows": [{"label": labels[r], "cells": [htmt_by.get(frozenset((r, c))) if j < i else None
                                                           for j, c in enumerate(order[:-1])]}
                            for i, r in enumerate(order) if i > 0]} if htmt_by else None
    ipma = []
    for r in _records(acsi.get("ipma"), "driver"):
        c = str(r.get("driver", r.get("construct")))
        imp, perf = _val(r.get("importance")), _val(r.get("performance"))
        if imp is not None and perf is not None:
            ipma.append({"id": c, "label": labels.get(c, c), "importance": imp, "performance": perf,
                         "importance_text": fmt.num(imp, 3), "performance_text": fmt.num(perf)})
    sat = str(acsi.get("construct") or d.model.satisfaction)
    if isinstance(acsi.get("value"), int | float):  # docs/analytics-json.md: the ACSI at the top level
        index_est: Any = {"value": acsi["value"], "ci": acsi.get("ci"), "n": acsi.get("n")}
    else:
        index_est = acsi.get("index") if acsi.get("index") is not None else indices.get(sat)
    if not paths and index_est is None:
        return {"available": False, "message": t("model_shape", lang, keys=", ".join(sorted(acsi)))}
    info: Mapping[str, Any] = acsi["info"] if isinstance(acsi.get("info"), Mapping) else \
        {"converged": acsi.get("converged"), "n_obs": acsi.get("n")}
    return {
        "available": True, "message": None, "satisfaction": sat,
        "index": _val(index_est), "index_text": fmt.num(_val(index_est)),
        "index_note": (t("ci_level", lang, level=conf_pct) + " " + fmt.ci(_ci(index_est))) if _ci(index_est) else "",
        "constructs": [{"id": c.id, "label": labels[c.id], "r2": (r2.get(c.id) or {}).get("r2"),
                        "index": _val(indices.get(c.id))} for c in d.model.constructs],
        "paths": paths, "quality": quality, "htmt": htmt, "htmt_matrix": htmt_matrix, "ipma": ipma,
        "converged": info.get("converged"), "n": info.get("n_obs", acsi.get("n")),
        "ci_method": explain_model_note(acsi["ci_method"], lang) if acsi.get("ci_method") else "",
        "ci_note": t("ci_method_note", lang, method=explain_model_note(acsi["ci_method"], lang))
        if acsi.get("ci_method") else "",
        "warnings": list(dict.fromkeys(_sentence(explain_model_note(w, lang), lang)
                                       for w in acsi.get("warnings") or [])),
    }


def _model_charts(d: SurveyDefinition, model: Mapping[str, Any], lang: str) -> dict[str, Any]:
    if not model.get("available") or d.model is None:
        return {"path": None, "ipma": None}
    path = {"kind": "path_diagram", "title": t("path_diagram", lang),
            "constructs": model["constructs"], "paths": [{"source": p["source"], "target": p["target"],
                                                          "coef": p["coef"]} for p in model["paths"]],
            "satisfaction": model["satisfaction"]} if model["paths"] else None
    ipma = {"kind": "ipma", "title": t("ipma", lang), "x_title": t("performance", lang),
            "y_title": t("importance", lang), "labels": [r["label"] for r in model["ipma"]],
            "x": [r["performance"] for r in model["ipma"]], "y": [r["importance"] for r in model["ipma"]]} \
        if model["ipma"] else None
    return {"path": path, "ipma": ipma}


def _glossary(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str,
              priorities: Mapping[str, Any]) -> list[dict[str, str]]:
    """The glossary with this survey's quadrant split and satisfaction-rate boxes (labels from its scale)."""
    rate = analysis.get("satisfaction_rate")
    labels: list[str] = []
    boxes = 2
    if d.loyalty is not None and d.item(d.loyalty.satisfaction_item).scale:
        sc = d.scale_of(d.loyalty.satisfaction_item)
        boxes = int(rate.get("boxes") or sc.top_box_count) if isinstance(rate, Mapping) else sc.top_box_count
        labs = sc.labels.get(lang) or sc.labels.get(d.default_language) or []
        if d.item(d.loyalty.satisfaction_item).reverse:  # the "top" boxes are then the lowest raw answers
            labs = labs[::-1]
        labels = list(reversed(labs[-boxes:])) if len(labs) >= boxes else []
    split = priorities.get("split") or str((analysis.get("settings") or {}).get("priority_split") or "mean")
    cons = None
    if d.model is not None:
        cons = [d.text(c.label, lang) if c.label else c.id for c in d.model.constructs]
        cons = [c[:1].lower() + c[1:] if lang == "en" else c for c in cons]
    return glossary(lang, split=split, boxes=boxes, box_labels=labels, constructs=cons)


# ---------------------------------------------------------------------------------------------------- entry point
def build_context(
    definition: SurveyDefinition,
    analysis: Mapping[str, Any],
    extras: Mapping[str, Any] | None = None,
    *,
    lang: str = "zh",
    generated: dt.date | None = None,
    organisation: str | None = None,
    wave: str | None = None,
) -> dict[str, Any]:
    """The complete report context in ``lang`` (see the module docstring; keys listed in ``docs/report.md``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    d = definition
    extras = extras or {}
    L = _Labels(d, lang)
    generated = generated or dt.date.today()
    wave = wave or (analysis.get("filters") or {}).get("wave")
    meta = _meta(d, analysis, extras, lang, generated, organisation, wave, L)
    conf_pct = meta["conf_pct"]
    n_analysed = meta["n_analysed"]
    no_data = None
    if n_analysed == 0:
        no_data = t("no_data", lang, reason=L.why(analysis.get("index") or {"reason": "no responses to analyse"}))
    change = _wave_change(d, analysis, extras, lang, L, wave)
    ranking = _ranking(d, analysis, lang, L)
    model = _model(d, analysis, lang, conf_pct)
    priorities = _priority_list(d, analysis, lang, L)
    findings = _findings(d, analysis, lang, L, change, ranking, conf_pct, pooled=bool(meta["pooled"]))
    index = _index_section(d, analysis, lang, L)
    loyalty = _loyalty(d, analysis, lang, L, conf_pct)
    bench = _benchmark(d, analysis, lang, L, ranking)
    trend = _trend(d, extras, change, lang, L, wave)
    segments = _segments(d, analysis, lang, L)
    idx = analysis.get("index")
    dims = _dimensions(d, index, bench, change, lang, L)
    csi = {"value": _val(idx), "ci": _ci(idx), "text": fmt.num(_val(idx)), "ci_text": fmt.ci(_ci(idx)),
           "n": (idx or {}).get("n") if isinstance(idx, Mapping) else None}
    charts = {
        "index": _index_chart(index["rows"], lang, L) if index["available"] else None,
        "ipa": _ipa_chart(priorities, lang),
        **{f"loyalty_{k}": v for k, v in _loyalty_charts(loyalty, lang).items()},
        "brands": _brand_chart(d, bench, lang),
        "trend": _trend_chart(d, trend, lang, L),
        "segments": _segment_chart(segments, lang, L),
        **{f"model_{k}": v for k, v in _model_charts(d, model, lang).items()},
    }
    return {
        "lang": lang,
        "t": strings(lang),
        "meta": meta,
        "no_data": no_data,
        "summary": {
            "csi": csi,
            "kpis": _kpis(d, analysis, lang, L, change, ranking, model, conf_pct, meta["period"]),
            "findings": findings or [no_data or t("no_findings", lang)],
            "priorities": priorities["summary"] or [t("no_priorities", lang, reason=priorities.get("why") or
                                                      t("none_in_quadrant", lang).rstrip("。."))],
            "change": change,
            "ranking": ranking,
            "dimensions": dims,
        },
        "method": _method(d, analysis, extras, lang, L),
        "index": index,
        "model": model,
        "loyalty": loyalty,
        "priorities": priorities,
        "benchmark": bench,
        "trend": trend,
        "segments": segments,
        "appendix": {"item_stats": _items_table(d, analysis, lang, L), "comments": _comments(d, extras, lang, L),
                     "glossary": _glossary(d, analysis, lang, priorities)},
        "charts": charts,
    }
