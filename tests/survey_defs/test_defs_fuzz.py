"""Generated definitions, two ways.

1. Known errors injected into valid definitions (every built-in template and the small MINI one), at places and
   with values Hypothesis chooses: weights that do not sum to 1, unknown item / scale / construct references, an
   item used twice in the indicator tree, duplicate ids, non-reciprocal and inconsistent AHP matrices, cycles in
   the model paths, labels missing in a declared language, wrongly typed values and truncated YAML. Each must
   raise ``DefinitionError`` with an issue that carries the expected message at the expected line. The expected
   line is found independently of the loader's own line map, by walking PyYAML's node tree
   (``line_of_path``), and the expected CR of an AHP matrix is recomputed here with numpy.
2. Random edits of the text, the bytes and the parsed structure: each either loads or raises
   ``DefinitionError`` with located issues, never any other exception.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path as FsPath
from typing import Any

import numpy as np
import pytest
import yaml
from defs_helpers import MINI  # type: ignore[import-not-found]
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from survey_defs import (
    DefinitionError,
    Issue,
    SurveyDefinition,
    check_file,
    check_text,
    list_templates,
    load_definition,
    load_definition_text,
    template_path,
)

Path = tuple[Any, ...]
Draw = Callable[[st.SearchStrategy[Any]], Any]
Check = Callable[[str, list[Issue]], None]
FILE = "fuzz.yaml"

SOURCE = template_path("utility_csi").read_text(encoding="utf-8")
LINES = SOURCE.splitlines()

#: The valid definitions errors are injected into, as plain data.
BASES: dict[str, dict[str, Any]] = {
    **{name: yaml.safe_load(template_path(name).read_text(encoding="utf-8")) for name in list_templates()},
    "mini": yaml.safe_load(MINI),
}

#: Saaty's 1-9 scale and its reciprocals, the values an AHP cell is written with.
SAATY = [Fraction(1, k) for k in range(9, 1, -1)] + [Fraction(k) for k in range(1, 10)]
#: Saaty's random consistency index RI(n), n = 1..10 (T. L. Saaty, The Analytic Hierarchy Process, 1980).
SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)

NEW_ID = st.from_regex(r"zz_[a-z0-9]{1,10}", fullmatch=True)  # no definition uses the zz_ prefix
#: Strings pydantic's lax mode would turn into a bool or a number: a wrong type must stay wrong.
_COERCIBLE = {"yes", "no", "on", "off", "true", "false", "none", "null"}


def _not_coercible(w: str) -> bool:
    try:
        float(w)
    except ValueError:
        return w not in _COERCIBLE
    return False


WORD = st.from_regex(r"[a-z]{3,10}", fullmatch=True).filter(_not_coercible)


# ------------------------------------------------------------------------------------------------ helpers
def dump(data: Any) -> str:
    """Block style with scalar-only collections in flow style (one line each), as the templates are written."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=10**6)


@functools.lru_cache(maxsize=4)
def _compose(text: str) -> Node:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def line_of_path(text: str, path: Path) -> int:
    """1-based line of the node at ``path``: a mapping entry's key, or a sequence element's first line.

    Walks PyYAML's composed node tree (not the loader's LineMap), and fails when the path does not exist, so a
    wrong expectation cannot silently fall back to a parent's line.
    """
    node: Node = _compose(text)
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == str(part):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                raise KeyError(f"{part!r} of {path} is not in the document")
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            raise KeyError(f"{part!r} of {path} is not in the document")
    return line


def get(d: Any, path: Path) -> Any:
    for p in path:
        d = d[p]
    return d


def items(d: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    return [(("sections", i, "items", j), it) for i, s in enumerate(d["sections"]) for j, it in enumerate(s["items"])]


def nodes(d: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    """Indicator nodes in document order (parents before children)."""
    out: list[tuple[Path, dict[str, Any]]] = []

    def visit(n: dict[str, Any], p: Path) -> None:
        out.append((p, n))
        for k, c in enumerate(n.get("children") or []):
            visit(c, (*p, "children", k))

    if d.get("indicators"):
        visit(d["indicators"], ("indicators",))
    return out


def leaves(d: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, n) for p, n in nodes(d) if "item" in n and not n.get("children")]


def parents(d: dict[str, Any], lo: int = 2, hi: int = 10) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, n) for p, n in nodes(d) if lo <= len(n.get("children") or []) <= hi]


