"""Response quality (docs/methods.md section 8): speeders, straight-liners and duplicates, each with its reason,
and exclusion by a stated rule with counts for the report's method section.

* Speeder: completion time (submitted_at - started_at) < ``speeder_fraction`` x the median completion time
  (default 0.3, i.e. under 30 % of the median; a common rule of thumb, cf. Greszki et al. 2015). Respondents
  without both times are not judged; with fewer than ``MIN_TIMED`` timed respondents no one is flagged.
* Straight-liner: zero variance across a grid of at least ``min_grid`` (default 5) answered items. A grid is the
  set of likert items of one section that share a scale; per-brand sections form one grid per brand rated.
  Raw codes are compared, so a reverse-coded item in the grid does not hide straight-lining.
* Duplicate: the same respondent key as an earlier row, or an answer vector (all coded answers, every brand)
  identical to an earlier respondent's with at least ``min_grid`` answers. The first occurrence is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.settings import DEFAULTS
from survey_defs.schema import SurveyDefinition

__all__ = [
    "DEFAULT_RULE",
    "MIN_TIMED",
    "QualityFlags",
    "apply_exclusions",
    "exclusion_report",
    "flag_quality",
    "grids",
    "median_duration",
    "quality_params",
    "speeders",
    "straightliners",
]

MIN_TIMED = 10
DEFAULT_RULE = DEFAULTS.exclusion_rule


@dataclass(frozen=True, eq=False)
class QualityFlags:
    """Boolean flags per respondent with a reason for each flagged one."""

    speeder: NDArray[np.bool_]
    straightliner: NDArray[np.bool_]
    duplicate: NDArray[np.bool_]
    reasons: dict[int, list[str]] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)

    def flag(self, name: str) -> NDArray[np.bool_]:
        if name not in DEFAULT_RULE:
            raise ValueError(f"unknown quality flag {name!r}; known: {', '.join(DEFAULT_RULE)}")
        return getattr(self, name)

    def summary(self) -> dict[str, object]:
        return {"counts": {k: int(self.flag(k).sum()) for k in DEFAULT_RULE}, "params": dict(self.params)}


def grids(definition: SurveyDefinition) -> list[tuple[str, bool, list[str]]]:
    """The straight-liner grids: (name ``section/scale``, per brand, item ids) for the likert items of each section
    that share a scale (module docstring)."""
    out: list[tuple[str, bool, list[str]]] = []
    for s in definition.sections:
        by_scale: dict[str, list[str]] = {}
        for it in s.items:
            if it.type == "likert" and it.scale:
                by_scale.setdefault(it.scale, []).append(it.id)
        out.extend((f"{s.id}/{sc}", s.per_brand, ids) for sc, ids in by_scale.items())
    return out


def _add(reasons: dict[int, list[str]], idx: NDArray[np.intp], text: str | Sequence[str]) -> None:
    for k, i in enumerate(idx):
        reasons.setdefault(int(i), []).append(text if isinstance(text, str) else text[k])


def median_duration(data: ResponseData) -> float | None:
    """The median completion time the speeder rule compares with: over the respondents with both times and a
    non-negative duration; None with fewer than `MIN_TIMED` of them (module docstring)."""
    dur, timed = _durations(data)
    return float(np.median(dur[timed])) if timed.sum() >= MIN_TIMED else None


def _durations(data: ResponseData) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Completion times submitted_at - started_at, and which respondents are timed (both times, duration >= 0)."""
    dur = data.submitted_at - data.started_at
    return dur, np.isfinite(dur) & (dur >= 0)


