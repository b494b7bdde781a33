import numpy as np
import pytest

from analytics.data import ResponseData
from analytics.simulate import simulate
from analytics.tree import compute_tree, flatten, index_from_means
from tests.analytics.conftest import make_definition


def _data(d, brand_codes: list[list[int]], weight=None) -> ResponseData:
    """Respondents rating only the own brand with the given q1..q5 codes."""
    n = len(brand_codes)
    resp = np.full((n, len(d.respondent_item_ids)), -1)
    brand = np.full((n, 3, 5), -1)
    brand[:, 0, :] = brand_codes
    return ResponseData.from_arrays(d, resp, brand, weight=weight)


def test_hand_computed_tree() -> None:
    d = make_definition()
    data = _data(d, [[5, 4, 3, 10, 1], [3, 4, 5, 1, 5]])
    t = compute_tree(d, data)
    # item means: q1 80, q2 80, q3 80, q4 50, q5 (reversed 5->1, 1->5) 60
    quality = 0.5 * 80 + 0.3 * 80 + 0.2 * 80
    service = 0.75 * 50 + 0.25 * 60  # AHP [[1,3],[1/3,1]] -> 3/4, 1/4
    assert t.by_id["quality"].score.value == pytest.approx(quality)
    assert t.by_id["service"].score.value == pytest.approx(service)
    assert t.index.value == pytest.approx(0.6 * quality + 0.4 * service)
    assert t.by_id["service"].weight_source == "ahp"
    assert t.by_id["service"].weight_diagnostics["cr"] == pytest.approx(0.0)
    r0 = 0.6 * (0.5 * 100 + 0.3 * 80 + 0.2 * 60) + 0.4 * (0.75 * 100 + 0.25 * 100)
    assert t.respondent_index()[0] == pytest.approx(r0)


def test_respondent_renormalisation_and_missing_node() -> None:
    d = make_definition()
    # respondent 0 answered only q1 of quality and nothing of service -> service missing, index = quality = q1
    data = _data(d, [[4, -1, -2, -1, -1], [5, 5, 5, 10, 1]])
    t = compute_tree(d, data)
    r = t.respondent_scores
    j = {nd.id: k for k, nd in enumerate(t.nodes)}
    assert r[0, j["quality"]] == pytest.approx(80)
    assert np.isnan(r[0, j["service"]])
    assert r[0, 0] == pytest.approx(80)
    # aggregate: each item over its own n
    assert t.item_n.tolist() == [2, 1, 1, 1, 1]
    assert t.by_id["n1"].score.value == pytest.approx(90)


@pytest.mark.parametrize("weighted", [False, True])
def test_no_missing_index_equals_mean_of_respondent_indices(weighted: bool) -> None:
    d = make_definition()
    data = simulate(d, 500, random_state=5, weighted=weighted)
    t = compute_tree(d, data)
    w = data.weights()[t.rows]
    assert t.index.value == pytest.approx(np.average(t.respondent_index(), weights=w), abs=1e-9)
    for k, nd in enumerate(t.nodes):
        assert nd.score.value == pytest.approx(np.average(t.respondent_scores[:, k], weights=w), abs=1e-9)


def test_item_nobody_answered_is_renormalised_and_reported() -> None:
    d = make_definition()
    data = _data(d, [[4, 4, -1, 10, 1], [2, 4, -2, 1, 5]])
    t = compute_tree(d, data)
    assert t.by_id["n3"].score.status == "insufficient_data"
    assert t.by_id["quality"].renormalised
    assert t.by_id["n1"].weight == pytest.approx(0.5 / 0.8)
    assert any("'q3'" in w for w in t.warnings)
    assert t.by_id["quality"].score.value == pytest.approx((0.5 * 60 + 0.3 * 80) / 0.8)


def test_three_levels_and_equal_weights() -> None:
    tree = {"id": "root", "children": [
        {"id": "a", "weight": 0.5, "equal": True, "children": [
            {"id": "a1", "weight": 0.5, "children": [{"id": "l1", "item": "q1", "weight": 1.0}]},
            {"id": "a2", "children": [{"id": "l2", "item": "q2", "weight": 0.4},
                                      {"id": "l3", "item": "q3", "weight": 0.6}]}]},
        {"id": "b", "weight": 0.5, "children": [{"id": "l4", "item": "q4", "weight": 1.0}]}]}
    d = make_definition(indicators=tree)
    data = _data(d, [[5, 3, 4, 10, 1]])
    t = compute_tree(d, data)
    a = 0.5 * 100 + 0.5 * (0.4 * 60 + 0.6 * 80)
    assert t.index.value == pytest.approx(0.5 * a + 0.5 * 100)
    assert t.by_id["a2"].level == 2 and t.by_id["l2"].path == "root/a/a2/l2"
    assert t.index.ci is None and t.index.status == "insufficient_data"  # one respondent: no CI


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"id": "r", "children": [{"id": "x", "item": "q1", "weight": 0.5},
                                  {"id": "y", "item": "q2", "weight": 0.4}]}, r"indicator node r:.*sum to 0\.9"),
        ({"id": "r", "children": [{"id": "x", "item": "q1", "weight": 0.5},
                                  {"id": "y", "item": "q2"}]}, r"indicator node r: children y have no weight"),
        ({"id": "r", "ahp": [[1, 2, 3], [0.5, 1, 2], [1 / 3, 0.5, 1]],
          "children": [{"id": "x", "item": "q1"}, {"id": "y", "item": "q2"}]}, r"AHP matrix is 3x3.*2 children"),
        ({"id": "r", "children": [{"id": "x", "item": "nope", "weight": 1}]}, r"unknown item 'nope'"),
        ({"id": "r", "children": [{"id": "x"}]}, r"r/x: a leaf must name an item"),
    ],
)
def test_bad_trees_name_the_node(tree: dict, message: str) -> None:
    d = make_definition(indicators=tree)
    with pytest.raises(ValueError, match=message):
        compute_tree(d, _data(d, [[5, 3, 4, 10, 1]]))


