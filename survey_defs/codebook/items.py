"""What one item accepts as an answer, and the code each answer is stored as.

Codes (docs/DESIGN.md, "Answer codes"): likert/nps store the raw scale value, yes/no 1/0, choice the option's
0-based index; ``-1`` is not answered, ``-2`` is "not applicable / don't know" and ``-3`` is "not asked" (hidden
by ``show_if``; written as an empty cell, and read back from one by `Codebook.hidden_rows`).

The spellings accepted are the same whatever the door: a JSON number or string, a form field, a CSV or XLSX cell.
For every item: an empty value is not answered. By type:

- likert/nps: the integer (``5``, ``"5"``, ``5.0``, ``"5.0"``) within the scale, or a scale label in any of the
  definition's languages;
- yes/no: ``1``/``0``, ``true``/``false``, ``yes``/``no``, ``y``/``n``, ``是``/``否`` (any case), JSON booleans;
- choice: the option code or an option label in any language (exact first, then ignoring case).

**One N/A policy.** The N/A words (`NA_WORDS`, any case) and the scale's own ``na_label`` texts mean "not
applicable / don't know" for any coded item, and are accepted only when the item has ``allow_na: true``;
otherwise they are refused, naming the item. A choice option whose code happens to be an N/A word is an option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, NA_CODE, Item, SurveyDefinition

#: Words meaning "not applicable / don't know", compared ignoring case.
NA_WORDS: frozenset[str] = frozenset({"na", "n/a", "dk", "not applicable", "don't know", "不适用", "不知道", "不清楚"})
YES_WORDS: frozenset[str] = frozenset({"yes", "y", "true", "1", "是"})
NO_WORDS: frozenset[str] = frozenset({"no", "n", "false", "0", "否"})
#: How a stored yes/no code reads with labels.
YES_NO_LABELS: dict[str, tuple[str, str]] = {"zh": ("否", "是"), "en": ("No", "Yes")}

NA_REFUSED = "'not applicable' is not allowed for this item"


@dataclass(frozen=True)
class ItemCodec:
    """How one coded item's raw answers become int16 codes, and back.

    ``column`` is the item's position in its stored array (respondent items, or per-brand items when
    ``per_brand``). ``exact`` maps every accepted string spelling (stripped) to its code; ``folded`` maps the
    case-folded spellings that are unambiguous. ``fast`` holds the exact JSON values most answers arrive as.
    """

    item: Item
    column: int
    per_brand: bool
    lo: int
    hi: int
    exact: dict[str, int]
    folded: dict[str, int]
    fast: dict[Any, int] = field(repr=False)
    scale_labels: dict[str, list[str]]
    na_text: dict[str, str]

    @property
    def id(self) -> str:
        return self.item.id

    def parse(self, raw: Any) -> int:
        """One raw answer (JSON value, form field or table cell) to its code; ValueError says what is wrong."""
        if type(raw) is not bool:  # True == 1 as a dict key, but True is no answer on a 1..5 scale
            code = self.fast.get(raw)
            if code is not None:
                return code
        return self._parse_slow(raw)

    def _parse_slow(self, raw: Any) -> int:
        it = self.item
        if raw is None:
            return MISSING_CODE
        if isinstance(raw, bool):
            if it.type == "yes_no":
                return int(raw)
            raise ValueError(self._expected(raw))
        if isinstance(raw, int | float):
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(self._expected(raw))
            return self._in_range(int(raw), raw) if it.type != "choice" else self._from_string(str(int(raw)), raw)
        if not isinstance(raw, str):
            raise ValueError(self._expected(raw))
        return self._from_string(raw.strip(), raw)

    def _from_string(self, s: str, raw: Any) -> int:
        if s == "":
            return MISSING_CODE
        code = self.exact.get(s)
        if code is None:
            code = self.folded.get(s.casefold())
        if code is not None:
            if code == NA_CODE and not self.item.allow_na:
                raise ValueError(NA_REFUSED)
            return code
        if self.item.type in ("likert", "nps", "yes_no"):
            number = _integer(s)
            if number is not None:
                return self._in_range(number, raw)
        raise ValueError(self._expected(raw))

    def _in_range(self, v: int, raw: Any) -> int:
        if not self.lo <= v <= self.hi:
            if self.item.type == "yes_no":
                raise ValueError(f"{raw!r} is not yes or no")
            raise ValueError(f"{raw!r} is out of range {self.lo}..{self.hi}")
        return v

    def _expected(self, raw: Any) -> str:
        it = self.item
        if it.type == "choice":
            return f"{raw!r} is not one of the options {[o.code for o in it.options or []]}"
        if it.type == "yes_no":
            return f"{raw!r} is not yes or no"
        na = " or N/A" if it.allow_na else ""
        return f"expected a number from {self.lo} to {self.hi}{na} (or a label of the scale), got {raw!r}"

    def parse_many(self, values: Sequence[Any]) -> tuple[NDArray[np.int16], dict[int, str]]:
        """`parse` over distinct values (a column factorized by the caller): their codes, and the message for
        each position that is refused (its code is then ``-1``)."""
        codes = np.full(len(values), MISSING_CODE, dtype=np.int16)
        problems: dict[int, str] = {}
        for k, v in enumerate(values):
            try:
                codes[k] = self.parse(v)
            except ValueError as e:
                problems[k] = str(e)
        return codes, problems

    def render(self, code: int, labels: str | None = None) -> Any:
        """A stored code back to its JSON/table value: number, option code, ``"NA"``, None; or a label in
        ``labels`` (a language), which `parse` reads back to the same code."""
        if code in (MISSING_CODE, HIDDEN_CODE):
            return None
        it = self.item
        if code == NA_CODE:
            return (self.na_text.get(labels) or "NA") if labels else "NA"
        if it.type == "choice":
            opt = (it.options or [])[code]
            return (opt.label.get(labels) or opt.code) if labels else opt.code
        if it.type == "yes_no":
            pair = YES_NO_LABELS.get(labels or "")
            return pair[code] if pair else code
        if labels and it.type == "likert" and labels in self.scale_labels:
            labs = self.scale_labels[labels]
            k = code - self.lo
            if 0 <= k < len(labs) and labs[k].strip():
                return labs[k]
        return code


def _integer(s: str) -> int | None:
    """``"5"``, ``"-1"``, ``"5.0"`` as int; anything else None (a CSV from Excel may write 5 as 5.0)."""
    t = s[1:] if s[:1] in "+-" else s
    if t.isdigit():
        return int(s)
    head, dot, tail = t.partition(".")
    if dot and head.isdigit() and tail and set(tail) == {"0"}:
        return int(s.split(".")[0])
    return None


def compile_item(definition: SurveyDefinition, it: Item, column: int, per_brand: bool) -> ItemCodec:
    """The codec of one coded item of ``definition``."""
    exact: dict[str, int] = {}
    folded: dict[str, int] = {}
    ambiguous: set[str] = set()
    scale_labels: dict[str, list[str]] = {}
    na_text: dict[str, str] = {}

    def add(spelling: str, code: int) -> None:
        s = spelling.strip()
        if not s:
            return
        exact.setdefault(s, code)
        f = s.casefold()
        if folded.get(f, code) != code:
            ambiguous.add(f)
        folded.setdefault(f, code)

    lo, hi = 0, 1
    if it.type in ("likert", "nps") and it.scale:
        sc = definition.scales[it.scale]
        lo, hi, scale_labels = sc.min, sc.max, sc.labels
        for v in sc.values:
            add(str(v), v)
        for labels in sc.labels.values():
            for k, lab in enumerate(labels):
                if _integer(lab.strip()) is None:  # a 0-10 scale labelled "0".."10" adds nothing
                    add(lab, sc.min + k)
        na_text = {lang: t for lang, t in (sc.na_label or {}).items() if t.strip()}
    elif it.type == "choice":
        opts = it.options or []
        lo, hi = 0, len(opts) - 1
        for k, o in enumerate(opts):
            add(o.code, k)
        for k, o in enumerate(opts):
            for lab in o.label.values():
                add(lab, k)
    elif it.type == "yes_no":
        for w in YES_WORDS:
            add(w, 1)
        for w in NO_WORDS:
            add(w, 0)
        for zh_en in YES_NO_LABELS.values():
            add(zh_en[0], 0)
            add(zh_en[1], 1)
    # N/A spellings come last: an option or label that is spelled like an N/A word keeps its meaning.
    for w in (*NA_WORDS, *na_text.values()):
        add(w, NA_CODE)
    for f in ambiguous:
        del folded[f]

    fast: dict[Any, int] = {None: MISSING_CODE, "": MISSING_CODE}
    if it.type in ("likert", "nps"):
        fast.update({v: v for v in range(lo, hi + 1)})
        fast.update({str(v): v for v in range(lo, hi + 1)})
        if it.allow_na:
            fast.update({"NA": NA_CODE, "na": NA_CODE})
    elif it.type == "choice":
        fast.update({o.code: k for k, o in enumerate(it.options or [])})
    elif it.type == "yes_no":
        fast.update({0: 0, 1: 1, "yes": 1, "no": 0, "1": 1, "0": 0})
    return ItemCodec(it, column, per_brand, lo, hi, exact, folded, fast, scale_labels, na_text)
