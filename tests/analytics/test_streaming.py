"""The streamed summary (`analytics.streaming`) gives the full analysis' figures from sufficient statistics.

Every comparison runs `analyze()` and the summary on the same data, with survey weights, missing and N/A answers,
a reverse-coded item and quality exclusions on (speeders, straight-liners, repeated keys and answer vectors
injected), over chunk sizes from one respondent to all of them, and asks for agreement to 1e-9 on the unrounded
figures (both JSONs are made with 15 decimals instead of 6).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

import analytics.analyze as analyze_mod
import analytics.streaming as streaming_mod
from analytics.analyze import analyze
from analytics.data import ResponseData
from analytics.simulate import simulate
from analytics.streaming import NOT_COMPUTED, StreamingSummary, median_duration, summarize
from analytics.tree import NeedsRespondentData, TreeAccumulator, _layout, _moments, compute_tree, tree_from_statistics
from survey_defs import load_template
from survey_defs.schema import SurveyDefinition
from tests.analytics.conftest import make_definition

EXACT = ("items", "satisfaction_rate", "index", "brands", "segments", "loyalty", "n", "weighting")


@pytest.fixture
def unrounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both JSONs with 15 decimals, so that agreement can be checked to 1e-9 rather than to the 6 of the output."""
    orig = analyze_mod.to_jsonable
    monkeypatch.setattr(analyze_mod, "to_jsonable", lambda obj, digits=15: orig(obj, 15))
    monkeypatch.setattr(streaming_mod, "to_jsonable", lambda obj, digits=15: orig(obj, 15))


def differences(a: Any, b: Any, path: str = "", tol: float = 1e-9) -> list[str]:
    """Where two JSON values differ: same keys, lengths, strings and ints; floats within ``tol`` (abs or rel)."""
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            out.append(f"{path}: keys differ {sorted(set(a) ^ set(b))}")
        for k in sorted(set(a) & set(b)):
            out += differences(a[k], b[k], f"{path}.{k}", tol)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} entries"]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += differences(x, y, f"{path}[{i}]", tol)
    elif isinstance(a, float) and isinstance(b, float):
        if not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
            out.append(f"{path}: {a!r} vs {b!r}")
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r} vs {b!r}")
    return out


