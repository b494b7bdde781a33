"""The context carries the analysis' numbers, formatted per language, and sentences written from them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from analytics.analyze import analyze
from analytics.data import ResponseData
from reports import fmt
from reports.context import build_context
from reports.extras import compute_extras, sample_comments
from reports.i18n import glossary
from reports.reasons import explain
from survey_defs import load_definition, template_path
from survey_defs.schema import SurveyDefinition
from tests.reports.conftest import GENERATED, XSS


def _v(x: Any) -> Any:
    """A figure's value or the number itself (the analysis JSON gives both shapes)."""
    return x.get("value") if isinstance(x, dict) else x


def test_summary_numbers_are_the_analysis_figures(ctx_zh: dict[str, Any], analysis: dict[str, Any],
                                                  extras: dict[str, Any]) -> None:
    idx = analysis["index"]
    s = ctx_zh["summary"]
    assert s["csi"]["value"] == idx["value"]
    assert s["csi"]["ci"] == idx["ci"]
    kpis = {k["key"]: k for k in s["kpis"]}
    assert kpis["kpi_csi"]["value"] == fmt.num(idx["value"]) and kpis["kpi_csi"]["raw"] == idx["value"]
    assert fmt.ci(idx["ci"]) in kpis["kpi_csi"]["note"] and "2026年上半年" in kpis["kpi_csi"]["note"]
    assert kpis["kpi_rate"]["raw"] == analysis["satisfaction_rate"]["value"]
    assert kpis["kpi_nps"]["raw"] == analysis["loyalty"]["nps"]["value"]
    # one wave analysed: the change is the selected wave against the one before it, from the extras
    change = extras["wave_change"]
    assert (change["latest"], change["previous"]) == ("2026H1", "2025H2")
    assert kpis["kpi_change"]["raw"] == pytest.approx(_v(change["index"]["diff"]))
    assert kpis["kpi_change"]["value"] == fmt.signed(_v(change["index"]["diff"]))
    # the rank is the own brand's position among the brands' indices
    values = sorted((b["value"] for b in analysis["brands"].values()), reverse=True)
    assert s["ranking"]["rank"] == values.index(analysis["brands"]["jiangcheng"]["value"]) + 1
    # utility_csi has a latent model: the ACSI-style index is a KPI
    assert analysis["acsi"]["status"] == "ok"
    assert kpis["kpi_acsi"]["raw"] == pytest.approx(analysis["acsi"]["value"])
    assert kpis["kpi_acsi"]["value"] == fmt.num(analysis["acsi"]["value"])


def test_headline_is_the_latest_wave_not_a_pooled_average(ctx_en: dict[str, Any], analysis: dict[str, Any],
                                                          extras: dict[str, Any]) -> None:
    """The CSI on the cover and in the summary is the latest wave's: the same number as that wave's trend row,
    and the change is that number minus the previous wave's row."""
    rows = {r["wave"]: r for r in ctx_en["trend"]["rows"]}
    assert set(rows) == {"2025H2", "2026H1"} and rows["2026H1"]["selected"] and not rows["2025H2"]["selected"]
    assert ctx_en["summary"]["csi"]["value"] == pytest.approx(rows["2026H1"]["value"], abs=1e-4)
    change = ctx_en["summary"]["change"]
    assert change["a"] == pytest.approx(rows["2026H1"]["value"], abs=1e-4)
    assert change["b"] == pytest.approx(rows["2025H2"]["value"], abs=1e-4)
    assert ctx_en["meta"]["period"] == "1st half of 2026" and not ctx_en["meta"]["pooled"]
    assert ctx_en["meta"]["period_note"].startswith("Period reported: 1st half of 2026.")
    first = ctx_en["summary"]["findings"][0]
    direction = "up" if change["diff"] > 0 else "down"
    assert first.startswith(f"The CSI is {fmt.num(analysis['index']['value'])} (95% CI "
                            f"{fmt.ci(analysis['index']['ci'])}), {direction} {fmt.num(abs(change['diff']))} points "
                            f"on 2nd half of 2025 (primary: {change['verdict']}, {change['p_text']})")


