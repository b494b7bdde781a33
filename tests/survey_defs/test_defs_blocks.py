"""The servqual, kano and weighting blocks: valid forms load, every problem is reported with its line."""

from __future__ import annotations

import pytest
from defs_helpers import edit, expect, issues, line_of  # type: ignore[import-not-found]

from survey_defs import load_definition_text, load_template

KANO_ITEMS = """\
      - id: k_fn
        type: choice
        text: {zh: 如果提供, en: If we offered it}
        options: &kano
          - {code: like, label: {zh: 喜欢, en: Like}}
          - {code: must-be, label: {zh: 理应如此, en: Must be}}
          - {code: neutral, label: {zh: 无所谓, en: Neutral}}
          - {code: live-with, label: {zh: 能忍受, en: Live with}}
          - {code: dislike, label: {zh: 不喜欢, en: Dislike}}
      - id: k_dys
        type: choice
        text: {zh: 如果不提供, en: If we did not}
        options: *kano
"""

BLOCKS = """\
servqual:
  dimensions:
    - id: reliability
      label: {zh: 可靠性, en: Reliability}
      pairs:
        - [q1, q2]
    - id: empathy
      label: {zh: 移情性, en: Empathy}
      pairs:
        - [q3, q4]
kano:
  features:
    - id: feature_one
      label: {zh: 功能一, en: Feature one}
      functional: k_fn
      dysfunctional: k_dys
weighting:
  margins:
    region: {urban: 0.6, rural: 0.4}
  trim: {min: 0.3, max: 3}
"""

FULL = edit("      - id: comment\n", KANO_ITEMS + "      - id: comment\n") + BLOCKS


def test_full_is_valid_and_loads_the_blocks() -> None:
    assert issues(FULL) == []
    d = load_definition_text(FULL)
    assert d.servqual is not None and [dim.id for dim in d.servqual.dimensions] == ["reliability", "empathy"]
    assert d.servqual.dimensions[0].pairs == [("q1", "q2")]
    assert d.kano is not None and d.kano.features[0].functional == "k_fn"
    assert d.weighting is not None and d.weighting.margins == {"region": {"urban": 0.6, "rural": 0.4}}
    assert d.weighting.trim is not None and (d.weighting.trim.min, d.weighting.trim.max) == (0.3, 3)
    assert d.weighting.method == "raking" and d.weighting.max_iter == 100


def test_servqual_template_declares_every_statement() -> None:
    d = load_template("servqual")
    assert d.servqual is not None and d.kano is not None
    pairs = [p for dim in d.servqual.dimensions for p in dim.pairs]
    assert {e for e, _ in pairs} == {i for i in d.item_map if i.endswith("_e")}
    assert all(e[:-2] == p[:-2] for e, p in pairs)
    assert {dim.id for dim in d.servqual.dimensions} == {"reliability", "assurance", "tangibles", "empathy",
                                                         "responsiveness"}
    for f in d.kano.features:
        assert f.label["zh"] and f.label["en"]
        for item in (f.functional, f.dysfunctional):
            assert [o.code for o in d.item(item).options or []] == ["like", "must-be", "neutral", "live-with",
                                                                     "dislike"]


# ---- servqual ----
@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("- [q1, q2]", "- [q1, qx]", "[q1, qx]", "unknown item 'qx' as the perception of SERVQUAL pair 1 of "
                                                  "dimension 'reliability'"),
        ("- [q3, q4]", "- [q3, region]", "[q3, region]", "choice item 'region' cannot be the perception of "
                                                          "SERVQUAL pair 1 of dimension 'empathy'"),
        ("- [q3, q4]", "- [q3, rec]", "[q3, rec]", "nps item 'rec' cannot be the perception"),
        ("- [q3, q4]", "- [q3, q3]", "[q3, q3]", "uses item 'q3' as both expectation and perception"),
        ("- [q3, q4]", "- [q3, q1]", "[q3, q1]", "item 'q1' is used twice in the servqual block"),
        ("label: {zh: 移情性, en: Empathy}", "label: {zh: 移情性}", "移情性",
         "label of SERVQUAL dimension 'empathy' missing in language 'en'"),
        ("    - id: empathy\n", "    - id: reliability\n", "- id: reliability", "duplicate SERVQUAL dimension id"),
    ],
    ids=["unknown", "choice", "nps", "same", "twice", "label", "duplicate"],
)
def test_servqual_errors(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new, FULL)
    nth = 2 if fragment.startswith("duplicate") else 1
    expect(t, line_of(t, needle, nth), fragment)


def test_servqual_items_must_share_one_scale() -> None:
    t = edit("- [q3, q4]", "- [q3, sat]", FULL)
    assert issues(t) == []  # sat uses sat5 too
    scales = "  agree7:\n    points: 7\n    labels:\n      zh: [a, b, c, d, e, f, g]\n      en: [a, b, c, d, e, f, g]\n"
    t = edit("scales:\n", "scales:\n" + scales, FULL)
    t = edit("      - id: q4\n        scale: sat5", "      - id: q4\n        scale: agree7", t)
    expect(t, line_of(t, "[q3, q4]"), "item 'q4' (the perception of SERVQUAL pair 1 of dimension 'empathy') "
                                      "uses scale 'agree7' but the SERVQUAL items use scale 'sat5'")


