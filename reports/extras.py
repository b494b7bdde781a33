"""What the report needs from the responses beyond `analytics.analyze`'s JSON: channels and comments.

The analysis is the report's main input; the trend over waves and the selected wave's change on the previous one
are in it (``trend``, ``wave_change``; computed in `analytics.trend`) and are passed through here unchanged. Two
things come from the responses themselves: counts by channel and the verbatim comments (``ResponseData.texts``).
They are computed here, once, as plain data, so that `reports.context` stays a pure function of (definition,
analysis, extras) and the tests can build extras by hand.

The respondents are the analysis' own: its quality rule with its settings (`analytics.trend.keep_mask`, the one
implementation), so a speeder's comment is not quoted to management.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analytics.analyze import to_jsonable
from analytics.data import ResponseData
from analytics.settings import AnalysisSettings
from analytics.trend import keep_mask
from survey_defs.schema import SurveyDefinition

__all__ = ["COMMENT_CAP", "COMMENT_SEED", "MAX_COMMENT_CHARS", "compute_extras", "latest_wave", "sample_comments"]

COMMENT_CAP = 30
COMMENT_SEED = 20240601
MAX_COMMENT_CHARS = 400
BAND_ORDER = ("low", "mid", "high", "unknown")


def _kept(data: ResponseData, analysis: Mapping[str, Any]) -> ResponseData:
    """The respondents the analysis kept: its quality rule, with the settings it records, on the same scope."""
    keep = keep_mask(data, AnalysisSettings.from_json(analysis.get("settings")))
    return data if keep.all() else data.take(keep)


def latest_wave(definition: SurveyDefinition, data: ResponseData) -> str | None:
    """The last wave of the definition that has any response in ``data`` (None without waves or data).

    A report without an explicit period covers this wave: a CSI pooled over every wave would read as the latest
    period's while being an average of all of them.
    """
    present = set(np.unique(data.wave[data.wave != None]).tolist()) if data.n else set()  # noqa: E711
    for w in reversed(definition.wave_ids()):
        if w in present:
            return w
    return None


def _satisfaction_band(definition: SurveyDefinition, data: ResponseData) -> np.ndarray:
    """Per respondent: 'low' / 'mid' / 'high' overall satisfaction (loyalty cut-offs), or 'unknown'."""
    band = np.full(data.n, "unknown", dtype=object)
    lb = definition.loyalty
    if lb is None or data.n == 0:
        return band
    sid = lb.satisfaction_item
    raw = data.raw_values(sid, definition.own_brand.id if definition.is_per_brand(sid) else None)
    item = definition.item(sid)
    if item.reverse and item.scale is not None:
        sc = definition.scale_of(sid)
        raw = sc.min + sc.max - raw
    band[raw <= lb.defection_max] = "low"
    band[(raw > lb.defection_max) & (raw < lb.loyalty_min)] = "mid"
    band[raw >= lb.loyalty_min] = "high"
    return band


def sample_comments(
    pool: Sequence[Mapping[str, Any]], cap: int = COMMENT_CAP, seed: int = COMMENT_SEED,
    wave_order: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """A fair sample of at most ``cap`` distinct comments, stratified by wave x satisfaction band.

    Identical texts (of the same question) are merged first, across strata: one entry carrying the total
    ``count`` and ``strata`` (``[{"wave", "band", "count"}]``, the waves and bands it came from), so a sentence
    many people wrote is listed once, not once per stratum. For the allocation each distinct comment belongs to
    the stratum most of its copies came from. Places are allocated to strata in proportion to their number of
    comments (copies included), by largest remainder, with at least one per stratum that has a distinct comment
    while the cap allows, so a small group of unhappy customers is not drowned out by a large satisfied one;
    within a stratum the draw is seeded random (reproducible, not "the first 30"). The result is ordered by wave,
    then band, then first appearance in the data.
    """
    waves = {w: k for k, w in enumerate(wave_order or [])}

    def skey(k: tuple[str, str]) -> tuple[int, str, int, str]:
        band = BAND_ORDER.index(k[1]) if k[1] in BAND_ORDER else len(BAND_ORDER)
        return (waves.get(k[0], len(waves)), k[0], band, k[1])

    merged: dict[tuple[str, str], dict[str, Any]] = {}
    raw_size: Counter[tuple[str, str]] = Counter()
    for c in pool:
        stratum = (str(c.get("wave") or ""), str(c.get("band") or ""))
        cnt = int(c.get("count", 1))
        raw_size[stratum] += cnt
        e = merged.setdefault((str(c.get("item") or ""), c["text"]),
                              {"item": c.get("item"), "text": c["text"], "count": 0, "_strata": Counter()})
        e["count"] += cnt
        e["_strata"][stratum] += cnt
    entries: list[dict[str, Any]] = []
    for e in merged.values():
        strata = sorted(e.pop("_strata").items(), key=lambda kv: skey(kv[0]))
        home = max(strata, key=lambda kv: kv[1])[0]  # first of the most frequent, in stratum order
        entries.append({**e, "wave": home[0], "band": home[1],
                        "strata": [{"wave": k[0], "band": k[1], "count": n} for k, n in strata]})
    keys = sorted({(e["wave"], e["band"]) for e in entries}, key=skey)
    distinct = [[e for e in entries if (e["wave"], e["band"]) == k] for k in keys]
    if len(entries) <= cap:
        return [e for u in distinct for e in u]
    sizes = np.array([raw_size[k] for k in keys], dtype=float)
    avail = np.array([len(u) for u in distinct])
    quota = sizes / sizes.sum() * cap
    alloc = np.minimum(np.floor(quota).astype(int), avail)
    if len(keys) <= cap:
        alloc = np.maximum(alloc, 1)
    while alloc.sum() > cap:  # the minimum of one pushed us over: take back where it is most over quota
        alloc[int(np.argmax(alloc - quota))] -= 1
    while alloc.sum() < cap and (alloc < avail).any():  # hand out the rest by largest remainder
        rem = np.where(alloc < avail, quota - alloc, -np.inf)
        alloc[int(np.argmax(rem))] += 1
    rng = np.random.default_rng(seed)
    out: list[dict[str, Any]] = []
    for u, a in zip(distinct, alloc, strict=True):
        pick = sorted(rng.choice(len(u), size=int(a), replace=False)) if a > 0 else []
        out.extend(u[int(p)] for p in pick)
    return out


def _comments(definition: SurveyDefinition, data: ResponseData) -> list[dict[str, Any]]:
    band = _satisfaction_band(definition, data)
    pool: list[dict[str, Any]] = []
    for tid in definition.text_item_ids:
        col = data.texts.get(tid)
        if not col:
            continue
        for i, text in enumerate(col):
            if text is None:
                continue
            s = " ".join(str(text).split())
            if not s:
                continue
            if len(s) > MAX_COMMENT_CHARS:
                s = s[:MAX_COMMENT_CHARS].rstrip() + "…"
            pool.append({"item": tid, "text": s, "wave": data.wave[i], "band": band[i]})
    return pool


def compute_extras(
    definition: SurveyDefinition,
    data: ResponseData,
    analysis: Mapping[str, Any],
    *,
    wave: str | None = None,
    comment_cap: int = COMMENT_CAP,
    seed: int = COMMENT_SEED,
) -> dict[str, Any]:
    """Plain-data extras for `reports.context.build_context`.

    ``data`` is every response of the survey (all waves); ``wave`` is the report's period, as passed to
    ``analyze`` (None: every wave pooled). Keys: ``channels`` (received and analysed counts per channel in the
    report's scope), ``comments`` (the sample), ``n_comments`` (pool size), ``n_distinct_comments``,
    ``comment_cap``, ``comment_seed``, ``trend`` (per wave, each as its own report would analyse it) and
    ``wave_change`` (the selected wave against the one before it, when a wave is selected and has one).
    """
    scope = data.filter(wave=wave) if wave else data
    kept = _kept(scope, analysis)  # exactly the analysis' respondents: same input, same rule
    received = Counter(str(c or "unknown") for c in scope.channel)
    analysed = Counter(str(c or "unknown") for c in kept.channel)
    channels = [{"channel": ch, "received": received[ch], "analysed": analysed.get(ch, 0)}
                for ch, _ in received.most_common()]
    pool = _comments(definition, kept)
    out: dict[str, Any] = {
        "channels": channels,
        "comments": sample_comments(pool, comment_cap, seed, wave_order=definition.wave_ids()),
        "n_comments": len(pool),
        "n_distinct_comments": len({(c["item"], c["text"]) for c in pool}),
        "comment_cap": comment_cap,
        "comment_seed": seed,
        "trend": list(analysis.get("trend") or []),
        "wave_change": analysis.get("wave_change"),
    }
    return to_jsonable(out)
