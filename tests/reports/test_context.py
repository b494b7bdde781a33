"""The context carries the analysis' numbers, formatted per language, and sentences written from them."""

from __future__ import annotations

from typing import Any

import pytest

from reports import fmt
from reports.context import build_context
from reports.extras import sample_comments
from survey_defs.schema import SurveyDefinition
from tests.reports.conftest import GENERATED, XSS


def test_summary_numbers_are_the_analysis_figures(ctx_zh: dict[str, Any], analysis: dict[str, Any]) -> None:
    idx = analysis["index"]
    s = ctx_zh["summary"]
    assert s["csi"]["value"] == idx["value"]
    assert s["csi"]["ci"] == idx["ci"]
    kpis = {k["key"]: k for k in s["kpis"]}
    assert kpis["kpi_csi"]["value"] == fmt.num(idx["value"]) and kpis["kpi_csi"]["raw"] == idx["value"]
    assert fmt.ci(idx["ci"]) in kpis["kpi_csi"]["note"]
    assert kpis["kpi_rate"]["raw"] == analysis["satisfaction_rate"]["value"]
    assert kpis["kpi_nps"]["raw"] == analysis["loyalty"]["nps"]["value"]
    waves = analysis["waves"]
    assert kpis["kpi_change"]["raw"] == waves["index"]["diff"]
    assert kpis["kpi_change"]["value"] == fmt.signed(waves["index"]["diff"])
    # the rank is the own brand's position among the brands' indices
    values = sorted((b["value"] for b in analysis["brands"].values()), reverse=True)
    assert s["ranking"]["rank"] == values.index(analysis["brands"]["jiangcheng"]["value"]) + 1
    assert kpis["kpi_acsi"]["raw"] is None  # utility_csi has no latent model


def test_findings_are_written_from_the_numbers(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    first = ctx_en["summary"]["findings"][0]
    idx, waves = analysis["index"], analysis["waves"]
    assert first.startswith(f"The CSI is {fmt.num(idx['value'])} (95% CI {fmt.ci(idx['ci'])})")
    direction = "up" if waves["index"]["diff"] > 0 else "down"
    assert f"{direction} {fmt.num(abs(waves['index']['diff']))} points on 2nd half of 2025" in first
    verdict = "significant" if waves["index"]["test"]["significant"] else "not significant"
    assert f"({verdict}, {fmt.pvalue(waves['index']['test']['p_holm'])})" in first
    assert "ranks" in ctx_en["summary"]["findings"][1]
    assert len(ctx_en["summary"]["findings"]) == 3


def test_priorities_follow_the_improve_first_list(ctx_en: dict[str, Any], analysis: dict[str, Any],
                                                  utility: SurveyDefinition) -> None:
    improve = analysis["priorities"]["improve_first"]
    sentences = ctx_en["summary"]["priorities"]
    assert len(sentences) == 3
    for it, sentence in zip(improve[:3], sentences, strict=False):
        label = utility.text(utility.item(it["item"]).text, "en")
        assert f"“{label}”" in sentence and fmt.num(it["performance"]) in sentence and fmt.num(it["gap"]) in sentence
    rows = ctx_en["priorities"]["rows"]
    assert [r["no"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["priority"] for r in rows] == sorted((r["priority"] for r in rows), reverse=True)


def test_labels_and_dates_follow_the_language(ctx_zh: dict[str, Any], ctx_en: dict[str, Any]) -> None:
    assert ctx_zh["meta"]["generated"] == "2026年11月22日"
    assert ctx_en["meta"]["generated"] == "22 November 2026"
    assert ctx_zh["meta"]["title"] == "供电服务客户满意度调查"
    assert ctx_en["meta"]["organisation"] == "Jiangcheng Power Customer Service Centre"
    assert ctx_zh["t"]["sec_summary"] == "一、执行摘要" and ctx_en["t"]["sec_summary"] == "1. Executive summary"
    zh_index = {r["id"]: r["label"] for r in ctx_zh["index"]["rows"]}
    assert zh_index["quality"] == "供电质量"
    assert {r["id"]: r["label"] for r in ctx_en["index"]["rows"]}["quality"] == "Supply quality"
    assert "年" in ctx_zh["trend"]["rows"][0]["label"]


def test_method_counts_weights_and_sources(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    m = ctx_en["method"]
    counts = {c["label"]: c["value"] for c in m["counts"]}
    assert counts["Analysed"] == fmt.integer(analysis["n"]["analysed"])
    assert {c["label"] for c in m["channels"]} == {"Web", "Phone"}
    root = m["tree"][0]
    cr = analysis["index"]["nodes"][0]["weight_diagnostics"]["cr"]
    assert root["children_source"] == f"AHP (CR = {fmt.num(cr, 3)}, consistent)"
    assert any(r["children_source"] == "equal" for r in m["tree"])
    assert "±" in m["moe_text"]


def test_number_formatting() -> None:
    assert fmt.num(74.15) == "74.2" and fmt.num(-8.94) == "−8.9" and fmt.num(-0.01) == "0.0"
    assert fmt.signed(2.06) == "+2.1" and fmt.signed(-2.06) == "−2.1"
    assert fmt.ci([73.61, 74.68]) == "73.6–74.7" and fmt.ci([-12.2, -5.7]) == "−12.2 ~ −5.7"
    assert fmt.pvalue(0.0004) == "p < 0.001" and fmt.pvalue(0.0031) == "p = 0.003" and fmt.pvalue(0.42) == "p = 0.42"
    assert fmt.num(None) == fmt.num(float("nan")) == "—"
    assert fmt.integer(12345) == "12,345"


def test_comments_are_capped_stratified_and_reproducible() -> None:
    pool = [{"text": f"c{i}", "wave": w, "band": b, "item": "q"} for i, (w, b) in
            enumerate([("A", "high")] * 90 + [("A", "low")] * 5 + [("B", "mid")] * 40)]
    first = sample_comments(pool, cap=20, seed=1)
    assert len(first) == 20
    assert first == sample_comments(pool, cap=20, seed=1)
    strata = {(c["wave"], c["band"]) for c in first}
    assert strata == {("A", "high"), ("A", "low"), ("B", "mid")}  # the small unhappy stratum is represented
    dup = sample_comments([{"text": "same", "wave": "A", "band": "high"}] * 7, cap=5)
    assert len(dup) == 1 and dup[0]["count"] == 7


def test_hostile_comment_is_kept_as_plain_text_in_the_context(ctx_en: dict[str, Any]) -> None:
    texts = [c["text"] for c in ctx_en["appendix"]["comments"]["rows"]]
    assert XSS in texts  # escaping is the template's job; the context keeps the respondent's words


def test_unknown_language_is_refused(utility: SurveyDefinition, analysis: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="language"):
        build_context(utility, analysis, {}, lang="fr", generated=GENERATED)
