"""The built-in templates load, are bilingual, and have the shape the other packages rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_defs import (
    DefinitionError,
    Issue,
    ahp_weights,
    check_file,
    list_templates,
    load_definition,
    load_template,
    template_path,
)

TEMPLATES = ["acsi_standard", "nps_quick", "servqual", "utility_csi"]


def test_list_templates() -> None:
    assert list_templates() == TEMPLATES


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_valid_and_bilingual(name: str) -> None:
    assert check_file(template_path(name)) == []
    d = load_template(name)
    assert d.slug == name
    assert d.languages == ["zh", "en"]
    assert sum(b.own for b in d.brands) == 1
    for it in d.items:
        assert it.text["zh"].strip() and it.text["en"].strip()
    assert d.indicators is not None
    assert d.indicators.leaves()


def test_unknown_template() -> None:
    with pytest.raises(KeyError, match="utility_csi"):
        template_path("nope")
    with pytest.raises(KeyError):
        template_path("../templates/utility_csi")


def test_utility_csi_shape() -> None:
    d = load_template("utility_csi")
    sat5 = d.scales["sat5"]
    assert [sat5.score(x) for x in sat5.values] == [20, 40, 60, 80, 100]
    assert sat5.labels["zh"] == ["不满意", "较不满意", "一般", "较满意", "满意"]
    assert sat5.na_label is not None
    assert len(d.waves) == 2
    assert len(d.brands) >= 3
    assert 12 <= len(d.brand_item_ids) <= 15
    assert any(d.item(i).reverse for i in d.brand_item_ids)
    assert any(d.item(i).allow_na for i in d.brand_item_ids)
    assert {d.item(i).type for i in d.respondent_item_ids} >= {"likert", "nps", "yes_no", "choice"}
    assert len(d.segment_item_ids) >= 4
    assert d.text_item_ids
    assert d.scales[d.item("q_recommend").scale or ""].values == list(range(11))
    assert len({s.page for s in d.sections}) >= 3
    root = d.indicators
    assert root is not None and root.ahp is not None
    assert ahp_weights(root.ahp).cr < 0.10
    # three levels below the root: dimensions, sub-dimensions, items
    assert all(len(_depths(c)) == 1 and _depths(c) == {2} for c in root.children)
    assert {leaf.item for leaf in root.leaves()} == set(d.brand_item_ids)
    ly = d.loyalty
    assert ly is not None
    assert (ly.satisfaction_item, ly.defection_max, ly.loyalty_min) == ("q_overall", 2, 5)
    assert ly.nps_item == "q_recommend" and ly.loyalty_item == "q_continue"


def _depths(node: object, depth: int = 0) -> set[int]:
    children = getattr(node, "children", [])
    if not children:
        return {depth}
    return set().union(*(_depths(c, depth + 1) for c in children))


def test_acsi_standard_model() -> None:
    d = load_template("acsi_standard")
    assert d.model is not None
    sizes = {c.id: len(c.items) for c in d.model.constructs}
    assert sizes == {"CE": 3, "PQ": 3, "PV": 2, "SAT": 3, "COMP": 1, "LOY": 2}
    assert set(d.model.paths) == {
        ("CE", "PQ"),
        ("CE", "PV"),
        ("CE", "SAT"),
        ("PQ", "PV"),
        ("PQ", "SAT"),
        ("PV", "SAT"),
        ("SAT", "COMP"),
        ("SAT", "LOY"),
        ("COMP", "LOY"),
    }
    assert d.model.satisfaction == "SAT"
    for c in d.model.constructs:
        for i in c.items:
            it = d.item(i)
            if it.type == "likert":
                sc = d.scale_of(i)
                assert (sc.min, sc.max, sc.scoring) == (1, 10, "linear")
            else:
                assert it.type == "yes_no"


def test_servqual_pairs() -> None:
    d = load_template("servqual")
    e = {i[:-2] for i in d.item_map if i.endswith("_e")}
    p = {i[:-2] for i in d.item_map if i.endswith("_p")}
    assert e == p and len(e) >= 10
    assert {i[:3] for i in e} == {"rel", "asr", "tan", "emp", "res"}
    assert d.indicators is not None
    assert all((leaf.item or "").endswith("_p") for leaf in d.indicators.leaves())
    assert {s.points for s in d.scales.values()} == {7}


def test_load_definition_from_file_and_errors(tmp_path: Path) -> None:
    src = template_path("nps_quick").read_text(encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(src, encoding="utf-8")
    assert load_definition(good).slug == "nps_quick"
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("item: csat, weight: 1.0", "item: csatx, weight: 1.0"), encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_definition(bad)
    (issue,) = err.value.issues
    assert isinstance(issue, Issue)
    assert issue.file == str(bad)
    assert str(issue) == f"{bad}:{issue.line}: unknown item 'csatx' in indicator 'csat_n'"
    assert "csatx" in src.replace("item: csat,", "item: csatx,").splitlines()[issue.line - 1]


def test_check_file_never_raises(tmp_path: Path) -> None:
    missing = check_file(tmp_path / "missing.yaml")
    assert len(missing) == 1 and "cannot read" in missing[0].message
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "UTF-8" in check_file(binary)[0].message
