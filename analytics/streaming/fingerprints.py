"""Quality exclusions of the streamed summary, applied chunk by chunk before anything is summed (rules of
`analytics.quality`):

* straight-liners: per respondent, on each chunk (`analytics.quality.straightliners`, the full analysis' code);
* speeders: completion time < ``speeder_fraction`` x the median over the filtered respondents, which the
  caller passes as ``median_duration_s`` (the store computes it in SQL; `analytics.quality.speeders`); ``None``
  means fewer than `analytics.quality.MIN_TIMED` timed respondents, and the summary's ``result`` checks that
  against its own count;
* duplicates: a respondent key seen before, or an answer vector seen before (with at least ``min_grid``
  answers), as in the full analysis, but compared by 64-bit fingerprints (``pandas.util.hash_array`` of the
  key, ``hash_pandas_object`` of the code row) kept in sorted arrays (`Seen`): 8 bytes per distinct key and per
  distinct answer vector (occurrence counts only for the keys that repeat). Two different respondents collide
  with probability about n^2 / 2^65 (3e-8 at 10^6), which would flag one of them wrongly. The reason of an
  answer duplicate cannot name the earlier respondent (only fingerprints are kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.quality import DEFAULT_RULE, exclusion_report, quality_params, speeders, straightliners
from analytics.result_json import MAX_FLAG_EXAMPLES

__all__ = ["DUP_RULE", "QualityFilter", "Seen"]

DUP_RULE = ("respondent key seen before, or an answer vector (all codes, every brand, at least min_grid answers) "
            "seen before; compared by 64-bit fingerprints, first occurrence kept")


class Seen:
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


class QualityFilter:
    """Flags the filtered respondents of each chunk, counts the flags, keeps the first `MAX_FLAG_EXAMPLES`
    flagged respondents with their reasons, and drops those flagged under ``rule`` (module docstring)."""

    def __init__(self, *, median: float | None, speeder_fraction: float, min_grid: int, rule: Sequence[str]) -> None:
        self.median = median
        self.speeder_fraction = speeder_fraction
        self.min_grid = min_grid
        self.rule = tuple(rule)
        self.timed = 0
        self.flag_counts = dict.fromkeys(DEFAULT_RULE, 0)
        self.n_excluded = 0
        self.examples: list[dict[str, Any]] = []
        self.keys = Seen()
        self.answers = Seen()

    @property
    def fingerprints(self) -> int:
        """How many fingerprints are kept (distinct respondent keys and answer vectors)."""
        return len(self.keys) + len(self.answers)

    def apply(self, sub: ResponseData) -> ResponseData:
        """Flag speeders, straight-liners and duplicates of one filtered chunk; return the kept respondents."""
        n = sub.n
        reasons: dict[int, list[str]] = {}
        speeder, timed = speeders(sub, self.speeder_fraction, self.median, reasons)
        self.timed += int(timed.sum())
        sl = straightliners(sub, self.min_grid, reasons)
        keys = sub.respondent_id.astype(str)
        occ = self.keys.add(pd.util.hash_array(keys.astype(object)))
        dkey = occ > 0
        for i in np.flatnonzero(dkey):
            reasons.setdefault(int(i), []).append(
                f"duplicate: respondent key {str(keys[i])!r} repeats (occurrence {occ[i] + 1})")
        allc = np.concatenate([sub.resp, sub.brand.reshape(n, -1)], axis=1)
        same = np.zeros(n, dtype=bool)
        if allc.shape[1]:
            fp = pd.util.hash_pandas_object(pd.DataFrame(allc), index=False).to_numpy(dtype=np.uint64)
            answered = (allc >= 0).sum(axis=1) >= self.min_grid
            same = (self.answers.add(fp) > 0) & answered & ~dkey
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

    def report(self, n_before: int, n_after: int) -> dict[str, Any]:
        """The ``quality`` section: flag counts, the rules' parameters, the exclusions and the examples."""
        return {
            "counts": dict(self.flag_counts),
            "params": quality_params(self.speeder_fraction, self.median, self.min_grid, self.timed),
            "exclusions": exclusion_report(self.rule, n_before, self.n_excluded, n_after,
                                           {k: self.flag_counts[k] for k in self.rule}),
            "examples": list(self.examples),
        }