def constructs(d: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    return [(("model", "constructs", i), c) for i, c in enumerate((d.get("model") or {}).get("constructs", []))]


def expect(issues: list[Issue], line: int, fragment: str) -> None:
    """An issue containing ``fragment`` at ``line``."""
    hits = [i for i in issues if fragment in i.message]
    shown = "\n".join(map(str, issues))
    assert hits, f"no issue containing {fragment!r}; got:\n{shown}"
    assert any(i.line == line for i in hits), f"{fragment!r} expected at line {line}; got:\n{shown}"


def rejected(text: str) -> list[Issue]:
    """The text must be rejected with located issues, the same ones ``check_text`` reports."""
    with pytest.raises(DefinitionError) as info:
        load_definition_text(text, FILE)
    found = info.value.issues
    n_lines = len(text.splitlines())
    assert found and found == sorted(found)
    assert all(i.file == FILE and 1 <= i.line <= n_lines + 1 and i.message for i in found), found
    assert check_text(text, FILE) == found
    return found


def loads_or_rejected(text: str) -> None:
    """Never anything but a definition or a DefinitionError with located issues."""
    try:
        d = load_definition_text(text, FILE)
    except DefinitionError as exc:
        n_lines = max(len(text.splitlines()), 1)
        assert exc.issues and exc.issues == sorted(exc.issues)
        assert all(i.file == FILE and 1 <= i.line <= n_lines + 1 and i.message for i in exc.issues), exc.issues
        assert check_text(text, FILE) == exc.issues
    else:
        assert isinstance(d, SurveyDefinition)
        assert check_text(text, FILE) == []


def cell(f: Fraction) -> int | str:
    """An AHP cell as a definition writes it: an integer or a fraction like ``1/3``."""
    return int(f) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def cell_value(f: Fraction) -> float:
    return float(f.numerator) / float(f.denominator)  # what the schema's ``1/3`` parsing gives


def reciprocal(upper: dict[tuple[int, int], Fraction], k: int) -> list[list[Fraction]]:
    m = [[Fraction(1)] * k for _ in range(k)]
    for (i, j), v in upper.items():
        m[i][j], m[j][i] = v, 1 / v
    return m


def consistency_ratio(m: list[list[Fraction]]) -> float:
    """CR = ((lambda_max - n) / (n - 1)) / RI(n), lambda_max the principal eigenvalue (Saaty 1980)."""
    a = np.array([[cell_value(x) for x in row] for row in m])
    n = a.shape[0]
    lam = float(np.max(np.linalg.eigvals(a).real))
    return ((lam - n) / (n - 1)) / SAATY_RI[n - 1] if n > 2 else 0.0


def set_ahp(n: dict[str, Any], m: list[list[Fraction]]) -> None:
    """Make ``n`` weight its children by ``m``: drop the children's weights and any other weighting."""
    kids = n["children"]
    for c in kids:
        c.pop("weight", None)
    rest = {k: v for k, v in n.items() if k not in ("ahp", "derive", "equal", "children")}
    n.clear()
    n.update(rest)
    n["ahp"] = [[cell(x) for x in row] for row in m]
    n["children"] = kids


# ------------------------------------------------------------------------------------------------ injectors
@dataclass(frozen=True)
class Injector:
    """Where an error class can be injected (``applies``) and how: ``inject`` edits the data in place and
    returns the check the rejection of the dumped text must pass."""

    applies: Callable[[dict[str, Any]], bool]
    inject: Callable[[Draw, dict[str, Any]], Check]


def _weights_candidates(d: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, n) for p, n in nodes(d) if n.get("children") and "ahp" not in n and "derive" not in n
            and not n.get("equal") and all("weight" in c for c in n["children"])]


