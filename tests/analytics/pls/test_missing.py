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
