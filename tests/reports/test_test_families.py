"""Primary and secondary comparisons (issue 11, part 1): the headline index against the previous wave is tested
alone, so a difference that is significant on its own is called significant even where pooling it with the 15
dimension and item tests under Holm would hide it; the report says which family each verdict belongs to."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.inference import holm
from reports.context import build_context
from reports.extras import compute_extras
from reports.i18n import t
from reports.render import render_html
from survey_defs.schema import SurveyDefinition


def _definition() -> SurveyDefinition:
    items = [{"id": f"q{k}", "scale": "sat5", "text": {"en": f"Q{k}", "zh": f"题{k}"}} for k in range(12)]
    return SurveyDefinition.model_validate({
        "slug": "families", "title": {"zh": "测试", "en": "Test"},
        "waves": [{"id": "w1", "label": {"en": "W1", "zh": "一期"}}, {"id": "w2", "label": {"en": "W2", "zh": "二期"}}],
        "scales": {"sat5": {"points": 5, "labels": {"en": ["1", "2", "3", "4", "5"]}}},
        "sections": [{"id": "s", "title": {"en": "S"}, "items": items}],
        "brands": [{"id": "a", "own": True, "name": {"en": "A", "zh": "甲"}}],
        "indicators": {"id": "csi", "children": [
            {"id": f"d{g}", "weight": 1 / 3, "label": {"en": f"D{g}", "zh": f"维度{g}"},
             "children": [{"id": f"n{k}", "item": f"q{k}", "weight": 0.25} for k in range(4 * g, 4 * g + 4)]}
            for g in range(3)]},
    })


@pytest.fixture(scope="module")
def case() -> tuple[SurveyDefinition, ResponseData]:
    """300 respondents per wave, 12 items with independent noise, every item 0.07 points higher in w2: each item
    alone is far from significant, their weighted mean (the index) is (about p = 0.006)."""
    d = _definition()
    rng = np.random.default_rng(9)
    n = 300
    shift = np.r_[np.zeros(n), np.full(n, 0.07)]
    codes = np.clip(np.rint(3.5 + shift[:, None] + 1.1 * rng.standard_normal((2 * n, 12))), 1, 5).astype(np.int16)
    wave = np.r_[np.full(n, "w1", dtype=object), np.full(n, "w2", dtype=object)]
    return d, ResponseData.from_arrays(d, codes, np.empty((2 * n, 1, 0), dtype=np.int16), wave=wave)


def test_headline_is_tested_alone_not_pooled_with_dimensions_and_items(case: tuple[SurveyDefinition, ResponseData],
                                                                        ) -> None:
    d, data = case
    waves = analyze(d, data, n_boot=0)["waves"]
    idx = waves["index"]["test"]
    secondary = [v["test"] for v in [*waves["nodes"].values(), *waves["items"].values()]]
    assert len(secondary) == 15
    # the situation of issue 11: significant alone, not once pooled with the 15 other tests under Holm
    p_pooled = holm(np.r_[idx["p_value"], [s["p_value"] for s in secondary]])[1][0]
    assert idx["p_value"] < 0.05 < p_pooled
    assert idx["family"] == "primary" and idx["significant"] and idx["verdict"] == "significant"
    assert idx["ci"][0] > 0  # the CI of the difference agrees with the raw test
    assert all(s["family"] == "secondary" and "p_holm" in s for s in secondary)
    assert waves["multiplicity"]["secondary"]["n_tests"] == 15 and waves["multiplicity"]["primary"]["n_tests"] == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_calls_the_headline_change_significant_and_states_the_rule(
        case: tuple[SurveyDefinition, ResponseData], lang: str) -> None:
    d, data = case
    analysis = analyze(d, data, wave="w2", n_boot=0)
    extras = compute_extras(d, data, analysis, wave="w2")
    p_raw = extras["wave_change"]["index"]["test"]["p_value"]
    ctx = build_context(d, analysis, extras, lang=lang, generated=dt.date(2026, 1, 1), wave="w2")
    change = ctx["summary"]["change"]
    assert change["significant"] and change["family"] == "primary"
    assert change["p"] == pytest.approx(p_raw)
    html = render_html(ctx)
    sig = t("with_family", lang, verdict=t("sig", lang), family=t("fam_primary", lang))
    kpi = next(k for k in ctx["summary"]["kpis"] if k["key"] == "kpi_change")
    assert kpi["note"].startswith(sig) and sig in html
    first = ctx["summary"]["findings"][0]
    assert t("fam_primary", lang) in first and t("sig", lang) in first
    assert t("change_ci", lang, ci=change["diff_ci_text"]) in kpi["note"]
    assert t("nsig", lang) not in first
    assert ctx["summary"]["tests_note"] == t("tests_note", lang, alpha=0.05)
    assert ctx["summary"]["tests_note"] in html