def with_quality_problems(data: ResponseData, rng: np.random.Generator, grid: list[int]) -> ResponseData:
    """Speeders, straight-liners (own brand's ``grid`` columns all equal), repeated keys and copied answer
    vectors, spread over the whole data (so chunks split the first and the later occurrence)."""
    n = data.n
    resp, brand = data.resp.copy(), data.brand.copy()
    rid = data.respondent_id.copy()
    submitted = data.submitted_at.copy()
    picks = rng.permutation(n)
    speed, flat, keys, copies = picks[:8], picks[8:16], picks[16:22], picks[22:30]
    submitted[speed] = data.started_at[speed] + 20.0
    own = data.definition.brand_ids.index(data.definition.own_brand.id)
    for i in flat:
        brand[i, own, grid] = 4
    for i in keys:
        rid[i] = rid[(i + n // 2) % n]
    for i in copies:
        j = (i + n // 3) % n
        resp[i], brand[i] = resp[j], brand[j]
    return dataclasses.replace(data, respondent_id=rid, resp=resp, brand=brand, submitted_at=submitted)


@pytest.fixture(scope="module")
def mini() -> tuple[SurveyDefinition, ResponseData]:
    d = make_definition()
    data = simulate(d, 600, random_state=11, rate_probability=0.7, missing=0.04, na=0.06, weighted=True)
    return d, with_quality_problems(data, np.random.default_rng(5), grid=[0, 1, 2])


@pytest.fixture(scope="module")
def utility() -> tuple[SurveyDefinition, ResponseData]:
    d = load_template("utility_csi")
    data = simulate(d, 700, random_state=12, rate_probability=0.6, missing=0.03, na=0.05, weighted=True)
    grid = [d.brand_item_ids.index(i) for i in d.brand_item_ids
            if d.item(i).type == "likert" and d.item(i).scale == "sat5"][:6]
    return d, with_quality_problems(data, np.random.default_rng(6), grid=grid)


def test_moments_uncentred_then_centred_match_the_centred_pass() -> None:
    """The accumulator's uncentred cross-products, centred at the end, equal the one-pass centred M to 1e-9
    (relative to its scale), however the respondents are chunked."""
    d = make_definition()
    data = simulate(d, 900, random_state=3, missing=0.1, na=0.1, weighted=True)
    lay = _layout(d)
    rows = data.rated("a")
    codes = data.code_matrix(lay.items, "a")[rows]
    w = data.weight[rows]
    full = compute_tree(d, data, respondent_level=False)
    M, node_n, sw, sw2 = _moments(codes, lay.rules, full.item_means, w, lay.nodes, lay.leaf_col)
    for size in (1, 64, 900):
        acc = TreeAccumulator(d)
        for a in range(0, data.n, size):
            acc.add(data.take(np.arange(a, min(a + size, data.n))))
        st = acc.statistics()
        assert st.n == int(rows.sum())
        assert np.abs(st.M - M).max() <= 1e-9 * np.abs(M).max()
        assert (st.node_n == node_n).all()
        assert np.allclose(st.sw, sw, rtol=1e-12) and np.allclose(st.sw2, sw2, rtol=1e-12)
        tree = tree_from_statistics(d, st)
        for a_, b_ in zip(tree.nodes, full.nodes, strict=True):
            assert a_.id == b_.id and math.isclose(a_.score.value, b_.score.value, rel_tol=1e-12)
            assert math.isclose(a_.score.se, b_.score.se, rel_tol=1e-9)


@pytest.mark.parametrize("chunk", [1, 37, 250, 600])
def test_summary_equals_full_analysis(unrounded: None, mini: tuple[SurveyDefinition, ResponseData],
                                      chunk: int) -> None:
    d, data = mini
    full = analyze(d, data, n_boot=0, min_grid=3)
    summ = summarize(d, data, chunk_rows=chunk, min_grid=3)
    assert summ["mode"] == "summary" and summ["streaming"]["largest_chunk"] == min(chunk, data.n)
    # the injected problems are found and excluded, as in the full analysis
    q = full["quality"]["counts"]
    assert q["speeder"] >= 8 and q["straightliner"] >= 8 and q["duplicate"] >= 12
    assert full["quality"]["exclusions"]["n_excluded"] > 0
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec) == [], sec
    assert differences(_quality(full), _quality(summ), "quality") == []
    # every node of the index with its CI
    assert len(summ["index"]["nodes"]) == 8 and all(nd["score"]["ci"] for nd in summ["index"]["nodes"])


def _quality(r: dict[str, Any]) -> dict[str, Any]:
    """The quality section with the reason of an answer duplicate normalised: the summary keeps fingerprints,
    not the earlier respondent's id, so it cannot name them."""
    q = dict(r["quality"])
    q["examples"] = [{**e, "reasons": ["duplicate: answers" if x.startswith("duplicate: answers") else x
                                       for x in e["reasons"]]} for e in q["examples"]]
    return q


@pytest.mark.parametrize("chunk", [1, 113, 700])
def test_summary_with_latent_model_equals_full(unrounded: None, utility: tuple[SurveyDefinition, ResponseData],
                                               chunk: int) -> None:
    """utility_csi: a deeper tree with AHP weights, segments, per-brand loyalty items and the ACSI point estimate
    (its CI is a bootstrap, which the summary does not compute and says so)."""
    d, data = utility
    full = analyze(d, data, n_boot=20)
    summ = summarize(d, data, chunk_rows=chunk)
    assert full["quality"]["exclusions"]["n_excluded"] >= 20
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec) == [], sec
    assert differences(_quality(full), _quality(summ), "quality") == []
    fa, sa = full["acsi"], summ["acsi"]
    assert fa["status"] == sa["status"] == "ok"
    for key in ("value", "n", "complete_cases", "missing", "construct", "converged", "n_iter"):
        assert differences(fa[key], sa[key], key) == [], key
    for a, b in zip(fa["constructs"], sa["constructs"], strict=True):
        assert differences([a["score"]["value"], a["r2"], a["r2_adj"]], [b["score"]["value"], b["r2"], b["r2_adj"]],
                           a["id"]) == []
    assert differences([p["coef"] for p in fa["paths"]], [p["coef"] for p in sa["paths"]], "paths") == []
    assert differences([o["weight"] for o in fa["outer"]], [o["weight"] for o in sa["outer"]], "outer") == []
    assert differences([o["loading"] for o in fa["outer"]], [o["loading"] for o in sa["outer"]], "outer") == []
    assert sa["ci"] is None and "bootstrap" in sa["ci_note"] and sa["bootstrap"]["status"] == "not_computed"


def test_casewise_latent_model(unrounded: None, utility: tuple[SurveyDefinition, ResponseData]) -> None:
    d, data = utility
    assert d.model is not None
    dc = d.model_copy(update={"model": d.model.model_copy(update={"missing": "casewise"})})
    data = dataclasses.replace(data, definition=dc)
    full = analyze(dc, data, n_boot=20)["acsi"]
    summ = summarize(dc, data, chunk_rows=97)["acsi"]
    assert full["missing"]["setting"] == "casewise" and full["missing"]["n_rows_dropped"] > 0
    keys = ("value", "n", "missing")
    assert differences({k: full[k] for k in keys}, {k: summ[k] for k in keys}) == []


@pytest.mark.parametrize("flt", [{"wave": "w2"}, {"brand": "b"}, {"segment": {"region": "south"}},
                                 {"wave": "w1", "segment": {"age": ["young", "old"]}}])
def test_filters_as_in_the_full_analysis(unrounded: None, mini: tuple[SurveyDefinition, ResponseData],
                                         flt: dict[str, Any]) -> None:
    d, data = mini
    full = analyze(d, data, n_boot=0, min_grid=3, **flt)
    summ = summarize(d, data, chunk_rows=71, min_grid=3, **flt)
    assert 0 < summ["n"]["filtered"] < summ["n"]["responses"] == data.n
    assert summ["filters"] == full["filters"]
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec) == [], sec


