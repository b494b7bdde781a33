"""Quality criteria against their textbook definitions, computed by hand on the raw data of a small case."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analytics.pls import PLSPathModel, PLSSummary
from tests.analytics.pls.conftest import SMALL_BLOCKS, SMALL_PATHS, ols


@pytest.fixture(scope="module")
def fitted(small_data: pd.DataFrame) -> tuple[PLSPathModel, PLSSummary]:
    m = PLSPathModel(SMALL_BLOCKS, SMALL_PATHS).fit(small_data)
    return m, m.summary()


def test_cronbach_alpha_by_hand(small_data: pd.DataFrame, fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    _, s = fitted
    for c, items in SMALL_BLOCKS.items():
        z = (small_data[items] - small_data[items].mean()) / small_data[items].std()
        k = len(items)
        alpha = k / (k - 1) * (1 - z.var().sum() / z.sum(axis=1).var())  # Cronbach (1951), standardised items
        assert s.reliability.loc[c, "alpha"] == pytest.approx(alpha, abs=1e-12)


def test_composite_reliability_and_ave_by_hand(fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    m, s = fitted
    for c, items in SMALL_BLOCKS.items():
        lam = m.outer_loadings_[items].to_numpy()
        rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        assert s.reliability.loc[c, "rho_C"] == pytest.approx(rho_c, abs=1e-12)
        assert s.reliability.loc[c, "AVE"] == pytest.approx(np.mean(lam**2), abs=1e-12)


def test_rho_a_by_hand(small_data: pd.DataFrame, fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    """Dijkstra & Henseler (2015), eq. for ρ_A, written out element by element."""
    m, s = fitted
    for c, items in SMALL_BLOCKS.items():
        S = small_data[items].corr().to_numpy()
        w = m.outer_weights_[items].to_numpy()
        num = sum(w[i] * S[i, j] * w[j] for i in range(len(w)) for j in range(len(w)) if i != j)
        den = sum(w[i] * w[i] * w[j] * w[j] for i in range(len(w)) for j in range(len(w)) if i != j)
        assert s.reliability.loc[c, "rho_A"] == pytest.approx((w @ w) ** 2 * num / den, abs=1e-12)


def test_htmt_by_hand(small_data: pd.DataFrame, fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    """Henseler, Ringle & Sarstedt (2015): mean heterotrait over geometric mean of mean monotrait."""
    _, s = fitted
    R = small_data.corr().abs()
    for a, b in itertools.combinations(SMALL_BLOCKS, 2):
        ia, ib = SMALL_BLOCKS[a], SMALL_BLOCKS[b]
        hetero = np.mean([R.loc[i, j] for i in ia for j in ib])
        mono_a = np.mean([R.loc[i, j] for i, j in itertools.combinations(ia, 2)])
        mono_b = np.mean([R.loc[i, j] for i, j in itertools.combinations(ib, 2)])
        v = hetero / np.sqrt(mono_a * mono_b)
        assert s.htmt.loc[a, b] == pytest.approx(v, abs=1e-12) and s.htmt.loc[b, a] == pytest.approx(v, abs=1e-12)
    assert s.htmt.isna().to_numpy().diagonal().all()


def test_htmt_flags() -> None:
    from analytics.pls.quality import htmt_pairs

    t = pd.DataFrame([[np.nan, 0.84, 0.86], [0.84, np.nan, 0.95], [0.86, 0.95, np.nan]], index=list("abc"),
                     columns=list("abc"))
    pairs = htmt_pairs(t).set_index(["construct_a", "construct_b"])["flag"]
    assert pairs.to_dict() == {("a", "b"): "", ("a", "c"): "> 0.85", ("b", "c"): "> 0.90"}


def test_fornell_larcker_and_cross_loadings(fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    m, s = fitted
    Y = m.construct_scores_
    fl = s.fornell_larcker
    for i, a in enumerate(SMALL_BLOCKS):
        assert fl.loc[a, a] == pytest.approx(np.sqrt(s.reliability.loc[a, "AVE"]), abs=1e-12)
        for j, b in enumerate(SMALL_BLOCKS):
            if i > j:
                assert fl.loc[a, b] == pytest.approx(np.corrcoef(Y[a], Y[b])[0, 1], abs=1e-12)
            elif i < j:
                assert np.isnan(fl.loc[a, b])
    assert s.cross_loadings.shape == (8, 3)


def test_item_vif_by_regression(small_data: pd.DataFrame, fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    _, s = fitted
    for items in SMALL_BLOCKS.values():
        for i in items:
            others = [j for j in items if j != i]
            _, r2 = ols(small_data[i].to_numpy(), small_data[others].to_numpy())
            assert s.outer.loc[i, "vif"] == pytest.approx(1 / (1 - r2), abs=1e-10)


def test_inner_vif_by_regression(fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    m, s = fitted
    Y = m.construct_scores_
    paths = s.paths.set_index(["source", "target"])
    _, r2 = ols(Y["X"].to_numpy(), Y[["M"]].to_numpy())
    assert paths.loc[("X", "Y"), "vif"] == pytest.approx(1 / (1 - r2), abs=1e-10)
    assert paths.loc[("M", "Y"), "vif"] == pytest.approx(1 / (1 - r2), abs=1e-10)
    assert paths.loc[("X", "M"), "vif"] == 1.0


def test_f_squared_by_re_estimation(small_data: pd.DataFrame, fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    """f² = (R²_incl − R²_excl)/(1 − R²_incl), R²_excl from the model re-estimated without the path."""
    m, s = fitted
    paths = s.paths.set_index(["source", "target"])
    r2 = m.r2_["Y"]
    without = PLSPathModel(SMALL_BLOCKS, [("X", "M"), ("M", "Y")]).fit(small_data)
    assert paths.loc[("X", "Y"), "f2"] == pytest.approx((r2 - without.r2_["Y"]) / (1 - r2), abs=1e-12)
    without = PLSPathModel(SMALL_BLOCKS, [("X", "M"), ("X", "Y")]).fit(small_data)
    assert paths.loc[("M", "Y"), "f2"] == pytest.approx((r2 - without.r2_["Y"]) / (1 - r2), abs=1e-12)
    # M's only predecessor is X: without the path M has no R² at all
    assert paths.loc[("X", "M"), "f2"] == pytest.approx(m.r2_["M"] / (1 - m.r2_["M"]), abs=1e-12)


def test_summary_is_pandas_friendly(fitted: tuple[PLSPathModel, PLSSummary]) -> None:
    _, s = fitted
    tables = s.tables()
    assert set(tables) == {"info", "paths", "r2", "outer", "reliability", "htmt", "htmt_pairs",
                           "fornell_larcker", "cross_loadings", "effects"}
    assert list(s.reliability.columns) == ["alpha", "rho_A", "rho_C", "AVE"]
    assert list(s.paths.columns) == ["source", "target", "coef", "f2", "vif"]
    text = str(s)
    assert "== reliability ==" in text and "rho_A" in text
    html = s._repr_html_()
    assert html.count("<table") == len(tables)
    eff = s.effects.set_index(["source", "target"])
    assert eff.loc[("X", "Y"), "total"] == pytest.approx(
        eff.loc[("X", "Y"), "direct"] + eff.loc[("X", "M"), "direct"] * eff.loc[("M", "Y"), "direct"]
    )


def test_mode_b_and_single_item_conventions(small_data: pd.DataFrame) -> None:
    blocks = {"X": ["x1", "x2", "x3"], "M": ["m1"], "Y": ["y1", "y2", "y3"]}
    m = PLSPathModel(blocks, SMALL_PATHS, mode={"X": "B"}).fit(small_data)
    rel = m.summary().reliability
    assert rel.loc["X", "rho_A"] == 1.0  # mode B
    assert rel.loc["M"].tolist() == [1.0, 1.0, 1.0, 1.0]  # single item


def test_f_squared_when_dropping_the_path_leaves_a_construct_on_no_path() -> None:
    """X -> Y <- Z, Y -> W. Without Z -> Y, Z is on no path and leaves the model: R²_excl(Y) is Y's R² in the
    model {X, Y, W} re-estimated without Z — by hand, corr(X, Y)² of that model's scores (Y's only predecessor
    is X). Without Y -> W, W leaves the model and has no R²: f² = R²/(1 − R²)."""
    from analytics.pls.datasets import simulate

    blocks = {"X": ["x1", "x2"], "Z": ["z1", "z2", "z3"], "Y": ["y1", "y2", "y3"], "W": ["w1", "w2"]}
    true = {("X", "Y"): 0.3, ("Z", "Y"): 0.45, ("Y", "W"): 0.5}
    df = simulate(150, blocks, true, item_corr=0.5, random_state=21)
    m = PLSPathModel(blocks, list(true)).fit(df)
    paths = m.summary().paths.set_index(["source", "target"])
    r2_y, r2_w = m.r2_["Y"], m.r2_["W"]

    reduced = PLSPathModel({c: blocks[c] for c in ("X", "Y", "W")}, [("X", "Y"), ("Y", "W")]).fit(df)
    Yr = reduced.construct_scores_
    r2_excl = np.corrcoef(Yr["X"], Yr["Y"])[0, 1] ** 2
    assert paths.loc[("Z", "Y"), "f2"] == pytest.approx((r2_y - r2_excl) / (1 - r2_y), abs=1e-10)
    # Z's removal changes Y's inner proxy, so the reduced model's R² is not the full model's corr(X, Y)²
    assert abs(r2_excl - m.construct_corr_.loc["X", "Y"] ** 2) > 1e-6
    assert paths.loc[("Y", "W"), "f2"] == pytest.approx(r2_w / (1 - r2_w), abs=1e-12)
    # dropping X -> Y drops X likewise
    reduced = PLSPathModel({c: blocks[c] for c in ("Z", "Y", "W")}, [("Z", "Y"), ("Y", "W")]).fit(df)
    Yr = reduced.construct_scores_
    r2_excl = np.corrcoef(Yr["Z"], Yr["Y"])[0, 1] ** 2
    assert paths.loc[("X", "Y"), "f2"] == pytest.approx((r2_y - r2_excl) / (1 - r2_y), abs=1e-10)


def test_f_squared_of_a_single_path_model(small_data: pd.DataFrame) -> None:
    """Removing the only path leaves no model: R²_excl = 0 and f² = R²/(1 − R²)."""
    m = PLSPathModel({"X": SMALL_BLOCKS["X"], "Y": SMALL_BLOCKS["Y"]}, [("X", "Y")]).fit(small_data)
    f2 = m.summary().paths.set_index(["source", "target"]).loc[("X", "Y"), "f2"]
    Y = m.construct_scores_
    r2 = np.corrcoef(Y["X"], Y["Y"])[0, 1] ** 2
    assert f2 == pytest.approx(r2 / (1 - r2), abs=1e-12)
