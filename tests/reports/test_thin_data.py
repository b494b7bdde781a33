"""Thin data still gives a report whose sections say plainly what cannot be computed and why."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from analytics.analyze import analyze
from analytics.simulate import simulate
from reports import fmt
from reports.context import build_context
from reports.extras import compute_extras
from reports.render import render_html
from survey_defs import load_definition, template_path
from survey_defs.schema import SurveyDefinition
from tests.reports.conftest import GENERATED, flat, needs_poppler, pdftotext


def _ctx(d: SurveyDefinition, data: Any, lang: str = "en", **kw: Any) -> dict[str, Any]:
    a = analyze(d, data, n_boot=50, **kw)
    return build_context(d, a, compute_extras(d, data, a, wave=kw.get("wave")), lang=lang, generated=GENERATED)


def _html(ctx: dict[str, Any]) -> str:
    return html.unescape(render_html(ctx, interactive=True))


def test_no_responses(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 0))
    assert ctx["no_data"] == ("No responses to analyse (no responses have been received yet); the sections below "
                              "say what cannot be computed.")
    assert ctx["summary"]["findings"] == [ctx["no_data"]]
    for key in ("index", "priorities", "benchmark", "loyalty", "segments"):
        assert ctx[key]["available"] is False, key
        assert ctx[key]["message"] == "This section cannot be computed: no responses have been received yet.", key
    assert all(v is None for v in ctx["charts"].values())
    kpis = {k["key"]: k for k in ctx["summary"]["kpis"]}
    assert kpis["kpi_csi"]["value"] == "Not available"
    # utility_csi has an NPS question: the KPI says there is nothing to compute it from, not that it is missing
    assert kpis["kpi_nps"]["note"] == "No responses have been received yet."
    assert "no NPS question" not in kpis["kpi_nps"]["note"]
    # zero waves with data is not "only one wave"
    assert ctx["trend"]["message"] == "No wave has data yet, so no trend or change can be computed."
    assert ctx["summary"]["change"]["message"] == ctx["trend"]["message"]
    # one prefix, not "Priorities cannot be set: This section cannot be computed: ..."
    assert ctx["summary"]["priorities"] == ["Priorities cannot be set: no responses have been received yet."]
    assert ctx["model"]["message"] == ("A latent model is defined but could not be estimated: there are no "
                                       "responses to analyse.")
    page = _html(ctx)
    assert "This section cannot be computed: no responses have been received yet." in page
    assert "No comments were received." in page


def test_no_responses_in_chinese_has_no_english_reasons(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 0), lang="zh")
    assert ctx["no_data"] == "没有可分析的问卷（尚未收到任何问卷），以下各节说明哪些结果无法计算。"
    assert ctx["summary"]["priorities"] == ["无法确定改进优先级：尚未收到任何问卷。"]
    assert ctx["trend"]["message"] == "尚无任何一期的数据，无法计算趋势和期间变化。"
    messages = [ctx["no_data"], *ctx["summary"]["findings"], *ctx["summary"]["priorities"],
                *(k["note"] for k in ctx["summary"]["kpis"]),
                *(ctx[k]["message"] for k in ("index", "model", "loyalty", "priorities", "benchmark", "trend",
                                              "segments"))]
    allowed = {"ACSI", "CSI", "NPS"}
    for m in messages:
        words = set(re.findall(r"[A-Za-z]{3,}", m)) - allowed
        assert not words, m


@needs_poppler
def test_no_responses_pdf_says_what_cannot_be_computed(utility: SurveyDefinition, tmp_path: Path) -> None:
    """Both languages, in the PDF itself: the explanations are there, in the report's language."""
    from reports.render import render_pdf

    for lang, expected in (("zh", ["本节无法计算：尚未收到任何问卷。", "尚无任何一期的数据", "没有收到文字意见。",
                                   "已定义潜变量模型，但本次未能估计"]),
                           ("en", ["This section cannot be computed: no responses have been received yet.",
                                   "No wave has data yet", "No comments were received.",
                                   "A latent model is defined but could not be estimated"])):
        pdf = render_pdf(_ctx(utility, simulate(utility, 0), lang=lang))
        text = flat(pdftotext(pdf, tmp_path, lang))
        for e in expected:
            assert flat(e) in text, (lang, e)
        if lang == "zh":
            assert "noresponses" not in text.lower()


def test_one_wave(utility: SurveyDefinition) -> None:
    data = simulate(utility, 400, random_state=5)
    one = data.filter(wave="2025H2")
    ctx = _ctx(utility, one)
    assert ctx["trend"]["available"] is False
    assert ctx["trend"]["message"] == "Only one wave has data (2nd half of 2025), so no trend or change can be " \
                                      "computed."
    assert ctx["summary"]["change"]["available"] is False
    assert "no trend or change" in ctx["summary"]["findings"][0]
    assert ctx["charts"]["trend"] is None
    assert "Only one wave has data" in _html(ctx)


