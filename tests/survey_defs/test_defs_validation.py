"""Every class of definition error is caught, with the line of the offending node."""

from __future__ import annotations

import pytest
from defs_helpers import MINI, edit, expect, issues, line_of  # type: ignore[import-not-found]

from survey_defs import DefinitionError, SurveyDefinition, load_definition_text
from survey_defs.ahp import ahp_weights


def test_mini_is_valid() -> None:
    assert issues(MINI) == []
    d = load_definition_text(MINI)
    assert isinstance(d, SurveyDefinition)
    assert d.brand_item_ids == ["q1", "q2", "q3", "q4", "q5"]


# ---- weights ----
def test_sibling_weights_must_sum_to_one() -> None:
    t = edit("{id: n2, item: q2, weight: 0.5}", "{id: n2, item: q2, weight: 0.4}")
    found = expect(t, line_of(t, "- id: quality") + 2, "weights of the children of 'quality' sum to 0.9, not 1")
    assert "(path: csi > quality)" in found[0].message


def test_weights_within_tolerance_are_accepted() -> None:
    t = edit("weight: 0.6\n      children", "weight: 0.6000000001\n      children")
    assert issues(t) == []


def test_missing_child_weight() -> None:
    t = edit("{id: n2, item: q2, weight: 0.5}", "{id: n2, item: q2}")
    expect(t, line_of(t, "- id: quality"), "missing on 'n2'")


def test_given_weights_mixed_with_ahp() -> None:
    t = edit("{id: n4, item: q4}", "{id: n4, item: q4, weight: 0.3}")
    expect(t, line_of(t, "id: n4"), "mixes given child weights with ahp")


def test_given_weights_mixed_with_derive() -> None:
    t = edit("    - id: quality\n      weight: 0.6\n", "    - id: quality\n      weight: 0.6\n      derive: entropy\n")
    expect(t, line_of(t, "id: n1"), "mixes given child weights with derive")


# ---- AHP ----
def test_ahp_not_square() -> None:
    t = edit("- [1/3, 1, 3]", "- [1/3, 1]")
    expect(t, line_of(t, "ahp:"), "AHP matrix of 'service' is not square")


def test_ahp_size_differs_from_child_count() -> None:
    t = edit("        - {id: n5, item: q5}\n", "")
    expect(t, line_of(t, "ahp:"), "AHP matrix of 'service' is 3x3 but 'service' has 2 children")


def test_ahp_not_reciprocal() -> None:
    t = edit("- [1/5, 1/3, 1]", "- [1/5, 2, 1]")
    expect(t, line_of(t, "- [1/5, 2, 1]"), "AHP matrix of 'service' is not reciprocal")


def test_ahp_non_positive_cell() -> None:
    t = edit("- [1/3, 1, 3]", "- [0, 1, 3]")
    expect(t, line_of(t, "- [0, 1, 3]"), "not > 0")


def test_ahp_inconsistent_states_cr() -> None:
    t = edit(
        "        - [1, 3, 5]\n        - [1/3, 1, 3]\n        - [1/5, 1/3, 1]\n",
        "        - [1, 9, 1/9]\n        - [1/9, 1, 9]\n        - [9, 1/9, 1]\n",
    )
    cr = ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]).cr
    expect(t, line_of(t, "ahp:"), f"AHP matrix of 'service' is inconsistent: CR = {cr:.3f} >= 0.10")


def test_ahp_mildly_inconsistent_is_rejected() -> None:
    m = "        - [1, 3, 1/3]\n        - [1/3, 1, 3]\n        - [3, 1/3, 1]\n"
    t = edit("        - [1, 3, 5]\n        - [1/3, 1, 3]\n        - [1/5, 1/3, 1]\n", m)
    found = expect(t, line_of(t, "ahp:"), "is inconsistent: CR = ")
    assert len(found) == 1


# ---- references ----
def test_unknown_item_in_tree() -> None:
    t = edit("{id: n1, item: q1, weight: 0.5}", "{id: n1, item: q_foo, weight: 0.5}")
    expect(t, line_of(t, "q_foo"), "unknown item 'q_foo' in indicator 'n1'")


def test_item_used_twice_in_tree() -> None:
    t = edit("{id: n2, item: q2, weight: 0.5}", "{id: n2, item: q1, weight: 0.5}")
    expect(
        t, line_of(t, "id: n2"), f"item 'q1' is used twice in the indicator tree (also at line {line_of(t, 'id: n1')})"
    )