def inject_weights(draw: Draw, d: dict[str, Any]) -> Check:
    p, n = draw(st.sampled_from(_weights_candidates(d)))
    k = draw(st.integers(0, len(n["children"]) - 1))
    child = n["children"][k]
    if draw(st.booleans()):  # sum no longer 1
        new = draw(st.integers(0, 1000)) / 1000
        assume(abs(new - float(child["weight"])) >= 0.01)
        child["weight"] = new
        total = sum(float(c["weight"]) for c in n["children"])
        msg = f"weights of the children of '{n['id']}' sum to {total:.6g}, not 1"
        return lambda text, found: expect(found, line_of_path(text, (*p, "children")), msg)
    new = draw(st.one_of(st.floats(1.001, 50), st.floats(-50, -0.001)))
    child["weight"] = new
    msg = f"weight of '{child['id']}' must be between 0 and 1, not {new:g}"
    return lambda text, found: expect(found, line_of_path(text, (*p, "children", k, "weight")), msg)


def inject_unknown_reference(draw: Draw, d: dict[str, Any]) -> Check:
    new = draw(NEW_ID)
    choices: list[tuple[Path, str]] = []
    for p, n in leaves(d):
        choices.append(((*p, "item"), f"unknown item '{new}' in indicator '{n['id']}'"))
    for p, it in items(d):
        if it.get("type", "likert") in ("likert", "nps"):
            choices.append(((*p, "scale"), f"unknown scale '{new}' in item '{it['id']}'"))
    for p, c in constructs(d):
        for j in range(len(c["items"])):
            choices.append(((*p, "items", j), f"model construct '{c['id']}' names unknown item '{new}'"))
    for role in ("satisfaction_item", "loyalty_item", "nps_item"):
        if (d.get("loyalty") or {}).get(role):
            choices.append((("loyalty", role), f"unknown item '{new}' as loyalty {role}"))
    if d.get("model"):
        paths = d["model"]["paths"]
        for k, (src, dst) in enumerate(paths):
            choices.append((("model", "paths", k, 0), f"model path {new} -> {dst} names unknown construct '{new}'"))
            choices.append((("model", "paths", k, 1), f"model path {src} -> {new} names unknown construct '{new}'"))
        choices.append((("model", "satisfaction"), f"model satisfaction construct '{new}' is not a construct"))
    where, msg = draw(st.sampled_from(choices))
    get(d, where[:-1])[where[-1]] = new
    at = where[:-1] if where[:2] == ("model", "paths") else where  # a path is reported at its list element
    return lambda text, found: expect(found, line_of_path(text, at), msg)


def inject_item_used_twice(draw: Draw, d: dict[str, Any]) -> Check:
    ls = leaves(d)
    i = draw(st.integers(0, len(ls) - 2))
    j = draw(st.integers(i + 1, len(ls) - 1))
    (p1, n1), (p2, n2) = ls[i], ls[j]
    assume(n1["item"] != n2["item"])
    n2["item"] = n1["item"]

    def check(text: str, found: list[Issue]) -> None:
        first = line_of_path(text, (*p1, "item"))
        expect(found, line_of_path(text, (*p2, "item")),
               f"item '{n1['item']}' is used twice in the indicator tree (also at line {first})")

    return check


def _id_groups(d: dict[str, Any]) -> list[tuple[str, str, list[tuple[Path, Any, Any]]]]:
    """(kind, where, [(path the duplicate is reported at, container, key of the id)]) per id namespace."""
    groups: list[tuple[str, str, list[tuple[Path, Any, Any]]]] = [
        ("section id", "", [(("sections", i, "id"), s, "id") for i, s in enumerate(d["sections"])]),
        ("item id", "", [(p, it, "id") for p, it in items(d)]),
        ("brand id", "", [(("brands", i, "id"), b, "id") for i, b in enumerate(d["brands"])]),
        ("wave id", "", [(("waves", i, "id"), w, "id") for i, w in enumerate(d.get("waves") or [])]),
        ("indicator id", "", [((*p, "id"), n, "id") for p, n in nodes(d)]),
        ("construct id", "", [((*p, "id"), c, "id") for p, c in constructs(d)]),
        ("language", "", [(("languages", i), d["languages"], i) for i in range(len(d["languages"]))]),
    ]
    for p, it in items(d):
        if it.get("options"):
            groups.append(("option code", f" in item '{it['id']}'",
                           [((*p, "options", k, "code"), o, "code") for k, o in enumerate(it["options"])]))
    return [g for g in groups if len(g[2]) >= 2]


