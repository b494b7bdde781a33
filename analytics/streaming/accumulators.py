"""The sums the streamed summary keeps, chunk by chunk (what each one is for: `analytics.streaming`).

* `CodeHistogram`: per item and code (count, sum w, sum w^2), the layout of `analytics.itemstats.code_histogram`;
  `ItemHistograms` holds one for the respondent-level and one for the per-brand scored items.
* `LoyaltySums`: the histogram of the satisfaction, loyalty and NPS items and the joint (satisfaction, loyalty)
  histogram of the respondents who answered both.
* `SegmentSums`: per option of a segment item, sums of w, w r, w^2, w^2 r, w^2 r^2 and w r^2 over the
  respondent-level indices r shifted by `SHIFT` (against cancellation), and their min and max.
* `PlsSums`: the sums of `analytics.pls.moments.scan` over the model's indicators.

Each ``add`` takes the kept respondents of one chunk; nothing is kept per respondent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.itemstats import OFFSET, CodeError, code_histogram
from analytics.result_json import scored_items
from analytics.scoring import ItemScoring, item_scoring
from survey_defs.schema import SurveyDefinition

__all__ = ["SHIFT", "CodeHistogram", "Hist", "ItemHistograms", "LoyaltySums", "PlsSums", "SegmentSums"]

SHIFT = 50.0  # centre of the 0-100 scores, subtracted from respondent-level indices before their powers are summed

Hist = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]


class CodeHistogram:
    """(count, sum w, sum w^2) per item and code over chunks, laid out as `analytics.itemstats.code_histogram`."""

    def __init__(self, rules: list[ItemScoring]) -> None:
        self.rules = rules
        self.max_code = max((r.max for r in rules), default=0)
        k, width = len(rules), self.max_code + 1 + OFFSET
        self.c0 = np.zeros((k, width), dtype=np.int64)
        self.c1 = np.zeros((k, width))
        self.c2 = np.zeros((k, width))

    def add(self, codes: NDArray[np.integer], w: NDArray[np.float64] | None) -> None:
        """Add a chunk's codes (respondents x items, negative = no answer); a code outside an item's scale is a
        ValueError naming the item."""
        if codes.shape[0] == 0:
            return
        try:
            c0, c1, c2 = code_histogram(codes, w, self.max_code)
        except CodeError as exc:
            r = self.rules[exc.column]
            raise ValueError(f"item {r.item_id!r}: codes outside the scale {r.min}..{r.max}") from None
        for j, rule in enumerate(self.rules):
            if c0[j, OFFSET : OFFSET + rule.min].any() or c0[j, rule.max + 1 + OFFSET :].any():
                raise ValueError(f"item {rule.item_id!r}: codes outside the scale {rule.min}..{rule.max}")
        self.c0 += c0
        self.c1 += c1
        self.c2 += c2

    def get(self) -> Hist:
        return self.c0, self.c1, self.c2

    def row(self, j: int) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """Item j's answered codes 0..max: (codes, count, sum w, sum w^2)."""
        cols = np.arange(OFFSET, self.max_code + 1 + OFFSET)
        return cols - OFFSET, self.c0[j, cols], self.c1[j, cols], self.c2[j, cols]


class ItemHistograms:
    """The histograms of the ``items`` section, as `analytics.analyze` frames them: the scored respondent-level
    items over every kept respondent, the scored per-brand items over those who rated the own brand."""

    def __init__(self, definition: SurveyDefinition) -> None:
        d = definition
        self.groups: list[tuple[list[str], bool, CodeHistogram]] = []
        for ids, per in ((scored_items(d, d.respondent_item_ids), False), (scored_items(d, d.brand_item_ids), True)):
            if ids:
                self.groups.append((ids, per, CodeHistogram([item_scoring(d, i) for i in ids])))

    def add(self, kept: ResponseData, own: str) -> None:
        rated = None
        for ids, per, h in self.groups:
            if per:
                rated = kept.rated(own) if rated is None else rated
                codes = kept.code_matrix(ids, own)
                h.add(codes[rated], None if kept.weight is None else kept.weight[rated])
            else:
                h.add(kept.code_matrix(ids), kept.weight)

    def find(self, item_id: str) -> tuple[CodeHistogram, int]:
        """The histogram holding ``item_id`` and its row."""
        for ids, _, h in self.groups:
            if item_id in ids:
                return h, ids.index(item_id)
        raise ValueError(f"item {item_id!r} is not a scored item (likert, nps or yes/no)")


