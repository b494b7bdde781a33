"""The estimates: consistency with the raw-data definitions, recovery of population paths, conventions."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analytics.pls import ConvergenceWarning, PLSPathModel
from analytics.pls.algorithm import fit_correlations
from analytics.pls.datasets import ECSI_BLOCKS, ECSI_PATHS, population_correlation, simulate
from analytics.pls.spec import build_spec
from survey_defs.schema import Construct, LatentModel
from tests.analytics.pls.conftest import ECSI_PATH_LIST, SMALL_BLOCKS, SMALL_PATHS, ols, standardise

SCHEMES = ["path", "centroid", "factorial"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("mode", ["A", {"Value": "B", "Image": "B"}])
def test_results_match_their_raw_data_definitions(ecsi_data: pd.DataFrame, scheme: str, mode: object) -> None:
    """Everything computed from the correlation matrix equals the same thing computed on the data."""
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, scheme=scheme, mode=mode).fit(ecsi_data)  # type: ignore[arg-type]
    Y = m.construct_scores_
    Z = standardise(ecsi_data)
    np.testing.assert_allclose(Y.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(Y.std(ddof=1), 1, atol=1e-12)
    for c, items in ECSI_BLOCKS.items():
        np.testing.assert_allclose(Z[items].to_numpy() @ m.outer_weights_[items].to_numpy(), Y[c], atol=1e-10)
        for i in items:
            assert m.outer_loadings_[i] == pytest.approx(np.corrcoef(ecsi_data[i], Y[c])[0, 1], abs=1e-12)
            for k in ECSI_BLOCKS:
                assert m.cross_loadings_.loc[i, k] == pytest.approx(np.corrcoef(ecsi_data[i], Y[k])[0, 1], abs=1e-12)
        # sign fixing: most loadings positive
        assert (m.outer_loadings_[items] > 0).sum() >= (m.outer_loadings_[items] < 0).sum()
    n = len(ecsi_data)
    for t in m.r2_.index:
        preds = [s for s, tt in ECSI_PATH_LIST if tt == t]
        beta, r2 = ols(Y[t].to_numpy(), Y[preds].to_numpy())
        np.testing.assert_allclose(m.path_coefs_.loc[preds, t], beta, atol=1e-12)
        assert m.r2_[t] == pytest.approx(r2, abs=1e-12)
        assert m.r2_adj_[t] == pytest.approx(1 - (1 - r2) * (n - 1) / (n - len(preds) - 1), abs=1e-12)
    np.testing.assert_allclose(m.construct_corr_, Y.corr(), atol=1e-12)
    # total effects: direct plus all chains
    B = m.path_coefs_.to_numpy()
    np.testing.assert_allclose(m.total_effects_, np.linalg.inv(np.eye(7) - B) - np.eye(7), atol=1e-12)
    np.testing.assert_allclose(m.indirect_effects_, m.total_effects_ - m.path_coefs_, atol=1e-15)
    assert m.converged_ and 1 <= m.n_iter_ < 300


def test_fixed_point_of_the_iteration(ecsi_data: pd.DataFrame) -> None:
    """At convergence mode A weights are proportional to cov(item, inner proxy) (path scheme)."""
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, tol=1e-12).fit(ecsi_data)
    Y = m.construct_scores_
    Z = standardise(ecsi_data)
    for c, items in ECSI_BLOCKS.items():
        preds = [s for s, t in ECSI_PATH_LIST if t == c]
        succs = [t for s, t in ECSI_PATH_LIST if s == c]
        proxy = np.zeros(len(Y))
        if preds:
            beta, _ = ols(Y[c].to_numpy(), Y[preds].to_numpy())
            proxy += Y[preds].to_numpy() @ beta
        for s in succs:
            proxy += np.corrcoef(Y[c], Y[s])[0, 1] * Y[s].to_numpy()
        cov = Z[items].to_numpy().T @ proxy
        w = m.outer_weights_[items].to_numpy()
        np.testing.assert_allclose(w / np.linalg.norm(w), cov / np.linalg.norm(cov), atol=1e-9)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_population_correlation_gives_population_paths(scheme: str) -> None:
    S = population_correlation(ECSI_BLOCKS, ECSI_PATHS).to_numpy()
    spec = build_spec(ECSI_BLOCKS, ECSI_PATH_LIST)
    est = fit_correlations(S[None], spec, scheme, 300, 1e-12)
    for (s, t), v in ECSI_PATHS.items():
        assert est.paths[0, spec.constructs.index(s), spec.constructs.index(t)] == pytest.approx(v, abs=1e-10)
    np.testing.assert_allclose(est.item_weights[0][:5], 1 / np.sqrt(5 * (1 + 4 * 0.6)), atol=1e-10)


def test_recovers_population_paths_within_sampling_error() -> None:
    """On a large sample every path is within 4 bootstrap standard errors of its population value."""
    df = simulate(20_000, random_state=7)
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(df)
    boot = m.bootstrap(200, random_state=1)
    for (s, t), v in ECSI_PATHS.items():
        se = boot.paths.loc[f"{s} -> {t}", "se"]
        assert 0.002 < se < 0.02
        assert abs(m.path_coefs_.loc[s, t] - v) < 4 * se, (s, t)


@pytest.mark.slow
def test_percentile_intervals_cover_population_paths() -> None:
    """Monte Carlo: 95 % percentile intervals cover the population paths about 95 % of the time."""
    hits, reps = 0, 0
    for r in range(60):
        df = simulate(250, random_state=1000 + r)
        m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(df)
        b = m.bootstrap(300, random_state=r, n_jobs=1)
        for (s, t), v in ECSI_PATHS.items():
            row = b.paths.loc[f"{s} -> {t}"]
            hits += bool(row.ci_lower <= v <= row.ci_upper)
            reps += 1
    assert 0.90 <= hits / reps <= 0.985


def test_sign_is_fixed_by_the_majority_of_loadings(small_data: pd.DataFrame) -> None:
    """Reverse every item of M: its loadings stay positive, and its paths change sign."""
    base = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(small_data)
    flipped = small_data.assign(m1=-small_data["m1"], m2=-small_data["m2"])
    m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(flipped)
    assert (m.outer_loadings_[["m1", "m2"]] > 0).all()
    assert m.path_coefs_.loc["X", "M"] == pytest.approx(-base.path_coefs_.loc["X", "M"], abs=1e-12)
    assert m.path_coefs_.loc["X", "Y"] == pytest.approx(base.path_coefs_.loc["X", "Y"], abs=1e-12)
    # one reversed item of three: the majority keeps the construct's orientation
    m1 = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(small_data.assign(x1=-small_data["x1"]))
    assert (m1.outer_loadings_[["x2", "x3"]] > 0).all() and m1.outer_loadings_["x1"] < 0


def test_non_convergence_warns_and_flags(ecsi_data: pd.DataFrame) -> None:
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations"):
        m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, max_iter=1).fit(ecsi_data)
    assert not m.converged_ and m.n_iter_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data).converged_


def test_layout_of_results(ecsi_data: pd.DataFrame) -> None:
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data)
    names = list(ECSI_BLOCKS)
    items = [i for v in ECSI_BLOCKS.values() for i in v]
    assert list(m.path_coefs_.index) == names and list(m.path_coefs_.columns) == names
    assert m.path_coefs_.loc["Loyalty", "Image"] == 0.0  # no path: zero
    assert list(m.outer_weights_.index) == items and list(m.outer_loadings_.index) == items
    assert list(m.r2_.index) == ["Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
    assert list(m.construct_scores_.columns) == names
    assert m.construct_scores_.index.equals(ecsi_data.index)
    assert m.outer_weights_["COM1"] == pytest.approx(1.0) and m.outer_loadings_["COM1"] == pytest.approx(1.0)
    assert m.n_obs_ == 400 and not m.missing_report_.any_missing


def test_integer_and_nullable_columns(ecsi_data: pd.DataFrame) -> None:
    ref = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data)
    as_int = ecsi_data.astype(np.int16)
    as_nullable = ecsi_data.astype("Int64")
    for df in (as_int, as_nullable):
        m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(df)
        np.testing.assert_allclose(m.path_coefs_, ref.path_coefs_, atol=1e-12)


def test_large_offsets_do_not_lose_precision(small_data: pd.DataFrame) -> None:
    ref = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(small_data)
    m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(small_data + 1e6)
    np.testing.assert_allclose(m.path_coefs_, ref.path_coefs_, atol=1e-8)


def test_from_definition() -> None:
    lm = LatentModel(
        constructs=[
            Construct(id="X", items=["x1", "x2", "x3"]),
            Construct(id="M", items=["m1", "m2"], mode="B"),
            Construct(id="Y", items=["y1", "y2", "y3"]),
        ],
        paths=[("X", "M"), ("M", "Y"), ("X", "Y")],
        satisfaction="Y",
        scheme="factorial",
    )
    m = PLSPathModel.from_definition(lm, missing="casewise")
    assert m.blocks == SMALL_BLOCKS
    assert m.paths == SMALL_PATHS
    assert m.mode == {"X": "A", "M": "B", "Y": "A"}
    assert (m.scheme, m.missing) == ("factorial", "casewise")
    assert PLSPathModel.from_definition(lm, scheme="path").scheme == "path"