def inject_duplicate_id(draw: Draw, d: dict[str, Any]) -> Check:
    kind, where, entries = draw(st.sampled_from(_id_groups(d)))
    i = draw(st.integers(0, len(entries) - 2))
    j = draw(st.integers(i + 1, len(entries) - 1))
    (p1, c1, k1), (p2, c2, k2) = entries[i], entries[j]
    ident = c1[k1]
    c2[k2] = ident

    def check(text: str, found: list[Issue]) -> None:
        first = line_of_path(text, p1)
        expect(found, line_of_path(text, p2), f"duplicate {kind} '{ident}'{where} (first at line {first})")

    return check


def _ahp_node(draw: Draw, d: dict[str, Any], lo: int) -> tuple[Path, dict[str, Any], list[list[Fraction]]]:
    """A parent node and its (reciprocal) AHP matrix: its own, or all ones (CR = 0) put in place of its weights."""
    p, n = draw(st.sampled_from(parents(d, lo)))
    if "ahp" in n:
        m = [[Fraction(str(x)) if "/" in str(x) else Fraction(x) for x in row] for row in n["ahp"]]
    else:
        k = len(n["children"])
        m = [[Fraction(1)] * k for _ in range(k)]
        set_ahp(n, m)
    return p, n, m


def inject_ahp_not_reciprocal(draw: Draw, d: dict[str, Any]) -> Check:
    p, n, m = _ahp_node(draw, d, 2)
    k = len(m)
    r, c = draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))
    v = draw(st.sampled_from(SAATY))
    if r == c:
        assume(v != 1)
        what = "the diagonal must be 1"
        at: Path = (*p, "ahp", r, r)
    else:
        assume(v * m[c][r] != 1)
        i, j = min(r, c), max(r, c)
        after = [row[:] for row in m]
        after[r][c] = v
        what = (f"a[{i + 1}][{j + 1}] = {cell_value(after[i][j]):g} but "
                f"a[{j + 1}][{i + 1}] = {cell_value(after[j][i]):g}")
        at = (*p, "ahp", j, i)
    n["ahp"][r][c] = cell(v)
    msg = f"AHP matrix of '{n['id']}' is not reciprocal: {what}"
    return lambda text, found: expect(found, line_of_path(text, at), msg)


def inject_model_cycle(draw: Draw, d: dict[str, Any]) -> Check:
    paths = d["model"]["paths"]
    graph: dict[str, set[str]] = {}
    for src, dst in paths:
        graph.setdefault(src, set()).add(dst)

    def reach(s: str) -> set[str]:
        seen, stack = set(), [s]
        while stack:
            for v in graph.get(stack.pop(), ()):
                if v not in seen:
                    seen.add(v)
                    stack.append(v)
        return seen

    s = draw(st.sampled_from(sorted(graph)))
    t = draw(st.sampled_from(sorted(reach(s))))
    paths.append([t, s])
    edges = [tuple(e) for e in paths]

    def check(text: str, found: list[Issue]) -> None:
        (hit,) = [i for i in found if i.message.startswith("cycle in model paths: ")]
        cycle = hit.message.removeprefix("cycle in model paths: ").split(" -> ")
        steps = list(itertools.pairwise(cycle))
        assert cycle[0] == cycle[-1] and len(cycle) >= 3, hit
        assert all(e in edges for e in steps), (hit, edges)  # a real cycle of the paths
        assert (t, s) in steps, hit  # the definition was acyclic before the added path
        assert hit.line == line_of_path(text, ("model", "paths", edges.index(steps[0]))), hit

    return check


def _texts(d: dict[str, Any]) -> list[tuple[Path, str]]:
    """Every text with one entry per language, and how the loader names it."""
    out: list[tuple[Path, str]] = [((k,), k) for k in ("title", "intro", "organisation") if isinstance(d.get(k), dict)]
    for i, s in enumerate(d["sections"]):
        out.append((("sections", i, "title"), f"title of section '{s['id']}'"))
    for p, it in items(d):
        out.append(((*p, "text"), f"text of item '{it['id']}'"))
        for k, o in enumerate(it.get("options") or []):
            out.append(((*p, "options", k, "label"), f"label of option '{o['code']}' of item '{it['id']}'"))
    for i, w in enumerate(d.get("waves") or []):
        out.append((("waves", i, "label"), f"label of wave '{w['id']}'"))
    for i, b in enumerate(d["brands"]):
        out.append((("brands", i, "name"), f"name of brand '{b['id']}'"))
    for p, n in nodes(d):
        if isinstance(n.get("label"), dict):
            out.append(((*p, "label"), f"label of indicator '{n['id']}'"))
    for name, sc in d["scales"].items():
        if isinstance(sc.get("na_label"), dict):
            out.append((("scales", name, "na_label"), f"na_label of scale '{name}'"))
    for p, c in constructs(d):
        if isinstance(c.get("label"), dict):
            out.append(((*p, "label"), f"label of model construct '{c['id']}'"))
    return out


