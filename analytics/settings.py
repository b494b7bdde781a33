"""`AnalysisSettings`: the one home of every analysis default (issue 11).

`analytics.analyze`, the streamed summary (`analytics.streaming.StreamingSummary`), the quality rules
(`analytics.quality`), the segments (`analytics.segments`), the comparisons (`analytics.benchmark`) and the
report (`reports`) take their defaults from ``DEFAULTS`` instead of repeating literals. The analysis JSON's
``settings`` block is `AnalysisSettings.to_json`; `AnalysisSettings.from_json` reads it back (missing keys take
the defaults), so the report never guesses a default of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULTS", "AnalysisSettings"]


@dataclass(frozen=True)
class AnalysisSettings:
    """Every default of an analysis.

    ``conf``: confidence level of every interval; ``alpha``: significance level of the comparisons (primary
    tests alone, secondary Holm-corrected; methods.md section 8); ``n_boot``/``random_state``: the seeded
    bootstraps; ``exclude_flags``/``exclusion_rule``: which quality flags exclude a respondent;
    ``speeder_fraction``: a speeder took less than this fraction of the median completion time;
    ``min_grid``: the smallest grid checked for straight-lining; ``min_segment_n``: segments below this n get no
    index; ``priority_split``: the importance-performance quadrants split at the ``mean`` or ``median``.
    """

    conf: float = 0.95
    alpha: float = 0.05
    n_boot: int = 1000
    random_state: int = 0
    exclude_flags: bool = True
    exclusion_rule: tuple[str, ...] = ("speeder", "straightliner", "duplicate")
    speeder_fraction: float = 0.3
    min_grid: int = 5
    min_segment_n: int = 30
    priority_split: str = "mean"

    def replace(self, **changes: Any) -> AnalysisSettings:
        """A copy with ``changes`` (None values keep the current setting)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_json(self) -> dict[str, Any]:
        """The analysis JSON's ``settings`` block (docs/analytics-json.md)."""
        out = dataclasses.asdict(self)
        out["exclusion_rule"] = list(self.exclusion_rule)
        return out

    @classmethod
    def from_json(cls, block: Mapping[str, Any] | None) -> AnalysisSettings:
        """The settings an analysis JSON was computed with; keys it lacks (older JSON) take the defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in (block or {}).items() if k in names and v is not None}
        if "exclusion_rule" in kw:
            kw["exclusion_rule"] = tuple(kw["exclusion_rule"])
        return cls(**kw)


DEFAULTS = AnalysisSettings()
