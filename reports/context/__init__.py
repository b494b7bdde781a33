"""The report context: every number, label and sentence of a report as plain data, built before any rendering.

``build_context(definition, analysis, extras, lang=...)`` turns the stable analysis JSON (`analytics.analyze`),
the definition's labels and the data-derived extras (`reports.extras`) into dicts, lists, strings and numbers.
The template only places what is here, and the tests assert on it, not on pixels. Sentences (findings,
priorities, "cannot be computed because ...") are written here from the numbers, never canned.

Every section dict has ``available`` (bool) and ``message`` (why not, in the report's language) so that thin data
gives a plain statement instead of an empty chart. Chart data lives under ``charts`` as small plain dicts that
`reports.charts` turns into Plotly figures.

One module per section (or group of related sections), each building its section and its charts; `figures`
reads the analysis' figures and `labels` names the survey's ids, for all of them; numbers are formatted by
`reports.fmt`. This module only puts the sections together (keys listed in ``docs/report.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context.appendix import comments_section, glossary_rows, items_table
from reports.context.benchmark import benchmark_section, brand_chart, ranking_section
from reports.context.figures import bounds, section_reason, val
from reports.context.index import index_chart, index_section
from reports.context.labels import Labels
from reports.context.loyalty import loyalty_charts, loyalty_section
from reports.context.method import method_section
from reports.context.model import model_charts, model_section
from reports.context.priorities import ipa_chart, priorities_section
from reports.context.segments import segment_chart, segments_section
from reports.context.summary import dimensions_table, findings_list, kpi_list, meta_section
from reports.context.waves import trend_chart, trend_section, wave_change
from reports.i18n import LANGUAGES, strings, t
from survey_defs.schema import SurveyDefinition

__all__ = ["build_context", "section_reason"]


def _alpha(analysis: Mapping[str, Any], extras: Mapping[str, Any]) -> float:
    """The significance level of the comparisons (their ``multiplicity`` block), 0.05 when none says."""
    for sec in (analysis.get("benchmarks"), analysis.get("waves"), extras.get("wave_change")):
        m = sec.get("multiplicity") if isinstance(sec, Mapping) else None
        if isinstance(m, Mapping) and m.get("alpha") is not None:
            return float(m["alpha"])
    return 0.05


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
    L = Labels(d, lang)
    generated = generated or dt.date.today()
    wave = wave or (analysis.get("filters") or {}).get("wave")
    meta = meta_section(d, analysis, extras, lang, generated, organisation, wave, L)
    conf_pct = meta["conf_pct"]
    n_analysed = meta["n_analysed"]
    no_data = None
    if n_analysed == 0:
        no_data = t("no_data", lang, reason=L.why(analysis.get("index") or {"reason": "no responses to analyse"}))
    change = wave_change(d, analysis, extras, lang, L, wave)
    ranking = ranking_section(d, analysis, lang, L)
    model = model_section(d, analysis, lang, conf_pct)
    priorities = priorities_section(d, analysis, lang, L)
    findings = findings_list(d, analysis, lang, L, change, ranking, conf_pct, pooled=bool(meta["pooled"]))
    index = index_section(d, analysis, lang, L)
    loyalty = loyalty_section(d, analysis, lang, L, conf_pct)
    bench = benchmark_section(d, analysis, lang, L)
    trend = trend_section(d, extras, change, lang, L, wave)
    segments = segments_section(d, analysis, lang, L)
    idx = analysis.get("index")
    dims = dimensions_table(d, index, bench, change, L)
    csi = {"value": val(idx), "ci": bounds(idx), "text": fmt.num(val(idx)), "ci_text": fmt.ci(bounds(idx)),
           "n": (idx or {}).get("n") if isinstance(idx, Mapping) else None}
    charts = {
        "index": index_chart(index["rows"], lang) if index["available"] else None,
        "ipa": ipa_chart(priorities, lang),
        **{f"loyalty_{k}": v for k, v in loyalty_charts(loyalty, lang).items()},
        "brands": brand_chart(bench, lang),
        "trend": trend_chart(d, trend, lang, L),
        "segments": segment_chart(segments, lang, L),
        **{f"model_{k}": v for k, v in model_charts(d, model, lang).items()},
    }
    return {
        "lang": lang,
        "t": strings(lang),
        "meta": meta,
        "no_data": no_data,
        "summary": {
            "csi": csi,
            "kpis": kpi_list(d, analysis, lang, L, change, ranking, model, conf_pct, meta["period"]),
            "findings": findings or [no_data or t("no_findings", lang)],
            "priorities": priorities["summary"] or [t("no_priorities", lang, reason=priorities.get("why") or
                                                      t("none_in_quadrant", lang).rstrip("。."))],
            "change": change,
            "ranking": ranking,
            "dimensions": dims,
            "tests_note": t("tests_note", lang, alpha=_alpha(analysis, extras))
            if change.get("available") or ranking.get("available") else None,
        },
        "method": method_section(d, analysis, extras, lang, L),
        "index": index,
        "model": model,
        "loyalty": loyalty,
        "priorities": priorities,
        "benchmark": bench,
        "trend": trend,
        "segments": segments,
        "appendix": {"item_stats": items_table(d, analysis, lang, L),
                     "comments": comments_section(d, extras, lang, L),
                     "glossary": glossary_rows(d, analysis, lang, L, priorities)},
        "charts": charts,
    }
