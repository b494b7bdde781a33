import numpy as np
import pytest

from analytics.data import ResponseData
from analytics.loyalty import expected_lifetime, lifetime_value, loyalty_analysis, nps, quadrants, zones
from tests.analytics.conftest import make_definition


def test_nps_hand_computed_with_multinomial_se_and_adjusted_wald_ci() -> None:
    x = np.array([10, 9, 9, 8, 7, 6, 3, 0, 10, 10.0])  # 5 promoters, 2 passives, 3 detractors
    r = nps(x)
    assert r.nps.value == pytest.approx(20) and (r.promoters, r.passives, r.detractors) == pytest.approx((50, 20, 30))
    pp, pd = 0.5, 0.3
    se = 100 * np.sqrt((pp * (1 - pp) + pd * (1 - pd) + 2 * pp * pd) / 10)
    assert r.nps.se == pytest.approx(se)
    # adjusted Wald (Bonett & Price 2012): one pseudo-count each to promoters and detractors, two to n
    tp, td = 6 / 12, 4 / 12
    h = 1.959963984540054 * 100 * np.sqrt((tp + td - (tp - td) ** 2) / 12)
    assert r.nps.ci == pytest.approx((100 * (tp - td) - h, 100 * (tp - td) + h))


def test_nps_weighted_uses_kish_and_thin_data() -> None:
    x = np.array([10, 0, np.nan])
    w = np.array([3.0, 1.0, 5.0])
    r = nps(x, w)
    assert r.nps.value == pytest.approx(50) and r.nps.n == 2 and r.nps.n_eff == pytest.approx(16 / 10)
    assert nps(np.array([np.nan])).nps.status == "insufficient_data"
    assert nps(np.array([10.0])).nps.ci is None


def test_zones_and_quadrants() -> None:
    s = np.array([1, 2, 3, 4, 5, 5, np.nan])
    z = zones(s, 2, 5)
    assert [z[k].value for k in ("defection", "indifference", "loyalty")] == pytest.approx([200 / 6, 200 / 6, 200 / 6])
    lo = np.array([5, 1, 4, 2, 5, 1, 3])
    q = quadrants(s, lo, 5, 4)
    assert q["loyalists"].value == pytest.approx(100 / 6) and q["mercenaries"].value == pytest.approx(100 / 6)
    assert q["hostages"].value == pytest.approx(200 / 6) and q["defectors"].value == pytest.approx(200 / 6)
    with pytest.raises(ValueError, match="defection_max"):
        zones(s, 5, 5)


def test_lifetime() -> None:
    assert expected_lifetime(0.9) == pytest.approx(10) and expected_lifetime(0.95) == pytest.approx(20)
    assert lifetime_value(0.9, 120.0) == pytest.approx(1200)
    with pytest.raises(ValueError, match="retention"):
        expected_lifetime(1.0)


def test_loyalty_analysis_from_definition(sim: ResponseData) -> None:
    out = loyalty_analysis(sim.definition, sim)
    zs = out["zones"]
    assert sum(zs[k]["value"] for k in ("defection", "indifference", "loyalty")) == pytest.approx(100)
    assert out["quadrants"]["cutoffs"] == {"satisfaction_high_min": 5, "loyalty_high_min": 4}
    assert -100 <= out["nps"]["value"] <= 100
    custom = loyalty_analysis(sim.definition, sim, defection_max=1, loyalty_min=4)
    assert custom["cutoffs"] == {"defection_max": 1, "loyalty_min": 4}
    d = make_definition(loyalty=None)
    with pytest.raises(ValueError, match="no loyalty block"):
        loyalty_analysis(d, ResponseData.from_arrays(d, sim.resp, sim.brand))


def test_nps_variance_is_that_of_the_plus_one_zero_minus_one_coding() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 11, 250).astype(float)
    y = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))  # promoter +1, passive 0, detractor -1
    r = nps(x)
    assert r.nps.value == pytest.approx(100 * y.mean())
    assert r.nps.se == pytest.approx(100 * np.std(y) / np.sqrt(250))  # population variance of y over n
    for k, share in (("promoters", (y == 1).mean()), ("passives", (y == 0).mean()), ("detractors", (y == -1).mean())):
        assert r.shares[k].value == pytest.approx(100 * share)
        assert r.shares[k].ci is not None and r.shares[k].ci[0] <= 100 * share <= r.shares[k].ci[1]


def test_nps_ci_coverage_simulation() -> None:
    rng = np.random.default_rng(11)
    probs = np.array([0.3] * 7 + [0.15, 0.15, 0.2, 0.2])
    probs = probs / probs.sum()  # detractors 0.75, passives 0.11, promoters 0.14
    true = 100 * (probs[9:].sum() - probs[:7].sum())
    hits = 0
    for _ in range(1000):
        lo, hi = nps(rng.choice(11, size=300, p=probs).astype(float)).nps.ci
        hits += lo <= true <= hi
    assert 0.93 <= hits / 1000 <= 0.97


def test_weighted_zones_and_quadrants_equal_replicated_rows() -> None:
    rng = np.random.default_rng(6)
    s = rng.integers(1, 6, 70).astype(float)
    lo = rng.integers(1, 6, 70).astype(float)
    s[2] = np.nan
    w = rng.integers(1, 4, 70).astype(float)
    rep = np.repeat(np.arange(70), w.astype(int))
    za, zb = zones(s, 2, 5, w), zones(s[rep], 2, 5)
    qa, qb = quadrants(s, lo, 5, 4, w), quadrants(s[rep], lo[rep], 5, 4)
    for k in za:
        assert za[k].value == pytest.approx(zb[k].value)
    for k in qa:
        assert qa[k].value == pytest.approx(qb[k].value)
    # the intervals use the Kish size of the real respondents, not the replicated count
    ok = ~np.isnan(s)
    assert za["loyalty"].n == int(ok.sum())
    assert za["loyalty"].n_eff == pytest.approx(w[ok].sum() ** 2 / (w[ok] ** 2).sum())
    with pytest.raises(ValueError, match="expected 70 weights"):
        zones(s, 2, 5, w[:-1])
