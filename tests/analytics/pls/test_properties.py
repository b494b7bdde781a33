"""Property test: on random models and data, the correlation-matrix estimates equal their raw-data
definitions (scores from the weights, loadings as correlations, paths and R² by OLS on the scores)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.pls import ConvergenceWarning, PLSPathModel
from tests.analytics.pls.conftest import ols


@st.composite
def models(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, list[str]], list[tuple[str, str]], dict[str, str], str]:
    K = draw(st.integers(2, 5))
    names = [f"C{k}" for k in range(K)]
    sizes = [draw(st.integers(1, 4)) for _ in names]
    blocks = {c: [f"{c}_{j}" for j in range(s)] for c, s in zip(names, sizes, strict=True)}
    # a random DAG over the order C0 < C1 < …, each construct on at least one path
    paths = [(names[k - 1], names[k]) for k in range(1, K)]
    for a in range(K):
        for b in range(a + 2, K):
            if draw(st.booleans()):
                paths.append((names[a], names[b]))
    mode = {c: draw(st.sampled_from(["A", "B"])) for c in names}
    scheme = draw(st.sampled_from(["path", "centroid", "factorial"]))
    n = draw(st.integers(40, 150))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1)) + 0.5 * rng.normal(size=(n, K))
    cols = {}
    for k, c in enumerate(names):
        for item in blocks[c]:
            cols[item] = latent[:, k] + rng.normal(0, 0.8, n)
    return pd.DataFrame(cols), blocks, paths, mode, scheme


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_estimates_equal_raw_data_definitions(case: tuple) -> None:  # type: ignore[type-arg]
    df, blocks, paths, mode, scheme = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = PLSPathModel(blocks, paths, scheme=scheme, mode=mode, max_iter=1000).fit(df)
    if not m.converged_:
        return
    Y = m.construct_scores_
    np.testing.assert_allclose(Y.std(ddof=1), 1.0, atol=1e-9)
    for c, items in blocks.items():
        lam = m.outer_loadings_[items]
        assert (lam > 0).sum() >= (lam < 0).sum()
        for i in items:
            assert abs(lam[i] - np.corrcoef(df[i], Y[c])[0, 1]) < 1e-9
    for t in m.r2_.index:
        preds = [s for s, tt in paths if tt == t]
        beta, r2 = ols(Y[t].to_numpy(), Y[preds].to_numpy())
        np.testing.assert_allclose(m.path_coefs_.loc[preds, t], beta, atol=1e-8)
        assert abs(m.r2_[t] - r2) < 1e-9