def inject_label_missing(draw: Draw, d: dict[str, Any]) -> Check:
    mode = draw(st.sampled_from(["text", "scale", "new language"]))
    if mode == "new language":
        lang = draw(st.sampled_from(["fr", "de", "ja", "ko", "es"]))
        d["languages"].append(lang)
        return lambda text, found: expect(found, line_of_path(text, ("title",)),
                                          f"title missing in language '{lang}'")
    lang = draw(st.sampled_from(d["languages"]))
    if mode == "scale":
        name = draw(st.sampled_from(sorted(d["scales"])))
        del d["scales"][name]["labels"][lang]
        msg = f"label missing in language '{lang}' for scale '{name}'"
        return lambda text, found: expect(found, line_of_path(text, ("scales", name, "labels")), msg)
    p, what = draw(st.sampled_from(_texts(d)))
    t = get(d, p)
    if len(t) > 1 and draw(st.booleans()):
        del t[lang]
        at = p
    else:
        t[lang] = draw(st.sampled_from(["", " ", "\t", "  \u3000 "]))
        at = (*p, lang)
    msg = f"{what} missing in language '{lang}'"
    return lambda text, found: expect(found, line_of_path(text, at), msg)


_BAD: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.one_of(WORD, st.floats(0.1, 0.9).map(lambda x: 3 + x), st.lists(st.integers(), min_size=1)),
    "boolean": st.one_of(WORD, st.integers(2, 99), st.lists(st.booleans(), min_size=1)),
    "number": st.one_of(WORD, st.lists(st.floats(0, 1), min_size=1), st.dictionaries(WORD, st.integers(), min_size=1)),
    "list": st.one_of(WORD, st.integers()),
    "dictionary": st.one_of(st.lists(WORD, min_size=1), st.integers()),
}


def _typed_fields(d: dict[str, Any]) -> list[tuple[Path, str, str]]:
    """(path of a field, how the loader names its owner, the type pydantic wants there)."""
    out: list[tuple[Path, str, str]] = [(("version",), "", "integer"), (("require_token",), "", "boolean"),
                                        (("languages",), "", "list")]
    for name in d["scales"]:
        out += [(("scales", name, "points"), f"scale '{name}'", "integer"),
                (("scales", name, "min"), f"scale '{name}'", "integer")]
    for i, s in enumerate(d["sections"]):
        out += [(("sections", i, "page"), f"section '{s['id']}'", "integer"),
                (("sections", i, "per_brand"), f"section '{s['id']}'", "boolean")]
    for p, it in items(d):
        owner = f"item '{it['id']}'"
        out += [((*p, key), owner, "boolean") for key in ("allow_na", "reverse", "required", "segment")]
        out.append(((*p, "text"), owner, "dictionary"))
        if it.get("options"):
            out.append(((*p, "options"), owner, "list"))
    for i, b in enumerate(d["brands"]):
        out.append((("brands", i, "own"), f"brand '{b['id']}'", "boolean"))
    for p, n in nodes(d)[1:]:
        out += [((*p, "weight"), f"indicator '{n['id']}'", "number"), ((*p, "equal"), f"indicator '{n['id']}'",
                                                                         "boolean")]
    if d.get("loyalty"):
        out += [(("loyalty", key), "loyalty", "integer") for key in ("defection_max", "loyalty_min")]
    return out