def test_report_for_one_selected_wave_compares_with_the_previous(utility: SurveyDefinition) -> None:
    data = simulate(utility, 600, random_state=6)
    ctx = _ctx(utility, data, wave="2026H1")
    ch = ctx["summary"]["change"]
    assert ch["available"] and ch["latest"] == "2026H1" and ch["previous"] == "2025H2"
    assert ctx["meta"]["period"] == "1st half of 2026"
    assert [r["selected"] for r in ctx["trend"]["rows"]] == [False, True]


def test_selected_first_wave_says_there_is_no_previous_period(utility: SurveyDefinition, tmp_path: Path) -> None:
    """The first wave selected: a plain sentence, in the context, the HTML and the PDF; the trend still shows
    both waves."""
    data = simulate(utility, 500, random_state=6)
    for lang, sentence in (("en", "2nd half of 2025 is the first wave with data, so there is no previous period "
                                  "to compare with."),
                           ("zh", "2025年下半年是第一期有数据的调查，没有上一期可供比较。")):
        ctx = _ctx(utility, data, lang=lang, wave="2025H2")
        ch = ctx["summary"]["change"]
        assert ch == {"available": False, "message": sentence}
        assert {k["key"]: k["note"] for k in ctx["summary"]["kpis"]}["kpi_change"] == sentence
        assert ctx["trend"]["available"] and [r["selected"] for r in ctx["trend"]["rows"]] == [True, False]
        assert sentence in _html(ctx)
        if lang == "en" and shutil.which("chromium") and shutil.which("pdftotext"):
            from reports.render import render_pdf

            assert flat(sentence) in flat(pdftotext(render_pdf(ctx), tmp_path, "first"))


def test_one_brand() -> None:
    d = load_definition(template_path("nps_quick"))
    assert len(d.brand_ids) == 1
    ctx = _ctx(d, simulate(d, 300, random_state=7))
    assert ctx["benchmark"] == {"available": False, "message": "Only one brand was rated, so there is no competitor "
                                                               "to compare."}
    assert ctx["summary"]["ranking"]["available"] is False
    assert ctx["charts"]["brands"] is None
    assert "no competitor to compare" in _html(ctx)


def test_small_n_note_only_when_a_segment_is_flagged(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 3000, random_state=4))
    assert ctx["segments"]["available"] and not ctx["segments"]["any_small_n"]
    assert "indicative only" not in _html(ctx)


def test_tiny_segments_are_shown_and_flagged(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 45, random_state=8))
    rows = [r for g in ctx["segments"]["groups"] if g["available"] for r in g["rows"]]
    assert rows and any(r["small_n"] for r in rows)
    assert ctx["segments"]["small_n_note"] == "n below 30: indicative only" and ctx["segments"]["any_small_n"]
    chart = ctx["charts"]["segments"]
    assert chart is not None and any(any(g["small_n"]) for g in chart["groups"])
    page = _html(ctx)
    assert "n below 30: indicative only" in page


def test_latent_model_absent_and_unavailable() -> None:
    d = load_definition(template_path("servqual"))
    assert d.model is None
    ctx = _ctx(d, simulate(d, 100, random_state=9))
    assert ctx["model"] == {"available": False, "message": "The questionnaire defines no latent model, so no ACSI "
                                                           "model index was estimated."}
    d = load_definition(template_path("acsi_standard"))
    ctx = _ctx(d, simulate(d, 20, random_state=9))
    assert ctx["model"]["available"] is False
    assert ctx["model"]["message"] == ("A latent model is defined but could not be estimated: only 20 responses; the "
                                       "latent model needs at least 30.")
    zh = _ctx(d, simulate(d, 20, random_state=9), lang="zh")
    assert zh["model"]["message"] == ("已定义潜变量模型，但本次未能估计：仅有 20 份有效问卷，结构方程模型至少需要 30 "
                                      "份。")


def test_latent_model_present(tmp_path: Any) -> None:
    d = load_definition(template_path("acsi_standard"))
    data = simulate(d, 500, random_state=10)
    a = analyze(d, data, n_boot=50)
    assert a["acsi"]["status"] == "ok"
    ctx = build_context(d, a, compute_extras(d, data, a), lang="zh", generated=GENERATED)
    m = ctx["model"]
    assert m["available"] and m["index"] == pytest.approx(a["acsi"]["value"])
    assert m["index_note"] == f"95% 置信区间 {fmt.ci(a['acsi']['ci'])}"
    r2 = {c["id"]: c["r2"] for c in m["constructs"]}
    assert r2["SAT"] == pytest.approx(next(c["r2"] for c in a["acsi"]["constructs"] if c["id"] == "SAT"))
    assert len(m["paths"]) == len(d.model.paths)  # type: ignore[union-attr]
    assert {q["construct"] for q in m["quality"]} >= {"顾客满意度"}
    assert all(q["ave_mark"] in ("✓", "✗", "") for q in m["quality"])
    assert m["htmt"] and m["ipma"]
    assert ctx["charts"]["model_path"] and ctx["charts"]["model_ipma"]
    kpis = {k["key"]: k for k in ctx["summary"]["kpis"]}
    assert kpis["kpi_acsi"]["raw"] == pytest.approx(m["index"])
    page = _html(ctx)
    assert "路径图（路径系数与 R²）" in page and "plot-model_path" in page
