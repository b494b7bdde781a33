"""Missing data: mean replacement and casewise deletion, chosen explicitly and reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pls import PLSPathModel
from analytics.pls import moments as moments_module
from tests.analytics.pls.conftest import ECSI_BLOCKS, ECSI_PATH_LIST


@pytest.fixture(scope="module")
def holed(ecsi_data: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = ecsi_data.copy()
    mask = rng.random(df.shape) < 0.03
    return df.mask(mask)


def test_mean_replacement_equals_fitting_imputed_data(holed: pd.DataFrame) -> None:
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing="mean").fit(holed)
    ref = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(holed.fillna(holed.mean()))
    np.testing.assert_allclose(m.path_coefs_, ref.path_coefs_, atol=1e-12)
    np.testing.assert_allclose(m.outer_weights_, ref.outer_weights_, atol=1e-12)
    np.testing.assert_allclose(m.construct_scores_, ref.construct_scores_, atol=1e-10)
    rep = m.missing_report_
    assert rep.method == "mean" and rep.n_used == rep.n_rows == 400 and rep.n_dropped == 0
    assert rep.n_imputed == int(holed.isna().sum().sum())
    assert (rep.missing_by_item == holed.isna().sum()).all()
    assert "mean replacement" in str(rep)


def test_casewise_deletion_equals_fitting_complete_rows(holed: pd.DataFrame) -> None:
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing="casewise").fit(holed)
    complete = holed.dropna()
    ref = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(complete)
    np.testing.assert_allclose(m.path_coefs_, ref.path_coefs_, atol=1e-12)
    np.testing.assert_allclose(m.construct_scores_, ref.construct_scores_, atol=1e-10)
    assert m.construct_scores_.index.equals(complete.index)
    rep = m.missing_report_
    assert rep.n_used == len(complete) and rep.n_dropped == 400 - len(complete) and rep.n_imputed == 0
    assert m.n_obs_ == len(complete)
    assert f"{rep.n_dropped} of 400 rows dropped" in str(rep)


@pytest.mark.parametrize("missing", ["mean", "casewise"])
def test_chunk_boundaries_do_not_matter(holed: pd.DataFrame, missing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Complete chunks before and after the first chunk with holes accumulate the same statistics."""
    df = holed.copy()
    df.iloc[:150] = df.iloc[:150].fillna(df.mean())  # the first chunks complete, then holes
    ref = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing=missing).fit(df)  # type: ignore[arg-type]
    monkeypatch.setattr(moments_module, "CHUNK_ROWS", 64)
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing=missing).fit(df)  # type: ignore[arg-type]
    np.testing.assert_allclose(m.path_coefs_, ref.path_coefs_, atol=1e-12)
    np.testing.assert_allclose(m.construct_scores_, ref.construct_scores_, atol=1e-10)
    np.testing.assert_allclose(m.item_means_, ref.item_means_, atol=1e-12)


def test_missing_data_needs_an_explicit_choice(holed: pd.DataFrame, ecsi_data: pd.DataFrame) -> None:
    """The default ``missing=None`` refuses gaps and names every item that has them, with its count."""
    model = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST)
    assert model.missing is None
    with pytest.raises(ValueError, match=r"choose missing='mean' \(mean replacement\) or missing='casewise'") as exc:
        model.fit(holed)
    counts = holed.isna().sum()
    for item, k in counts[counts > 0].items():
        assert f"{item!r} ({k})" in str(exc.value)
    assert f"({int(holed.isna().any(axis=1).sum())} of 400 rows incomplete)" in str(exc.value)
    one = ecsi_data.copy()
    one.loc[5, "SAT2"] = np.nan
    with pytest.raises(ValueError, match=r"missing values in item 'SAT2' \(1\) \(1 of 400 rows incomplete\)"):
        PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(one)
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data)  # complete data: no choice needed
    assert m.missing_report_.method is None and str(m.missing_report_) == "no missing data (400 rows)"
    with pytest.raises(ValueError, match="missing must be 'mean', 'casewise' or None, got 'drop'"):
        PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing="drop").fit(ecsi_data)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="item 'SAT2' has missing values but the model was fitted with missing=None"):
        m.bootstrap(10, data=one)


@pytest.mark.parametrize("missing", ["mean", "casewise"])
def test_treatment_is_reported_in_the_fit_results(holed: pd.DataFrame, missing: str) -> None:
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, missing=missing).fit(holed)  # type: ignore[arg-type]
    rep = m.missing_report_
    incomplete = int(holed.isna().any(axis=1).sum())
    cells = int(holed.isna().to_numpy().sum())
    assert rep.n_incomplete == incomplete
    info = m.summary().info
    assert info["missing_method"] == missing and info["n_rows"] == 400
    if missing == "mean":
        assert (info["n_cells_imputed"], info["n_rows_dropped"]) == (cells, 0)
        assert str(rep) == f"mean replacement: {cells} cells imputed in {incomplete} of 400 rows"
    else:
        assert (info["n_cells_imputed"], info["n_rows_dropped"]) == (0, incomplete)
    d = rep.as_dict()
    assert d["method"] == missing and d["n_rows_incomplete"] == incomplete
    assert d["missing_by_item"] == {k: int(v) for k, v in holed.isna().sum().items() if v}
