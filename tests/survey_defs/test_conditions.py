"""show_if: the whitelist parser, the evaluation truth table, and each `csi validate` check at its line."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from survey_defs import check_text, load_template, template_path
from survey_defs.codebook import codebook_of
from survey_defs.conditions import AllOf, AnyOf, Compare, ConditionError, Not, parse
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, NA_CODE

TEMPLATE = template_path("utility_csi").read_text(encoding="utf-8")
SECTION_IF = "    show_if: q_complained == yes\n"


# ---------------------------------------------------------------------------------------------- parser
def test_parse_builds_the_typed_tree() -> None:
    e = parse("q_overall <= 2 and not (q_region in [rural, 'sub urban'] or q_x != -1)")
    assert e == AllOf((Compare("q_overall", "<=", (2,)),
                       Not(AnyOf((Compare("q_region", "in", ("rural", "sub urban")), Compare("q_x", "!=", (-1,)))))))


@pytest.mark.parametrize(("text", "refused"), [
    ("q.x == 1", "attribute access"),
    ("__import__('os').system('true') == 1", "a function call"),
    ("q == len(x)", "a function call"),
    ("(lambda: 1) == 1", "a lambda"),
    ("q == f'{x}'", "an f-string"),
    ("q in [x for x in y]", "'in' needs a list"),
    ("[x for x in y] == 1", "a comprehension"),
    ("q == (x for x in y)", "a comprehension"),
    ("q[0] == 1", "a subscript"),
    ("q == 1 + 1", "arithmetic"),
    ("q == 20-34", "must be quoted"),
    ("1 < q < 3", "one item at a time"),
    ("q is None", "not is"),
    ("q", "needs a comparison"),
    ("1 == q", "item goes on the left"),
    ("q = yes", "compare with =="),
    ("q ==", "syntax error"),
    ("", "empty"),
    ("q == 1 and " * 400 + "q == 1", "longer than"),
])
def test_the_whitelist_refuses_everything_else(text: str, refused: str) -> None:
    with pytest.raises(ConditionError, match=refused.replace("(", r"\(").replace("[", r"\[")):
        parse(text)


def _book():  # type: ignore[no-untyped-def]
    return codebook_of(load_template("utility_csi"))


def test_truth_table_scalar_and_array_agree() -> None:
    """Every condition shape over every code of two items (answered, missing, N/A, hidden): the one-respondent
    evaluation and the array evaluation agree, and an unanswered / N/A / hidden item makes a comparison false."""
    from survey_defs.codebook.visibility import Conditional
    from survey_defs.conditions import bind

    book = _book()

    def lookup(i: str):  # type: ignore[no-untyped-def]
        c = book.codecs[i]
        return c.per_brand, c.column, c

    col_c, col_o = book.codecs["q_complained"].column, book.codecs["q_overall"].column
    states_c = [1, 0, MISSING_CODE, NA_CODE, HIDDEN_CODE]
    states_o = [1, 2, 3, 5, MISSING_CODE, HIDDEN_CODE]
    cases = {
        "q_complained == yes": lambda c, o: c == 1,
        "q_complained != yes": lambda c, o: c == 0,
        "not q_complained == yes": lambda c, o: c != 1,
        "q_overall <= 2": lambda c, o: o in (1, 2),
        "q_overall > 满意": lambda c, o: False,
        "q_overall >= 较满意": lambda c, o: o >= 4,
        "q_overall in [1, 5]": lambda c, o: o in (1, 5),
        "q_overall not in [1, 5]": lambda c, o: o in (2, 3),
        "q_complained == yes and q_overall < 3": lambda c, o: c == 1 and o in (1, 2),
        "q_complained == 是 or q_overall == 3": lambda c, o: c == 1 or o == 3,
        "not (q_complained == no or q_overall != 5)": lambda c, o: not (c == 0 or o in (1, 2, 3)),
    }
    rows = list(itertools.product(states_c, states_o))
    resp = np.full((len(rows), len(book.resp_ids)), MISSING_CODE, dtype=np.int16)
    for k, (c, o) in enumerate(rows):
        resp[k, col_c], resp[k, col_o] = c, o
    for text, want in cases.items():
        b = bind(text, lookup)
        expected = [want(c, o) for c, o in rows]
        scalar = [b.test(list(r), None) for r in resp]
        assert scalar == expected, text
        assert b.mask(resp, None).tolist() == expected, text
        cond = Conditional("x", None, (b,))
        assert [cond.failing(list(r), None) for r in resp] == [not e for e in expected]


# ---------------------------------------------------------------------------------------------- validation
def _with(section_if: str | None = None, item_if: str | None = None, item: str = "q_complaint_resolved") -> str:
    t = TEMPLATE
    if section_if is not None:
        assert SECTION_IF in t
        t = t.replace(SECTION_IF, f"    show_if: {section_if}\n")
    if item_if is not None:
        anchor = f"      - id: {item}\n"
        assert anchor in t
        t = t.replace(anchor, f"{anchor}        show_if: {item_if}\n")
    return t


def _found(text: str, snippet: str) -> list[tuple[int, str]]:
    found = [(i.line, i.message) for i in check_text(text, "t.yaml")]
    assert found, "no problem reported"
    return [(ln, m) for ln, m in found if snippet in m]


def _line(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


def test_the_template_validates_with_its_condition() -> None:
    assert check_text(TEMPLATE) == []
    assert SECTION_IF in TEMPLATE


def test_syntax_error_at_the_show_if_line() -> None:
    t = _with(section_if="q_complained = yes")
    (hit,) = _found(t, "compare with ==, not =")
    assert hit[0] == _line(t, "    show_if: q_complained = yes") and "syntax error" in hit[1]


def test_refused_construct_at_the_item_line() -> None:
    t = _with(item_if="q_overall.real == 1")
    (hit,) = _found(t, "attribute access")
    assert hit[0] == _line(t, "        show_if: q_overall.real == 1") and "item 'q_complaint_resolved'" in hit[1]


def test_unknown_item() -> None:
    t = _with(section_if="q_complaned == yes")
    (hit,) = _found(t, "unknown item 'q_complaned'")
    assert hit[0] == _line(t, "    show_if: q_complaned == yes")


def test_unknown_option() -> None:
    t = _with(section_if="q_region in [urban, suburbs]")
    (hit,) = _found(t, "unknown option 'suburbs' of item 'q_region'")
    assert hit[0] == _line(t, "    show_if: q_region in [urban, suburbs]") and "rural" in hit[1]


def test_later_item() -> None:
    t = _with(section_if="q_age == lt20")
    (hit,) = _found(t, "asked later")
    assert hit[0] == _line(t, "    show_if: q_age == lt20")
    assert f"line {_line(t, '      - id: q_age')}" in hit[1]


def test_earlier_item_of_the_same_section_is_fine() -> None:
    assert check_text(_with(item_if="q_complaint_resolved == no", item="q_complaint_handling_sat")) == []


@pytest.mark.parametrize(("cond", "snippet"), [
    ("q_region < urban", "'<' needs an item on a scale, but 'q_region' is a choice item"),
    ("q_complained >= 1", "'>=' needs an item on a scale, but 'q_complained' is a yes_no item"),
    ("q_region == 3", "the number 3 is compared with choice item 'q_region'"),
    ("q_overall == great", "'great' is not a value (1..5) or label of the scale of likert item 'q_overall'"),
    ("q_overall <= 9", "is not a value (1..5)"),
    ("q_complained == maybe", "'maybe' is not yes or no of yes_no item 'q_complained'"),
    ("q_overall == NA", "cannot compare 'q_overall' with not applicable"),
])
def test_type_mismatch(cond: str, snippet: str) -> None:
    t = _with(section_if=cond)
    (hit,) = _found(t, snippet)
    assert hit[0] == _line(t, f"    show_if: {cond}")


def test_text_item_is_a_type_mismatch() -> None:
    t = _with(item_if="q_comment == x", item="q_age")
    assert _found(t, "text item 'q_comment' cannot be used in show_if")


def test_respondent_item_cannot_depend_on_a_per_brand_item() -> None:
    t = _with(section_if="q_price <= 2")
    (hit,) = _found(t, "per-brand item 'q_price'")
    assert hit[0] == _line(t, "    show_if: q_price <= 2")


def test_section_condition_on_its_own_items_is_a_cycle() -> None:
    t = _with(section_if="q_complaint_resolved == no")
    (hit,) = _found(t, "an item of the same section")
    assert hit[0] == _line(t, "    show_if: q_complaint_resolved == no") and "cycle" in hit[1]


def test_item_cycle() -> None:
    t = _with(item_if="q_complaint_handling_sat >= 4")
    t = t.replace("      - id: q_complaint_handling_sat\n",
                  "      - id: q_complaint_handling_sat\n        show_if: q_complaint_resolved == yes\n")
    (hit,) = _found(t, "cycle in show_if")
    assert "'q_complaint_resolved' -> 'q_complaint_handling_sat' -> 'q_complaint_resolved'" in hit[1]
    assert hit[0] == _line(t, "        show_if: q_complaint_handling_sat >= 4")
    assert not _found(t, "asked later")  # the cycle is the one message, not also a later reference


def test_self_reference() -> None:
    t = _with(item_if="q_complaint_resolved == yes")
    (hit,) = _found(t, "refers to itself")
    assert hit[0] == _line(t, "        show_if: q_complaint_resolved == yes")


# ---------------------------------------------------------------------------------------------- codebook
def test_encode_refuses_an_answer_to_a_hidden_item_and_stores_not_asked() -> None:
    from survey_defs.codebook import AnswerErrors
    from tests.service.payloads import good_submission

    book = _book()
    body = good_submission()
    with pytest.raises(AnswerErrors) as e:
        book.encode({**body["answers"], "q_complaint_resolved": "yes"}, body["brands"])
    assert e.value.errors == [(["answers", "q_complaint_resolved"], "not asked: shown only if q_complained == yes")]
    enc = book.encode(body["answers"], body["brands"])
    codes = np.frombuffer(enc.answers, dtype="<i2")
    assert codes[book.codecs["q_complaint_resolved"].column] == HIDDEN_CODE
    assert codes[book.codecs["q_complaint_handling_sat"].column] == HIDDEN_CODE
    asked = book.encode({**body["answers"], "q_complained": "是", "q_complaint_handling_sat": 2}, body["brands"])
    codes = np.frombuffer(asked.answers, dtype="<i2")
    assert codes[book.codecs["q_complaint_resolved"].column] == MISSING_CODE  # asked, optional, skipped
    assert codes[book.codecs["q_complaint_handling_sat"].column] == 2


def test_na_refusal_wording_is_the_codebooks() -> None:
    from survey_defs import conditions
    from survey_defs.codebook import NA_REFUSED

    assert conditions.NA_REFUSED == NA_REFUSED


def test_per_brand_conditions_are_evaluated_per_brand() -> None:
    from survey_defs import load_definition_text
    from survey_defs.codebook import AnswerErrors
    from tests.service.payloads import good_submission

    t = TEMPLATE.replace("      - id: q_complaint_handling\n",
                         "      - id: q_complaint_handling\n        show_if: q_hotline <= 2\n")
    assert check_text(t) == []  # an earlier item of the same per-brand block is fine
    book = codebook_of(load_definition_text(t))
    body = good_submission()  # q_hotline 3 for both brands, q_complaint_handling answered
    body["brands"]["hengyuan"]["q_hotline"] = 1
    with pytest.raises(AnswerErrors) as e:
        book.encode(body["answers"], body["brands"])
    assert e.value.errors == [(["brands", "jiangcheng", "q_complaint_handling"],
                               "not asked: shown only if q_hotline <= 2")]
    del body["brands"]["jiangcheng"]["q_complaint_handling"]
    enc = book.encode(body["answers"], body["brands"])
    rows = np.frombuffer(enc.brand_answers, dtype="<i2").reshape(len(book.brand_ids), -1)
    col = book.codecs["q_complaint_handling"].column
    by = {b: int(rows[k, col]) for k, b in enumerate(book.brand_ids)}
    assert by == {"jiangcheng": HIDDEN_CODE, "hengyuan": 3, "xinda": MISSING_CODE}  # unrated stays missing
