import numpy as np
import pytest

from analytics.data import ResponseData
from analytics.loyalty import expected_lifetime, lifetime_value, loyalty_analysis, nps, quadrants, zones
from tests.analytics.conftest import make_definition


def test_nps_hand_computed_with_multinomial_ci() -> None:
    x = np.array([10, 9, 9, 8, 7, 6, 3, 0, 10, 10.0])  # 5 promoters, 2 passives, 3 detractors
    r = nps(x)
    assert r.nps.value == pytest.approx(20) and (r.promoters, r.passives, r.detractors) == pytest.approx((50, 20, 30))
    pp, pd = 0.5, 0.3
    se = 100 * np.sqrt((pp * (1 - pp) + pd * (1 - pd) + 2 * pp * pd) / 10)
    assert r.nps.se == pytest.approx(se)
    assert r.nps.ci == pytest.approx((20 - 1.959963984540054 * se, 20 + 1.959963984540054 * se))


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
