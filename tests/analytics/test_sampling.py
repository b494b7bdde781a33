"""Sample size, allocation and the stratified draw against values computed by hand (docs/methods.md §13)."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from analytics.sampling import Stratum, allocate, draw, finite_correction, largest_remainder, n0_mean, n0_rate, plan


def test_mean_plan_by_hand() -> None:
    # z = 1.959964; n0 = (1.959964 * 15 / 2)^2 = 216.08; x deff 1.5 = 324.12;
    # fpc with N = 5000: 324.12 / (1 + 323.12 / 5000) = 304.45 -> 305 completes; / 0.25 -> 1220 invitations.
    p = plan(margin=2, sd=15, deff=1.5, population=5000, response_rate=0.25)
    assert p.n0 == pytest.approx(216.08, abs=0.01)
    assert p.n_deff == pytest.approx(324.12, abs=0.01)
    assert p.n_fpc == pytest.approx(304.45, abs=0.01)
    assert (p.completes, p.invitations) == (305, 1220)


def test_rate_plan_by_hand() -> None:
    # n0 = 1.959964^2 * 0.5 * 0.5 / 0.05^2 = 384.15 -> 385 (no population); 99%: z = 2.5758 -> 663.5 -> 664.
    assert plan(margin=0.05, p=0.5).completes == 385
    assert n0_rate(0.5, 0.05, 0.99) == pytest.approx(663.49, abs=0.01)
    assert n0_mean(10, 1) == pytest.approx(384.15, abs=0.01)
    assert finite_correction(384.15, 1000) == pytest.approx(277.74, abs=0.01)


def test_strata_proportional_and_neyman() -> None:
    strata = [Stratum("urban", 3000, 10.0), Stratum("rural", 2000, 20.0)]
    p = plan(margin=2, sd=15, deff=1.5, response_rate=0.25, strata=strata)
    assert p.population == 5000 and p.completes == 305
    # proportional: 305 * 0.6 = 183, 122; 1220 * 0.6 = 732, 488
    assert [(s.completes, s.invitations) for s in p.strata] == [(183, 732), (122, 488)]
    ney = plan(margin=2, sd=15, deff=1.5, response_rate=0.25, strata=strata, allocation="neyman")
    # Neyman: N_h S_h = 30000, 40000 -> 3/7, 4/7 of 305 = 130.71, 174.29 -> 131, 174
    assert [s.completes for s in ney.strata] == [131, 174]
    assert sum(s.invitations for s in ney.strata) == ney.invitations


def test_largest_remainder_and_caps() -> None:
    assert largest_remainder([1, 1, 1], 10) == [4, 3, 3]  # tie: the earlier part
    assert largest_remainder([5, 3, 2], 7) == [4, 2, 1]  # 3.5, 2.1, 1.4 -> 3,2,1 + the .5
    # Neyman would give the small, variable stratum more than it has: capped, the rest shared again
    assert allocate(50, [10, 1000], [100.0, 1.0], "neyman") == [10, 40]
    with pytest.raises(ValueError, match="exceeds the population"):
        allocate(20, [5, 5])


def test_warnings_when_the_population_is_too_small() -> None:
    p = plan(margin=2, sd=15, population=400, response_rate=0.2)
    assert p.invitations > 400 and "census" in p.warnings[0]
    with pytest.raises(ValueError, match="either"):
        plan(margin=2)


def test_draw_is_reproducible_with_exact_stratum_counts() -> None:
    keys = [("urban", "res")] * 600 + [("urban", "biz")] * 200 + [("rural", "res")] * 200
    a, counts = draw(keys, 100, seed=7)
    b, _ = draw(keys, 100, seed=7)
    c, _ = draw(keys, 100, seed=8)
    assert a == b and a != c
    assert counts == {("rural", "res"): 20, ("urban", "biz"): 20, ("urban", "res"): 60}
    assert Counter(keys[i] for i in a) == Counter(counts)
    assert len(set(a)) == 100 and a == sorted(a)
    # 7 of 3 equal strata: 2.33 each -> 3, 2, 2 in sorted key order
    _, small = draw(["b"] * 10 + ["a"] * 10 + ["c"] * 10, 7, seed=1)
    assert small == {"a": 3, "b": 2, "c": 2} and math.fsum(small.values()) == 7