def test_weights_within_rounding_are_accepted() -> None:
    tree = {"id": "r", "children": [{"id": "x", "item": "q1", "weight": 0.3333333},
                                    {"id": "y", "item": "q2", "weight": 0.6666667}]}
    d = make_definition(indicators=tree)
    assert compute_tree(d, _data(d, [[5, 3, 4, 10, 1]])).index.value == pytest.approx(100 / 3 + 60 * 2 / 3, 1e-6)


def test_weight_override_validated() -> None:
    d = make_definition()
    data = _data(d, [[5, 3, 4, 10, 1], [4, 4, 4, 4, 4]])
    with pytest.raises(ValueError, match=r"indicator node csi/quality: 2 weights for 3 items"):
        compute_tree(d, data, weights={"quality": [0.5, 0.5]})
    with pytest.raises(ValueError, match="unknown or leaf nodes: n1"):
        compute_tree(d, data, weights={"n1": [1.0]})
    t = compute_tree(d, data, weights={"quality": [1, 0, 0]})
    assert t.by_id["quality"].score.value == pytest.approx(90)
    assert t.by_id["quality"].weight_source == "override"


@pytest.mark.parametrize("method", ["entropy", "critic", "regression"])
def test_derived_weights(method: str) -> None:
    tree = {"id": "r", "derive": method, "children": [
        {"id": "x", "item": "q1"}, {"id": "y", "item": "q2"}, {"id": "z", "item": "q4"}]}
    d = make_definition(indicators=tree)
    data = simulate(d, 300, random_state=3, weighted=True)
    t = compute_tree(d, data)
    w = t.node_weights["r"]
    assert w.sum() == pytest.approx(1) and (w >= 0).all()
    assert t.root.weight_source == method
    assert t.index.value == pytest.approx(t.coefficients[:, 0] @ t.item_means)


def test_no_responses_and_no_answers() -> None:
    d = make_definition()
    with pytest.raises(ValueError, match="no respondents"):
        compute_tree(d, _data(d, [[5, 3, 4, 10, 1]]).take(np.array([], dtype=int)))
    data = _data(d, [[-1, -1, -2, -1, -1], [5, 3, 4, 10, 1]])
    data = ResponseData.from_arrays(d, data.resp, np.where(data.brand == 5, -2, data.brand))
    with pytest.raises(ValueError, match=r"no respondents|no answers"):
        compute_tree(d, _data(d, [[-2, -2, -2, -2, -2]]))


def test_competitor_frame_and_index_from_means(sim: ResponseData) -> None:
    t = compute_tree(sim.definition, sim, brand="b")
    assert t.rows.sum() == sim.rated("b").sum()
    assert index_from_means(t, t.item_means)[0] == pytest.approx(t.index.value)
    lo, hi = t.index.ci
    assert lo < t.index.value < hi
    assert next(n.id for n in flatten(sim.definition.indicators)) == "csi"


@pytest.mark.parametrize("method", ["entropy", "critic", "regression"])
def test_weighted_derived_weights_equal_replicated_rows(method: str) -> None:
    tree = {"id": "r", "derive": method, "children": [
        {"id": "x", "item": "q1"}, {"id": "y", "item": "q2"}, {"id": "z", "item": "q4"}]}
    d = make_definition(indicators=tree)
    data = simulate(d, 200, random_state=6)
    c = np.random.default_rng(6).permutation(np.repeat([1, 3], 100))  # counts with mean exactly 2
    w = c / 2.0  # weights of mean 1, as raking returns them
    t = compute_tree(d, data.with_weights(w))
    r = compute_tree(d, data.take(np.repeat(np.arange(data.n), c)))  # each respondent c_i times: 2n rows
    if method == "entropy":
        # hand: replicating rows c_i = 2 w_i times scales every p_ij by 1/2 and n by 2, so
        # e_rep ln(2n) = -sum_i c_i (p_ij/2) ln(p_ij/2) = e_w ln n + ln 2 (and both are scale-free in w)
        e_w = np.array(t.root.weight_diagnostics["entropy"])
        e_r = np.array(r.root.weight_diagnostics["entropy"])
        np.testing.assert_allclose(e_r * np.log(2 * data.n), e_w * np.log(data.n) + np.log(2), rtol=1e-12)
    else:
        np.testing.assert_allclose(t.node_weights["r"], r.node_weights["r"], atol=1e-10)
    assert t.index.value == pytest.approx(t.coefficients[:, 0] @ t.item_means)


def test_entropy_names_a_constant_child() -> None:
    tree = {"id": "r", "derive": "entropy", "children": [{"id": "x", "item": "q1"}, {"id": "k", "item": "q2"}]}
    d = make_definition(indicators=tree)
    data = simulate(d, 100, random_state=7, weighted=True)
    brand = data.brand.copy()
    brand[:, 0, 1] = 4  # q2 constant
    t = compute_tree(d, ResponseData.from_arrays(d, data.resp, brand, weight=data.weight))
    assert t.node_weights["r"].tolist() == [1.0, 0.0]
    assert t.root.weight_diagnostics["zeroed"] == ["k"]
    assert any("k do not vary" in w for w in t.warnings)