def test_unweighted_and_no_exclusions(unrounded: None, mini: tuple[SurveyDefinition, ResponseData]) -> None:
    d, data = mini
    data = data.with_weights(None)
    full = analyze(d, data, n_boot=0, exclude_flags=False)
    summ = summarize(d, data, chunk_rows=200, exclude_flags=False)
    assert summ["n"]["weighted"] is False and summ["quality"]["exclusions"]["n_excluded"] == 0
    for sec in EXACT:
        assert differences(full[sec], summ[sec], sec) == [], sec
    # equal weights: the segment test is scipy's f_oneway
    test = summ["segments"]["region"]["test"]
    assert test["method"] == "anova" and differences(full["segments"]["region"]["test"], test) == []


def test_sections_that_need_respondent_level_data(mini: tuple[SurveyDefinition, ResponseData]) -> None:
    d, data = mini
    summ = summarize(d, data, chunk_rows=300, min_grid=3)
    for sec in ("benchmarks", "waves", "priorities"):
        assert summ[sec] == {"status": "not_computed", "reason": NOT_COMPUTED}
    assert summ["acsi"] is None and summ["servqual"] is None and summ["kano"] is None  # no such blocks
    assert summ["index"]["value"] is not None
    # a node that derives its weights (entropy) from respondent-level scores: the tree is not computed
    derived = make_definition(indicators={"id": "csi", "derive": "entropy", "children": [
        {"id": "n1", "item": "q1"}, {"id": "n2", "item": "q2"}, {"id": "n4", "item": "q4"}]})
    dd = dataclasses.replace(data, definition=derived)
    summ = summarize(derived, dd, chunk_rows=300)
    for sec in ("index", "brands", "segments"):
        assert summ[sec]["status"] == "not_computed" and "csi derives its weights" in summ[sec]["reason"]
    assert summ["items"]["q1"]["mean"]["value"] is not None  # the rest is still there
    with pytest.raises(NeedsRespondentData, match="entropy"):
        tree_from_statistics(derived, TreeAccumulator(derived).statistics())


