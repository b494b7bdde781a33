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

Quality exclusions (speeders, straight-liners, duplicates by 64-bit fingerprints) are applied chunk by chunk
before anything is summed, by the rules of `analytics.quality` (`analytics.streaming.fingerprints`).

Survey weights are the data's own (``ResponseData.weight``). Raking to the definition's ``weighting`` margins
needs every analysed respondent's cell before the first statistic, so a definition with a weighting block gets
``not_computed`` statistics here.

The package: `accumulators` (the sums), `fingerprints` (the quality exclusions), `sections` and `acsi` (the
sections finished from the sums); `StreamingSummary` here ties them together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.inference import z_quantile
from analytics.quality import DEFAULT_RULE, MIN_TIMED, median_duration
from analytics.result_json import (
    NO_COMPETITORS,
    NO_OWN_INDEX,
    NO_TREE,
    SCHEMA_VERSION,
    SECTIONS,
    empty_sections,
    insufficient,
    survey_header,
    to_jsonable,
    tree_dict,
)
from analytics.settings import DEFAULTS
from analytics.streaming.accumulators import ItemHistograms, LoyaltySums, PlsSums, SegmentSums
from analytics.streaming.acsi import acsi_from_sums
from analytics.streaming.fingerprints import DUP_RULE, QualityFilter, Seen
from analytics.streaming.sections import (
    NOT_COMPUTED,
    brands_section,
    finish_trees,
    items_section,
    loyalty_section,
    not_computed,
    satisfaction_rate_section,
    segments_section,
    weighting_section,
)
from analytics.tree import NeedsRespondentData, TreeAccumulator, TreeResult, fixed_node_weights
from survey_defs.schema import SurveyDefinition

__all__ = ["NOT_COMPUTED", "StreamingSummary", "median_duration", "not_computed", "summarize"]

