"""ACSI-style 0-100 indices and the importance-performance map, against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pls import PLSPathModel
from tests.analytics.pls.conftest import ECSI_BLOCKS, ECSI_PATH_LIST, SMALL_BLOCKS, SMALL_PATHS, ols


@pytest.fixture(scope="module")
def model(ecsi_data: pd.DataFrame) -> PLSPathModel:
    return PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data)


def test_index_is_the_methods_formula(model: PLSPathModel, ecsi_data: pd.DataFrame) -> None:
    """methods.md §5: w̃ = unstandardised weights rescaled to sum 1; Σ w̃_i (x̄_i − 1)/9 · 100 on 1-10 items."""
    items = ECSI_BLOCKS["Satisfaction"]
    w = model.outer_weights_[items] / ecsi_data[items].std()
    wt = w / w.sum()
    expected = float((wt * (ecsi_data[items].mean() - 1) / 9 * 100).sum())
    assert model.index("Satisfaction", 1, 10) == pytest.approx(expected, abs=1e-10)
    # (Σ w̃ x̄ − Min)/(Max − Min) · 100 with Min = Σ w̃·1, Max = Σ w̃·10
    xbar = float((wt * ecsi_data[items].mean()).sum())
    assert model.index("Satisfaction", 1, 10) == pytest.approx((xbar - 1) / 9 * 100, abs=1e-10)
    np.testing.assert_allclose(model.index_weights(1, 10)[items], wt, atol=1e-12)


def test_indices_for_every_construct(model: PLSPathModel) -> None:
    idx = model.indices(1, 10)
    assert list(idx.index) == list(ECSI_BLOCKS)
    assert ((idx > 0) & (idx < 100)).all()
    for c in ECSI_BLOCKS:
        assert model.index(c, 1, 10) == idx[c]
    w = model.index_weights(1, 10)
    for items in ECSI_BLOCKS.values():
        assert w[items].sum() == pytest.approx(1.0)


def test_items_on_different_scales(ecsi_data: pd.DataFrame, model: PLSPathModel) -> None:
    """Rescaling an item together with its declared range changes nothing."""
    df = ecsi_data.assign(SAT1=ecsi_data["SAT1"] * 10, LOY2=ecsi_data["LOY2"] - 1)
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(df)
    items = [i for v in ECSI_BLOCKS.values() for i in v]
    lo = {i: 1.0 for i in items} | {"SAT1": 10.0, "LOY2": 0.0}
    hi = {i: 10.0 for i in items} | {"SAT1": 100.0, "LOY2": 9.0}
    np.testing.assert_allclose(m.indices(lo, hi), model.indices(1, 10), atol=1e-10)
    np.testing.assert_allclose(m.path_coefs_, model.path_coefs_, atol=1e-12)
    with pytest.raises(ValueError, match=r"scale_min has no value for item 'IMAG1'"):
        m.indices({"SAT1": 1.0}, hi)
    with pytest.raises(ValueError, match=r"item 'IMAG1': scale_max 1 is not above scale_min 1"):
        m.indices(1, 1)


def test_default_range_is_the_observed_one(model: PLSPathModel, ecsi_data: pd.DataFrame) -> None:
    items = [i for v in ECSI_BLOCKS.values() for i in v]
    lo, hi = ecsi_data[items].min().to_dict(), ecsi_data[items].max().to_dict()
    np.testing.assert_allclose(model.indices(), model.indices(lo, hi), atol=1e-12)
    with pytest.raises(ValueError, match="unknown construct 'Nope'"):
        model.index("Nope", 1, 10)


def test_ipma_importance_is_the_unstandardised_total_effect(small_data: pd.DataFrame) -> None:
    """Importance by hand: OLS on the 0-100 construct scores Σ w̃_i x̃_i, chained along the paths."""
    df = small_data.copy()
    m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(df)
    lo, hi = df.min(), df.max()
    w = m.index_weights()
    lv = pd.DataFrame({
        c: sum(w[i] * (df[i] - lo[i]) / (hi[i] - lo[i]) * 100 for i in items) for c, items in SMALL_BLOCKS.items()
    })
    (b_xm,), _ = ols(lv["M"].to_numpy(), lv[["X"]].to_numpy())
    (b_xy, b_my), _ = ols(lv["Y"].to_numpy(), lv[["X", "M"]].to_numpy())
    table = m.ipma("Y")
    assert list(table.index) == ["X", "M"]
    assert table.loc["X", "importance"] == pytest.approx(b_xy + b_xm * b_my, abs=1e-10)
    assert table.loc["M", "importance"] == pytest.approx(b_my, abs=1e-10)
    assert table.loc["X", "performance"] == pytest.approx(lv["X"].mean(), abs=1e-10)
    assert table.loc["M", "performance"] == pytest.approx(m.index("M"), abs=1e-12)
    assert table.loc["X", "total_effect"] == pytest.approx(m.total_effects_.loc["X", "Y"])
    assert set(table["quadrant"]) <= {"concentrate here", "keep up the good work", "low priority",
                                      "possible overkill"}


def test_ipma_for_satisfaction(model: PLSPathModel) -> None:
    t = model.ipma("Satisfaction", 1, 10)
    assert list(t.index) == ["Image", "Expectation", "Quality", "Value"]
    assert list(t.columns) == ["importance", "performance", "total_effect", "quadrant"]
    assert t.index.name == "driver"
    with pytest.raises(ValueError, match="construct 'Image' has no drivers"):
        model.ipma("Image")
