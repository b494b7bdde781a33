import numpy as np
import pytest

from analytics.scoring import item_scoring, score_codes, score_matrix
from tests.analytics.conftest import make_definition


def test_percent_of_max_5_point() -> None:
    d = make_definition()
    r = item_scoring(d, "q1")
    np.testing.assert_allclose(score_codes([1, 2, 3, 4, 5], r), [20, 40, 60, 80, 100])
    assert (r.score_min, r.score_max) == (20, 100)


def test_linear_ten_point_and_nps() -> None:
    d = make_definition()
    np.testing.assert_allclose(score_codes([1, 10, 4], item_scoring(d, "q4")), [0, 100, 100 / 3])
    np.testing.assert_allclose(score_codes([0, 10, 7], item_scoring(d, "rec")), [0, 100, 70])


def test_reverse_coding_flips_before_scoring() -> None:
    d = make_definition()
    r = item_scoring(d, "q5")  # agree5, reverse: x' = 1 + 5 - x
    np.testing.assert_allclose(score_codes([1, 2, 5], r), [100, 80, 20])
    np.testing.assert_allclose(r.oriented(np.array([1.0, 5.0])), [5, 1])


def test_na_and_missing_are_nan_never_zero() -> None:
    d = make_definition()
    s = score_codes([-1, -2, 3], item_scoring(d, "q3"))
    assert np.isnan(s[:2]).all() and s[2] == 60


def test_yes_no_scores_0_100() -> None:
    d = make_definition()
    np.testing.assert_allclose(score_codes([0, 1], item_scoring(d, "complained")), [0, 100])


def test_out_of_range_code_names_item() -> None:
    d = make_definition()
    with pytest.raises(ValueError, match=r"'q1'.*outside"):
        score_codes([6], item_scoring(d, "q1"))
    with pytest.raises(ValueError, match="'q2'"):
        score_matrix(np.array([[1, 0]]), [item_scoring(d, "q1"), item_scoring(d, "q2")])


def test_unscored_items_rejected() -> None:
    d = make_definition()
    with pytest.raises(ValueError, match="choice"):
        item_scoring(d, "region")
    with pytest.raises(ValueError, match="unknown item"):
        item_scoring(d, "nope")


def test_score_matrix_matches_per_item() -> None:
    d = make_definition()
    ids = ["q1", "q4", "q5"]
    rules = [item_scoring(d, i) for i in ids]
    c = np.array([[1, 1, 1], [5, 10, 5], [-1, -2, 3]], dtype=np.int16)
    m = score_matrix(c, rules)
    for j, r in enumerate(rules):
        np.testing.assert_allclose(m[:, j], score_codes(c[:, j], r))
