import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from analytics.itemstats import item_statistics
from analytics.satisfaction_rate import satisfaction_rate
from analytics.scoring import item_scoring
from tests.analytics.conftest import make_definition

D = make_definition()


def _stats(codes: list[list[int]], ids: list[str], w: np.ndarray | None = None, top: list[int] | None = None):
    rules = [item_scoring(D, i) for i in ids]
    return item_statistics(np.array(codes, dtype=np.int16), rules, top or [2] * len(ids), w)


def test_hand_computed_item() -> None:
    st = _stats([[5], [4], [4], [2], [-1], [-2]], ["q3"])[0]
    scores = np.array([100, 80, 80, 40.0])
    assert (st.n, st.n_missing, st.n_na) == (4, 1, 1)
    assert st.mean.value == pytest.approx(75)
    assert st.sd == pytest.approx(scores.std(ddof=1))
    lo, hi = DescrStatsW(scores).tconfint_mean()
    assert st.mean.ci == pytest.approx((lo, min(hi, 100.0)))  # clipped to the scale
    assert st.distribution == {1: (0, 0.0), 2: (1, 0.25), 3: (0, 0.0), 4: (2, 0.5), 5: (1, 0.25)}
    assert st.top_box.value == pytest.approx(75)
    lo, hi = proportion_confint(3, 4, method="wilson")
    assert st.top_box.ci == pytest.approx((100 * lo, 100 * hi))
    assert st.raw_mean == pytest.approx(3.75)


def test_weighted_matches_numpy_and_linearisation() -> None:
    rng = np.random.default_rng(0)
    c = rng.integers(1, 11, 300)
    w = rng.uniform(0.2, 3, 300)
    st = _stats(c[:, None].tolist(), ["q4"], w, [3])[0]
    s = (c - 1) / 9 * 100
    m = np.average(s, weights=w)
    p = w / w.sum()
    se = np.sqrt(300 / 299 * np.sum((p * (s - m)) ** 2))
    assert st.mean.value == pytest.approx(m) and st.mean.se == pytest.approx(se)
    assert st.top_box.value == pytest.approx(100 * w[c >= 8].sum() / w.sum())


def test_reverse_item_top_box_after_reversal() -> None:
    st = _stats([[1], [2], [5]], ["q5"])[0]  # reversed: 5, 4, 1
    assert st.top_box.value == pytest.approx(200 / 3)
    assert st.mean.value == pytest.approx((100 + 80 + 20) / 3)


def test_nobody_answered_constant_and_single_answer() -> None:
    none, const, one = _stats([[-1, 3, 4], [-2, 3, -1]], ["q3", "q1", "q2"])
    assert none.mean.status == "insufficient_data" and "nobody answered" in (none.mean.reason or "")
    assert "'q3'" in (none.mean.reason or "")
    assert const.warnings and const.mean.ci == pytest.approx((60, 60))
    assert one.mean.value == 80 and one.mean.ci is None and one.mean.status == "insufficient_data"


def test_mismatch_and_bad_codes_raise() -> None:
    with pytest.raises(ValueError, match="do not match"):
        item_statistics(np.zeros((2, 2), dtype=np.int16), [item_scoring(D, "q1")], [2])
    with pytest.raises(ValueError, match="'q1'"):
        _stats([[0]], ["q1"])
    with pytest.raises(ValueError, match="'q1'"):
        _stats([[7]], ["q1"])


def test_satisfaction_rate_wilson() -> None:
    codes = np.array([5, 4, 3, 2, 1, 5, -1, -2])
    est = satisfaction_rate(codes, item_scoring(D, "q3"), 2)
    lo, hi = proportion_confint(3, 6, method="wilson")
    assert est.value == pytest.approx(50) and est.n == 6
    assert est.ci == pytest.approx((100 * lo, 100 * hi))
    w = np.array([1, 1, 1, 1, 1, 3, 1, 1.0])
    ew = satisfaction_rate(codes, item_scoring(D, "q3"), 2, w)
    assert ew.value == pytest.approx(500 / 8) and ew.n_eff == pytest.approx(64 / 14)
    with pytest.raises(ValueError, match="top_box"):
        satisfaction_rate(codes, item_scoring(D, "q3"), 6)
    assert satisfaction_rate(np.array([-1, -1]), item_scoring(D, "q3"), 2).status == "insufficient_data"
