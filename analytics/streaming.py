"""A streamed summary of one survey: the statistics that sufficient statistics give, in memory O(chunk), not O(n).

`StreamingSummary` takes the responses chunk by chunk (``add(chunk)``, whole respondents per chunk, in store
order) and keeps only sums; ``result()`` finishes them into the JSON of `analytics.analyze.analyze` for the
sections that these sums determine exactly, with ``"mode": "summary"`` (docs/analytics-json.md). The other
sections say ``{"status": "not_computed", "reason": ...}``. Nothing here reads a database: the store's chunked
reader is `service.analysis.summarize_store`.

What is summed, per section (each finished by the same code as the full analysis where it exists):

* ``items``: per item the weighted code histogram (count, sum w, sum w^2 per code), finished by
  `analytics.itemstats.stats_from_histogram` (mean, sd, linearisation SE, Wilson shares: formulas there).
* ``satisfaction_rate``: the satisfaction item's histogram: p = sum_{top box} W_v / W, Wilson CI on
  n_eff = W^2 / W2 (`analytics.satisfaction_rate`).
* ``index`` and ``brands``: per brand a `analytics.tree.TreeAccumulator` (item histograms, per-node counts and
  weight sums, and the uncentred item cross-products centred at the end), finished by
  `analytics.tree.tree_from_statistics`, the step `compute_tree` ends in: node scores and delta-method CIs.
* ``segments``: per option of each segment item, sums of w, w r, w^2, w^2 r, w^2 r^2, w r^2 over the
  respondent-level indices r (shifted by 50 against cancellation), and their min and max. The index is the Hajek
  mean m = sum w r / W with var = n/(n-1) sum w^2 (r - m)^2 / W^2 (`analytics.inference.weighted_mean_se`);
  the test is the one-way ANOVA F = ((SSR0 - SSR1)/(G - 1)) / (SSR1/(N - G)) with SSR = sum w (r - mean)^2
  within segments (SSR1) and pooled (SSR0) (`analytics.segments.segment_test`: f_oneway without weights, the
  WLS F-test with them).
* ``loyalty``: histograms of the satisfaction, loyalty and NPS items and the joint (satisfaction, loyalty)
  histogram: zones and quadrants are weighted shares with Wilson CIs, NPS = 100 (p_P - p_D) with the
  multinomial variance (`analytics.loyalty`, Jones & Sasser 1995, Reichheld 2003).
* ``acsi``: the sums `analytics.pls.moments.scan` accumulates (shifted cross-products, and under mean
  replacement the observed-indicator products x0'o and o'o; complete rows apart for casewise deletion), then
  the PLS iteration on their correlation matrix (`analytics.pls.algorithm.fit_correlations`) and the ACSI-style
  index (`analytics.pls.ipma.construct_indices`). The bootstrap CI resamples respondents, so it is not computed.

Quality exclusions, applied chunk by chunk before anything is summed (rules of `analytics.quality`):

* straight-liners: per respondent, on each chunk (the grids of `analytics.quality`);
* speeders: completion time < ``speeder_fraction`` x the median over the filtered respondents, which the
  caller passes as ``median_duration_s`` (the store computes it in SQL); ``None`` means fewer than
  `analytics.quality.MIN_TIMED` timed respondents, and ``result`` checks that against its own count;
* duplicates: a respondent key seen before, or an answer vector seen before (with at least ``min_grid``
  answers), as in the full analysis, but compared by 64-bit fingerprints (``pandas.util.hash_array`` of the
  key, ``hash_pandas_object`` of the code row) kept in sorted arrays: 8 bytes per distinct key and per distinct
  answer vector (occurrence counts only for the keys that repeat). Two different respondents collide with
  probability about n^2 / 2^65 (3e-8 at 10^6), which would flag one of them wrongly. The reason of an answer
  duplicate cannot name the earlier respondent (only fingerprints are kept).

Survey weights are the data's own (``ResponseData.weight``). Raking to the definition's ``weighting`` margins
needs every analysed respondent's cell before the first statistic, so a definition with a weighting block gets
``not_computed`` statistics here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats as sps

from analytics.analyze import _scored, _top_box, _tree_dict, to_jsonable
from analytics.data import ResponseData
from analytics.inference import Estimate, mean_ci, z_quantile
from analytics.itemstats import CodeError, code_histogram, stats_from_histogram
from analytics.loyalty import NpsResult
from analytics.quality import DEFAULT_RULE, MIN_TIMED, _grids
from analytics.satisfaction_rate import proportion_estimate, top_box_threshold
from analytics.scoring import ItemScoring, item_scoring
from analytics.segments import MIN_N
from analytics.tree import NeedsRespondentData, TreeAccumulator, TreeResult, fixed_node_weights, tree_from_statistics
from survey_defs.schema import SurveyDefinition

__all__ = ["NOT_COMPUTED", "StreamingSummary", "median_duration", "not_computed", "summarize"]

SCHEMA_VERSION = 2
MAX_FLAG_EXAMPLES = 50
NOT_COMPUTED = "needs respondent-level data; run the full analysis (filter by wave to fit the memory bound)"
_SHIFT = 50.0  # centre of the 0-100 scores, subtracted from respondent-level indices before their powers are summed
_DUP_RULE = ("respondent key seen before, or an answer vector (all codes, every brand, at least min_grid answers) "
             "seen before; compared by 64-bit fingerprints, first occurrence kept")

Hist = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]


def not_computed(reason: str = NOT_COMPUTED) -> dict[str, str]:
    """The marker of a section that the summary does not compute."""
    return {"status": "not_computed", "reason": reason}


def median_duration(data: ResponseData) -> float | None:
    """The median completion time the speeder rule compares with (`analytics.quality.flag_quality`): over the
    respondents with both times and a non-negative duration; None with fewer than `MIN_TIMED` of them."""
    dur = data.submitted_at - data.started_at
    timed = np.isfinite(dur) & (dur >= 0)
    return float(np.median(dur[timed])) if timed.sum() >= MIN_TIMED else None


# ---------------------------------------------------------------------------------------------- accumulators
class _Histogram:
    """(count, sum w, sum w^2) per item and code over chunks, laid out as `analytics.itemstats.code_histogram`."""

    def __init__(self, rules: list[ItemScoring]) -> None:
        self.rules = rules
        self.max_code = max((r.max for r in rules), default=0)
        k, width = len(rules), self.max_code + 3
        self.c0 = np.zeros((k, width), dtype=np.int64)
        self.c1 = np.zeros((k, width))
        self.c2 = np.zeros((k, width))

    def add(self, codes: NDArray[np.integer], w: NDArray[np.float64] | None) -> None:
        if codes.shape[0] == 0:
            return
        try:
            c0, c1, c2 = code_histogram(codes, w, self.max_code)
        except CodeError as exc:
            r = self.rules[exc.column]
            raise ValueError(f"item {r.item_id!r}: codes outside the scale {r.min}..{r.max}") from None
        for j, rule in enumerate(self.rules):
            if c0[j, 2 : 2 + rule.min].any() or c0[j, rule.max + 3 :].any():
                raise ValueError(f"item {rule.item_id!r}: codes outside the scale {rule.min}..{rule.max}")
        self.c0 += c0
        self.c1 += c1
        self.c2 += c2

    def get(self) -> Hist:
        return self.c0, self.c1, self.c2

    def row(self, j: int) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Item j's answered codes 0..max: (codes, count, sum w, sum w^2)."""
        cols = np.arange(2, self.max_code + 3)
        return cols - 2, self.c0[j, cols], self.c1[j, cols], self.c2[j, cols]