def speeders(
    data: ResponseData, speeder_fraction: float, median: float | None, reasons: dict[int, list[str]]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The speeder rule: duration < ``speeder_fraction`` x ``median`` (`median_duration`, None: nobody is flagged).
    Returns (speeder, timed) per respondent and appends each speeder's reason to ``reasons``."""
    dur, timed = _durations(data)
    speeder = np.zeros(data.n, dtype=bool)
    if median is not None:
        speeder = timed & (dur < speeder_fraction * median)
        idx = np.flatnonzero(speeder)
        _add(reasons, idx, [f"speeder: {dur[i]:.0f} s < {speeder_fraction:g} x median {median:.0f} s" for i in idx])
    return speeder, timed


def straightliners(data: ResponseData, min_grid: int, reasons: dict[int, list[str]]) -> NDArray[np.bool_]:
    """The straight-liner rule: zero variance across at least ``min_grid`` answered items of a grid (`grids`; one
    grid per brand for per-brand sections), raw codes compared. Per respondent, so it applies to any chunk of
    whole respondents; appends each flagged respondent's reasons to ``reasons``."""
    d = data.definition
    sl = np.zeros(data.n, dtype=bool)
    for name, per_brand, ids in grids(d):
        if len(ids) < min_grid:
            continue
        mats = [(b, data.code_matrix(ids, b)) for b in d.brand_ids] if per_brand else [(None, data.code_matrix(ids))]
        for b, c in mats:
            valid = c >= 0
            cnt = valid.sum(axis=1)
            mx = np.where(valid, c, -32768).max(axis=1)
            mn = np.where(valid, c, 32767).min(axis=1)
            hit = (cnt >= min_grid) & (mx == mn)
            idx = np.flatnonzero(hit)
            where = f"grid {name}" + (f" for brand {b}" if b else "")
            _add(reasons, idx, [f"straight-liner: {cnt[i]} answers all {mx[i]} in {where}" for i in idx])
            sl |= hit
    return sl


def quality_params(speeder_fraction: float, median: float | None, min_grid: int, timed: int) -> dict[str, object]:
    """The rules' parameters as the quality report states them (``timed``: respondents with a completion time)."""
    return {"speeder_fraction": speeder_fraction, "median_duration_s": median, "min_grid": min_grid,
            "timed_respondents": timed}


def exclusion_report(rule: Sequence[str], n_before: int, n_excluded: int, n_after: int,
                     by_flag: dict[str, int]) -> dict[str, object]:
    """The exclusions as the report's method section states them: the rule, n before and after, the number
    excluded and per flag of the rule how many respondents carry it (overlaps counted under each flag)."""
    return {"rule": f"exclude respondents flagged as any of: {', '.join(rule) or 'nothing'}",
            "n_before": n_before, "n_excluded": n_excluded, "n_after": n_after, "by_flag": by_flag}


def flag_quality(
    data: ResponseData,
    *,
    speeder_fraction: float = DEFAULTS.speeder_fraction,
    min_grid: int = DEFAULTS.min_grid,
) -> QualityFlags:
    """Flag speeders, straight-liners and duplicates (rules in the module docstring)."""
    n = data.n
    reasons: dict[int, list[str]] = {}
    med = median_duration(data)
    speeder, timed = speeders(data, speeder_fraction, med, reasons)
    sl = straightliners(data, min_grid, reasons)
    # duplicates
    dup = np.zeros(n, dtype=bool)
    keys = pd.Series(data.respondent_id.astype(str))
    dkey = keys.duplicated().to_numpy()
    if dkey.any():
        first = keys.groupby(keys).cumcount()
        idx = np.flatnonzero(dkey)
        _add(reasons, idx, [f"duplicate: respondent key {keys.iloc[i]!r} repeats (occurrence {first.iloc[i] + 1})"
                            for i in idx])
        dup |= dkey
    flat_brand = data.brand.reshape(n, data.brand.shape[1] * data.brand.shape[2])
    allc = np.ascontiguousarray(np.concatenate([data.resp, flat_brand], axis=1))
    answered = (allc >= 0).sum(axis=1) >= min_grid
    if allc.shape[1]:
        rowkey = pd.Series(allc.view(np.dtype((np.void, allc.dtype.itemsize * allc.shape[1]))).ravel())
        same = rowkey.duplicated().to_numpy() & answered & ~dkey
        if same.any():
            firsts = pd.Series(np.arange(n)).groupby(rowkey.to_numpy()).transform("min").to_numpy()
            idx = np.flatnonzero(same)
            _add(reasons, idx, [f"duplicate: answers identical to respondent {data.respondent_id[firsts[i]]!r}"
                                for i in idx])
            dup |= same
    return QualityFlags(speeder, sl, dup, reasons, quality_params(speeder_fraction, med, min_grid, int(timed.sum())))


def apply_exclusions(
    data: ResponseData, flags: QualityFlags, rule: Sequence[str] = DEFAULT_RULE
) -> tuple[ResponseData, dict[str, object]]:
    """Drop respondents carrying any flag in ``rule``; return the kept data and a counted report.

    The report gives n before and after, the number excluded, and per flag how many respondents carry it
    (overlaps counted under each flag) — what the report's method section states.
    """
    drop = np.zeros(data.n, dtype=bool)
    per: dict[str, int] = {}
    for name in rule:
        f = flags.flag(name)
        per[name] = int(f.sum())
        drop |= f
    kept = data.take(~drop) if drop.any() else data
    return kept, exclusion_report(rule, data.n, int(drop.sum()), kept.n, per)
