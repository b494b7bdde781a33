"""Validating answers against a published definition and packing them into the stored int16 code arrays.

One `Codebook` per survey version (immutable, so it is cached). Every problem is collected and reported at once,
each naming its item, so a web form or an API client can fix everything in one round.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from service.errors import Invalid
from survey_defs.schema import MISSING_CODE, NA_CODE, Item, SurveyDefinition

NA_STRINGS = frozenset({"na", "n/a", "dk", "not applicable", "不适用", "不知道", "不清楚"})
YES_STRINGS = frozenset({"yes", "y", "true", "1", "是"})
NO_STRINGS = frozenset({"no", "n", "false", "0", "否"})
MAX_TEXT = 5000

Loc = list[Any]


@dataclass(frozen=True)
class ItemCodec:
    """How one coded item's raw answers become int16 codes."""

    item: Item
    column: int
    per_brand: bool
    lo: int
    hi: int
    options: dict[str, int]
    scale_labels: dict[str, list[str]]
    fast: dict[Any, int]

    def parse(self, raw: Any) -> int:
        """One raw answer (JSON value, CSV cell or form field) to its code; ValueError says what is wrong."""
        if type(raw) is not bool:  # True == 1 as a dict key, but True is no answer on a 1..5 scale
            code = self.fast.get(raw)
            if code is not None:
                return code
        return self._parse_slow(raw)

    def _parse_slow(self, raw: Any) -> int:
        it = self.item
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return MISSING_CODE
        if isinstance(raw, str) and raw.strip().lower() in NA_STRINGS and it.type != "choice":
            if not it.allow_na:
                raise ValueError("'not applicable' is not allowed for this item")
            return NA_CODE
        if it.type == "choice":
            key = str(raw).strip()
            if key in self.options:
                return self.options[key]
            raise ValueError(f"{raw!r} is not one of the options {sorted(set(o.code for o in it.options or []))}")
        if it.type == "yes_no":
            if isinstance(raw, bool):
                return int(raw)
            s = str(raw).strip().lower()
            if s in YES_STRINGS:
                return 1
            if s in NO_STRINGS:
                return 0
            raise ValueError(f"{raw!r} is not yes or no")
        if isinstance(raw, bool):
            raise ValueError(f"expected a number from {self.lo} to {self.hi}, got {raw!r}")
        if isinstance(raw, int):
            v = raw
        elif isinstance(raw, float) and raw.is_integer():
            v = int(raw)
        elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            v = int(raw.strip())
        elif isinstance(raw, str) and raw.strip() in self.options:
            v = self.options[raw.strip()]
        else:
            raise ValueError(f"expected a number from {self.lo} to {self.hi}, got {raw!r}")
        if not self.lo <= v <= self.hi:
            raise ValueError(f"{v} is out of range {self.lo}..{self.hi}")
        return v

    def render(self, code: int, labels: str | None = None) -> Any:
        """A stored code back to its JSON/CSV value: number, option code, 'NA', None; or a label."""
        if code == MISSING_CODE:
            return None
        if code == NA_CODE:
            return "NA"
        it = self.item
        if it.type == "choice":
            opt = (it.options or [])[code]
            return opt.label.get(labels, opt.code) if labels else opt.code
        if it.type == "yes_no":
            if labels:
                return {"zh": ("否", "是"), "en": ("No", "Yes")}.get(labels, ("0", "1"))[code]
            return code
        if labels and it.type == "likert" and self.scale_labels:
            return self.scale_labels[labels][code - self.lo] if labels in self.scale_labels else code
        return code