class _Seen:
    """A sorted set of 64-bit fingerprints (8 bytes each), with an occurrence count for the few that repeat.

    Merging a chunk in is one ``sort(kind="stable")`` of the set followed by the chunk's new fingerprints: two
    sorted runs, which timsort merges in linear time with a buffer of at most half of them.
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint64)
        self.repeats: dict[int, int] = {}  # fingerprint -> occurrences so far, for those seen at least twice

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def add(self, h: NDArray[np.uint64]) -> NDArray[np.int64]:
        """For each fingerprint of the chunk, in order, how often it occurred before (earlier chunks, then earlier
        in this chunk); then adds the chunk."""
        m = h.shape[0]
        if m == 0:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(h, kind="stable")
        hs = h[order]
        first = np.r_[True, hs[1:] != hs[:-1]]
        pos = np.arange(m)
        start = np.maximum.accumulate(np.where(first, pos, 0))
        within = np.empty(m, dtype=np.int64)
        within[order] = pos - start
        uniq = hs[first]
        cnt = np.diff(np.r_[np.flatnonzero(first), m])
        found = np.zeros(uniq.shape[0], dtype=bool)
        if len(self):  # look the chunk's distinct fingerprints up in sorted order (cache-friendly)
            at = np.minimum(np.searchsorted(self.keys, uniq), len(self) - 1)
            found = self.keys[at] == uniq
        seen = found.astype(np.int64)
        for j in np.flatnonzero(found | (cnt > 1)):  # repeated fingerprints only: rare
            u = int(uniq[j])
            before = self.repeats.get(u, 1) if found[j] else 0
            seen[j] = before
            self.repeats[u] = before + int(cnt[j])
        prev = np.empty(m, dtype=np.int64)
        prev[order] = np.repeat(seen, cnt)
        new = uniq[~found]
        if new.shape[0]:
            keys = np.concatenate([self.keys, new])
            keys.sort(kind="stable")
            self.keys = keys
        return prev + within


class _SegmentSums:
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
        x = r[sel] - _SHIFT
        ww = np.ones(c.shape[0]) if w is None else w[sel]
        w2 = ww * ww
        self.n += np.bincount(c, minlength=k)
        for name, v in (("W", ww), ("wr", ww * x), ("w2", w2), ("w2r", w2 * x), ("w2r2", w2 * x * x),
                        ("wr2", ww * x * x)):
            self.s[name] += np.bincount(c, weights=v, minlength=k)
        np.minimum.at(self.lo, c, r[sel])
        np.maximum.at(self.hi, c, r[sel])


class _PlsSums:
    """The sums of `analytics.pls.moments.scan` over the model's indicators, chunk by chunk."""

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


