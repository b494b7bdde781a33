"""Response quality (methods.md section 8): speeders, straight-liners and duplicates, each with its reason,
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
from survey_defs.schema import SurveyDefinition

__all__ = ["DEFAULT_RULE", "MIN_TIMED", "QualityFlags", "apply_exclusions", "flag_quality"]

MIN_TIMED = 10
DEFAULT_RULE = ("speeder", "straightliner", "duplicate")


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


def _grids(definition: SurveyDefinition) -> list[tuple[str, bool, list[str]]]:
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


def flag_quality(
    data: ResponseData,
    *,
    speeder_fraction: float = 0.3,
    min_grid: int = 5,
) -> QualityFlags:
    """Flag speeders, straight-liners and duplicates (rules in the module docstring)."""
    d = data.definition
    n = data.n
    reasons: dict[int, list[str]] = {}
    # speeders
    dur = data.submitted_at - data.started_at
    timed = np.isfinite(dur) & (dur >= 0)
    speeder = np.zeros(n, dtype=bool)
    med = float(np.median(dur[timed])) if timed.sum() >= MIN_TIMED else None
    if med is not None:
        speeder = timed & (dur < speeder_fraction * med)
        idx = np.flatnonzero(speeder)
        _add(reasons, idx, [f"speeder: {dur[i]:.0f} s < {speeder_fraction:g} x median {med:.0f} s" for i in idx])
    # straight-liners
    sl = np.zeros(n, dtype=bool)
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
            idx = np.flatnonzero(hit)
            where = f"grid {name}" + (f" for brand {b}" if b else "")
            _add(reasons, idx, [f"straight-liner: {cnt[i]} answers all {mx[i]} in {where}" for i in idx])
            sl |= hit
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
    params: dict[str, object] = {"speeder_fraction": speeder_fraction, "median_duration_s": med, "min_grid": min_grid,
              "timed_respondents": int(timed.sum())}
    return QualityFlags(speeder, sl, dup, reasons, params)


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
    report = {"rule": f"exclude respondents flagged as any of: {', '.join(rule) or 'nothing'}",
              "n_before": data.n, "n_excluded": int(drop.sum()), "n_after": kept.n, "by_flag": per}
    return kept, report
