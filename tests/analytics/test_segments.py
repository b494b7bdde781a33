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
