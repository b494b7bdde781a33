"""``show_if`` conditions: parsed once into a typed tree, bound to codes, evaluated on every submission.

An item, a section or a per-brand section may carry ``show_if``, a small expression over answers asked before
it::

    q_complained == yes
    q_overall <= 2 and not q_region in [urban]
    q_region in [rural, suburban] or (q_age == "65plus" and q_recommend < 7)

**Grammar.** The text is parsed by Python's ``ast`` (``mode="eval"``) and then walked under a strict whitelist:
``and``, ``or``, ``not``, parentheses, and comparisons ``ITEM OP VALUE`` with ``==``, ``!=``, ``<``, ``<=``,
``>``, ``>=``, or ``ITEM in [V, ...]`` / ``ITEM not in [V, ...]``. The left side is an item id; a value is a bare
word, a quoted string or a number. Anything else (attribute access, calls, lambdas, f-strings, comprehensions,
arithmetic, subscripts, chained comparisons) is refused with a message naming it. Nothing is ever evaluated by
Python: the tree is translated into `Expr` nodes and only those are interpreted.

**Values** are read by the referenced item's codec (`survey_defs.codebook.items.ItemCodec.parse`), exactly as
an answer to that item would be: ``yes``/``no``/``是``/``否`` for yes/no items, option codes or labels for choice
items, scale values or labels for likert and nps items. ``<``-style comparisons need an item on a scale
(likert or nps) and compare the raw value as answered (reverse coding does not apply).

**Evaluation** is on the stored codes of one respondent (and, inside a per-brand section, of one brand). A
comparison whose item is unanswered (-1), not applicable (-2) or itself hidden (-3) is *false*, whatever the
operator: ``q != yes`` is false for someone who did not answer ``q``. ``not`` negates the result, so
``not q == yes`` is true for them. Each comparison is bound once to a closure over a frozenset or a threshold,
so evaluating a condition costs a few dictionary-free comparisons per submission (`Bound.test`); `Bound.mask`
evaluates the same tree over arrays of respondents (import, simulation), with the same semantics.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from numpy.typing import NDArray

from survey_defs.schema import NA_CODE

#: The codec's refusal of an N/A word for an item without allow_na (survey_defs.codebook.items.NA_REFUSED).
NA_REFUSED = "'not applicable' is not allowed for this item"

if TYPE_CHECKING:  # the codebook imports this module; it is only needed for annotations here
    from survey_defs.codebook.items import ItemCodec

#: A condition longer than this is refused (a definition, not a program).
MAX_LENGTH = 1000
#: Deeper nesting than this is refused.
MAX_DEPTH = 30

Value = Union[str, int, float, bool]  # noqa: UP007
ORDERED = ("<", "<=", ">", ">=")
_OPS: dict[type[ast.cmpop], str] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
                                    ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}
#: How refused constructs are named in messages.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access", ast.Call: "a function call", ast.Lambda: "a lambda",
    ast.JoinedStr: "an f-string", ast.FormattedValue: "an f-string", ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Subscript: "a subscript", ast.BinOp: "arithmetic", ast.IfExp: "an if-expression",
    ast.NamedExpr: "an assignment", ast.Starred: "a starred expression", ast.Dict: "a dictionary",
    ast.Set: "a set", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "a slice",
}


class ConditionError(ValueError):
    """A condition that cannot be parsed or does not fit the definition; the message says why."""


# ---------------------------------------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Compare:
    """``item op values``: one value for ==, != and the ordered operators, a list for ``in`` / ``not in``."""

    item: str
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    part: Expr


Expr = Union[Compare, AllOf, AnyOf, Not]  # noqa: UP007


def items_of(e: Expr) -> list[str]:
    """The item ids a condition refers to, in order of appearance (repeats kept once)."""
    out: list[str] = []
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Compare):
            if x.item not in out:
                out.append(x.item)
        elif isinstance(x, Not):
            stack.append(x.part)
        else:
            stack.extend(reversed(x.parts))
    return out


# ---------------------------------------------------------------------------------------------- parsing
def parse(text: str) -> Expr:
    """Parse a ``show_if`` text into an `Expr`; `ConditionError` says what is wrong (never evaluates Python)."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("show_if is empty; write a condition such as q_complained == yes")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"show_if is longer than {MAX_LENGTH} characters")
    src = " ".join(text.split())  # YAML folded lines; Python's parser would refuse a bare newline
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        hint = " (compare with ==, not =)" if "=" in src and "==" not in src and "!=" not in src else ""
        col = f" at column {e.offset}" if e.offset else ""
        raise ConditionError(f"syntax error in show_if{col}: {e.msg}{hint}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ConditionError("show_if cannot be parsed (too deeply nested?)") from None
    return _expr(tree.body, 0)


def _refuse(node: ast.AST) -> ConditionError:
    what = _REFUSED.get(type(node), type(node).__name__)
    return ConditionError(f"show_if cannot contain {what}; only comparisons of items joined by and, or, not")


def _expr(node: ast.AST, depth: int) -> Expr:
    if depth > MAX_DEPTH:
        raise ConditionError(f"show_if is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.BoolOp):
        parts = tuple(_expr(v, depth + 1) for v in node.values)
        return AllOf(parts) if isinstance(node.op, ast.And) else AnyOf(parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_expr(node.operand, depth + 1))
    if isinstance(node, ast.Compare):
        return _compare(node)
    if isinstance(node, ast.Name | ast.Constant):
        raise ConditionError("show_if needs a comparison, e.g. q_complained == yes (a bare item or value is not "
                             "a condition)")
    raise _refuse(node)


def _compare(node: ast.Compare) -> Compare:
    if len(node.ops) != 1:
        raise ConditionError("show_if compares one item at a time; join comparisons with and (a < q and q < b)")
    if not isinstance(node.left, ast.Name):
        if isinstance(node.left, ast.Constant | ast.List | ast.Tuple) or _number(node.left) is not None:
            raise ConditionError("the item goes on the left of a comparison in show_if (q_overall <= 2)")
        raise _refuse(node.left)
    op = _OPS.get(type(node.ops[0]))
    if op is None:
        raise ConditionError("show_if compares with ==, !=, <, <=, >, >=, in or not in (not is / is not)")
    right = node.comparators[0]
    if op in ("in", "not in"):
        if not isinstance(right, ast.List | ast.Tuple):
            raise ConditionError(f"'{op}' needs a list of values in brackets, e.g. q_region in [rural, suburban]")
        if not right.elts:
            raise ConditionError(f"'{op}' needs at least one value in its list")
        values = tuple(_literal(v) for v in right.elts)
    else:
        if isinstance(right, ast.List | ast.Tuple):
            raise ConditionError(f"a list of values needs 'in', not '{op}' (q_region in [rural, suburban])")
        values = (_literal(right),)
    return Compare(node.left.id, op, values)


def _number(node: ast.AST) -> int | float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = node.operand
        if isinstance(inner, ast.Constant) and type(inner.value) in (int, float):
            return -inner.value if isinstance(node.op, ast.USub) else inner.value
    return None


def _literal(node: ast.AST) -> Value:
    """A value: a bare word (read as text), a quoted string, a number or True/False."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and type(node.value) in (str, int, float, bool):
        return node.value  # type: ignore[no-any-return]
    n = _number(node)
    if n is not None:
        return n
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        raise ConditionError("a value with a hyphen must be quoted in show_if, e.g. q_age == \"20-34\"")
    if isinstance(node, ast.Constant):
        raise ConditionError(f"show_if cannot compare with {node.value!r}")
    raise _refuse(node)


# ---------------------------------------------------------------------------------------------- binding
def check(e: Expr, codec: Callable[[str], ItemCodec | None], text_items: frozenset[str] = frozenset()
          ) -> list[str]:
    """Every reason the values of ``e`` do not fit the items they are compared with (empty when they do).

    ``codec`` gives an item's codec (None for an unknown item, reported here too).
    """
    problems: list[str] = []
    for c in _compares(e):
        if c.item in text_items:
            problems.append(f"text item '{c.item}' cannot be used in show_if (only coded items: likert, nps, "
                            "yes_no, choice)")
            continue
        cod = codec(c.item)
        if cod is None:
            problems.append(f"refers to unknown item '{c.item}'")
            continue
        try:
            _codes(c, cod)
        except ConditionError as err:
            problems.append(str(err))
    return problems


def _compares(e: Expr) -> list[Compare]:
    out: list[Compare] = []
    stack: list[Expr] = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, Compare):
            out.append(x)
        elif isinstance(x, Not):
            stack.append(x.part)
        else:
            stack.extend(reversed(x.parts))
    return out


def _codes(c: Compare, cod: ItemCodec) -> tuple[int, ...]:
    it = cod.item
    if c.op in ORDERED and it.type not in ("likert", "nps"):
        raise ConditionError(f"type mismatch: '{c.op}' needs an item on a scale, but '{it.id}' is a {it.type} "
                             "item (use == or in)")
    out = []
    for v in c.values:
        if it.type == "choice" and type(v) in (int, float) and str(v) not in cod.exact:
            raise ConditionError(f"type mismatch: the number {v!r} is compared with choice item '{it.id}'; its "
                                 f"options are {', '.join(o.code for o in it.options or [])}")
        if it.type == "choice" and type(v) is bool:
            raise ConditionError(f"type mismatch: {v!r} is compared with choice item '{it.id}'")
        try:
            code = cod.parse(v)
        except ValueError as err:
            if str(err) == NA_REFUSED:
                raise ConditionError(f"show_if cannot compare '{it.id}' with not applicable ({v!r}); an N/A answer "
                                     "already makes a comparison false") from None
            if it.type == "choice":
                raise ConditionError(f"unknown option {v!r} of item '{it.id}' in show_if; its options are "
                                     f"{', '.join(o.code for o in it.options or [])}") from None
            kind = "yes or no" if it.type == "yes_no" else f"a value ({cod.lo}..{cod.hi}) or label of the scale"
            raise ConditionError(f"type mismatch: {v!r} is not {kind} of {it.type} item '{it.id}'") from None
        if code < 0:
            what = "not applicable" if code == NA_CODE else "an empty answer"
            raise ConditionError(f"show_if cannot compare '{it.id}' with {what} ({v!r}); an unanswered or N/A "
                                 "item already makes a comparison false")
        out.append(code)
    return tuple(out)


Lookup = Callable[[str], "tuple[bool, int, ItemCodec]"]
"""An item id -> (per brand, column in its code array, codec)."""


@dataclass(frozen=True)
class Bound:
    """A condition bound to code columns: ``test(resp, brand_row)`` for one respondent (and one brand),
    ``mask(resp, brand_rows)`` over arrays of respondents. ``text`` is the condition as written."""

    text: str
    test: Callable[[Sequence[int], Sequence[int] | None], bool]
    mask: Callable[[NDArray[np.integer], NDArray[np.integer] | None], NDArray[np.bool_]]
    items: tuple[str, ...]


def bind(text: str, lookup: Lookup) -> Bound:
    """Parse ``text`` and bind it to the code columns ``lookup`` gives; `ConditionError` if it does not fit."""
    e = parse(text)
    test, mask = _bind(e, lookup)
    return Bound(" ".join(text.split()), test, mask, tuple(items_of(e)))


def _bind(e: Expr, lookup: Lookup) -> tuple[Callable[..., bool], Callable[..., NDArray[np.bool_]]]:
    if isinstance(e, Not):
        t, m = _bind(e.part, lookup)
        return (lambda r, b: not t(r, b)), (lambda r, b: ~m(r, b))
    if isinstance(e, AllOf | AnyOf):
        parts = [_bind(p, lookup) for p in e.parts]
        tests = tuple(t for t, _ in parts)
        masks = tuple(m for _, m in parts)
        if isinstance(e, AllOf):
            return (lambda r, b: all(t(r, b) for t in tests)), (lambda r, b: np.logical_and.reduce(
                [m(r, b) for m in masks]))
        return (lambda r, b: any(t(r, b) for t in tests)), (lambda r, b: np.logical_or.reduce(
            [m(r, b) for m in masks]))
    return _bind_compare(e, lookup)


def _bind_compare(c: Compare, lookup: Lookup) -> tuple[Callable[..., bool], Callable[..., NDArray[np.bool_]]]:
    per_brand, col, cod = lookup(c.item)
    codes = _codes(c, cod)
    if per_brand:
        def get(r: Sequence[int], b: Sequence[int] | None) -> int:
            return -1 if b is None else int(b[col])

        def arr(r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.integer]:
            if b is None:
                return np.full(r.shape[0], -1, dtype=np.int16)
            return b[:, col]
    else:
        def get(r: Sequence[int], b: Sequence[int] | None) -> int:
            return int(r[col])

        def arr(r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.integer]:
            return r[:, col]

    op = c.op
    if op in ("==", "in", "!=", "not in"):
        keep = frozenset(codes)
        want = np.array(sorted(keep), dtype=np.int16)
        if op in ("==", "in"):
            def test_in(r: Sequence[int], b: Sequence[int] | None) -> bool:
                return get(r, b) in keep

            def mask_in(r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.bool_]:
                return np.isin(arr(r, b), want)
            return test_in, mask_in

        def test_out(r: Sequence[int], b: Sequence[int] | None) -> bool:
            x = get(r, b)
            return x >= 0 and x not in keep

        def mask_out(r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.bool_]:
            a = arr(r, b)
            return (a >= 0) & ~np.isin(a, want)
        return test_out, mask_out
    v = codes[0]
    f: Callable[[Any, int], Any] = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def test_ord(r: Sequence[int], b: Sequence[int] | None) -> bool:
        x = get(r, b)
        return x >= 0 and bool(f(x, v))

    def mask_ord(r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.bool_]:
        a = arr(r, b)
        return (a >= 0) & f(a, v)
    return test_ord, mask_ord