def test_unknown_item_in_loyalty() -> None:
    t = edit("satisfaction_item: sat", "satisfaction_item: satt")
    expect(t, line_of(t, "satisfaction_item"), "unknown item 'satt'")


def test_unknown_scale() -> None:
    t = edit("      - id: q4\n        scale: sat5", "      - id: q4\n        scale: sat7")
    expect(t, line_of(t, "sat7"), "unknown scale 'sat7' in item 'q4'")


def test_text_item_in_tree() -> None:
    t = edit("{id: n5, item: q5}", "{id: n5, item: comment}")
    expect(t, line_of(t, "id: n5"), "text item 'comment' cannot be in the indicator tree")


def test_choice_item_in_tree() -> None:
    t = edit("{id: n5, item: q5}", "{id: n5, item: region}")
    expect(t, line_of(t, "id: n5"), "choice item 'region' cannot be in the indicator tree")


def test_per_brand_and_yes_no_leaves_are_fine() -> None:
    t = edit("{id: n5, item: q5}", "{id: n5, item: complained}")
    assert issues(t) == []


# ---- duplicate ids ----
@pytest.mark.parametrize(
    ("old", "new", "needle", "nth", "fragment", "first_needle"),
    [
        ("      - id: q4\n", "      - id: q1\n", "- id: q1", 2, "duplicate item id 'q1'", "- id: q1"),
        ("  - id: overall\n", "  - id: rate\n", "- id: rate", 2, "duplicate section id 'rate'", "- id: rate"),
        ("  - id: rival\n", "  - id: ours\n", "- id: ours", 2, "duplicate brand id 'ours'", "- id: ours"),
        ("  - id: w2\n", "  - id: w1\n", "- id: w1", 2, "duplicate wave id 'w1'", "- id: w1"),
        (
            "code: rural",
            "code: urban",
            "code: urban",
            2,
            "duplicate option code 'urban' in item 'region'",
            "code: urban",
        ),
        ("{id: n4, item: q4}", "{id: n3, item: q4}", "id: n3", 2, "duplicate indicator id 'n3'", "id: n3"),
        ("    - id: LOY\n", "    - id: PQ\n", "- id: PQ", 2, "duplicate construct id 'PQ'", "- id: PQ"),
    ],
    ids=["item", "section", "brand", "wave", "option", "node", "construct"],
)
def test_duplicate_ids(old: str, new: str, needle: str, nth: int, fragment: str, first_needle: str) -> None:
    t = edit(old, new)
    expect(t, line_of(t, needle, nth), f"{fragment} (first at line {line_of(t, first_needle)})")


def test_duplicate_yaml_keys_are_detected() -> None:
    t = edit("  nps11:\n", "  sat5:\n    points: 5\n    labels: {zh: [a, b, c, d, e], en: [a, b, c, d, e]}\n  nps11:\n")
    expect(t, line_of(t, "  sat5:", 2), "duplicate key 'sat5' in scales (first at line 11)")


def test_duplicate_key_inside_an_item() -> None:
    t = edit(
        "        text: {zh: 问题二, en: Question two}",
        "        text: {zh: 问题二, en: Question two}\n        scale: sat5",
    )
    expect(t, line_of(t, "scale: sat5", 3), "duplicate key 'scale'")


# ---- languages ----
@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("title: {zh: 迷你调查, en: Mini survey}", "title: {zh: 迷你调查}", "title:", "title missing in language 'en'"),
        (
            "text: {zh: 问题二, en: Question two}",
            "text: {zh: 问题二}",
            "问题二",
            "text of item 'q2' missing in language 'en'",
        ),
        (
            "text: {zh: 问题二, en: Question two}",
            "text: {zh: 问题二, en: ''}",
            "问题二",
            "text of item 'q2' missing in language 'en'",
        ),
        (
            "      en: [Dissatisfied, Fairly dissatisfied, Neutral, Fairly satisfied, Satisfied]\n",
            "",
            "labels:",
            "label missing in language 'en' for scale 'sat5'",
        ),
        (
            "[Dissatisfied, Fairly dissatisfied, Neutral, Fairly satisfied, Satisfied]",
            "[Dissatisfied, Fairly dissatisfied, Neutral, Satisfied]",
            "[Dissatisfied",
            "has 4 labels in 'en', expected 5",
        ),
        (
            "label: {zh: 农村, en: Rural}",
            "label: {zh: 农村}",
            "农村",
            "label of option 'rural' of item 'region' missing",
        ),
        ("name: {zh: 对手, en: Rival}", "name: {zh: 对手}", "对手", "name of brand 'rival' missing in language 'en'"),
        (
            "title: {zh: 总体, en: Overall}",
            "title: {en: Overall}",
            "Overall}",
            "title of section 'overall' missing in language 'zh'",
        ),
        (
            "label: {zh: 第二期, en: Wave 2}",
            "label: {zh: 第二期}",
            "第二期",
            "label of wave 'w2' missing in language 'en'",
        ),
        (
            "label: {zh: 满意度指数, en: Satisfaction index}",
            "label: {en: Satisfaction index}",
            "Satisfaction index",
            "label of indicator 'csi' missing in language 'zh'",
        ),
    ],
    ids=["title", "item", "item-empty", "scale-lang", "scale-count", "option", "brand", "section", "wave", "node"],
)
def test_missing_labels(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new)
    expect(t, line_of(t, needle), fragment)


