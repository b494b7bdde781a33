"""`Codebook`: the compiled view of one definition version that validates, encodes and decodes answers.

One instance per definition (versions are immutable, so `codebook_of` and `definition_from_json` cache them).
`encode` collects every problem of a submission before refusing it, each naming its item, so a web form or an
API client can fix everything in one round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from survey_defs.codebook.items import ItemCodec, compile_item
from survey_defs.codebook.table import CODE_DTYPE, pack_codes, split_text_key, text_key
from survey_defs.codebook.text import MAX_TEXT, clean_text
from survey_defs.codebook.visibility import Hidden, Visibility
from survey_defs.schema import MISSING_CODE, SurveyDefinition

Loc = list[Any]

#: The message refusing a submission that leaves out our own brand under ``brand_options.own_required``.
OWN_REQUIRED = "our own brand {brand!r} must be rated (brand_options.own_required)"


class AnswerErrors(ValueError):
    """Answers that cannot be stored; ``errors`` holds every (location, message) pair found."""

    def __init__(self, errors: list[tuple[Loc, str]]):
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors


class Encoded(NamedTuple):
    """One respondent's answers as stored: the two code blobs and the texts object (JSON, or None)."""

    answers: bytes
    brand_answers: bytes
    texts: str | None


class Codebook:
    """Every rule about one definition's answers: spellings, N/A, required items, brands, waves, packing."""

    def __init__(self, definition: SurveyDefinition):
        d = self.definition = definition
        self.resp_ids = d.respondent_item_ids
        self.brand_item_ids = d.brand_item_ids
        self.brand_ids = d.brand_ids
        self.codecs: dict[str, ItemCodec] = {}
        for col, iid in enumerate(self.resp_ids):
            self.codecs[iid] = compile_item(d, d.item(iid), col, per_brand=False)
        for col, iid in enumerate(self.brand_item_ids):
            self.codecs[iid] = compile_item(d, d.item(iid), col, per_brand=True)
        self.text_ids = frozenset(d.text_item_ids)
        self.per_brand_text = frozenset(i for i in self.text_ids if d.is_per_brand(i))
        self.wave_ids = d.wave_ids()
        self.brand_pos = {b: k for k, b in enumerate(self.brand_ids)}
        own = [b.id for b in d.brands if b.own]
        #: The sponsoring brand every respondent rates (None when it may be left out, or nothing is rated per brand).
        self.own_required = own[0] if own and d.brand_options.own_required and self.brand_item_ids else None
        self.required_resp = [(self.codecs[i].column, i) for i in self.resp_ids if self.codecs[i].item.required]
        self.required_brand = [(self.codecs[i].column, i) for i in self.brand_item_ids if self.codecs[i].item.required]
        self.required_text = [i for i in sorted(self.text_ids - self.per_brand_text) if d.item(i).required]
        self._brand_names: dict[str, int] = {}
        for k, b in enumerate(d.brands):
            self._brand_names.setdefault(b.id, k)
        for k, b in enumerate(d.brands):
            for name in b.name.values():
                self._brand_names.setdefault(name.strip(), k)
        self._wave_names: dict[str, str] = {w.id: w.id for w in d.waves}
        for w in d.waves:
            for label in w.label.values():
                self._wave_names.setdefault(label.strip(), w.id)
        self.visibility = Visibility(d, self.codecs)

    # ------------------------------------------------------------------ lookups
    def brand_index(self, value: str) -> int:
        """Position of a brand given by id or by its name in any language; empty = our own brand."""
        v = value.strip()
        if v == "":
            return self.brand_ids.index(self.definition.own_brand.id)
        k = self._brand_names.get(v)
        if k is None:
            raise ValueError(f"unknown brand {value!r}; brands are {self.brand_ids}")
        return k

    def wave_id(self, value: str | None) -> str | None:
        """A wave given by id or by its label in any language, as its id; empty = none given."""
        if value is None or value.strip() == "":
            return None
        w = self._wave_names.get(value.strip())
        if w is None:
            raise ValueError(f"unknown wave {value!r}; waves are {self.wave_ids}")
        return w

    def text(self, item_id: str, raw: Any) -> str | None:
        """A free-text answer as stored (None when empty); ValueError says why it cannot be."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise ValueError("expected text")
        if len(raw) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters")
        return clean_text(raw) or None

    # ------------------------------------------------------------------ encode
    def encode(
        self,
        answers: Mapping[str, Any] | None,
        brands: Mapping[str, Mapping[str, Any]] | None,
        *,
        fixed: Mapping[str, Any] | None = None,
    ) -> Encoded:
        """Validate one respondent's answers and pack them; raises `AnswerErrors` naming every bad item.

        ``fixed`` holds answers known in advance (an invitation's segment values): they win over the form.
        """
        errors: list[tuple[Loc, str]] = []
        resp = [MISSING_CODE] * len(self.resp_ids)
        brand = [[MISSING_CODE] * len(self.brand_item_ids) for _ in self.brand_ids]
        texts: dict[str, str] = {}
        merged = dict(answers or {})
        if fixed:
            merged.update(fixed)
        codecs = self.codecs
        for iid, raw in merged.items():
            c = codecs.get(iid)
            # Fast path: a known item and an exact, valid value (most answers); anything else is explained below.
            if c is not None and not c.per_brand and type(raw) is not bool:
                code = c.fast.get(raw)
                if code is not None:
                    resp[c.column] = code
                    continue
            self._put(iid, raw, resp, texts, errors, ["answers", iid], brand_id=None)
        vis = self.visibility
        hidden_text: set[str] = set()
        if vis.resp:
            for iid, why, answered in vis.hide(resp, None, texts, None):
                if answered:
                    errors.append((["answers", iid], f"not asked: shown only if {why}"))
                hidden_text.add(iid)
        brands = brands or {}
        if self.brand_item_ids and not brands and vis.brands_asked(resp):
            errors.append((["brands"], "rate at least one brand"))
        elif self.own_required is not None and self.own_required not in brands:
            errors.append((["brands"], OWN_REQUIRED.format(brand=self.own_required)))
        for b, items in brands.items():
            bi = self.brand_pos.get(b)
            if bi is None:
                errors.append((["brands", b], f"unknown brand {b!r}; brands are {self.brand_ids}"))
                continue
            if not isinstance(items, Mapping):
                errors.append((["brands", b], "expected an object of item answers"))
                continue
            row = brand[bi]
            for iid, raw in items.items():
                c = codecs.get(iid)
                if c is not None and c.per_brand and type(raw) is not bool:
                    code = c.fast.get(raw)
                    if code is not None:
                        row[c.column] = code
                        continue
                self._put(iid, raw, row, texts, errors, ["brands", b, iid], brand_id=b)
            if vis.brand:
                for iid, why, answered in vis.hide(resp, row, texts, b):
                    if answered:
                        errors.append((["brands", b, iid], f"not asked: shown only if {why}"))
            for col, iid in self.required_brand:
                if row[col] == MISSING_CODE and iid not in items:
                    errors.append((["brands", b, iid], "this item is required"))
        for col, iid in self.required_resp:
            if resp[col] == MISSING_CODE and iid not in merged:
                errors.append((["answers", iid], "this item is required"))
        for iid in self.required_text:
            if not texts.get(iid) and iid not in hidden_text:
                errors.append((["answers", iid], "this item is required"))
        if errors:
            raise AnswerErrors(errors)
        flat = [v for row in brand for v in row]
        return Encoded(pack_codes(resp), pack_codes(flat), json.dumps(texts, ensure_ascii=False) if texts else None)

    def _put(self, iid: str, raw: Any, row: list[int], texts: dict[str, str], errors: list[tuple[Loc, str]],
             loc: Loc, brand_id: str | None) -> None:
        if iid in self.text_ids:
            if (iid in self.per_brand_text) != (brand_id is not None):
                errors.append((loc, "asked per brand" if brand_id is None else "not asked per brand"))
                return
            try:
                t = self.text(iid, raw)
            except ValueError as e:
                errors.append((loc, str(e)))
                return
            if t is not None:
                texts[text_key(iid, brand_id)] = t
            return
        c = self.codecs.get(iid)
        if c is None:
            errors.append((loc, f"unknown item {iid!r}"))
            return
        if c.per_brand != (brand_id is not None):
            where = "under brands.<brand id>" if c.per_brand else "under answers"
            errors.append((loc, f"item {iid!r} belongs {where}"))
            return
        try:
            row[c.column] = c.parse(raw)
        except ValueError as e:
            errors.append((loc, str(e)))

    # ------------------------------------------------------------------ show_if
    def hidden(self, answers: Mapping[str, Any], brands: Mapping[str, Mapping[str, Any]]) -> Hidden:
        """Which items the respondent's own answers hide (``show_if``), read leniently from raw answers as a
        form holds them (an answer that does not parse counts as unanswered): the web form's pages."""
        vis = self.visibility
        if not vis.any:
            return Hidden(frozenset(), {}, True)
        resp = [MISSING_CODE] * len(self.resp_ids)
        for iid, raw in answers.items():
            c = self.codecs.get(iid)
            if c is not None and not c.per_brand:
                resp[c.column] = _lenient(c, raw)
        gone = frozenset(iid for iid, _, _ in vis.hide(resp, None, {}, None))
        per_brand: dict[str, frozenset[str]] = {}
        for b, items in brands.items():
            row = [MISSING_CODE] * len(self.brand_item_ids)
            for iid, raw in items.items():
                c = self.codecs.get(iid)
                if c is not None and c.per_brand:
                    row[c.column] = _lenient(c, raw)
            per_brand[b] = frozenset(iid for iid, _, _ in vis.hide(resp, row, {}, b))
        return Hidden(gone, per_brand, vis.brands_asked(resp))

    def hidden_rows(self, resp: np.ndarray, brand_rows: np.ndarray | None
                    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """For n rows of codes (respondent-level codes, and the per-brand codes of the one brand each row rates,
        or None): which codes the rows' own answers hide, per respondent-level and per-brand column, and per
        conditional text item which rows hide it. The same conditions as `encode`, over arrays (import)."""
        return self.visibility.masks(resp, brand_rows)

    # ------------------------------------------------------------------ decode
    def decode(self, answers: bytes, brand_answers: bytes, texts: str | None,
               labels: str | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Stored blobs back to (answers, brands) as the API accepts them; unrated brands are left out."""
        resp = np.frombuffer(answers, dtype=CODE_DTYPE)
        brand = np.frombuffer(brand_answers, dtype=CODE_DTYPE).reshape(len(self.brand_ids), len(self.brand_item_ids))
        out: dict[str, Any] = {}
        for iid in self.resp_ids:
            c = self.codecs[iid]
            v = c.render(int(resp[c.column]), labels)
            if v is not None:
                out[iid] = v
        brand_texts: dict[str, dict[str, str]] = {}
        for k, v in (json.loads(texts) if texts else {}).items():
            item, b = split_text_key(k)
            if b is None:
                out[item] = v
            else:
                brand_texts.setdefault(b, {})[item] = v
        brands: dict[str, dict[str, Any]] = {}
        for bi, b in enumerate(self.brand_ids):
            if brand.shape[1] and (brand[bi] == MISSING_CODE).all() and b not in brand_texts:
                continue
            d: dict[str, Any] = {}
            for iid in self.brand_item_ids:
                c = self.codecs[iid]
                v = c.render(int(brand[bi, c.column]), labels)
                if v is not None:
                    d[iid] = v
            d.update(brand_texts.get(b, {}))
            brands[b] = d
        return out, brands


def _lenient(c: ItemCodec, raw: Any) -> int:
    try:
        return c.parse(raw)
    except ValueError:
        return MISSING_CODE


@lru_cache(maxsize=256)
def definition_from_json(definition_json: str) -> SurveyDefinition:
    """A stored definition (a version's JSON) as a `SurveyDefinition`: the one place it is parsed, cached
    because versions are immutable."""
    return SurveyDefinition.model_validate_json(definition_json)


_BY_ID: dict[int, tuple[SurveyDefinition, Codebook]] = {}


def codebook_of(definition: SurveyDefinition) -> Codebook:
    """The codebook of a definition, compiled once per definition object (definitions are frozen)."""
    hit = _BY_ID.get(id(definition))
    if hit is not None and hit[0] is definition:
        return hit[1]
    book = Codebook(definition)
    if len(_BY_ID) > 512:
        _BY_ID.clear()
    _BY_ID[id(definition)] = (definition, book)
    return book


def codebook_for_json(definition_json: str) -> Codebook:
    """The codebook of a stored definition (a version's JSON), compiled once per process."""
    return codebook_of(definition_from_json(definition_json))