def inject_wrong_type(draw: Draw, d: dict[str, Any]) -> Check:
    path, owner, kind = draw(st.sampled_from(_typed_fields(d)))
    get(d, path[:-1])[path[-1]] = draw(_BAD[kind])
    msg = f"{path[-1]}: Input should be a valid {kind}"
    if owner:
        msg = f"{owner}: {msg}"

    def check(text: str, found: list[Issue]) -> None:
        expect(found, line_of_path(text, path), msg)
        if not owner:
            assert any(i.message.startswith(msg) for i in found), found

    return check


INJECTORS: dict[str, Injector] = {
    "weights": Injector(lambda d: bool(_weights_candidates(d)), inject_weights),
    "unknown_reference": Injector(lambda d: True, inject_unknown_reference),
    "item_used_twice": Injector(lambda d: len(leaves(d)) >= 2, inject_item_used_twice),
    "duplicate_id": Injector(lambda d: bool(_id_groups(d)), inject_duplicate_id),
    "ahp_not_reciprocal": Injector(lambda d: bool(parents(d, 2)), inject_ahp_not_reciprocal),
    "model_cycle": Injector(lambda d: bool((d.get("model") or {}).get("paths")), inject_model_cycle),
    "label_missing": Injector(lambda d: True, inject_label_missing),
    "wrong_type": Injector(lambda d: True, inject_wrong_type),
}
APPLIES = {name: [b for b, d in BASES.items() if inj.applies(d)] for name, inj in INJECTORS.items()}


@pytest.mark.parametrize("base", sorted(BASES))
def test_bases_are_valid_after_a_round_trip(base: str) -> None:
    """The injected cases start from definitions that load once dumped; each error class has somewhere to go."""
    assert check_text(dump(BASES[base]), FILE) == []
    assert all(APPLIES.values()), APPLIES


