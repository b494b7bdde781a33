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


@pytest.fixture(scope="module")
def uneven(ecsi_data: pd.DataFrame) -> pd.DataFrame:
    """The ECSI data with the satisfaction items' spreads made clearly unequal (still on 1-10)."""
    df = ecsi_data.copy()
    df["SAT2"] = 1 + np.round((df["SAT2"] - 1) * 0.4)
    df["SAT3"] = np.clip(np.round(5.5 + (df["SAT3"] - 5.5) * 1.6), 1, 10)
    sd = df[ECSI_BLOCKS["Satisfaction"]].std()
    assert sd.max() / sd.min() > 2
    return df


def _by_hand(m: PLSPathModel, df: pd.DataFrame, items: list[str], lo: float, hi: float, unstd: bool) -> float:
    w = m.outer_weights_[items].to_numpy()
    if unstd:
        w = w / (df[items].std().to_numpy() * 100 / (hi - lo))
    wt = w / w.sum()
    return float((wt @ df[items].mean().to_numpy() - lo) / (hi - lo) * 100)


def test_index_is_the_contract_formula(uneven: pd.DataFrame) -> None:
    """Issue 5 / methods.md §5: outer weights rescaled to sum 1, ``(Σ w̃_i x̄_i − min)/(max − min) · 100``."""
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(uneven)
    items = ECSI_BLOCKS["Satisfaction"]
    w = m.outer_weights_[items].to_numpy()
    wt = w / w.sum()
    expected = (float(wt @ uneven[items].mean().to_numpy()) - 1) / (10 - 1) * 100
    assert abs(m.index("Satisfaction", 1, 10) - expected) < 1e-9
    assert abs(m.index("Satisfaction", scale_min=1, scale_max=10) - expected) < 1e-9
    np.testing.assert_allclose(m.index_weights()[items], wt, atol=1e-12)
    idx = m.indices(1, 10)
    for c, its in ECSI_BLOCKS.items():
        assert abs(idx[c] - _by_hand(m, uneven, its, 1, 10, unstd=False)) < 1e-9, c


def test_unstandardized_index_weights_are_an_explicit_option(uneven: pd.DataFrame) -> None:
    """``weights="unstandardized"``: w̃ ∝ w_i / sd(x_i) (Fornell et al. 1996; SmartPLS IPMA) — a different
    number on these data, so the default above is not it."""
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(uneven)
    items = ECSI_BLOCKS["Satisfaction"]
    got = m.index("Satisfaction", 1, 10, weights="unstandardized")
    assert abs(got - _by_hand(m, uneven, items, 1, 10, unstd=True)) < 1e-9
    assert abs(got - m.index("Satisfaction", 1, 10)) > 0.1
    u = m.outer_weights_[items] / uneven[items].std()
    np.testing.assert_allclose(m.index_weights(1, 10, weights="unstandardized")[items], u / u.sum(), atol=1e-12)
    with pytest.raises(ValueError, match="scale bounds are needed"):
        m.index_weights(weights="unstandardized")
    with pytest.raises(ValueError, match="weights must be 'standardized' or 'unstandardized', got 'raw'"):
        m.index("Satisfaction", 1, 10, weights="raw")  # type: ignore[arg-type]


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


def test_scale_bounds_are_required(model: PLSPathModel) -> None:
    """An index relative to the observed min/max would move with the sample: the declared bounds are needed,
    given per call or once as the model's ``scale``."""
    assert model.scale is None
    for call in (lambda: model.index("Satisfaction"), model.indices, lambda: model.ipma("Satisfaction")):
        with pytest.raises(ValueError, match="scale bounds are needed"):
            call()
    with pytest.raises(ValueError, match="scale bounds are needed"):
        model.index("Satisfaction", None, 10)
    with pytest.raises(ValueError, match="scale bounds are needed"):
        model.indices(1, None)
    assert "indices" not in model.bootstrap(n_boot=20, random_state=0, n_jobs=1).estimates
    scaled = PLSPathModel(**{**model.get_params(), "scale": (1, 10)}).fit(model._data)
    assert scaled.index("Satisfaction") == model.index("Satisfaction", 1, 10)
    pd.testing.assert_frame_equal(scaled.ipma("Satisfaction"), model.ipma("Satisfaction", 1, 10))
    boot = scaled.bootstrap(n_boot=20, random_state=0, n_jobs=1)  # the call, with the indices
    assert boot.indices.loc["Satisfaction", "estimate"] == pytest.approx(scaled.index("Satisfaction"))
    with pytest.raises(ValueError, match="unknown construct 'Nope'"):
        model.index("Nope", 1, 10)


@pytest.mark.parametrize("weights", ["standardized", "unstandardized"])
def test_ipma_importance_is_the_unstandardised_total_effect(small_data: pd.DataFrame, weights: str) -> None:
    """Importance by hand: OLS on the 0-100 construct scores Σ w̃_i x̃_i (with the index's weights), chained
    along the paths; performance is the index."""
    df = small_data.copy()
    m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(df)
    lo, hi = df.min().to_dict(), df.max().to_dict()
    w = m.index_weights(lo, hi, weights=weights)  # type: ignore[arg-type]
    lv = pd.DataFrame({
        c: sum(w[i] * (df[i] - lo[i]) / (hi[i] - lo[i]) * 100 for i in items) for c, items in SMALL_BLOCKS.items()
    })
    (b_xm,), _ = ols(lv["M"].to_numpy(), lv[["X"]].to_numpy())
    (b_xy, b_my), _ = ols(lv["Y"].to_numpy(), lv[["X", "M"]].to_numpy())
    table = m.ipma("Y", lo, hi, weights=weights)  # type: ignore[arg-type]
    assert list(table.index) == ["X", "M"]
    assert table.loc["X", "importance"] == pytest.approx(b_xy + b_xm * b_my, abs=1e-10)
    assert table.loc["M", "importance"] == pytest.approx(b_my, abs=1e-10)
    for c in ("X", "M"):
        assert table.loc[c, "performance"] == pytest.approx(lv[c].mean(), abs=1e-10)
        assert table.loc[c, "performance"] == m.index(c, lo, hi, weights=weights)  # type: ignore[arg-type]
        assert table.loc[c, "total_effect"] == pytest.approx(m.total_effects_.loc[c, "Y"])
    if weights == "unstandardized":
        # the scores are then linear in the PLS scores: importance = standardised effect × sd ratio
        for c in ("X", "M"):
            ratio = lv["Y"].std() / lv[c].std()
            assert table.loc[c, "importance"] == pytest.approx(m.total_effects_.loc[c, "Y"] * ratio, abs=1e-10)
    assert set(table["quadrant"]) <= {"concentrate here", "keep up the good work", "low priority",
                                      "possible overkill"}


def test_ipma_for_satisfaction(model: PLSPathModel) -> None:
    t = model.ipma("Satisfaction", 1, 10)
    assert list(t.index) == ["Image", "Expectation", "Quality", "Value"]
    assert list(t.columns) == ["importance", "performance", "total_effect", "quadrant"]
    assert t.index.name == "driver"
    for driver in t.index:
        assert t.loc[driver, "performance"] == model.index(driver, 1, 10)
    with pytest.raises(ValueError, match="construct 'Image' has no drivers"):
        model.ipma("Image", 1, 10)