# ---------------------------------------------------------------------------------------------- the summary
class StreamingSummary:
    """Accumulate a survey's summary chunk by chunk; ``result()`` gives the JSON (module docstring).

    Parameters
    ----------
    definition : the survey definition the chunks were collected with (the current version).
    wave, brand, segment : the filters of `analytics.analyze.analyze`, applied to every chunk (a no-op when the
        reader has already applied them, as the store's does in SQL).
    median_duration_s : the median completion time over the *filtered* respondents (`median_duration`), or None
        when fewer than `MIN_TIMED` are timed. Needed up front, since the speeder rule is applied chunk by chunk.
    exclude_flags, exclusion_rule, speeder_fraction, min_grid, conf, min_segment_n : as in ``analyze``.
    """

    def __init__(
        self,
        definition: SurveyDefinition,
        *,
        wave: str | Sequence[str] | None = None,
        brand: str | None = None,
        segment: Mapping[str, object] | None = None,
        median_duration_s: float | None = None,
        exclude_flags: bool = True,
        exclusion_rule: Sequence[str] = DEFAULT_RULE,
        speeder_fraction: float = 0.3,
        min_grid: int = 5,
        conf: float = 0.95,
        min_segment_n: int = MIN_N,
    ) -> None:
        d = definition
        unknown = [r for r in exclusion_rule if r not in DEFAULT_RULE]
        if unknown:
            raise ValueError(f"unknown quality flag {unknown[0]!r} in exclusion_rule; known: {', '.join(DEFAULT_RULE)}")
        if median_duration_s is not None and not (math.isfinite(median_duration_s) and median_duration_s >= 0):
            raise ValueError(f"median_duration_s must be a non-negative number of seconds, got {median_duration_s!r}")
        z_quantile(conf)  # validates conf
        self.definition = d
        self.own = d.own_brand.id
        self.filters = {"wave": wave, "brand": brand, "segment": dict(segment) if segment else None}
        self.median = median_duration_s
        self.exclude_flags = exclude_flags
        self.rule = tuple(exclusion_rule) if exclude_flags else ()
        self.speeder_fraction = speeder_fraction
        self.min_grid = min_grid
        self.conf = conf
        self.min_segment_n = min_segment_n
        self.chunks = 0
        self.largest_chunk = 0
        self.errors: dict[str, str] = {}
        # counts
        self.n_responses = 0
        self.n_filtered = 0
        self.n_kept = 0
        self.timed = 0
        self.flag_counts = dict.fromkeys(DEFAULT_RULE, 0)
        self.n_excluded = 0
        self.examples: list[dict[str, Any]] = []
        self._keys = _Seen()
        self._answers = _Seen()
        # weights
        self.weighted = False
        self.sw = 0.0
        self.sw2 = 0.0
        self.w_min = math.inf
        self.w_max = -math.inf
        self.raking = d.weighting is not None
        # items
        self._item_groups: list[tuple[list[str], bool, _Histogram]] = []
        for ids, per in ((_scored(d, d.respondent_item_ids), False), (_scored(d, d.brand_item_ids), True)):
            if ids:
                self._item_groups.append((ids, per, _Histogram([item_scoring(d, i) for i in ids])))
        # trees: one per brand, with the own brand's fixed weights
        self.tree_status: dict[str, str] | None = None
        self.tree_error: str | None = None
        self.trees: dict[str, TreeAccumulator] = {}
        self._segments: dict[str, _SegmentSums] = {}
        if d.indicators is None:
            self.tree_status = {"status": "insufficient_data", "reason": "the definition has no indicator tree"}
        else:
            try:
                fixed_node_weights(d)
                self.trees = {b: TreeAccumulator(d, brand=b) for b in d.brand_ids}
                self._segments = {sid: _SegmentSums(len(d.item(sid).options or [])) for sid in d.segment_item_ids}
            except NeedsRespondentData as exc:
                self.tree_status = not_computed(f"{exc}: {NOT_COMPUTED}")
            except ValueError as exc:  # bad weights in the definition: the own brand's tree fails, as in analyze
                self.trees = {}
                self.tree_error = str(exc)
        # loyalty
        self._loyalty: tuple[list[str], bool, _Histogram, NDArray[np.float64]] | None = None
        lb = d.loyalty
        if lb is not None:
            used = [i for i in (lb.satisfaction_item, lb.loyalty_item, lb.nps_item) if i]
            try:
                rules = [item_scoring(d, i) for i in used]
                h = _Histogram(rules)
                # (count, sum w, sum w^2) per (satisfaction code, loyalty code), both answered
                joint = np.zeros((3, (h.max_code + 1) ** 2))
                self._loyalty = (used, any(d.is_per_brand(i) for i in used), h, joint)
            except ValueError as exc:
                self.errors["loyalty"] = str(exc)
        # ACSI
        self._pls: _PlsSums | None = None
        if d.model is not None:
            self._pls = _PlsSums([i for c in d.model.constructs for i in c.items])

    # ------------------------------------------------------------------------------------------ adding
    def add(self, chunk: ResponseData) -> None:
        """Add one chunk of whole respondents (in the order the full analysis would see them)."""
        d = self.definition
        if chunk.definition is not d and chunk.definition != d:
            raise ValueError("the chunk was collected with another definition (version) than the summary's")
        self.chunks += 1
        self.largest_chunk = max(self.largest_chunk, chunk.n)
        self.weighted |= chunk.weight is not None  # as the full analysis: the data has weights
        self.n_responses += chunk.n
        f = self.filters
        sub = chunk.filter(wave=f["wave"], brand=f["brand"], segment=f["segment"])
        self.n_filtered += sub.n
        if sub.n == 0:
            return
        kept = self._quality(sub)
        self.n_kept += kept.n
        if kept.n == 0:
            return
        w = kept.weight
        if w is not None:
            self.sw += float(w.sum())
            self.sw2 += float(w @ w)
            self.w_min, self.w_max = min(self.w_min, float(w.min())), max(self.w_max, float(w.max()))
        else:
            self.sw += kept.n
            self.sw2 += kept.n
            self.w_min, self.w_max = min(self.w_min, 1.0), max(self.w_max, 1.0)
        if self.raking:
            return
        self._guard("items", self._add_items, kept)
        own_rows = None
        for b, acc in self.trees.items():
            rows = acc.frame(kept)
            if b == self.own:
                own_rows = rows
            self._guard(f"tree:{b}", acc.add, kept, rows)
        if self._segments and own_rows is not None and own_rows.any():
            self._guard("segments", self._add_segments, kept, own_rows)
        if self._loyalty is not None:
            self._guard("loyalty", self._add_loyalty, kept)
        if self._pls is not None:
            self._guard("acsi", self._add_pls, kept)

    def _guard(self, name: str, fn: Any, *args: Any) -> None:
        """Run one section's accumulation; a ValueError marks that section failed and stops adding to it."""
        if name in self.errors:
            return
        try:
            fn(*args)
        except ValueError as exc:
            self.errors[name] = str(exc)

    def _quality(self, sub: ResponseData) -> ResponseData:
        """Flag speeders, straight-liners and duplicates of one filtered chunk; return the kept respondents."""
        n = sub.n
        reasons: dict[int, list[str]] = {}
        dur = sub.submitted_at - sub.started_at
        timed = np.isfinite(dur) & (dur >= 0)
        self.timed += int(timed.sum())
        speeder = np.zeros(n, dtype=bool)
        med = self.median
        if med is not None:
            speeder = timed & (dur < self.speeder_fraction * med)
            for i in np.flatnonzero(speeder):
                reasons.setdefault(int(i), []).append(
                    f"speeder: {dur[i]:.0f} s < {self.speeder_fraction:g} x median {med:.0f} s")
        sl = _straightliners(sub, self.min_grid, reasons)
        keys = sub.respondent_id.astype(str)
        occ = self._keys.add(pd.util.hash_array(keys.astype(object)))
        dkey = occ > 0
        for i in np.flatnonzero(dkey):
            reasons.setdefault(int(i), []).append(
                f"duplicate: respondent key {str(keys[i])!r} repeats (occurrence {occ[i] + 1})")
        allc = np.concatenate([sub.resp, sub.brand.reshape(n, -1)], axis=1)
        same = np.zeros(n, dtype=bool)
        if allc.shape[1]:
            fp = pd.util.hash_pandas_object(pd.DataFrame(allc), index=False).to_numpy(dtype=np.uint64)
            answered = (allc >= 0).sum(axis=1) >= self.min_grid
            same = (self._answers.add(fp) > 0) & answered & ~dkey
            for i in np.flatnonzero(same):
                reasons.setdefault(int(i), []).append("duplicate: answers identical to an earlier respondent's")
        dup = dkey | same
        flags = {"speeder": speeder, "straightliner": sl, "duplicate": dup}
        for k, v in flags.items():
            self.flag_counts[k] += int(v.sum())
        for i in sorted(reasons):
            if len(self.examples) >= MAX_FLAG_EXAMPLES:
                break
            self.examples.append({"respondent": str(sub.respondent_id[i]), "reasons": reasons[i]})
        drop = np.zeros(n, dtype=bool)
        for name in self.rule:
            drop |= flags[name]
        self.n_excluded += int(drop.sum())
        return sub.take(~drop) if drop.any() else sub

    def _add_items(self, kept: ResponseData) -> None:
        rated = None
        for ids, per, h in self._item_groups:
            if per:
                rated = kept.rated(self.own) if rated is None else rated
                codes = kept.code_matrix(ids, self.own)
                h.add(codes[rated], None if kept.weight is None else kept.weight[rated])
            else:
                h.add(kept.code_matrix(ids), kept.weight)

    def _add_segments(self, kept: ResponseData, rows: NDArray[np.bool_]) -> None:
        acc = self.trees[self.own]
        r = acc.respondent_index(kept, rows)
        w = None if kept.weight is None else kept.weight[rows]
        for sid, s in self._segments.items():
            s.add(kept.segment_codes(sid)[rows], r, w)

    def _add_loyalty(self, kept: ResponseData) -> None:
        assert self._loyalty is not None
        used, per, h, joint = self._loyalty
        d = self.definition
        rows = kept.rated(self.own) if per else np.ones(kept.n, dtype=bool)
        if not rows.any():
            return
        codes = np.column_stack([kept.codes(i, self.own if d.is_per_brand(i) else None)[rows] for i in used])
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

    def _add_pls(self, kept: ResponseData) -> None:
        from analytics.acsi import indicator_frame

        assert self._pls is not None
        df = indicator_frame(self.definition, kept, self.own)
        self._pls.add(df[self._pls.items].to_numpy(dtype=np.float64))

    # ------------------------------------------------------------------------------------------ result
    def result(self, *, n_responses: int | None = None, digits: int = 6) -> dict[str, Any]:
        """The summary JSON (docs/analytics-json.md, ``mode: "summary"``), floats rounded to ``digits``.

        ``n_responses`` is the survey's total when the reader filtered before the chunks (the store's count);
        by default the responses added.

        Raises
        ------
        ValueError
            When ``median_duration_s`` disagrees with the timed respondents seen (given with fewer than
            `MIN_TIMED` of them, or missing with at least that many): the speeder flags would be wrong.
        """
        if self.median is None and self.timed >= MIN_TIMED:
            raise ValueError(f"median_duration_s: {self.timed} filtered respondents have completion times, so the "
                             "speeder rule needs their median; pass it (the store computes it in SQL)")
        if self.median is not None and self.timed < MIN_TIMED:
            raise ValueError(f"median_duration_s was given but only {self.timed} filtered respondents are timed "
                             f"(the speeder rule needs at least {MIN_TIMED}); pass None")
        d = self.definition
        own = self.own
        conf = self.conf
        total = self.n_responses if n_responses is None else int(n_responses)
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "mode": "summary",
            "survey": {"slug": d.slug, "version": d.version, "title": d.title, "own_brand": own,
                       "brands": d.brand_ids, "waves": d.wave_ids()},
            "filters": {**self.filters, "mask": False},
            "settings": {"conf": conf, "exclude_flags": self.exclude_flags, "min_segment_n": self.min_segment_n},
            "streaming": {"chunks": self.chunks, "largest_chunk": self.largest_chunk,
                          "median_duration": "given by the reader (the store computes it in SQL)",
                          "duplicates": _DUP_RULE, "fingerprints": len(self._keys) + len(self._answers)},
        }
        rule = self.rule
        out["quality"] = {
            "counts": dict(self.flag_counts),
            "params": {"speeder_fraction": self.speeder_fraction, "median_duration_s": self.median,
                       "min_grid": self.min_grid, "timed_respondents": self.timed},
            "exclusions": {"rule": f"exclude respondents flagged as any of: {', '.join(rule) or 'nothing'}",
                           "n_before": self.n_filtered, "n_excluded": self.n_excluded, "n_after": self.n_kept,
                           "by_flag": {k: self.flag_counts[k] for k in rule}},
            "examples": list(self.examples),
        }
        n = self.n_kept
        n_eff = self.sw * self.sw / self.sw2 if self.sw2 > 0 else 0.0
        out["n"] = {"responses": total, "filtered": self.n_filtered, "analysed": n, "weighted": self.weighted,
                    "n_eff": n_eff if self.weighted else float(n)}
        out["weighting"] = self._weighting(n, n_eff)
        names = ("items", "satisfaction_rate", "index", "brands", "benchmarks", "waves", "segments", "loyalty",
                 "priorities")
        if self.raking:
            reason = ("raking to the definition's weighting margins needs every analysed respondent before the first "
                      f"statistic; {NOT_COMPUTED}")
            for k in (*names, "servqual", "kano", "acsi"):
                out[k] = not_computed(reason)
            return to_jsonable(out, digits)
        if n == 0:
            reason = "no responses to analyse" + (" after filters and exclusions" if total else "")
            for k in names:
                out[k] = {"value": None, "n": 0, "status": "insufficient_data", "reason": reason}
            for k, block in (("servqual", d.servqual), ("kano", d.kano)):
                out[k] = None if block is None else {"value": None, "n": 0, "status": "insufficient_data",
                                                     "reason": reason}
            out["acsi"] = self._section("acsi", self._acsi)
            return to_jsonable(out, digits)
        out["items"] = self._section("items", self._items)
        out["satisfaction_rate"] = self._section("items", self._satisfaction_rate)
        trees = self._trees() if self.trees else {}
        if self.tree_status is not None:
            for k in ("index", "brands", "segments"):
                out[k] = dict(self.tree_status) if self.tree_status["status"] == "not_computed" else \
                    {"value": None, "n": n, **self.tree_status}
        elif self.tree_error is not None:
            out["index"] = {"value": None, "n": n, "status": "insufficient_data", "reason": self.tree_error}
            out["brands"] = {b: {"status": "insufficient_data", "reason": "no index for the own brand"}
                             for b in d.brand_ids}
            out["segments"] = {}
        else:
            own_tree = trees.get(own)
            out["index"] = _tree_dict(own_tree) if isinstance(own_tree, TreeResult) else own_tree
            out["brands"] = self._brands(trees)
            out["segments"] = self._section("segments", lambda: self._segments_result(own_tree)) \
                if isinstance(own_tree, TreeResult) else {}
        no_tree = d.indicators is None
        missing_tree = {"value": None, "n": n, "status": "insufficient_data",
                        "reason": "the definition has no indicator tree"}
        if no_tree:
            out["benchmarks"] = out["waves"] = out["priorities"] = missing_tree
        else:
            out["benchmarks"] = not_computed() if len(d.brand_ids) > 1 and d.brand_item_ids else {
                "status": "insufficient_data", "reason": "no competitor brands rated on per-brand items"}
            out["waves"] = not_computed()
            out["priorities"] = not_computed()
        out["loyalty"] = self._section("loyalty", self._loyalty_result) if d.loyalty else None
        out["servqual"] = None if d.servqual is None else not_computed()
        out["kano"] = None if d.kano is None else not_computed()
        out["acsi"] = self._section("acsi", self._acsi)
        return to_jsonable(out, digits)

    def _section(self, name: str, fn: Any) -> Any:
        if name in self.errors:
            return {"status": "error", "reason": self.errors[name]}
        try:
            return fn()
        except ValueError as exc:
            return {"status": "error", "reason": str(exc)}

    def _weighting(self, n: int, n_eff: float) -> dict[str, Any]:
        d = self.definition
        if n == 0:
            summ: dict[str, Any] = {"n_eff": 0.0, "min_weight": None, "max_weight": None}
        else:
            ne = n_eff if self.weighted else float(n)
            summ = {"n_eff": ne, "design_effect": n / ne if ne > 0 else None, "min_weight": self.w_min,
                    "max_weight": self.w_max}
        if self.raking and d.weighting is not None:
            return {"method": "raking", "base": "data weights" if self.weighted else "equal",
                    "margins": {k: dict(v) for k, v in d.weighting.margins.items()}, **summ,
                    **not_computed("raking needs every analysed respondent's cell and base weight before the "
                                   f"statistics; {NOT_COMPUTED}")}
        return {"method": "given" if self.weighted else "none", "margins": None, "iterations": 0,
                "converged": None, "max_error": None, **summ}

    def _items(self) -> dict[str, Any]:
        d = self.definition
        out: dict[str, Any] = {}
        for ids, _, h in self._item_groups:
            for st in stats_from_histogram(h.get(), h.rules, [_top_box(d, i) for i in ids], self.conf):
                dd = st.to_dict(None)
                dd["per_brand"] = d.is_per_brand(st.item_id)
                out[st.item_id] = dd
        return out

    def _item_hist(self, item_id: str) -> tuple[_Histogram, int]:
        for ids, _, h in self._item_groups:
            if item_id in ids:
                return h, ids.index(item_id)
        raise ValueError(f"item {item_id!r} is not a scored item (likert, nps or yes/no)")

    def _satisfaction_rate(self) -> dict[str, Any]:
        d = self.definition
        if d.loyalty is None:
            return {"value": None, "n": 0, "status": "insufficient_data",
                    "reason": "the definition names no overall satisfaction item (loyalty.satisfaction_item)"}
        sid = d.loyalty.satisfaction_item
        h, j = self._item_hist(sid)
        rule = h.rules[j]
        boxes = _top_box(d, sid)
        vals, cnt, wv, w2v = h.row(j)
        sat = rule.oriented(vals.astype(np.float64)) >= top_box_threshold(rule, boxes)
        est = _share(float(wv[sat].sum()), cnt, wv, w2v, conf=self.conf, what=f"satisfaction rate of {sid!r}")
        return {**est.to_dict(), "item": sid, "boxes": boxes}

    def _trees(self) -> dict[str, TreeResult | dict[str, Any]]:
        out: dict[str, TreeResult | dict[str, Any]] = {}
        own_weights = None
        for b in [self.own] + [b for b in self.trees if b != self.own]:
            acc = self.trees[b]
            err = self.errors.get(f"tree:{b}")
            try:
                if err is not None:
                    raise ValueError(err)
                out[b] = tree_from_statistics(self.definition, acc.statistics(), brand=b, weights=own_weights,
                                              conf=self.conf)
                if b == self.own:
                    own_weights = out[b].node_weights  # type: ignore[union-attr]
            except ValueError as exc:
                out[b] = {"value": None, "n": self.n_kept if b == self.own else 0, "status": "insufficient_data",
                          "reason": str(exc)}
        return out

    def _brands(self, trees: Mapping[str, TreeResult | dict[str, Any]]) -> dict[str, Any]:
        brands: dict[str, Any] = {}
        own_ok = isinstance(trees.get(self.own), TreeResult)
        for b in self.definition.brand_ids:
            t = trees.get(b)
            if not own_ok:
                brands[b] = {"status": "insufficient_data", "reason": "no index for the own brand"}
            elif isinstance(t, TreeResult):
                brands[b] = {**t.index.to_dict(), "own": b == self.own,
                             "nodes": {nd.id: nd.score.to_dict() for nd in t.nodes[1:]}}
            else:
                brands[b] = t
        return brands

    def _segments_result(self, tree: TreeResult) -> dict[str, Any]:
        d = self.definition
        lo, hi = self.trees[self.own].score_bounds
        out: dict[str, Any] = {}
        for sid, s in self._segments.items():
            item = d.item(sid)
            segs: dict[str, Any] = {}
            for k, opt in enumerate(item.options or []):
                nk = int(s.n[k])
                what = f"segment {sid}={opt.code}"
                if nk == 0:
                    est = Estimate.insufficient(0, f"{what}: no respondents")
                elif nk == 1:
                    est = Estimate.insufficient(1, f"{what}: one respondent only")
                else:
                    est = _mean_from_sums(nk, {name: float(v[k]) for name, v in s.s.items()}, self.conf, (lo, hi))
                segs[opt.code] = {**est.to_dict(), "small_n": nk < self.min_segment_n, "label": dict(opt.label)}
            out[sid] = {"item": sid, "min_n": self.min_segment_n, "segments": segs, "unknown": s.unknown,
                        "test": _anova_from_sums(s, self.weighted)}
        return out

    def _loyalty_result(self) -> dict[str, Any]:
        d = self.definition
        lb = d.loyalty
        assert lb is not None and self._loyalty is not None
        used, _, h, joint = self._loyalty
        conf = self.conf
        dmax, lmin = lb.defection_max, lb.loyalty_min
        if dmax >= lmin:
            raise ValueError(f"zone cut-offs: defection_max {dmax} must be below loyalty_min {lmin}")
        vals, cnt, wv, w2v = h.row(0)
        x = h.rules[0].oriented(vals.astype(np.float64))
        zones = {"defection": x <= dmax, "indifference": (x > dmax) & (x < lmin), "loyalty": x >= lmin}
        out: dict[str, Any] = {
            "satisfaction_item": lb.satisfaction_item,
            "cutoffs": {"defection_max": dmax, "loyalty_min": lmin},
            "zones": {k: _share(float(wv[m].sum()), cnt, wv, w2v, conf=conf, what=f"zone {k}").to_dict()
                      for k, m in zones.items()},
        }
        if lb.loyalty_item:
            lhm = lb.loyalty_high_min
            if lhm is None:
                sc = d.scale_of(lb.loyalty_item)
                lhm = sc.max - sc.top_box_count + 1
            shm = lmin
            width = h.max_code + 1
            codes = np.arange(width, dtype=np.float64)
            hs = np.repeat(h.rules[0].oriented(codes) >= shm, width)
            hl = np.tile(h.rules[1].oriented(codes) >= lhm, width)
            cnt_j, w_j, w2_j = joint
            tw, tw2 = float(w_j.sum()), float(w2_j.sum())
            ne = tw * tw / tw2 if tw2 > 0 else 0.0
            nq = int(cnt_j.sum())
            masks = {"loyalists": hs & hl, "mercenaries": hs & ~hl, "hostages": ~hs & hl, "defectors": ~hs & ~hl}
            out["quadrants"] = {
                "loyalty_item": lb.loyalty_item,
                "cutoffs": {"satisfaction_high_min": shm, "loyalty_high_min": lhm},
                **{q: proportion_estimate(float(w_j[m].sum()), tw, nq, ne, conf, what=f"quadrant {q}").to_dict()
                   for q, m in masks.items()},
            }
        else:
            out["quadrants"] = None
        if lb.nps_item:
            vals, cnt, wv, w2v = h.row(used.index(lb.nps_item))
            out["nps"] = {"item": lb.nps_item, **_nps_from_hist(vals, cnt, wv, w2v, conf).to_dict()}
        else:
            out["nps"] = None
        return out

    def _acsi(self) -> dict[str, Any] | None:
        d = self.definition
        if d.model is None or self._pls is None:
            return None
        return _acsi_from_sums(d, self._pls, self.own, self.conf)