@pytest.mark.parametrize("name", sorted(INJECTORS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_injected_error_is_rejected_at_its_line(name: str, data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(APPLIES[name]), label="base")
    d = copy.deepcopy(BASES[base])
    check = INJECTORS[name].inject(data.draw, d)
    text = dump(d)
    check(text, rejected(text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_ahp_consistency_decides_acceptance(data: st.DataObject) -> None:
    """A random reciprocal matrix with CR >= 0.10 (recomputed here) is rejected naming its CR; one below loads."""
    base = data.draw(st.sampled_from([b for b, d in BASES.items() if parents(d, 3)]), label="base")
    d = copy.deepcopy(BASES[base])
    p, n, _ = _ahp_node(data.draw, d, 3)
    k = len(n["children"])
    if data.draw(st.booleans(), label="from weights"):  # near-consistent: rounded ratios of random weights
        w = data.draw(st.lists(st.integers(1, 9), min_size=k, max_size=k), label="weights")
        upper = {(i, j): min(SAATY, key=lambda s: abs(float(s) - w[i] / w[j])) for i in range(k)
                 for j in range(i + 1, k)}
    else:
        upper = {(i, j): data.draw(st.sampled_from(SAATY)) for i in range(k) for j in range(i + 1, k)}
    m = reciprocal(upper, k)
    cr = consistency_ratio(m)
    assume(cr >= 0.105 or cr <= 0.095)
    set_ahp(n, m)
    text = dump(d)
    if cr <= 0.095:
        assert isinstance(load_definition_text(text, FILE), SurveyDefinition)
        return
    found = rejected(text)
    fragment = f"AHP matrix of '{n['id']}' is inconsistent: CR = "
    expect(found, line_of_path(text, (*p, "ahp")), fragment)
    (hit,) = [i for i in found if fragment in i.message]
    reported = float(re.search(r"CR = ([0-9.]+) >= 0\.10", hit.message).group(1))  # type: ignore[union-attr]
    assert abs(reported - cr) <= 0.0015, (hit, cr)


def _flow_collections(text: str) -> list[tuple[int, int, int]]:
    """(start index, end index, line) of every flow-style ``{...}`` / ``[...]`` in the text."""
    out, stack = [], [_compose(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode | SequenceNode):
            if node.flow_style:
                out.append((node.start_mark.index, node.end_mark.index, node.start_mark.line + 1))
            kids = [v for kv in node.value for v in kv] if isinstance(node, MappingNode) else node.value
            stack.extend(kids)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_yaml_truncated_inside_a_flow_collection_is_a_syntax_error(data: st.DataObject) -> None:
    text = dump(BASES[data.draw(st.sampled_from(sorted(BASES)), label="base")])
    start, end, line = data.draw(st.sampled_from(_flow_collections(text)), label="collection")
    cut = text[: data.draw(st.integers(start + 1, end - 1), label="cut")]
    (issue,) = rejected(cut)
    assert issue.message.startswith("YAML syntax error"), issue
    assert line <= issue.line <= len(cut.splitlines()) + 1, (issue, line)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_yaml_truncated_before_the_sections_names_them_missing(data: st.DataObject) -> None:
    text = dump(BASES[data.draw(st.sampled_from(sorted(BASES)), label="base")])
    lines = text.splitlines()
    k = data.draw(st.integers(1, line_of_path(text, ("sections",)) - 1), label="lines kept")
    expect(rejected("\n".join(lines[:k]) + "\n"), 1, "missing required key 'sections'")


# ------------------------------------------------------------------------------------------ random edits
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
    loads_or_rejected("\n".join(lines) + "\n")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text: str) -> None:
    loads_or_rejected(text)


_byte_op = st.tuples(st.sampled_from(["flip", "insert", "delete", "repeat"]), st.integers(0, 10**6),
                     st.binary(min_size=1, max_size=8), st.integers(1, 64))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(BASES)), ops=st.lists(_byte_op, min_size=1, max_size=6))
def test_byte_mutations_of_a_file_load_or_raise_definition_error(base: str, ops: list[tuple[str, int, bytes, int]]
                                                                 ) -> None:
    """Bytes flipped, inserted, deleted or repeated anywhere (also inside multi-byte UTF-8 characters)."""
    raw = bytearray(dump(BASES[base]).encode("utf-8"))
    for op, at, junk, span in ops:
        i = at % max(len(raw), 1)
        if op == "flip" and raw:
            raw[i] ^= junk[0] or 0x80
        elif op == "insert":
            raw[i:i] = junk
        elif op == "delete":
            del raw[i:i + span]
        else:
            raw[i:i] = raw[i:i + span]
    with tempfile.TemporaryDirectory() as tmp:
        path = FsPath(tmp) / "fuzz.yaml"
        path.write_bytes(bytes(raw))
        try:
            d = load_definition(path)
        except DefinitionError as exc:
            assert exc.issues and all(i.file == str(path) and i.line >= 1 and i.message for i in exc.issues)
            assert check_file(path) == exc.issues
            try:
                text = bytes(raw).decode("utf-8")
            except UnicodeDecodeError:
                assert [i.message.startswith("not UTF-8 text") for i in exc.issues] == [True]
            else:
                assert all(i.line <= len(text.splitlines()) + 1 for i in exc.issues), exc.issues
        else:
            assert isinstance(d, SurveyDefinition) and check_file(path) == []


_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), _junk, WORD,
              st.sampled_from(["q_overall", "sat5", "zh", "1/3", "likert", "choice", "own"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(WORD, _junk), inner, max_size=4)),
    max_leaves=12,
)


def _all_paths(d: Any, p: Path = ()) -> list[Path]:
    out = [p]
    if isinstance(d, dict):
        for k, v in d.items():
            out += _all_paths(v, (*p, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += _all_paths(v, (*p, i))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_structure_mutations_load_or_raise_definition_error(data: st.DataObject) -> None:
    """Any node of the parsed definition replaced by random data, deleted, or swapped with another."""
    d = copy.deepcopy(BASES[data.draw(st.sampled_from(sorted(BASES)), label="base")])
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = [p for p in _all_paths(d) if p]
        p = data.draw(st.sampled_from(paths), label="path")
        holder = get(d, p[:-1])
        op = data.draw(st.sampled_from(["replace", "delete", "swap"]), label="op")
        if op == "replace":
            holder[p[-1]] = data.draw(_value, label="value")
        elif op == "delete":
            del holder[p[-1]]
        else:
            q = data.draw(st.sampled_from(paths), label="other")
            if p[: len(q)] == q or q[: len(p)] == p:  # one inside the other: a swap would nest a node in itself
                continue
            other = get(d, q[:-1])
            holder[p[-1]], other[q[-1]] = copy.deepcopy(other[q[-1]]), copy.deepcopy(holder[p[-1]])
    loads_or_rejected(dump(d))