class LoyaltySums:
    """The histograms of the loyalty block's items (satisfaction, loyalty, NPS: those named) and the joint
    (satisfaction, loyalty) histogram, over the own brand's raters when an item is asked per brand.

    Raises ValueError (from the items' scoring rules) when the block names items that cannot be scored.
    """

    def __init__(self, definition: SurveyDefinition) -> None:
        lb = definition.loyalty
        assert lb is not None
        self.definition = definition
        self.used = [i for i in (lb.satisfaction_item, lb.loyalty_item, lb.nps_item) if i]
        self.hist = CodeHistogram([item_scoring(definition, i) for i in self.used])
        # (count, sum w, sum w^2) per (satisfaction code, loyalty code), both answered
        self.joint = np.zeros((3, (self.hist.max_code + 1) ** 2))
        self.per_brand = any(definition.is_per_brand(i) for i in self.used)

    def add(self, kept: ResponseData, own: str) -> None:
        d = self.definition
        h, joint = self.hist, self.joint
        rows = kept.rated(own) if self.per_brand else np.ones(kept.n, dtype=bool)
        if not rows.any():
            return
        codes = np.column_stack([kept.codes(i, own if d.is_per_brand(i) else None)[rows] for i in self.used])
        w = None if kept.weight is None else kept.weight[rows]
        h.add(codes, w)
        lb = d.loyalty
        if lb is not None and lb.loyalty_item:
            cs, cl = codes[:, 0], codes[:, 1]
            both = (cs >= 0) & (cl >= 0)
            width = h.max_code + 1
            key = cs[both].astype(np.intp) * width + cl[both]
            ww = np.ones(key.shape[0]) if w is None else w[both]
            size = joint.shape[1]
            joint[0] += np.bincount(key, minlength=size)
            joint[1] += np.bincount(key, weights=ww, minlength=size)
            joint[2] += np.bincount(key, weights=ww * ww, minlength=size)


class SegmentSums:
    """Sums over the respondent-level index r per option of one segment item (module docstring)."""

    _NAMES = ("W", "wr", "w2", "w2r", "w2r2", "wr2")

    def __init__(self, n_options: int) -> None:
        self.n = np.zeros(n_options, dtype=np.int64)
        self.s = {k: np.zeros(n_options) for k in self._NAMES}
        self.lo = np.full(n_options, np.inf)
        self.hi = np.full(n_options, -np.inf)
        self.unknown = 0

    def add(self, codes: NDArray[np.integer], r: NDArray[np.float64], w: NDArray[np.float64] | None) -> None:
        has = ~np.isnan(r)
        self.unknown += int(((codes < 0) & has).sum())
        k = len(self.n)
        sel = has & (codes >= 0) & (codes < k)
        c = codes[sel].astype(np.intp)
        x = r[sel] - SHIFT
        ww = np.ones(c.shape[0]) if w is None else w[sel]
        w2 = ww * ww
        self.n += np.bincount(c, minlength=k)
        for name, v in (("W", ww), ("wr", ww * x), ("w2", w2), ("w2r", w2 * x), ("w2r2", w2 * x * x),
                        ("wr2", ww * x * x)):
            self.s[name] += np.bincount(c, weights=v, minlength=k)
        np.minimum.at(self.lo, c, r[sel])
        np.maximum.at(self.hi, c, r[sel])


class PlsSums:
    """The sums of `analytics.pls.moments.scan` over the model's indicators, chunk by chunk: around a centre c
    (the first chunk's means) with x0 = x - c (0 where missing) and o = 1 where observed, G = x0'x0, s = x0'1,
    the counts o'1, Bm = x0'o and N = o'o (for mean replacement), and G, s over the complete rows apart (for
    casewise deletion)."""

    def __init__(self, items: Sequence[str]) -> None:
        p = len(items)
        self.items = list(items)
        self.c: NDArray[np.float64] | None = None
        self.G, self.Bm, self.N, self.G_cc = (np.zeros((p, p)) for _ in range(4))
        self.s, self.cnt, self.s_cc = (np.zeros(p) for _ in range(3))
        self.n_rows = 0
        self.n_complete = 0

    def add(self, x: NDArray[np.float64]) -> None:
        if x.shape[0] == 0:
            return
        nan = np.isnan(x)
        if self.c is None:
            self.c = np.where(nan, 0.0, x).sum(axis=0) / np.maximum((~nan).sum(axis=0), 1)
        x0 = np.where(nan, 0.0, x - self.c)
        if not np.isfinite(x0).all():
            j = int(np.flatnonzero(~np.isfinite(x0).all(axis=0))[0])
            raise ValueError(f"item {self.items[j]!r} has infinite values")
        o = (~nan).astype(np.float64)
        self.G += x0.T @ x0
        self.s += x0.sum(axis=0)
        self.cnt += o.sum(axis=0)
        self.Bm += x0.T @ o
        self.N += o.T @ o
        ok = ~nan.any(axis=1)
        xc = x0[ok]
        self.G_cc += xc.T @ xc
        self.s_cc += xc.sum(axis=0)
        self.n_complete += int(ok.sum())
        self.n_rows += x.shape[0]
