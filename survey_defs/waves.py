"""Which wave is open when: the one rule for wave dates, used by validation, the service and the CLI.

A wave's interval runs from the start of ``opens`` to the end of ``closes``: a date bound is a whole day in the
definition's time zone (``closes: 2026-12-31`` admits a submission at 23:59:59 that day), a datetime bound is
that instant (naive ones in the definition's time zone). A missing bound leaves that side open-ended. A wave
with neither bound is *undated*: it is never open by the clock (it only takes answers that name it, e.g. a
back-filled historical wave) and never overlaps another.

Compatibility: when no wave of a survey has any date, the clock cannot choose, and a submission without a wave
goes to the last wave listed, as it always has (`default_wave`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from survey_defs.schema import Wave


@dataclass(frozen=True)
class WaveSpan:
    """A wave's interval in epoch seconds: ``start <= t < end`` (``-inf``/``inf`` for a missing bound)."""

    id: str
    start: float
    end: float
    dated: bool

    def contains(self, t: float) -> bool:
        return self.dated and self.start <= t < self.end


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def bound_epoch(value: date | datetime, tz: str, *, end: bool) -> float:
    """A wave bound as epoch seconds: a date starts (``end=False``) or ends (``end=True``, exclusive: the next
    midnight) that day in ``tz``; a naive datetime is read in ``tz``; a datetime closing bound is inclusive."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo is not None else value.replace(tzinfo=_zone(tz))
        return dt.timestamp() + (1e-6 if end else 0.0)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=_zone(tz)).timestamp()


def span(w: Wave, tz: str) -> WaveSpan:
    start = -math.inf if w.opens is None else bound_epoch(w.opens, tz, end=False)
    end = math.inf if w.closes is None else bound_epoch(w.closes, tz, end=True)
    return WaveSpan(w.id, start, end, w.opens is not None or w.closes is not None)


def spans(waves: Sequence[Wave], tz: str) -> list[WaveSpan]:
    return [span(w, tz) for w in waves]


def any_dated(waves: Sequence[Wave]) -> bool:
    return any(w.opens is not None or w.closes is not None for w in waves)


def open_at(waves: Sequence[Wave], tz: str, t: float) -> str | None:
    """The id of the wave open at epoch ``t``, or None (validation guarantees at most one)."""
    return next((s.id for s in spans(waves, tz) if s.contains(t)), None)


def default_wave(waves: Sequence[Wave], tz: str, t: float) -> str | None:
    """The wave a submission at ``t`` without an explicit wave goes to.

    With dated waves: the one open at ``t``, None when none is (the caller refuses, 409). Without any dates:
    the last wave listed (the rule before waves had dates, kept so old definitions behave as before); None for
    a survey without waves.
    """
    if not waves:
        return None
    if any_dated(waves):
        return open_at(waves, tz, t)
    return waves[-1].id


def overlaps(waves: Sequence[Wave], tz: str) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of dated waves whose intervals overlap."""
    ss = spans(waves, tz)
    return [(i, j) for i in range(len(ss)) for j in range(i + 1, len(ss))
            if ss[i].dated and ss[j].dated and ss[i].start < ss[j].end and ss[j].start < ss[i].end]


def wave_problems(waves: Sequence[Wave], tz: str) -> list[tuple[int, str, str]]:
    """Every date problem as (index of the wave, field, message): a close before its opening, overlaps."""
    out: list[tuple[int, str, str]] = []
    for i, w in enumerate(waves):
        if w.opens is not None and w.closes is not None:
            s = span(w, tz)
            if s.end <= s.start:
                out.append((i, "closes", f"wave '{w.id}' closes ({w.closes}) before it opens ({w.opens})"))
    bad = {i for i, _, _ in out}
    for i, j in overlaps(waves, tz):
        if i in bad or j in bad:
            continue
        out.append((j, "opens", f"wave '{waves[j].id}' ({_when(waves[j])}) overlaps wave '{waves[i].id}' "
                                f"({_when(waves[i])}); a moment can belong to one wave only"))
    return out


def _when(w: Wave) -> str:
    return f"{w.opens or '...'} to {w.closes or '...'}"