def test_third_language_is_required_everywhere() -> None:
    t = edit("languages: [zh, en]", "languages: [zh, en, ja]")
    found = issues(t)
    assert len(found) > 20
    assert all("'ja'" in i.message for i in found)


def test_default_language_must_be_declared() -> None:
    t = edit("default_language: zh", "default_language: fr")
    expect(t, 3, "default_language 'fr' is not in languages")


# ---- model ----
def test_model_unknown_item() -> None:
    t = edit("items: [rec]", "items: [rec, pv9]")
    expect(t, line_of(t, "pv9"), "model construct 'LOY' names unknown item 'pv9'")


def test_model_unknown_construct_in_path() -> None:
    t = edit("- [SAT, LOY]", "- [SAT, LOYX]")
    expect(t, line_of(t, "LOYX"), "names unknown construct 'LOYX'")


def test_model_cycle() -> None:
    t = edit("    - [SAT, LOY]\n", "    - [SAT, LOY]\n    - [LOY, PQ]\n")
    expect(t, line_of(t, "- [PQ, SAT]"), "cycle in model paths: PQ -> SAT -> LOY -> PQ")


def test_model_satisfaction_unknown() -> None:
    t = edit("satisfaction: SAT", "satisfaction: CSI")
    expect(t, line_of(t, "satisfaction: CSI"), "model satisfaction construct 'CSI' is not a construct")


def test_model_item_in_two_constructs() -> None:
    t = edit("items: [rec]", "items: [rec, q2]")
    expect(t, line_of(t, "items: [rec, q2]"), "item 'q2' is in two model constructs: 'PQ'")


def test_model_missing_data_treatment() -> None:
    """``model.missing`` says how the PLS model treats missing indicators: mean (the default) or casewise."""
    assert load_definition_text(MINI).model.missing == "mean"  # type: ignore[union-attr]
    t = edit("  satisfaction: SAT\n", "  satisfaction: SAT\n  missing: casewise\n")
    assert load_definition_text(t).model.missing == "casewise"  # type: ignore[union-attr]
    t = edit("  satisfaction: SAT\n", "  satisfaction: SAT\n  missing: listwise\n")
    expect(t, line_of(t, "missing: listwise"), "model: missing: Input should be 'mean' or 'casewise' (got 'listwise')")


# ---- brands ----
def test_no_own_brand() -> None:
    t = edit("    own: true\n", "")
    expect(t, line_of(t, "brands:"), "exactly one brand must be our own")


def test_two_own_brands() -> None:
    t = edit("  - id: rival\n", "  - id: rival\n    own: true\n")
    expect(t, line_of(t, "own: true", 2), "brand 'rival' is also marked own")


# ---- item kinds ----
def test_likert_needs_scale() -> None:
    t = edit("      - id: q4\n        scale: sat5\n", "      - id: q4\n")
    expect(t, line_of(t, "- id: q4"), "likert item 'q4' needs a scale")


def test_choice_needs_options() -> None:
    t = edit(
        "          - code: urban\n            label: {zh: 城区, en: Urban}\n"
        "          - code: rural\n            label: {zh: 农村, en: Rural}\n",
        "",
    )
    t = edit("        options:\n", "", t)
    expect(t, line_of(t, "- id: region"), "choice item 'region' needs options")


def test_nps_needs_0_to_10_scale() -> None:
    t = edit("        scale: nps11\n", "        scale: sat5\n")
    expect(t, line_of(t, "- id: rec") + 2, "nps item 'rec' needs an 11-point 0..10 scale")