_Seen = Seen  # the fingerprint set's earlier name here (tests/analytics/test_streaming.py imports it)


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
        speeder_fraction: float = DEFAULTS.speeder_fraction,
        min_grid: int = DEFAULTS.min_grid,
        conf: float = DEFAULTS.conf,
        min_segment_n: int = DEFAULTS.min_segment_n,
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
        self.quality = QualityFilter(median=median_duration_s, speeder_fraction=speeder_fraction, min_grid=min_grid,
                                     rule=self.rule)
        # weights
        self.weighted = False
        self.sw = 0.0
        self.sw2 = 0.0
        self.w_min = math.inf
        self.w_max = -math.inf
        self.raking = d.weighting is not None
        # items
        self._items = ItemHistograms(d)
        # trees: one per brand, with the own brand's fixed weights
        self.tree_status: dict[str, str] | None = None
        self.tree_error: str | None = None
        self.trees: dict[str, TreeAccumulator] = {}
        self._segments: dict[str, SegmentSums] = {}
        if d.indicators is None:
            self.tree_status = {"status": "insufficient_data", "reason": NO_TREE}
        else:
            try:
                fixed_node_weights(d)
                self.trees = {b: TreeAccumulator(d, brand=b) for b in d.brand_ids}
                self._segments = {sid: SegmentSums(len(d.item(sid).options or [])) for sid in d.segment_item_ids}
            except NeedsRespondentData as exc:
                self.tree_status = not_computed(f"{exc}: {NOT_COMPUTED}")
            except ValueError as exc:  # bad weights in the definition: the own brand's tree fails, as in analyze
                self.trees = {}
                self.tree_error = str(exc)
        # loyalty
        self._loyalty: LoyaltySums | None = None
        if d.loyalty is not None:
            try:
                self._loyalty = LoyaltySums(d)
            except ValueError as exc:
                self.errors["loyalty"] = str(exc)
        # ACSI
        self._pls: PlsSums | None = None
        if d.model is not None:
            self._pls = PlsSums([i for c in d.model.constructs for i in c.items])

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
        kept = self.quality.apply(sub)
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
        self._guard("items", self._items.add, kept, self.own)
        own_rows = None
        for b, acc in self.trees.items():
            rows = acc.frame(kept)
            if b == self.own:
                own_rows = rows
            self._guard(f"tree:{b}", acc.add, kept, rows)
        if self._segments and own_rows is not None and own_rows.any():
            self._guard("segments", self._add_segments, kept, own_rows)
        if self._loyalty is not None:
            self._guard("loyalty", self._loyalty.add, kept, self.own)
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

    def _add_segments(self, kept: ResponseData, rows: NDArray[np.bool_]) -> None:
        """The own brand's respondent-level index (fixed weights) into each segment item's sums."""
        r = self.trees[self.own].respondent_index(kept, rows)
        w = None if kept.weight is None else kept.weight[rows]
        for sid, s in self._segments.items():
            s.add(kept.segment_codes(sid)[rows], r, w)

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
        timed = self.quality.timed
        if self.median is None and timed >= MIN_TIMED:
            raise ValueError(f"median_duration_s: {timed} filtered respondents have completion times, so the "
                             "speeder rule needs their median; pass it (the store computes it in SQL)")
        if self.median is not None and timed < MIN_TIMED:
            raise ValueError(f"median_duration_s was given but only {timed} filtered respondents are timed "
                             f"(the speeder rule needs at least {MIN_TIMED}); pass None")
        d = self.definition
        own = self.own
        conf = self.conf
        total = self.n_responses if n_responses is None else int(n_responses)
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "mode": "summary",
            "survey": survey_header(d),
            "filters": {**self.filters, "mask": False},
            "settings": {"conf": conf, "exclude_flags": self.exclude_flags, "min_segment_n": self.min_segment_n},
            "streaming": {"chunks": self.chunks, "largest_chunk": self.largest_chunk,
                          "median_duration": "given by the reader (the store computes it in SQL)",
                          "duplicates": DUP_RULE, "fingerprints": self.quality.fingerprints},
        }
        out["quality"] = self.quality.report(self.n_filtered, self.n_kept)
        n = self.n_kept
        n_eff = self.sw * self.sw / self.sw2 if self.sw2 > 0 else 0.0
        out["n"] = {"responses": total, "filtered": self.n_filtered, "analysed": n, "weighted": self.weighted,
                    "n_eff": n_eff if self.weighted else float(n)}
        out["weighting"] = weighting_section(d, n, n_eff, weighted=self.weighted, raking=self.raking,
                                             w_min=self.w_min, w_max=self.w_max)
        if self.raking:
            reason = ("raking to the definition's weighting margins needs every analysed respondent before the first "
                      f"statistic; {NOT_COMPUTED}")
            for k in (*SECTIONS, "servqual", "kano", "acsi"):
                out[k] = not_computed(reason)
            return to_jsonable(out, digits)
        if n == 0:
            reason = "no responses to analyse" + (" after filters and exclusions" if total else "")
            out.update(empty_sections(d, reason))
            out["acsi"] = self._section("acsi", self._acsi)
            return to_jsonable(out, digits)
        out["items"] = self._section("items", lambda: items_section(d, self._items, conf))
        out["satisfaction_rate"] = self._section("items", lambda: satisfaction_rate_section(d, self._items, conf))
        trees = finish_trees(d, self.trees, own, self.errors, n, conf) if self.trees else {}
        if self.tree_status is not None:
            for k in ("index", "brands", "segments"):
                out[k] = dict(self.tree_status) if self.tree_status["status"] == "not_computed" else \
                    {"value": None, "n": n, **self.tree_status}
        elif self.tree_error is not None:
            out["index"] = insufficient(n, self.tree_error)
            out["brands"] = {b: {"status": "insufficient_data", "reason": NO_OWN_INDEX} for b in d.brand_ids}
            out["segments"] = {}
        else:
            own_tree = trees.get(own)
            out["index"] = tree_dict(own_tree) if isinstance(own_tree, TreeResult) else own_tree
            out["brands"] = brands_section(d, own, trees)
            out["segments"] = self._section("segments", lambda: segments_section(
                d, self.trees[own], self._segments, min_segment_n=self.min_segment_n, weighted=self.weighted,
                conf=conf)) if isinstance(own_tree, TreeResult) else {}
        if d.indicators is None:
            out["benchmarks"] = out["waves"] = out["priorities"] = insufficient(n, NO_TREE)
        else:
            out["benchmarks"] = not_computed() if len(d.brand_ids) > 1 and d.brand_item_ids else {
                "status": "insufficient_data", "reason": NO_COMPETITORS}
            out["waves"] = not_computed()
            out["priorities"] = not_computed()
        out["loyalty"] = self._section("loyalty", self._loyalty_section) if d.loyalty else None
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

    def _loyalty_section(self) -> dict[str, Any]:
        assert self._loyalty is not None  # else errors["loyalty"] says why
        return loyalty_section(self.definition, self._loyalty, self.conf)

    def _acsi(self) -> dict[str, Any] | None:
        d = self.definition
        if d.model is None or self._pls is None:
            return None
        return acsi_from_sums(d, self._pls, self.own, self.conf)


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
