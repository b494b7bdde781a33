"""Coverage simulation: the 95 % CI of the weighted index covers the true value in 95 % +- 2 % of samples."""

import numpy as np
import pytest

from analytics.simulate import simulate
from analytics.tree import compute_tree
from tests.analytics.conftest import make_definition

N_SIM = 2000
N = 250


@pytest.mark.slow
def test_weighted_index_ci_coverage() -> None:
    d = make_definition()
    population = simulate(d, 2_000_000, random_state=123, durations=False)
    truth = compute_tree(d, population, respondent_level=False).index.value
    rng = np.random.default_rng(2024)
    hits = 0
    for _ in range(N_SIM):
        s = simulate(d, N, random_state=rng, missing=0.1, na=0.1, weighted=True, durations=False,
                     rate_probability=0.0)
        lo, hi = compute_tree(d, s, respondent_level=False).index.ci
        hits += lo <= truth <= hi
    coverage = hits / N_SIM
    print(f"coverage of the 95 % CI: {coverage:.4f} over {N_SIM} samples")
    assert 0.93 <= coverage <= 0.97, coverage