def _straightliners(data: ResponseData, min_grid: int, reasons: dict[int, list[str]]) -> NDArray[np.bool_]:
    """The straight-liner rule of `analytics.quality.flag_quality` on one chunk (it is per respondent): zero
    variance across at least ``min_grid`` answered items of a grid (the grids of `analytics.quality`), raw codes
    compared; appends each flagged respondent's reasons."""
    d = data.definition
    sl = np.zeros(data.n, dtype=bool)
    for name, per_brand, ids in _grids(d):
        if len(ids) < min_grid:
            continue
        mats = [(b, data.code_matrix(ids, b)) for b in d.brand_ids] if per_brand else [(None, data.code_matrix(ids))]
        for b, c in mats:
            valid = c >= 0
            cnt = valid.sum(axis=1)
            mx = np.where(valid, c, -32768).max(axis=1)
            mn = np.where(valid, c, 32767).min(axis=1)
            hit = (cnt >= min_grid) & (mx == mn)
            where = f"grid {name}" + (f" for brand {b}" if b else "")
            for i in np.flatnonzero(hit):
                reasons.setdefault(int(i), []).append(f"straight-liner: {cnt[i]} answers all {mx[i]} in {where}")
            sl |= hit
    return sl


# ---------------------------------------------------------------------------------------------- finishing steps
def _share(success: float, cnt: NDArray[np.int64], wv: NDArray[np.float64], w2v: NDArray[np.float64], *,
           conf: float, what: str) -> Estimate:
    """A weighted share (percent, Wilson CI on n_eff) among the answered codes of a histogram row
    (`analytics.satisfaction_rate.proportion_estimate`; n_eff = (sum w)^2 / sum w^2, Kish 1965)."""
    W, W2 = float(wv.sum()), float(w2v.sum())
    return proportion_estimate(success, W, int(cnt.sum()), W * W / W2 if W2 > 0 else 0.0, conf, what=what)


