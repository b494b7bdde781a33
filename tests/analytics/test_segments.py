import numpy as np
import pytest
from scipy import stats

from analytics.segments import segment_test, segments
from tests.analytics.conftest import make_definition

D = make_definition()


def test_anova_matches_f_oneway_and_wls_with_unit_weights() -> None:
    rng = np.random.default_rng(0)
    g = [rng.normal(60, 10, 40), rng.normal(65, 10, 50), rng.normal(62, 12, 35)]
    ref = stats.f_oneway(*g)
    r = segment_test(g)
    assert r["p_value"] == pytest.approx(ref.pvalue) and r["statistic"] == pytest.approx(ref.statistic)
    rw = segment_test(g, [np.ones(len(x)) for x in g])
    assert rw["p_value"] == pytest.approx(ref.pvalue) and rw["statistic"] == pytest.approx(ref.statistic)
    rk = segment_test(g, method="kruskal")
    assert rk["p_value"] == pytest.approx(stats.kruskal(*g).pvalue)


def test_segments_small_n_and_single_respondent() -> None:
    rng = np.random.default_rng(1)
    codes = np.array([0] * 40 + [1] * 10 + [2] + [-1] * 3)
    idx = rng.normal(60, 10, codes.shape[0])
    out = segments(D, "age", codes, idx)
    s = out["segments"]
    assert s["young"]["n"] == 40 and not s["young"]["small_n"]
    assert s["mid"]["small_n"] and s["mid"]["value"] == pytest.approx(idx[40:50].mean())
    assert s["old"]["value"] is None and s["old"]["status"] == "insufficient_data"
    assert "one respondent" in s["old"]["reason"]
    assert out["unknown"] == 3
    assert out["test"]["p_value"] == pytest.approx(stats.f_oneway(idx[:40], idx[40:50]).pvalue)


def test_segments_errors_and_thin() -> None:
    with pytest.raises(ValueError, match="'q1' is not a choice item"):
        segments(D, "q1", np.zeros(3), np.zeros(3))
    out = segments(D, "region", np.array([0, 1]), np.array([50.0, 60.0]))
    assert out["test"]["status"] == "insufficient_data"
    const = segment_test([np.full(5, 60.0), np.full(5, 60.0)])
    assert const["status"] == "insufficient_data"


def test_weighted_anova_hand_computed() -> None:
    g = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 6.0])]
    w = [np.array([1.0, 1.0, 2.0]), np.array([1.0, 3.0])]
    # weighted means 9/4 and 22/4; overall 31/8
    # SSR_1 = 1(1.25^2) + 1(0.25^2) + 2(0.75^2) + 1(1.5^2) + 3(0.5^2) = 2.75 + 3.0 = 5.75
    # SSR_0 = sum w (y - 31/8)^2 = 8.265625 + 3.515625 + 1.53125 + 0.015625 + 13.546875 = 26.875
    F = (26.875 - 5.75) / 1 / (5.75 / (5 - 2))
    r = segment_test(g, w)
    assert r["statistic"] == pytest.approx(F) and r["df"] == [1, 3]
    assert r["p_value"] == pytest.approx(stats.f.sf(F, 1, 3))
    assert "precision weights" in r["note"]
    s = segment_test(g, [4.2 * x for x in w])  # scaling all weights changes nothing
    assert s["statistic"] == pytest.approx(F) and s["p_value"] == pytest.approx(r["p_value"])


def test_weighted_segments_equal_replicated_rows_for_point_estimates() -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 3, 90)
    idx = rng.normal(60, 10, 90)
    w = rng.integers(1, 4, 90).astype(float)
    rep = np.repeat(np.arange(90), w.astype(int))
    a, b = segments(D, "age", codes, idx, w), segments(D, "age", codes[rep], idx[rep])
    for k in ("young", "mid", "old"):
        assert a["segments"][k]["value"] == pytest.approx(b["segments"][k]["value"])
    c = segments(D, "age", codes, idx, 0.3 * w)
    for k in ("young", "mid", "old"):
        assert c["segments"][k]["ci"] == pytest.approx(a["segments"][k]["ci"])
    assert c["test"]["p_value"] == pytest.approx(a["test"]["p_value"])


def test_segment_weights_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"segment 'age' respondent weights: expected 4 weights, got shape \(3,\)"):
        segments(D, "age", np.array([0, 1, 2, 0]), np.arange(4.0), np.ones(3))
    with pytest.raises(ValueError, match="segment 2 has 2 values but weights of shape"):
        segment_test([np.arange(3.0), np.arange(2.0)], [np.ones(3), np.ones(3)])