def test_servqual_schema_errors_are_located() -> None:
    t = edit("- [q1, q2]", "- [q1, q2, q3]", FULL)
    found = issues(t)
    assert any(i.line == line_of(t, "[q1, q2, q3]") and "SERVQUAL dimension 'reliability'" in i.message
               for i in found), found
    t = edit("pairs:\n        - [q3, q4]", "pairs: []", FULL)
    expect(t, line_of(t, "pairs: []"), "SERVQUAL dimension 'empathy' has no [expectation, perception] pairs")


# ---- kano ----
@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("functional: k_fn", "functional: k_none", "functional: k_none",
         "unknown item 'k_none' as the functional question of Kano feature 'feature_one'"),
        ("dysfunctional: k_dys", "dysfunctional: q1", "dysfunctional: q1",
         "likert item 'q1' cannot be the dysfunctional question of Kano feature 'feature_one'; it must be a "
         "choice item with the options like, must-be, neutral, live-with, dislike"),
        ("dysfunctional: k_dys", "dysfunctional: region", "dysfunctional: region",
         "it lacks like, must-be, neutral, live-with, dislike and has unknown urban, rural"),
        ("dysfunctional: k_dys", "dysfunctional: k_fn", "dysfunctional: k_fn",
         "uses item 'k_fn' as both its functional and its dysfunctional question"),
        ("label: {zh: 功能一, en: Feature one}", "label: {en: Feature one}", "Feature one",
         "label of Kano feature 'feature_one' missing in language 'zh'"),
    ],
    ids=["unknown", "likert", "options", "same", "label"],
)
def test_kano_errors(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new, FULL)
    expect(t, line_of(t, needle), fragment)


def test_kano_option_codes_must_be_exactly_the_five_answers() -> None:
    t = edit("          - {code: live-with, label: {zh: 能忍受, en: Live with}}\n",
             "          - {code: tolerate, label: {zh: 能忍受, en: Live with}}\n", FULL)
    found = expect(t, line_of(t, "functional: k_fn"), "it lacks live-with and has unknown tolerate")
    assert any(i.line == line_of(t, "dysfunctional: k_dys") for i in found)  # the shared options: both reported


# ---- weighting ----
@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("region: {urban: 0.6, rural: 0.4}", "regio: {urban: 0.6, rural: 0.4}", "regio:",
         "unknown item 'regio' in the weighting margins"),
        ("region: {urban: 0.6, rural: 0.4}", "sat: {'1': 0.6, '2': 0.4}", "sat: {",
         "raking variable 'sat' must be a choice item, not likert"),
        ("region: {urban: 0.6, rural: 0.4}", "region: {urban: 0.6, rurall: 0.4}", "rurall",
         "unknown option code 'rurall' in the margins of 'region' (options: urban, rural;"),
        ("region: {urban: 0.6, rural: 0.4}", "region: {urban: 0.6, rural: 0.3}", "region: {",
         "population shares of 'region' sum to 0.9, not 1"),
        ("region: {urban: 0.6, rural: 0.4}", "region: {urban: 1.0}", "region: {",
         "the margins of 'region' give no population share to rural"),
        ("region: {urban: 0.6, rural: 0.4}", "region: {urban: 1.0, rural: 0}", "region: {",
         "population share of 'region' = 'rural' must be > 0"),
        ("trim: {min: 0.3, max: 3}", "trim: {min: 1.5, max: 3}", "trim:", "trim.min = 1.5 must be in (0, 1]"),
        ("trim: {min: 0.3, max: 3}", "trim: {min: 0.3, max: 0.9}", "trim:", "trim.max = 0.9 must be >= 1"),
        ("trim: {min: 0.3, max: 3}", "trim: {}", "trim:", "trim gives neither min nor max"),
    ],
    ids=["unknown", "not-choice", "code", "sum", "absent", "zero", "trim-min", "trim-max", "trim-empty"],
)
def test_weighting_errors(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new, FULL)
    expect(t, line_of(t, needle), fragment)


def test_weighting_shares_within_rounding_and_missing_share_are_accepted() -> None:
    assert issues(edit("{urban: 0.6, rural: 0.4}", "{urban: 0.6004, rural: 0.4}", FULL)) == []
    assert issues(edit("{urban: 0.6, rural: 0.4}", "{urban: 0.55, rural: 0.4, '(missing)': 0.05}", FULL)) == []


def test_weighting_schema_errors_are_located() -> None:
    t = edit("  trim: {min: 0.3, max: 3}\n", "  trim: {min: 0.3, max: 3}\n  tol: 0.5\n", FULL)
    expect(t, line_of(t, "tol: 0.5"), "weighting: tol")
    t = edit("{urban: 0.6, rural: 0.4}", "{urban: lots, rural: 0.4}", FULL)
    expect(t, line_of(t, "urban: lots"), "weighting: margins.region.urban")
