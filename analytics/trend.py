"""The index of every wave and the selected wave against the one before it (methods.md section 8).

`analyze` compares only what its filters keep; a report on one wave still needs every wave's index (the trend
table) and that wave's change on the previous one. Both are computed here, in `analytics`, from the analysis'
own tree weights (the exact node weights, so every wave is on the same index definition; derived weights such
as entropy are not re-estimated per wave) and with the analysis' quality rule applied wave by wave: each wave's
row is the index that wave's own analysis gives (before raking: the trend uses the data's weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from analytics.benchmark import compare_waves
from analytics.data import ResponseData
from analytics.quality import flag_quality
from analytics.settings import DEFAULTS, AnalysisSettings
from analytics.tree import compute_tree
from survey_defs.schema import SurveyDefinition

__all__ = ["keep_mask", "kept_by_wave", "wave_change", "wave_trend"]


def keep_mask(data: ResponseData, settings: AnalysisSettings = DEFAULTS) -> NDArray[np.bool_]:
    """Which respondents of ``data`` the quality rule of ``settings`` keeps (as `analyze` applies it)."""
    if data.n == 0 or not settings.exclude_flags:
        return np.ones(data.n, dtype=bool)
    flags = flag_quality(data, speeder_fraction=settings.speeder_fraction, min_grid=settings.min_grid)
    drop = np.zeros(data.n, dtype=bool)
    for name in settings.exclusion_rule:
        drop |= flags.flag(name)
    return ~drop


def kept_by_wave(definition: SurveyDefinition, data: ResponseData,
                 settings: AnalysisSettings = DEFAULTS) -> ResponseData:
    """Every wave's respondents as that wave's own analysis keeps them: the quality rule applied wave by wave
    (speeders are judged against their wave's median time). Without waves, the rule on all of ``data``."""
    if data.n == 0 or not settings.exclude_flags:
        return data
    if not definition.waves:
        keep = keep_mask(data, settings)
        return data if keep.all() else data.take(keep)
    mask = np.zeros(data.n, dtype=bool)
    for w in definition.wave_ids():
        idx = np.flatnonzero(data.wave == w)
        if idx.size:
            mask[idx[keep_mask(data.take(idx), settings)]] = True
    return data if mask.all() else data.take(mask)


def wave_trend(definition: SurveyDefinition, kept: ResponseData, weights: dict[str, NDArray[np.float64]] | None,
               settings: AnalysisSettings = DEFAULTS) -> list[dict[str, Any]]:
    """One row per wave with responses: ``{"wave", "n", "index": <figure>, "nodes": {top-level id: <figure>}}``
    (``index: null`` and a ``reason`` when its tree cannot be computed). ``kept`` is `kept_by_wave`'s result."""
    if definition.indicators is None or not definition.waves or kept.n == 0:
        return []
    own = definition.own_brand.id
    top = {c.id for c in definition.indicators.children}
    rows: list[dict[str, Any]] = []
    for w in definition.wave_ids():
        sub = kept.filter(wave=w)
        if sub.n == 0:
            continue
        try:
            tr = compute_tree(definition, sub, brand=own, weights=weights, conf=settings.conf, respondent_level=False)
        except ValueError as exc:
            rows.append({"wave": w, "n": sub.n, "index": None, "reason": str(exc), "nodes": {}})
            continue
        rows.append({"wave": w, "n": sub.n, "index": tr.index.to_dict(),
                     "nodes": {nd.id: nd.score.to_dict() for nd in tr.nodes if nd.id in top}})
    return rows


def wave_change(definition: SurveyDefinition, kept: ResponseData, wave: str,
                weights: dict[str, NDArray[np.float64]] | None,
                settings: AnalysisSettings = DEFAULTS) -> dict[str, Any] | None:
    """``wave`` against the previous wave with responses (`analytics.benchmark.compare_waves`: the index a
    primary comparison, dimensions and items secondary); None when ``wave`` is the first or has no data."""
    present = [w for w in definition.wave_ids() if (kept.wave == w).any()]
    if definition.indicators is None or wave not in present or present.index(wave) == 0:
        return None
    prev = present[present.index(wave) - 1]
    return compare_waves(definition, kept, latest=wave, previous=prev, brand=definition.own_brand.id,
                         weights=weights, n_boot=settings.n_boot, conf=settings.conf, alpha=settings.alpha,
                         random_state=settings.random_state)