def test_segment_needs_choice_item() -> None:
    t = edit("      - id: sat\n", "      - id: sat\n        segment: true\n")
    expect(t, line_of(t, "segment: true"), "segment: true needs a choice item")


def test_negative_scale_min_is_reserved() -> None:
    t = edit("    min: 0\n", "    min: -1\n")
    expect(t, line_of(t, "min: -1"), "reserved for missing and N/A")


# ---- loyalty ----
def test_loyalty_cutoff_outside_scale() -> None:
    t = edit("loyalty_min: 5", "loyalty_min: 7")
    expect(t, line_of(t, "loyalty_min"), "loyalty_min = 7 is outside the scale of satisfaction item 'sat' (1..5)")


def test_defection_must_be_below_loyalty() -> None:
    t = edit("defection_max: 2", "defection_max: 5")
    expect(t, line_of(t, "loyalty_min"), "defection_max (5) must be below loyalty_min (5)")


def test_nps_item_must_be_nps() -> None:
    t = edit("nps_item: rec", "nps_item: sat")
    expect(t, line_of(t, "nps_item"), "nps_item 'sat' must be an nps item")


# ---- schema errors, YAML errors, reporting ----
def test_yaml_syntax_error_has_line() -> None:
    t = edit("        text: {zh: 问题三, en: Question three}", "        text: {zh: 问题三, en: Question three")
    found = issues(t)
    assert len(found) == 1
    assert found[0].message.startswith("YAML syntax error")
    assert line_of(t, "问题三") <= found[0].line <= line_of(t, "问题三") + 2


def test_schema_error_unknown_key_and_bad_value() -> None:
    t = edit("        reverse: true\n", "        reverse: true\n        revers: true\n")
    t = edit("    points: 11\n", "    points: many\n", t)
    expect(t, line_of(t, "revers: true"), "item 'q5': unknown key 'revers'")
    expect(t, line_of(t, "points: many"), "scale 'nps11': points: Input should be a valid integer")


def test_schema_error_missing_key_points_at_parent() -> None:
    t = edit("        text: {zh: 问题四, en: Question four}\n", "")
    expect(t, line_of(t, "- id: q4"), "item 'q4': missing required key 'text'")


def test_empty_and_non_mapping_documents() -> None:
    assert issues("")[0].message.startswith("the file is empty")
    assert issues("- a\n- b\n")[0].line == 1


def test_all_errors_reported_at_once_sorted_by_line() -> None:
    t = edit("default_language: zh", "default_language: fr")
    t = edit("{id: n2, item: q2, weight: 0.5}", "{id: n2, item: q2, weight: 0.4}", t)
    t = edit("- [1/5, 1/3, 1]", "- [1/5, 2, 1]", t)
    t = edit("items: [rec]", "items: [rec, pv9]", t)
    t = edit("defection_max: 2", "defection_max: 5", t)
    t = edit("        type: yes_no\n", "        type: yesno\n", t)
    with pytest.raises(DefinitionError) as err:
        load_definition_text(t, "multi.yaml")
    found = err.value.issues
    assert len(found) == 6, "\n".join(map(str, found))
    assert [i.line for i in found] == sorted(i.line for i in found)
    assert all(str(i).startswith(f"multi.yaml:{i.line}: ") for i in found)
    assert str(err.value).count("\n") == 5


def test_schema_errors_do_not_hide_cross_reference_errors() -> None:
    t = edit("      - id: q4\n        scale: sat5\n", "      - id: q4\n        scale: [sat5]\n")
    t = edit("{id: n2, item: q2, weight: 0.5}", "{id: n2, item: q2, weight: 0.4}", t)
    found = issues(t)
    messages = [i.message for i in found]
    assert any("item 'q4': scale" in m for m in messages), messages
    assert any("sum to 0.9" in m for m in messages), messages
    # q4 was left out for the cross-reference pass; that must not produce "unknown item 'q4'"
    assert not any("unknown item 'q4'" in m for m in messages), messages
    assert len(found) == 2


def test_rounded_reciprocals_pass_but_coarse_ones_do_not() -> None:
    fine = edit("- [1/3, 1, 3]", "- [0.333, 1, 3]")
    assert issues(fine) == []
    coarse = edit("- [1/3, 1, 3]", "- [0.33, 1, 3]")
    expect(coarse, line_of(coarse, "[0.33, 1, 3]"), "is not reciprocal")