def _nps_from_hist(vals: NDArray[np.int64], cnt: NDArray[np.int64], wv: NDArray[np.float64],
                   w2v: NDArray[np.float64], conf: float, promoter_min: float = 9,
                   detractor_max: float = 6) -> NpsResult:
    """`analytics.loyalty.nps` from the recommendation item's histogram of raw values (same formulas:
    NPS = 100 (p_P - p_D), var = (p_P(1-p_P) + p_D(1-p_D) + 2 p_P p_D) / n_eff, normal CI clipped to +-100)."""
    n = int(cnt.sum())
    W = float(wv.sum())
    if n == 0 or W <= 0:
        return NpsResult(Estimate.insufficient(n, "NPS: nobody answered the recommendation item"), 0.0, 0.0, 0.0)
    prom, detr = vals >= promoter_min, vals <= detractor_max
    pp = float(wv[prom].sum() / W)
    pd_ = float(wv[detr].sum() / W)
    value = 100.0 * (pp - pd_)
    W2 = float(w2v.sum())
    n_eff = W * W / W2
    groups = {"promoters": prom, "passives": (vals > detractor_max) & (vals < promoter_min), "detractors": detr}
    shares = {k: proportion_estimate(float(wv[m].sum()), W, n, n_eff, conf, what=f"NPS {k}")
              for k, m in groups.items()}
    if n < 2:
        est = Estimate(value=value, n=n, ci=None, status="insufficient_data",
                       reason="NPS: one answer only, no confidence interval")
        return NpsResult(est, 100 * pp, 100 * (1 - pp - pd_), 100 * pd_, shares)
    se = 100.0 * float(np.sqrt((pp * (1 - pp) + pd_ * (1 - pd_) + 2 * pp * pd_) / n_eff))
    h = z_quantile(conf) * se
    est = Estimate(value=value, n=n, ci=(max(value - h, -100.0), min(value + h, 100.0)), se=se, n_eff=n_eff)
    return NpsResult(est, 100 * pp, 100 * (1 - pp - pd_), 100 * pd_, shares)


