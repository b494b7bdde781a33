import numpy as np
import pandas as pd
import pytest

from analytics.data import ResponseData
from analytics.simulate import simulate
from tests.analytics.conftest import make_definition


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    d = make_definition()
    cols = ["respondent", "brand", *d.respondent_item_ids, *d.brand_item_ids]
    base = {c: "" for c in cols}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_shapes_are_validated() -> None:
    d = make_definition()
    with pytest.raises(ValueError, match="resp has shape"):
        ResponseData.from_arrays(d, np.zeros((2, 1)), np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="brand has shape"):
        ResponseData.from_arrays(d, np.zeros((2, 6)), np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match="weight"):
        ResponseData.from_arrays(d, np.zeros((2, 6)), np.zeros((2, 3, 5)), weight=[1.0])


def test_round_trip_codes_and_labels(sim: ResponseData) -> None:
    d = sim.definition
    for labels in (None, "zh", "en"):
        back = ResponseData.from_frame(d, sim.to_frame(labels=labels))
        assert back.n == sim.n
        np.testing.assert_array_equal(back.resp, sim.resp)
        np.testing.assert_array_equal(back.brand, sim.brand)
        np.testing.assert_array_equal(back.wave, sim.wave)
        np.testing.assert_allclose(back.weight, sim.weight)
        np.testing.assert_allclose(back.started_at, sim.started_at, atol=1.0)


def test_from_frame_parses_labels_na_and_empty() -> None:
    d = make_definition()
    df = _frame([
        {"respondent": "x", "brand": "a", "region": "南", "q1": "满意", "q2": "Neutral", "q3": "NA", "q4": "7",
         "q5": "2", "sat": "5", "rec": "10", "complained": "yes"},
        {"respondent": "x", "brand": "B", "region": "south", "q1": "1", "q3": "不适用", "sat": 5, "rec": 10,
         "complained": "1"},
    ])
    r = ResponseData.from_frame(d, df)
    assert r.n == 1
    assert r.codes("region")[0] == 1
    np.testing.assert_array_equal(r.brand[0, 0], [5, 3, -2, 7, 2])
    np.testing.assert_array_equal(r.brand[0, 1], [1, -1, -2, -1, -1])
    assert (r.brand[0, 2] == -1).all()
    assert r.codes("complained")[0] == 1 and r.codes("loy")[0] == -1
    assert list(r.rated("c")) == [False] and list(r.rated("b")) == [True]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"respondent": "x", "brand": "a", "q1": "7"}], r"row 1, column 'q1': '7' is out of range 1..5"),
        ([{"respondent": "x", "brand": "a"}, {"respondent": "y", "brand": "zz"}], r"row 2, column 'brand'"),
        ([{"respondent": "x", "brand": "a", "sat": "4"}, {"respondent": "x", "brand": "b", "sat": "5"}],
         r"row 2, column 'sat'.*must agree"),
        ([{"respondent": "x", "brand": "a"}, {"respondent": "x", "brand": "a"}], r"row 2.*twice"),
        ([{"respondent": "", "brand": "a"}], r"row 1, column 'respondent'"),
        ([{"respondent": "x", "brand": "a", "region": "east"}], r"row 1, column 'region'"),
    ],
)
def test_from_frame_errors_name_row_and_column(rows: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResponseData.from_frame(make_definition(), _frame(rows))


def test_from_frame_missing_columns_and_bad_wave() -> None:
    d = make_definition()
    with pytest.raises(ValueError, match="lacks item columns: q1"):
        ResponseData.from_frame(d, _frame([{"respondent": "x"}]).drop(columns=["q1"]))
    df = _frame([{"respondent": "x", "brand": "a"}])
    df["wave"] = "w9"
    with pytest.raises(ValueError, match="row 1, column 'wave': unknown wave"):
        ResponseData.from_frame(d, df)
    df["wave"] = "w1"
    df["started_at"] = "yesterday"
    with pytest.raises(ValueError, match="row 1, column 'started_at'"):
        ResponseData.from_frame(d, df)


def test_filter_and_brand_scores(sim: ResponseData) -> None:
    w1 = sim.filter(wave="w1")
    assert w1.n == int((sim.wave == "w1").sum()) and (w1.wave == "w1").all()
    north = sim.filter(segment={"region": "north"})
    assert (north.segment_codes("region") == 0).all()
    assert sim.filter(segment={"region": ["north", "south"]}).n == int((sim.segment_codes("region") >= 0).sum())
    rated_b = sim.filter(brand="b")
    assert rated_b.rated("b").all()
    bs = sim.brand_scores("b")
    assert bs.shape == (int(sim.rated("b").sum()), 5)
    assert np.nanmin(bs) >= 0 and np.nanmax(bs) <= 100
    m = np.zeros(sim.n, dtype=bool)
    m[:5] = True
    assert sim.filter(mask=m).n == 5
    with pytest.raises(ValueError, match="unknown brand"):
        sim.rated("zz")
    with pytest.raises(ValueError, match="unknown option"):
        sim.filter(segment={"region": "east"})


def test_scores_and_codes_views(complete: ResponseData) -> None:
    s = complete.scores("q5", "b")
    raw = complete.codes("q5", "b")
    np.testing.assert_allclose(s, (6 - raw) * 20)
    assert complete.code_matrix(["sat", "q1"], "c")[:, 1].tolist() == complete.brand[:, 2, 0].tolist()


def test_survey_without_brand_items_counts_own_brand() -> None:
    d = make_definition(indicators=None)
    d2 = d.model_copy(update={"sections": [s for s in d.sections if not s.per_brand], "indicators": None})
    r = simulate(d2, 20, random_state=0)
    assert r.rated().all() and not r.rated("b").any()
    df = r.to_frame()
    assert len(df) == 20 and (df["brand"] == "a").all()
    back = ResponseData.from_frame(d2, df.drop(columns=["brand"]))
    np.testing.assert_array_equal(back.resp, r.resp)
