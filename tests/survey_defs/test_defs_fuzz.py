"""Random edits of a valid definition either load or raise DefinitionError, never anything else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_defs import DefinitionError, SurveyDefinition, check_text, load_definition_text, template_path

SOURCE = template_path("utility_csi").read_text(encoding="utf-8")
LINES = SOURCE.splitlines()

_junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
_yamlish = st.sampled_from(
    [
        "",
        "-",
        ":",
        "[",
        "]",
        "{",
        "}",
        "&a",
        "*a",
        "<<: *a",
        "!!int x",
        "? x",
        "'",
        '"',
        "|",
        ">",
        "#",
        "1/0",
        "null",
        "~",
        "0",
        "-1",
        "1e999",
        "yes",
        "no",
        "[1, 2]",
        "{a: 1}",
        "    ",
        "\t",
        "id: q_voltage",
        "2.5",
    ]
)
_mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(LINES) - 1), st.just("")),
    st.tuples(st.just("replace"), st.integers(0, len(LINES) - 1), st.one_of(_junk, _yamlish)),
    st.tuples(st.just("value"), st.integers(0, len(LINES) - 1), st.one_of(_junk, _yamlish)),
    st.tuples(st.just("insert"), st.integers(0, len(LINES) - 1), st.one_of(_junk, _yamlish)),
    st.tuples(st.just("swap"), st.integers(0, len(LINES) - 1), st.integers(0, len(LINES) - 1).map(str)),
    st.tuples(st.just("duplicate"), st.integers(0, len(LINES) - 1), st.just("")),
)


def _apply(lines: list[str], op: str, i: int, arg: str) -> None:
    i %= max(len(lines), 1)
    if not lines:
        lines.append(arg)
    elif op == "delete":
        del lines[i]
    elif op == "replace":
        lines[i] = arg
    elif op == "value":
        head, sep, _ = lines[i].partition(": ")
        lines[i] = f"{head}{sep or ': '}{arg}"
    elif op == "insert":
        lines.insert(i, arg)
    elif op == "swap":
        j = int(arg) % len(lines)
        head_i, sep_i, val_i = lines[i].partition(": ")
        head_j, sep_j, val_j = lines[j].partition(": ")
        if sep_i and sep_j:
            lines[i], lines[j] = f"{head_i}: {val_j}", f"{head_j}: {val_i}"
        else:
            lines[i], lines[j] = lines[j], lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutation, min_size=1, max_size=4))
def test_mutated_definition_loads_or_raises_definition_error(mutations: list[tuple[str, int, str]]) -> None:
    lines = list(LINES)
    for op, i, arg in mutations:
        _apply(lines, op, i, arg)
    text = "\n".join(lines) + "\n"
    try:
        d = load_definition_text(text, "fuzz.yaml")
    except DefinitionError as exc:
        assert exc.issues
        assert all(i.file == "fuzz.yaml" and i.line >= 1 and i.message for i in exc.issues)
        assert exc.issues == sorted(exc.issues)
        assert check_text(text, "fuzz.yaml") == exc.issues
    else:
        assert isinstance(d, SurveyDefinition)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        load_definition_text(text)
    except DefinitionError as exc:
        assert exc.issues