def test_pooled_report_says_it_is_pooled(ctx_all_en: dict[str, Any], analysis_all: dict[str, Any]) -> None:
    assert ctx_all_en["meta"]["pooled"]
    assert ctx_all_en["meta"]["period"] == "All periods pooled (2nd half of 2025, 1st half of 2026)"
    assert "the waves are pooled" in ctx_all_en["meta"]["period_note"]
    w = analysis_all["waves"]["index"]
    first = ctx_all_en["summary"]["findings"][0]
    assert f"The CSI is {fmt.num(analysis_all['index']['value'])}" in first
    assert (f"pooled over all periods; 1st half of 2026 ({fmt.num(_v(w['a']))}) is "
            f"{'up' if _v(w['diff']) > 0 else 'down'} {fmt.num(abs(_v(w['diff'])))} points on 2nd half of 2025 "
            f"({fmt.num(_v(w['b']))})") in first


def test_findings_are_written_from_the_numbers(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    findings = ctx_en["summary"]["findings"]
    assert "ranks" in findings[1] and len(findings) == 3
    rate = analysis["satisfaction_rate"]["value"]
    assert f"The satisfaction rate is {fmt.pct(rate)}" in findings[2]


def test_priority_sentences_state_the_gap_to_the_maximum_and_the_competitor_ahead(
        ctx_en: dict[str, Any], ctx_zh: dict[str, Any], analysis: dict[str, Any], utility: SurveyDefinition) -> None:
    items = analysis["priorities"]["items"]
    total = sum(_v(it["importance"]) for it in items)
    ranking = analysis["priorities"]["ranking"]
    leaf = {nd.item: nd.id for nd in utility.indicators.walk() if nd.item}  # type: ignore[union-attr]
    gap_best = analysis["benchmarks"]["gap_to_best"]
    by_item = {it["item"]: it for it in items}
    sentences = ctx_en["summary"]["priorities"]
    assert len(sentences) == 3
    improve = [i for i in ranking if by_item[i]["quadrant"] == "improve_first"]
    others = [i for i in ranking if by_item[i]["quadrant"] != "improve_first"]
    for item_id, sentence in zip((improve + others)[:3], sentences, strict=True):
        it = by_item[item_id]
        label = utility.text(utility.item(item_id).text, "en")
        assert f"“{label}”" in sentence
        assert f"score {fmt.num(_v(it['performance']))}" in sentence
        assert f"({fmt.pct(100 * _v(it['importance']) / total)} of the total importance)" in sentence
        assert f"{fmt.num(_v(it['gap']))} points short of the maximum 100" in sentence
        assert "below target" not in sentence
        gb = gap_best[leaf[item_id]]
        lead = _v(gb["best"]) - _v(it["performance"])
        if gb["best_brand"] != "jiangcheng" and lead > 0:
            brand = next(utility.text(b.name, "en") for b in utility.brands if b.id == gb["best_brand"])
            assert f"{brand} scores {fmt.num(_v(gb['best']))}, {fmt.num(lead)} points ahead" in sentence
        if item_id not in improve:
            assert sentence.endswith("(outside the improve-first quadrant; next by priority).")
    assert all("距满分 100 还差" in s and "占总重要性的" in s for s in ctx_zh["summary"]["priorities"])
    note = ctx_en["priorities"]["note"]
    assert "Gap = the maximum 100 − the score" in note and "share of the total importance" in note
    rows = ctx_en["priorities"]["rows"]
    assert [r["no"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == len(items)
    assert [r["item"] for r in rows] == ranking
    assert sum(r["importance_share"] for r in rows) == pytest.approx(100.0)
    assert ctx_en["t"]["improve_list"] == "All items ranked by priority (improve-first items highlighted)"
    assert {r["item"] for r in rows if r["reverse"]} == {"q_billing_errors"}
    chart = ctx_en["charts"]["ipa"]
    assert chart["y"] == [r["importance_share"] for r in rows] and chart["y_title"] == "Importance share (%)"


def test_quadrants_say_completely_satisfied_and_give_counts(ctx_en: dict[str, Any], ctx_zh: dict[str, Any],
                                                            analysis: dict[str, Any]) -> None:
    quads = analysis["loyalty"]["quadrants"]
    rows = {q["key"]: q for q in ctx_en["loyalty"]["quadrants"]}
    n = quads["loyalists"]["n"]
    for k, row in rows.items():
        assert row["value"] == quads[k]["value"]
        assert row["count"] == round(quads[k]["value"] * n / 100)
    assert sum(r["count"] for r in rows.values()) == n  # unweighted: the counts add up to the respondents
    assert rows["hostages"]["label"] == "Hostages (not completely satisfied, loyal)"
    assert rows["mercenaries"]["label"] == "Mercenaries (completely satisfied, not loyal)"
    note = ctx_en["loyalty"]["quadrant_note"]
    assert "“completely satisfied” means answering 5 (“Satisfied”)" in note and "top 2" in note
    assert f"({fmt.integer(n)} answered both)" in note
    zh_labels = {q["key"]: q["label"] for q in ctx_zh["loyalty"]["quadrants"]}
    assert zh_labels["hostages"] == "人质型（未达到非常满意、忠诚）"
    assert "非常满意”指" in ctx_zh["loyalty"]["quadrant_note"]


def test_loyalty_zones_and_nps_are_the_analysis_figures(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    loy = analysis["loyalty"]
    zones = {z["key"]: z for z in ctx_en["loyalty"]["zones"]}
    for k in ("defection", "indifference", "loyalty"):
        assert zones[k]["value"] == loy["zones"][k]["value"]
        assert zones[k]["text"] == fmt.pct(loy["zones"][k]["value"]) and zones[k]["ci"] == fmt.ci(loy["zones"][k]["ci"])
    assert zones["defection"]["range"] == "answers 1–2" and zones["loyalty"]["range"] == "answer 5"
    nps = ctx_en["loyalty"]["nps"]
    assert nps["value"] == loy["nps"]["value"]
    assert [p["value"] for p in nps["parts"]] == [_v(loy["nps"][k]) for k in ("promoters", "passives", "detractors")]
    assert nps["sentence"] == (f"NPS = promoters {fmt.pct(_v(loy['nps']['promoters']))} − detractors "
                               f"{fmt.pct(_v(loy['nps']['detractors']))} = {fmt.num(loy['nps']['value'])} (95% CI "
                               f"{fmt.ci(loy['nps']['ci'])}, n = {fmt.integer(loy['nps']['n'])}).")


def test_benchmark_rows_and_marks(ctx_en: dict[str, Any], analysis: dict[str, Any], utility: SurveyDefinition) -> None:
    bench = ctx_en["benchmark"]
    brands, comps = analysis["brands"], analysis["benchmarks"]["competitors"]
    assert [c["id"] for c in bench["competitors"]] == ["hengyuan", "xinda"]
    keys = ["__index__"] + [c.id for c in utility.indicators.children]  # type: ignore[union-attr]
    assert [r["key"] for r in bench["rows"]] == keys
    for r in bench["rows"]:
        own = brands["jiangcheng"] if r["is_index"] else brands["jiangcheng"]["nodes"][r["key"]]
        assert r["own"] == own["value"]
        for cell in r["cells"]:
            est = brands[cell["brand"]] if r["is_index"] else brands[cell["brand"]]["nodes"][r["key"]]
            cmp = comps[cell["brand"]]["index"] if r["is_index"] else comps[cell["brand"]]["nodes"][r["key"]]
            assert cell["value"] == est["value"]
            assert cell["diff"] == pytest.approx(own["value"] - est["value"])
            test = cmp["test"]
            expected = ("▲" if _v(test["diff"]) > 0 else "▼") if test["significant"] else "="
            assert cell["mark"] == expected
    # the summary puts the mark on the difference (ours − theirs), never next to the competitor's score
    dims = ctx_en["summary"]["dimensions"]["rows"]
    first = bench["rows"][0]
    best = max(first["cells"], key=lambda c: c["value"])
    assert dims[0]["leader_score"] == best["text"] and dims[0]["leader_diff"] == best["diff_text"]
    assert dims[0]["leader_mark"] == best["mark"]
    assert all(m == "" for s in ctx_en["charts"]["brands"]["series"] if not s["own"] for m in s["marks"])
    assert ctx_en["benchmark"]["legend"].startswith("Difference = ours − theirs; ▲ we are significantly higher")


def test_segment_rows_are_the_analysis_figures(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    for g in ctx_en["segments"]["groups"]:
        seg = analysis["segments"][g["id"]]
        rows = {r["code"]: r for r in g["rows"] if r["code"]}
        assert set(rows) == set(seg["segments"])
        for code, est in seg["segments"].items():
            assert rows[code]["value"] == est["value"] and rows[code]["n_raw"] == est["n"]
            assert rows[code]["small_n"] == bool(est["small_n"])
            assert rows[code]["ci"] == fmt.ci(est["ci"])
        assert fmt.pvalue(seg["test"]["p_value"]) in g["test"]
    assert ctx_en["segments"]["any_small_n"] == any(
        est["small_n"] for s in analysis["segments"].values() for est in s["segments"].values())


def test_trend_rows_follow_every_wave(ctx_en: dict[str, Any], extras: dict[str, Any]) -> None:
    rows = ctx_en["trend"]["rows"]
    assert [r["wave"] for r in rows] == [r["wave"] for r in extras["trend"]]
    for r, e in zip(rows, extras["trend"], strict=True):
        assert r["value"] == e["index"]["value"] and r["n"] == fmt.integer(e["n"])
        assert [nd["value"] for nd in r["nodes"]] == [e["nodes"][k]["value"] for k in
                                                      ("quality", "service", "price", "image")]


def test_item_table_states_each_items_rule(ctx_en: dict[str, Any], ctx_zh: dict[str, Any],
                                           analysis: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in ctx_en["appendix"]["item_stats"]["rows"]}
    items = analysis["items"]
    assert set(rows) == set(items)
    for iid, r in rows.items():
        assert r["top_box"] == fmt.pct(items[iid]["top_box"]["value"]) and r["n"] == fmt.integer(items[iid]["n"])
    yes_no = rows["q_complained"]
    assert yes_no["rule"] == "share yes" and yes_no["mean"] == "—" and yes_no["yes_no"]
    assert rows["q_recommend"]["rule"] == "answers 9–10"  # nps11 has top_box: 2
    assert rows["q_overall"]["rule"] == "answers 4–5" and rows["q_overall"]["mean"] == fmt.num(
        items["q_overall"]["mean"]["value"])
    assert rows["q_billing_errors"]["reverse"] and rows["q_billing_errors"]["rule"] == "answers 1–2"
    assert ctx_en["t"]["top_box"] == "Top box" and "top2" not in ctx_en["t"]
    assert {r["id"]: r["rule"] for r in ctx_zh["appendix"]["item_stats"]["rows"]}["q_complained"] == "答“是”的比例"


def test_scoring_note_and_glossary_follow_the_definition(ctx_en: dict[str, Any], ctx_zh: dict[str, Any]) -> None:
    note = ctx_en["method"]["scoring_note"]
    assert "5-point scales (1–5) as answer ÷ 5 × 100 (100/80/60/40/20)" in note
    assert "11-point scales (0–10) as answer ÷ 10 × 100" in note and "yes/no items: yes = 100, no = 0" in note
    d = load_definition(template_path("acsi_standard"))
    from analytics.simulate import simulate

    data = simulate(d, 120, random_state=1)
    a = analyze(d, data, n_boot=20, priority_split="median")
    ctx = build_context(d, a, compute_extras(d, data, a), lang="en", generated=GENERATED)
    assert "100/80/60/40/20" not in ctx["method"]["scoring_note"]
    assert "10-point scales (1–10) as (answer − 1) ÷ 9 × 100" in ctx["method"]["scoring_note"]
    ipa = next(g["definition"] for g in ctx["appendix"]["glossary"] if g["term"] == "Importance–performance analysis")
    assert "at the median importance" in ipa and "median importance" in ctx["priorities"]["note"]
    zh_rate = next(g["definition"] for g in ctx_zh["appendix"]["glossary"] if g["term"] == "满意率")
    assert "最高 2 档（“满意”“较满意”）" in zh_rate
    acsi_zh = build_context(d, a, compute_extras(d, data, a), lang="zh", generated=GENERATED)
    sc = d.scale_of(d.loyalty.satisfaction_item)  # type: ignore[union-attr]
    labs = sc.labels["zh"][-sc.top_box_count:]
    rate = next(g["definition"] for g in acsi_zh["appendix"]["glossary"] if g["term"] == "满意率")
    assert f"最高 {sc.top_box_count} 档" in rate and all(f"“{x}”" in rate for x in labs)
    assert "较满意" not in rate or "较满意" in labs
    ipa_en = {g["term"]: g["definition"] for g in glossary("en", split="median")}["Importance–performance analysis"]
    assert "median" in ipa_en and "mean" not in ipa_en


def test_method_counts_weights_and_sources(ctx_en: dict[str, Any], analysis: dict[str, Any]) -> None:
    m = ctx_en["method"]
    counts = {c["label"]: c["value"] for c in m["counts"]}
    assert counts["Analysed"] == fmt.integer(analysis["n"]["analysed"])
    assert counts["In the scope of this report"] == fmt.integer(analysis["n"]["filtered"])
    assert {c["label"] for c in m["channels"]} == {"Web", "Phone"}
    root = m["tree"][0]
    cr = analysis["index"]["nodes"][0]["weight_diagnostics"]["cr"]
    assert root["children_source"] == f"AHP (CR = {fmt.num(cr, 3)}, consistent)"
    assert any(r["children_source"] == "equal" for r in m["tree"])
    assert "±" in m["moe_text"]


def test_latent_model_of_the_utility_template(ctx_en: dict[str, Any], analysis: dict[str, Any],
                                              utility: SurveyDefinition) -> None:
    m = ctx_en["model"]
    acsi = analysis["acsi"]
    assert m["available"] and m["index"] == pytest.approx(acsi["value"])
    assert [(p["source"], p["target"]) for p in m["paths"]] == [tuple(p) for p in utility.model.paths]  # type: ignore[union-attr]
    coef = {(p["source"], p["target"]): p["coef"] for p in acsi["paths"]}
    assert all(p["coef"] == pytest.approx(coef[(p["source"], p["target"])]) for p in m["paths"])
    r2 = {c["id"]: c["r2"] for c in acsi["constructs"]}
    assert {c["id"]: c["r2"] for c in m["constructs"]} == r2
    marks = {q["construct"]: q for q in m["quality"]}
    assert marks["Complaints"]["ave_mark"] == ""  # a one-item construct is not judged
    sat = next(c for c in acsi["constructs"] if c["id"] == "SAT")
    assert marks["Customer satisfaction"]["ave_mark"] == ("✓" if sat["ave"] >= 0.5 else "✗")
    assert len(m["htmt"]) == 21 and len(m["htmt_matrix"]["rows"]) == 6
    assert m["ci_method"].startswith("percentile bootstrap over respondents (")
    assert ctx_en["charts"]["model_path"]["paths"] and ctx_en["charts"]["model_ipma"]["labels"]


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


def test_identical_comments_are_merged_across_strata() -> None:
    same = "The hotline is always busy."
    pool = ([{"text": same, "wave": w, "band": b, "item": "q"} for w, b, k in
             [("A", "low", 3), ("A", "mid", 1), ("B", "low", 5), ("B", "high", 2)] for _ in range(k)]
            + [{"text": f"other {i}", "wave": "B", "band": "mid", "item": "q"} for i in range(40)])
    out = sample_comments(pool, cap=10, seed=3, wave_order=["A", "B"])
    merged = [c for c in out if c["text"] == same]
    assert len(merged) <= 1 and len({c["text"] for c in out}) == len(out)  # never listed twice
    full = sample_comments(pool, cap=100, seed=3, wave_order=["A", "B"])
    entry = next(c for c in full if c["text"] == same)
    assert entry["count"] == 11
    assert [(s["wave"], s["band"], s["count"]) for s in entry["strata"]] == [
        ("A", "low", 3), ("A", "mid", 1), ("B", "low", 5), ("B", "high", 2)]
    assert (entry["wave"], entry["band"]) == ("B", "low")  # allocated where most of its copies came from


def test_comment_rows_show_total_count_and_where_they_came_from(utility: SurveyDefinition, data: ResponseData,
                                                                 analysis_all: dict[str, Any]) -> None:
    """Every distinct text is listed once in the context, with the waves/bands of all its copies."""
    ex = compute_extras(utility, data, analysis_all, wave=None)
    ctx = build_context(utility, analysis_all, ex, lang="en", generated=GENERATED)
    rows = ctx["appendix"]["comments"]["rows"]
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts))
    busiest = max(rows, key=lambda r: r["count"])
    assert busiest["count_text"] == f"(×{busiest['count']})" and len(busiest["strata"]) > 1
    assert busiest["count"] == sum(s["count"] for s in busiest["strata"])
    assert "1st half of 2026" in busiest["wave"] and "2nd half of 2025" in busiest["wave"]
    assert ex["n_distinct_comments"] == len({c for c in data.texts["q_comment"] if c})
    assert ctx["appendix"]["comments"]["note"] == (
        f"Analysed respondents left {fmt.integer(ex['n_comments'])} comments; all are listed (identical ones once, "
        "with their count), verbatim.")
    assert sum(r["count"] for r in rows) == ex["n_comments"]


def test_hostile_comment_is_kept_as_plain_text_in_the_context(ctx_en: dict[str, Any]) -> None:
    texts = [c["text"] for c in ctx_en["appendix"]["comments"]["rows"]]
    assert XSS in texts  # escaping is the template's job; the context keeps the respondent's words


def test_unknown_language_is_refused(utility: SurveyDefinition, analysis: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="language"):
        build_context(utility, analysis, {}, lang="fr", generated=GENERATED)


@pytest.mark.parametrize(("reason", "zh", "en"), [
    ("no responses to analyse", "尚未收到任何问卷", "no responses have been received yet"),
    ("no responses to analyse after filters and exclusions", "筛选和数据质量剔除后没有可分析的问卷",
     "no responses are left to analyse after the filters and exclusions"),
    ("waves comparison needs two waves with responses, found ['2025H2']", "期间对比需要至少两期有数据的调查",
     "a comparison of periods needs two waves with data"),
    ("20 respondents; the PLS path model needs at least 30", "仅有 20 份有效问卷，结构方程模型至少需要 30 份",
     "only 20 responses; the latent model needs at least 30"),
    ("item 'q_overall': nobody answered", "“总体而言，您对江城电力的供电服务满意吗？”无人作答",
     "nobody answered “Overall, how satisfied are you with the electricity service of Jiangcheng Power?”"),
    ("fewer than two segments with at least 2 respondents", "至少两个群体各有 2 名以上受访者时才能检验差异",
     "a test needs two segments with at least 2 respondents each"),
    ("no respondents rated brand 'xinda': cannot compute the index", "没有受访者评价信达能源",
     "nobody rated Xinda Energy"),
])
def test_analysis_reasons_are_said_in_the_reports_language(reason: str, zh: str, en: str,
                                                           utility: SurveyDefinition) -> None:
    def item(i: str) -> str:
        return utility.text(utility.item(i).text, lang)

    def brand(b: str) -> str:
        return next(utility.text(x.name, lang) for x in utility.brands if x.id == b)

    lang = "zh"
    assert explain(reason, "zh", item=item, brand=brand) == zh
    lang = "en"
    assert explain(reason, "en", item=item, brand=brand) == en


def test_unknown_reasons_fall_back_without_english_in_chinese() -> None:
    odd = "matrix is singular in step 7"
    assert explain(odd, "en") == odd
    assert not re.search(r"[A-Za-z]", explain(odd, "zh"))
    assert not re.search(r"[A-Za-z]", explain(odd, "zh", status="error").replace("JSON", ""))


def test_priority_sentence_names_the_competitor_ahead(utility: SurveyDefinition, analysis: dict[str, Any],
                                                      extras: dict[str, Any]) -> None:
    """Where a competitor scores higher on an improve-first item, the sentence says by how much."""
    import copy

    a = copy.deepcopy(analysis)
    first = a["priorities"]["ranking"][0]
    leaf = next(nd.id for nd in utility.indicators.walk() if nd.item == first)  # type: ignore[union-attr]
    perf = _v(next(it for it in a["priorities"]["items"] if it["item"] == first)["performance"])
    a["benchmarks"]["gap_to_best"][leaf] = {"best_brand": "hengyuan", "best": {"value": perf + 4.25, "n": 300},
                                            "own": {"value": perf, "n": 900}, "gap": {"value": 4.25, "n": 900}}
    for lang, expected in (("en", f"; Hengyuan Energy Retail scores {fmt.num(perf + 4.25)}, 4.2 points ahead"),
                           ("zh", f"；恒源售电为 {fmt.num(perf + 4.25)}，领先 4.2 分")):
        ctx = build_context(utility, a, extras, lang=lang, generated=GENERATED, wave="2026H1")
        row = next(r for r in ctx["priorities"]["rows"] if r["item"] == first)
        assert row["leader_text"] == fmt.num(perf + 4.25) and row["lead"] == pytest.approx(4.25)
        sentence = next(s for s in ctx["summary"]["priorities"] if row["label"] in s)
        assert expected in sentence
