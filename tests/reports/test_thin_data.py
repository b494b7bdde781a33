"""Thin data still gives a report whose sections say plainly what cannot be computed and why."""

from __future__ import annotations

import html
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
from tests.reports.conftest import GENERATED, needs_poppler


def _ctx(d: SurveyDefinition, data: Any, lang: str = "en", **kw: Any) -> dict[str, Any]:
    a = analyze(d, data, n_boot=50, **kw)
    return build_context(d, a, compute_extras(d, data, a, wave=kw.get("wave")), lang=lang, generated=GENERATED)


def _html(ctx: dict[str, Any]) -> str:
    return html.unescape(render_html(ctx, interactive=True))


def test_no_responses(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 0))
    assert ctx["no_data"] and "no responses to analyse" in ctx["no_data"]
    assert ctx["summary"]["findings"] == [ctx["no_data"]]
    for key in ("index", "priorities", "benchmark", "loyalty", "segments"):
        assert ctx[key]["available"] is False, key
        assert ctx[key]["message"], key
    assert all(v is None for v in ctx["charts"].values())
    assert {k["key"]: k["value"] for k in ctx["summary"]["kpis"]}["kpi_csi"] == "Not available"
    page = _html(ctx)
    assert "This section cannot be computed: no responses to analyse" in page
    assert "No comments were received." in page


@needs_poppler
def test_no_responses_pdf_renders_without_a_browser(utility: SurveyDefinition, tmp_path: Any) -> None:
    from reports.render import render_pdf

    pdf = render_pdf(_ctx(utility, simulate(utility, 0), lang="zh"))
    assert pdf.startswith(b"%PDF")


def test_one_wave(utility: SurveyDefinition) -> None:
    data = simulate(utility, 400, random_state=5)
    one = data.filter(wave="2025H2")
    ctx = _ctx(utility, one)
    assert ctx["trend"]["available"] is False
    assert "Only one wave has data (2nd half of 2025)" in ctx["trend"]["message"]
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


def test_one_brand() -> None:
    d = load_definition(template_path("nps_quick"))
    assert len(d.brand_ids) == 1
    ctx = _ctx(d, simulate(d, 300, random_state=7))
    assert ctx["benchmark"] == {"available": False, "message": "Only one brand was rated, so there is no competitor "
                                                               "to compare."}
    assert ctx["summary"]["ranking"]["available"] is False
    assert ctx["charts"]["brands"] is None
    assert "no competitor to compare" in _html(ctx)


def test_tiny_segments_are_shown_and_flagged(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 45, random_state=8))
    rows = [r for g in ctx["segments"]["groups"] if g["available"] for r in g["rows"]]
    assert rows and any(r["small_n"] for r in rows)
    assert ctx["segments"]["small_n_note"] == "n below 30: indicative only"
    chart = ctx["charts"]["segments"]
    assert chart is not None and any(any(g["small_n"]) for g in chart["groups"])
    page = _html(ctx)
    assert "n below 30: indicative only" in page


def test_latent_model_absent_and_unavailable(utility: SurveyDefinition) -> None:
    ctx = _ctx(utility, simulate(utility, 100, random_state=9))
    assert ctx["model"] == {"available": False, "message": "The questionnaire defines no latent model, so no ACSI "
                                                           "model index was estimated."}
    d = load_definition(template_path("acsi_standard"))
    ctx = _ctx(d, simulate(d, 20, random_state=9))
    assert ctx["model"]["available"] is False
    assert ctx["model"]["message"] == ("A latent model is defined but could not be estimated: 20 respondents; the "
                                       "PLS path model needs at least 30")


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
