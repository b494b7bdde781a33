"""Which items a respondent is asked: the definition's ``show_if`` conditions bound to the code columns.

An item is asked when its section's condition and its own both hold (survey_defs.conditions). Conditions are
evaluated in definition order on the codes already filled in, and a hidden item's code becomes ``HIDDEN_CODE``
(-3, "not asked") before later conditions are evaluated, so a condition on a hidden item is false
(docs/DESIGN.md, "Answer codes"). Conditions of per-brand items are evaluated once per brand rated, on that
brand's answers.

`Visibility.hide` is the one-respondent form every door uses (the codebook's ``encode``, the web pages);
`Visibility.masks` evaluates the same bound trees over arrays of rows (import, simulation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from survey_defs.codebook.items import ItemCodec
from survey_defs.codebook.table import text_key
from survey_defs.conditions import Bound, ConditionError, bind
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, SurveyDefinition


@dataclass(frozen=True)
class Hidden:
    """The items one respondent's answers hide: respondent-level ids, ids per brand, and whether the per-brand
    block is asked at all (False when a condition hides every per-brand item whatever the brand)."""

    items: frozenset[str]
    per_brand: dict[str, frozenset[str]]
    brands_asked: bool

    def hides(self, item_id: str, brand: str | None = None) -> bool:
        if brand is None:
            return item_id in self.items
        return item_id in self.per_brand.get(brand, frozenset())


@dataclass(frozen=True)
class Conditional:
    """One item asked only under ``bounds`` (its section's condition, its own); ``column`` None for text."""

    item_id: str
    column: int | None
    bounds: tuple[Bound, ...]

    @property
    def text(self) -> str:
        """The condition as a message quotes it: one condition as written, several joined by ``and``."""
        if len(self.bounds) == 1:
            return self.bounds[0].text
        return " and ".join(f"({b.text})" for b in self.bounds)

    def failing(self, resp: list[int], row: list[int] | None) -> bool:
        return not all(b.test(resp, row) for b in self.bounds)


class Visibility:
    """The conditional items of one definition, in definition order, split by where their codes live."""

    def __init__(self, d: SurveyDefinition, codecs: Mapping[str, ItemCodec]) -> None:
        def lookup(item_id: str) -> tuple[bool, int, ItemCodec]:
            c = codecs.get(item_id)
            if c is None:
                raise ConditionError(f"show_if refers to '{item_id}', which is not a coded item")
            return c.per_brand, c.column, c

        self.resp: list[Conditional] = []
        self.brand: list[Conditional] = []
        for s in d.sections:
            sec = (bind(s.show_if, lookup),) if s.show_if else ()
            for it in s.items:
                bounds = sec + ((bind(it.show_if, lookup),) if it.show_if else ())
                if not bounds:
                    continue
                c = codecs.get(it.id)
                entry = Conditional(it.id, None if c is None else c.column, bounds)
                (self.brand if s.per_brand else self.resp).append(entry)
        self.any = bool(self.resp or self.brand)
        self._n_brand_items = len(d.brand_item_ids)
        conditional = {c.item_id for c in self.brand if c.column is not None}
        #: Whether every coded per-brand item is conditional (only then can the whole block be hidden).
        self._block_conditional = bool(d.brand_item_ids) and conditional >= set(d.brand_item_ids)

    def hide(self, resp: list[int], row: list[int] | None, texts: Mapping[str, str], brand: str | None
             ) -> list[tuple[str, str, bool]]:
        """Hide what ``resp`` (and, for ``brand``, its ``row``) hides: set those codes to -3 in place and return
        (item id, condition, whether it was answered) for each hidden item, in definition order."""
        out: list[tuple[str, str, bool]] = []
        target = resp if row is None else row
        for c in (self.resp if row is None else self.brand):
            if not c.failing(resp, row):
                continue
            if c.column is None:
                out.append((c.item_id, c.text, bool(texts.get(text_key(c.item_id, brand)))))
            else:
                out.append((c.item_id, c.text, target[c.column] != MISSING_CODE))
                target[c.column] = HIDDEN_CODE
        return out

    def brands_asked(self, resp: list[int]) -> bool:
        """False when the respondent's answers hide every per-brand item for any brand (see module docstring):
        evaluated on an empty brand row, since the first per-brand item cannot depend on per-brand answers."""
        if not self._block_conditional:
            return True
        row = [MISSING_CODE] * self._n_brand_items
        hidden = {i for i, _, _ in self.hide(list(resp), row, {}, None)}
        return not all(c.item_id in hidden for c in self.brand if c.column is not None)

    def masks(self, resp: NDArray[np.integer], rows: NDArray[np.integer] | None
              ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], dict[str, NDArray[np.bool_]]]:
        """Over n rows at once: which respondent-level codes, which per-brand codes (of the brand of each row in
        ``rows``, (n, n_brand_items), or None) are hidden, and per conditional text item which rows hide it.
        The same conditions, in the same order, with the same -3 propagation as `hide`."""
        r = np.array(resp, dtype=np.int16, copy=True)
        hr = np.zeros(r.shape, dtype=bool)
        texts: dict[str, NDArray[np.bool_]] = {}
        for c in self.resp:
            m = _failing(c, r, None)
            if c.column is None:
                texts[c.item_id] = m
            else:
                hr[:, c.column] = m
                r[m, c.column] = HIDDEN_CODE
        if rows is None:
            return hr, np.zeros((r.shape[0], self._n_brand_items), dtype=bool), texts
        b = np.array(rows, dtype=np.int16, copy=True)
        hb = np.zeros(b.shape, dtype=bool)
        for c in self.brand:
            m = _failing(c, r, b)
            if c.column is None:
                texts[c.item_id] = m
            else:
                hb[:, c.column] = m
                b[m, c.column] = HIDDEN_CODE
        return hr, hb, texts

    def condition(self, item_id: str) -> str | None:
        """The condition an item is shown under, as messages quote it; None when it is always asked."""
        for c in (*self.resp, *self.brand):
            if c.item_id == item_id:
                return c.text
        return None


def _failing(c: Conditional, r: NDArray[np.integer], b: NDArray[np.integer] | None) -> NDArray[np.bool_]:
    ok = np.ones(r.shape[0], dtype=bool)
    for bound in c.bounds:
        ok &= bound.mask(r, b)
    return ~ok