def _mean_from_sums(n: int, s: Mapping[str, float], conf: float, bounds: tuple[float, float]) -> Estimate:
    """`analytics.inference.mean_estimate` from the sums of `_SegmentSums` (values shifted by `_SHIFT`)."""
    W = s["W"]
    m0 = s["wr"] / W
    n_eff = W * W / s["w2"]
    ss = max(s["w2r2"] - 2.0 * m0 * s["w2r"] + m0 * m0 * s["w2"], 0.0)
    se = float(np.sqrt(n / (n - 1) * ss / (W * W)))
    m = m0 + _SHIFT
    lo, hi = mean_ci(m, se, max(n_eff - 1.0, 1.0), conf)
    return Estimate(value=m, n=n, ci=(max(lo, bounds[0]), min(hi, bounds[1])), se=se, n_eff=n_eff)


def _anova_from_sums(s: _SegmentSums, weighted: bool) -> dict[str, object]:
    """`analytics.segments.segment_test` (method "anova") from per-segment sums: the one-way ANOVA F-test
    (Fisher 1925), as the WLS F-test of the segment dummies with weights (formula in `analytics.segments`)."""
    use = np.flatnonzero(s.n >= 2)
    if len(use) < 2:
        return {"method": "anova", "status": "insufficient_data",
                "reason": "fewer than two segments with at least 2 respondents"}
    const = s.hi[use] == s.lo[use]
    if const.all() and s.hi[use].max() == s.lo[use].min():
        return {"method": "anova", "status": "insufficient_data", "reason": "the index is constant in every segment"}
    if const.all():
        reason = "no variance within segments (every segment is constant)" if not weighted else \
            "no variance within segments"
        return {"method": "anova", "status": "insufficient_data", "reason": reason}
    W, wr, wr2 = s.s["W"][use], s.s["wr"][use], s.s["wr2"][use]
    ssr1 = float(np.maximum(wr2 - wr * wr / W, 0.0).sum())
    ssr0 = float(wr2.sum() - wr.sum() ** 2 / W.sum())
    g, nn = len(use), int(s.n[use].sum())
    df1, df2 = g - 1, nn - g
    if not ssr1 > 0:
        return {"method": "anova", "status": "insufficient_data", "reason": "no variance within segments"}
    F = ((ssr0 - ssr1) / df1) / (ssr1 / df2)
    p = float(sps.f.sf(F, df1, df2))
    if not weighted:
        return {"method": "anova", "statistic": float(F), "df": [df1, df2], "p_value": p}
    return {"method": "anova (WLS F-test)", "statistic": float(F), "df": [df1, df2], "p_value": p,
            "note": "respondent weights enter as precision weights (WLS); an approximation for survey weights"}


