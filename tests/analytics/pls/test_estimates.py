"""The estimates: consistency with the raw-data definitions, recovery of population paths, conventions."""

from __future__ import annotations

import inspect
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
    assert PLSPathModel.from_definition(lm).missing == "mean"  # the definition's (default) choice
    assert PLSPathModel.from_definition(lm.model_copy(update={"missing": "casewise"})).missing == "casewise"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_one_iteration_is_one_lohmoller_step_from_unit_weights(small_data: pd.DataFrame, scheme: str) -> None:
    """``max_iter=1``: the weights are one mode A step from unit weights, computed here on the raw data
    (Lohmöller 1989, §2.2): scores from unit weights, inner proxies by the scheme, covariance of each item with
    its construct's proxy, rescaled to unit score variance."""
    with pytest.warns(ConvergenceWarning):
        m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS, scheme=scheme, max_iter=1).fit(small_data)
    Z = standardise(small_data)
    Y = pd.DataFrame({c: Z[items].sum(axis=1) for c, items in SMALL_BLOCKS.items()})  # initial weights 1
    Y = standardise(Y)
    C = Y.corr()
    proxy = {}
    for c in SMALL_BLOCKS:
        preds = [s for s, t in SMALL_PATHS if t == c]
        neighbours = preds + [t for s, t in SMALL_PATHS if s == c]
        if scheme == "path":
            e = dict(zip(preds, ols(Y[c].to_numpy(), Y[preds].to_numpy())[0], strict=True)) if preds else {}
            e |= {t: C.loc[c, t] for s, t in SMALL_PATHS if s == c}
        elif scheme == "centroid":
            e = {j: np.sign(C.loc[c, j]) for j in neighbours}
        else:
            e = {j: C.loc[c, j] for j in neighbours}
        proxy[c] = sum(v * Y[j] for j, v in e.items())
    for c, items in SMALL_BLOCKS.items():
        w = Z[items].to_numpy().T @ proxy[c].to_numpy() / (len(Z) - 1)  # mode A: cov(item, proxy)
        w /= np.std(Z[items].to_numpy() @ w, ddof=1)
        if (np.corrcoef(Z[items].T.to_numpy(), Z[items].to_numpy() @ w)[-1, :-1] < 0).sum() > len(items) / 2:
            w = -w
        np.testing.assert_allclose(m.outer_weights_[items], w, atol=1e-12)
    assert m.n_iter_ == 1 and not m.converged_


def test_stopping_rule_is_the_largest_weight_change_below_1e_7() -> None:
    """Default ``tol`` is 1e-7 on ``max_i |Δw_i|``: the fit stops at the first iteration whose largest change
    is below it — on this slowly converging case while the summed change is still above it, so the rule is
    the max, not the sum."""
    assert inspect.signature(PLSPathModel).parameters["tol"].default == 1e-7
    blocks = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2"], "C": ["c1", "c2", "c3"], "D": ["d1", "d2"]}
    true = {("A", "B"): 0.4, ("A", "C"): 0.3, ("B", "C"): 0.35, ("C", "D"): 0.6, ("B", "D"): -0.2}
    df = simulate(90, blocks, true, item_corr={"A": 0.3, "B": 0.7, "C": 0.5, "D": 0.6}, random_state=103,
                  likert=(1, 5))
    paths, mode = list(true), {"C": "B"}
    m = PLSPathModel(blocks, paths, mode=mode).fit(df)
    assert m.tol == 1e-7 and m.converged_
    k = m.n_iter_

    def weights(n: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return PLSPathModel(blocks, paths, mode=mode, max_iter=n).fit(df).outer_weights_.to_numpy()

    last, before, earlier = weights(k), weights(k - 1), weights(k - 2)
    np.testing.assert_array_equal(last, m.outer_weights_.to_numpy())
    assert np.abs(last - before).max() < 1e-7
    assert np.abs(last - before).sum() >= 1e-7
    assert np.abs(before - earlier).max() >= 1e-7


def test_sklearn_parameter_protocol(ecsi_data: pd.DataFrame) -> None:
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST, scheme="centroid", missing="casewise", tol=1e-9)
    params = m.get_params()
    assert params == {"blocks": ECSI_BLOCKS, "paths": ECSI_PATH_LIST, "scheme": "centroid", "mode": None,
                      "missing": "casewise", "max_iter": 300, "tol": 1e-9, "scale": None}
    twin = PLSPathModel(**params)
    assert twin.get_params() == params
    assert m.set_params(scheme="factorial", max_iter=50) is m and (m.scheme, m.max_iter) == ("factorial", 50)
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        m.set_params(alpha=1)
    # sklearn.base.clone's contract: klass(**get_params(deep=False)) keeps every parameter object as given
    clone = type(m)(**m.get_params(deep=False))
    assert all(clone.get_params()[k] is v for k, v in m.get_params().items())


def test_construct_scores_are_computed_on_first_access(
    ecsi_data: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fit`` reads the data once (the moments); the scores' second pass happens only if they are read."""
    from analytics.pls import model as model_module

    calls: list[int] = []
    real = model_module.standardized_scores

    def counting(*args: object, **kw: object) -> object:
        calls.append(1)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(model_module, "standardized_scores", counting)
    m = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).fit(ecsi_data)
    assert calls == []
    first = m.construct_scores_
    assert m.construct_scores_ is first and calls == [1]
    m.fit(ecsi_data.iloc[:200])
    assert len(m.construct_scores_) == 200 and calls == [1, 1]
    with pytest.raises(AttributeError, match="not fitted"):
        _ = PLSPathModel(ECSI_BLOCKS, ECSI_PATH_LIST).construct_scores_
