import numpy as np

from analytics.data import ResponseData
from analytics.quality import apply_exclusions, flag_quality
from tests.analytics.conftest import make_definition


def _data() -> ResponseData:
    d = make_definition()
    rng = np.random.default_rng(0)
    n = 20
    resp = rng.integers(0, 2, (n, len(d.respondent_item_ids)))
    resp[:, d.respondent_item_ids.index("rec")] = rng.integers(0, 11, n)
    brand = rng.integers(1, 6, (n, 3, 5))
    brand[:, :, 3] = rng.integers(1, 11, (n, 3))
    brand[3, 1, :] = 4  # straight-liner on brand b's grid (q1, q2, q3, q5 are likert but scales differ)
    rid = np.array([f"r{i}" for i in range(n)], dtype=object)
    rid[7] = "r6"  # same respondent key as row 6
    brand[9], resp[9] = brand[8], resp[8]  # identical answers to row 8
    start = np.full(n, 1000.0)
    sub = start + 600 + rng.normal(0, 30, n)
    sub[5] = start[5] + 100  # 100 s vs median ~600 s
    return ResponseData.from_arrays(d, resp, brand, respondent_id=rid, started_at=start, submitted_at=sub)


def test_flags_with_reasons() -> None:
    data = _data()
    f = flag_quality(data, min_grid=3)
    assert np.flatnonzero(f.speeder).tolist() == [5]
    assert "speeder" in f.reasons[5][0] and "0.3 x median" in f.reasons[5][0]
    assert 3 in np.flatnonzero(f.straightliner) and "brand b" in " ".join(f.reasons[3])
    assert np.flatnonzero(f.duplicate).tolist() == [7, 9]
    assert "respondent key 'r6'" in " ".join(f.reasons[7])
    assert "identical to respondent 'r8'" in " ".join(f.reasons[9])


def test_grid_shorter_than_k_is_not_judged() -> None:
    f = flag_quality(_data(), min_grid=5)
    assert not f.straightliner.any()


def test_apply_exclusions_counts() -> None:
    data = _data()
    f = flag_quality(data, min_grid=3)
    kept, rep = apply_exclusions(data, f)
    assert rep["n_before"] == 20 and rep["n_excluded"] == int((f.speeder | f.straightliner | f.duplicate).sum())
    assert kept.n == rep["n_after"] == 20 - rep["n_excluded"]
    _, rep2 = apply_exclusions(data, f, rule=["speeder"])
    assert rep2["n_excluded"] == 1 and rep2["by_flag"] == {"speeder": 1}
    same, rep3 = apply_exclusions(data, f, rule=())
    assert same.n == 20 and rep3["n_excluded"] == 0


def test_no_times_no_speeders() -> None:
    d = make_definition()
    data = ResponseData.from_arrays(d, np.ones((3, 6)), np.ones((3, 3, 5)), respondent_id=["a", "b", "c"])
    f = flag_quality(data)
    assert not f.speeder.any() and f.params["median_duration_s"] is None