def test_raking_is_not_computed(mini: tuple[SurveyDefinition, ResponseData]) -> None:
    _, data = mini
    dw = make_definition(weighting={"margins": {"region": {"north": 0.4, "south": 0.6}}})
    summ = summarize(dw, dataclasses.replace(data, definition=dw), chunk_rows=300, min_grid=3)
    assert summ["weighting"]["method"] == "raking" and summ["weighting"]["status"] == "not_computed"
    assert summ["index"]["status"] == "not_computed" and "raking" in summ["index"]["reason"]
    assert summ["n"]["analysed"] > 0


def test_no_responses_left(mini: tuple[SurveyDefinition, ResponseData]) -> None:
    d, data = mini
    summ = summarize(d, data, chunk_rows=100, segment={"region": "north"}, wave="w1", brand="c", min_grid=3,
                     exclusion_rule=("speeder",))
    full = analyze(d, data, n_boot=0, segment={"region": "north"}, wave="w1", brand="c", min_grid=3,
                   exclusion_rule=("speeder",))
    assert summ["n"] == full["n"]
    empty = summarize(d, data.take(np.zeros(data.n, dtype=bool)), chunk_rows=10)
    assert empty["index"] == {"value": None, "n": 0, "status": "insufficient_data", "reason": "no responses to analyse"}


def test_median_must_match_the_timed_respondents(mini: tuple[SurveyDefinition, ResponseData]) -> None:
    d, data = mini
    acc = StreamingSummary(d)  # no median although the data are timed
    acc.add(data)
    with pytest.raises(ValueError, match="median_duration_s"):
        acc.result()
    untimed = dataclasses.replace(data, started_at=np.full(data.n, np.nan))
    acc = StreamingSummary(d, median_duration_s=480.0)
    acc.add(untimed)
    with pytest.raises(ValueError, match="pass None"):
        acc.result()
    assert median_duration(untimed) is None and median_duration(data) == pytest.approx(
        float(np.median(data.submitted_at - data.started_at)))
    with pytest.raises(ValueError, match="unknown quality flag 'slow'"):
        StreamingSummary(d, exclusion_rule=("slow",))
    with pytest.raises(ValueError, match="another definition"):
        StreamingSummary(load_template("utility_csi")).add(data)


def test_answer_duplicates_across_chunks(mini: tuple[SurveyDefinition, ResponseData]) -> None:
    """A respondent whose answers repeat an earlier one's is flagged in whichever chunk it falls; the first
    occurrence is kept (same counts as the full analysis, which sees all rows at once)."""
    d, _ = mini
    data = simulate(d, 40, random_state=1, weighted=False)
    resp, brand = data.resp.copy(), data.brand.copy()
    resp[39], brand[39] = resp[0], brand[0]
    resp[20], brand[20] = resp[19], brand[19]
    data = dataclasses.replace(data, resp=resp, brand=brand)
    full = analyze(d, data, n_boot=0)
    for chunk in (1, 19, 20, 40):
        summ = summarize(d, data, chunk_rows=chunk)
        assert summ["quality"]["counts"]["duplicate"] == full["quality"]["counts"]["duplicate"] == 2
        flagged = [e["respondent"] for e in summ["quality"]["examples"]]
        assert flagged == ["r20", "r39"]


@pytest.mark.parametrize("chunk", [1, 7, 500])
def test_fingerprint_set_counts_earlier_occurrences(chunk: int) -> None:
    """`_Seen.add` gives each fingerprint's number of earlier occurrences, as pandas' groupby cumcount over the
    whole sequence, however it is chunked (repeats within a chunk, across chunks, three and more times)."""
    import pandas as pd

    from analytics.streaming import _Seen

    h = np.random.default_rng(2).integers(0, 300, size=1000).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    want = pd.Series(h).groupby(h).cumcount().to_numpy()
    seen = _Seen()
    got = np.concatenate([seen.add(h[a:a + chunk]) for a in range(0, h.size, chunk)])
    assert (got == want).all() and want.max() >= 3
    assert len(seen) == np.unique(h).size and (seen.keys[1:] > seen.keys[:-1]).all()