class Codebook:
    """The compiled view of one definition version used to validate, encode and decode answers."""

    def __init__(self, definition: SurveyDefinition):
        self.definition = definition
        self.resp_ids = definition.respondent_item_ids
        self.brand_item_ids = definition.brand_item_ids
        self.brand_ids = definition.brand_ids
        self.codecs: dict[str, ItemCodec] = {}
        for col, iid in enumerate(self.resp_ids):
            self.codecs[iid] = self._compile(definition.item(iid), col, per_brand=False)
        for col, iid in enumerate(self.brand_item_ids):
            self.codecs[iid] = self._compile(definition.item(iid), col, per_brand=True)
        self.text_ids = set(definition.text_item_ids)
        self.per_brand_text = {i for i in self.text_ids if definition.is_per_brand(i)}
        self.wave_ids = definition.wave_ids()
        self.brand_pos = {b: k for k, b in enumerate(self.brand_ids)}
        self.required_resp = [(self.codecs[i].column, i) for i in self.resp_ids if self.codecs[i].item.required]
        self.required_brand = [(self.codecs[i].column, i) for i in self.brand_item_ids if self.codecs[i].item.required]
        self.required_text = [i for i in sorted(self.text_ids - self.per_brand_text) if definition.item(i).required]

    def _compile(self, it: Item, col: int, per_brand: bool) -> ItemCodec:
        lo, hi, options = 0, 1, {}
        scale_labels: dict[str, list[str]] = {}
        if it.type in ("likert", "nps") and it.scale:
            sc = self.definition.scales[it.scale]
            lo, hi, scale_labels = sc.min, sc.max, sc.labels
            # Scale labels in any language are accepted as answers (paper and phone imports use them).
            for labels in sc.labels.values():
                for k, lab in enumerate(labels):
                    if not lab.strip().lstrip("-").isdigit():
                        options.setdefault(lab.strip(), sc.min + k)
        elif it.type == "choice":
            opts = it.options or []
            lo, hi = 0, len(opts) - 1
            for k, o in enumerate(opts):
                options[o.code] = k
                for lab in o.label.values():
                    options.setdefault(lab, k)
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
        return ItemCodec(it, col, per_brand, lo, hi, options, scale_labels, fast)

    # ------------------------------------------------------------------ encode
    def encode(
        self,
        answers: dict[str, Any],
        brands: dict[str, dict[str, Any]] | None,
        *,
        fixed: dict[str, Any] | None = None,
    ) -> tuple[bytes, bytes, str | None]:
        """Validate one respondent's answers; return (answers blob, brand blob, texts JSON) or raise Invalid.

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
        brands = brands or {}
        if self.brand_item_ids and not brands:
            errors.append((["brands"], "rate at least one brand"))
        for b, items in brands.items():
            bi = self.brand_pos.get(b)
            if bi is None:
                errors.append((["brands", b], f"unknown brand {b!r}; brands are {self.brand_ids}"))
                continue
            if not isinstance(items, dict):
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
            for col, iid in self.required_brand:
                if row[col] == MISSING_CODE and iid not in items:
                    errors.append((["brands", b, iid], "this item is required"))
        for col, iid in self.required_resp:
            if resp[col] == MISSING_CODE and iid not in merged:
                errors.append((["answers", iid], "this item is required"))
        for iid in self.required_text:
            if not texts.get(iid):
                errors.append((["answers", iid], "this item is required"))
        if errors:
            raise Invalid(errors)
        flat = [v for row in brand for v in row]
        return (
            struct.pack(f"<{len(resp)}h", *resp),
            struct.pack(f"<{len(flat)}h", *flat),
            json.dumps(texts, ensure_ascii=False) if texts else None,
        )

    def _put(
        self,
        iid: str,
        raw: Any,
        row: list[int],
        texts: dict[str, str],
        errors: list[tuple[Loc, str]],
        loc: Loc,
        brand_id: str | None,
    ) -> None:
        if iid in self.text_ids:
            if (iid in self.per_brand_text) != (brand_id is not None):
                errors.append((loc, "asked per brand" if brand_id is None else "not asked per brand"))
            elif raw is None or raw == "":
                pass
            elif not isinstance(raw, str):
                errors.append((loc, "expected text"))
            elif len(raw) > MAX_TEXT:
                errors.append((loc, f"text longer than {MAX_TEXT} characters"))
            else:
                texts[iid if brand_id is None else f"{iid}@{brand_id}"] = raw
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

    # ------------------------------------------------------------------ decode
    def decode(
        self, answers: bytes, brand_answers: bytes, texts: str | None, labels: str | None = None
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Stored blobs back to (answers, brands) as the API accepts them; unrated brands are left out."""
        resp = np.frombuffer(answers, dtype="<i2")
        brand = np.frombuffer(brand_answers, dtype="<i2").reshape(len(self.brand_ids), len(self.brand_item_ids))
        out: dict[str, Any] = {}
        for iid in self.resp_ids:
            v = self.codecs[iid].render(int(resp[self.codecs[iid].column]), labels)
            if v is not None:
                out[iid] = v
        t = json.loads(texts) if texts else {}
        brands: dict[str, dict[str, Any]] = {}
        for bi, b in enumerate(self.brand_ids):
            if brand.shape[1] and (brand[bi] == MISSING_CODE).all() and not any(
                k.endswith(f"@{b}") for k in t
            ):
                continue
            d: dict[str, Any] = {}
            for iid in self.brand_item_ids:
                v = self.codecs[iid].render(int(brand[bi, self.codecs[iid].column]), labels)
                if v is not None:
                    d[iid] = v
            for k, v in t.items():
                if k.endswith(f"@{b}"):
                    d[k.rsplit("@", 1)[0]] = v
            brands[b] = d
        for k, v in t.items():
            if "@" not in k:
                out[k] = v
        return out, brands


@lru_cache(maxsize=256)
def codebook_for(version_id: int, definition_json: str) -> Codebook:
    """Versions are immutable, so their codebooks are compiled once per process."""
    return Codebook(SurveyDefinition.model_validate_json(definition_json))