def _pls_moments(sums: _PlsSums, missing: str) -> tuple[Any, Any]:
    """Means, covariance and the missing-data report from `_PlsSums`, by the same finishing step as the full
    fit (`analytics.pls.moments.moments_from_sums`: mean replacement or casewise deletion)."""
    from analytics.pls.moments import moments_from_sums

    if sums.c is None:
        raise ValueError("the data has no rows")
    complete = sums.n_complete == sums.n_rows
    return moments_from_sums(
        sums.items, missing,  # type: ignore[arg-type]
        c=sums.c, G=sums.G, s=sums.s, cnt=sums.cnt, Bm=None if complete else sums.Bm,
        N=None if complete else sums.N, G_cc=sums.G_cc, s_cc=sums.s_cc, n_rows=sums.n_rows,
        n_complete=sums.n_complete)


def _acsi_from_sums(d: SurveyDefinition, sums: _PlsSums, brand: str, conf: float) -> dict[str, Any]:
    """The point estimates of `analytics.acsi.acsi_analysis` from the indicators' sums: the PLS fit on their
    correlation matrix (Lohmöller 1989; `analytics.pls.algorithm`) and the ACSI-style index
    (sum_i w~_i xbar_i - Min)/(Max - Min) * 100 of every construct (methods.md section 5). No bootstrap."""
    from analytics.acsi import MIN_ROWS, _bounds, _missing
    from analytics.pls import PLSPathModel
    from analytics.pls.algorithm import fit_correlations
    from analytics.pls.ipma import construct_indices, item_ranges
    from analytics.pls.spec import build_spec

    model = d.model
    assert model is not None
    usable = sums.n_complete if model.missing == "casewise" else sums.n_rows
    if usable < MIN_ROWS:
        what = "respondents" if usable == sums.n_rows else \
            f"complete respondents (casewise deletion, of {sums.n_rows})"
        return {"value": None, "status": "insufficient_data", "n": usable,
                "reason": f"{usable} {what}; the PLS path model needs at least {MIN_ROWS}"}
    params = PLSPathModel.from_definition(model).get_params()
    try:
        spec = build_spec(params["blocks"], params["paths"], params["mode"])
        if list(spec.items) != sums.items:  # pragma: no cover - both follow the definition's construct order
            raise ValueError("the model's items are not in the definition's order")
        moments, report = _pls_moments(sums, model.missing)
        need, who = spec.min_rows()
        if moments.n < need:
            raise ValueError(f"{moments.n} usable rows: construct {who!r} needs at least {need} for its regression")
        R = moments.corr
        for k in spec.mode_b:
            sl = spec.block_slices[k]
            if np.linalg.cond(R[sl, sl]) > 1e12:
                raise ValueError(f"construct {spec.constructs[k]!r} (mode B): its items are perfectly collinear")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = fit_correlations(R[None], spec, params["scheme"], params["max_iter"], params["tol"])
        if est.failed[0]:
            raise ValueError("the PLS algebra broke down (a singular construct correlation matrix): check for "
                             "constructs whose scores are perfectly collinear")
    except ValueError as exc:
        return {"value": None, "status": "insufficient_data", "n": sums.n_rows, "reason": str(exc)}
    lo, hi = item_ranges(spec.items, {i: _bounds(d, i)[0] for i in spec.items},
                         {i: _bounds(d, i)[1] for i in spec.items})
    idx = construct_indices(est.item_weights[0], moments.mean, moments.std, lo, hi, spec, "standardized")
    names = list(spec.constructs)
    n_used = int(moments.n)
    note = ("bootstrap over respondents not available in summary mode (it resamples respondent-level data); "
            "run the full analysis for the CI")
    r2 = est.r2[0]
    constructs = []
    for c in model.constructs:
        k = names.index(c.id)
        endo = k in spec.endogenous
        npred = len(spec.predecessors[k])
        constructs.append({
            "id": c.id, "label": dict(c.label), "mode": c.mode, "items": list(c.items),
            "score": {"value": float(idx[k]), "n": n_used, "ci": None, "ci_note": note},
            "r2": float(r2[k]) if endo else None,
            "r2_adj": float(1.0 - (1.0 - r2[k]) * (n_used - 1) / (n_used - npred - 1)) if endo else None,
        })
    sat = names.index(model.satisfaction)
    warn = [] if est.converged[0] else [f"PLS did not converge in {params['max_iter']} iterations "
                                        f"(tol={params['tol']:g}); the estimates are unreliable"]
    return {
        "status": "ok", "construct": model.satisfaction, "value": float(idx[sat]), "n": n_used, "ci": None,
        "se": None, "ci_note": note, "brand": brand, "scheme": model.scheme,
        "converged": bool(est.converged[0]), "n_iter": int(est.n_iter[0]), "complete_cases": sums.n_complete,
        "missing": _missing(report, model.missing),
        "constructs": constructs,
        "paths": [{"source": s, "target": t, "coef": float(est.paths[0][names.index(s), names.index(t)])}
                  for s, t in spec.paths],
        "outer": [{"item": i, "construct": names[spec.item_construct[j]], "weight": float(est.item_weights[0][j]),
                   "loading": float(est.loadings[0][j])} for j, i in enumerate(spec.items)],
        "bootstrap": not_computed(note),
        "quality_criteria": not_computed("reliability, validity (HTMT, Fornell-Larcker) and the IPMA are left to the "
                                         "full analysis in summary mode"),
        "warnings": warn,
    }


# ---------------------------------------------------------------------------------------------- in memory
def summarize(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    wave: str | Sequence[str] | None = None,
    brand: str | None = None,
    segment: Mapping[str, object] | None = None,
    chunk_rows: int = 50_000,
    digits: int = 6,
    **kw: Any,
) -> dict[str, Any]:
    """The streamed summary of responses already in memory, fed ``chunk_rows`` respondents at a time (the
    median completion time from the filtered data, as `analytics.quality.flag_quality` takes it). For files, and
    to check the streamed path against `analytics.analyze.analyze` on the same data."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    sub = data.filter(wave=wave, brand=brand, segment=segment)
    acc = StreamingSummary(definition, wave=wave, brand=brand, segment=segment, median_duration_s=median_duration(sub),
                           **kw)
    for a in range(0, data.n, chunk_rows):
        acc.add(data.take(np.arange(a, min(a + chunk_rows, data.n))))
    return acc.result(digits=digits)
