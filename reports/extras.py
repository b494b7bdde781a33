"""What the report needs from the responses beyond `analytics.analyze`'s JSON: channels, comments, wave trend.

The analysis dict is the report's main input, but three things in the report come from the responses
themselves: counts by channel, the verbatim comments (``ResponseData.texts``) and the index of every wave
(``analyze`` compares only the latest two waves). They are computed here, once, as plain data, so that
`reports.context` stays a pure function of (definition, analysis, extras) and the tests can build extras by hand.

The same quality rule as the analysis is applied (the flags are recomputed with the analysis' parameters), so a
speeder's comment is not quoted to management.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analytics.analyze import to_jsonable
from analytics.benchmark import compare_waves
from analytics.data import ResponseData
from analytics.quality import flag_quality
from analytics.tree import compute_tree
from survey_defs.schema import SurveyDefinition

__all__ = ["COMMENT_CAP", "COMMENT_SEED", "MAX_COMMENT_CHARS", "compute_extras", "latest_wave",
           "node_weights_from_analysis", "sample_comments"]

COMMENT_CAP = 30
COMMENT_SEED = 20240601
MAX_COMMENT_CHARS = 400
BAND_ORDER = ("low", "mid", "high", "unknown")


def node_weights_from_analysis(analysis: Mapping[str, Any]) -> dict[str, np.ndarray] | None:
    """Parent id -> its children's nominal weights, rebuilt from ``analysis["index"]["nodes"]``.

    Reusing the analysed weights keeps every wave on the same index definition (derived weights such as entropy
    would otherwise be re-estimated per wave), and costs nothing.
    """
    idx = analysis.get("index")
    if not isinstance(idx, Mapping) or not idx.get("nodes"):
        return None
    out: dict[str, list[float]] = {}
    for nd in idx["nodes"]:
        if nd.get("parent") is not None:
            w = nd.get("nominal_weight")
            if w is None:
                return None
            out.setdefault(nd["parent"], []).append(float(w))
    # the JSON rounds weights to 6 decimals (1/3 -> 0.333333): renormalise so that siblings sum to 1 exactly
    return {k: np.asarray(v) / float(np.sum(v)) for k, v in out.items() if np.sum(v) > 0}


def _keep_mask(data: ResponseData, analysis: Mapping[str, Any]) -> np.ndarray:
    """Which of ``data``'s respondents the analysis' quality rule keeps, re-applied with its parameters."""
    settings = analysis.get("settings") or {}
    quality = analysis.get("quality") or {}
    if not settings.get("exclude_flags", True) or data.n == 0:
        return np.ones(data.n, dtype=bool)
    params = quality.get("params") or {}
    rule = list((quality.get("exclusions") or {}).get("by_flag") or ("speeder", "straightliner", "duplicate"))
    flags = flag_quality(data, speeder_fraction=float(params.get("speeder_fraction") or 0.3),
                         min_grid=int(params.get("min_grid") or 5))
    drop = np.zeros(data.n, dtype=bool)
    for name in rule:
        drop |= flags.flag(name)
    return ~drop


def _kept(data: ResponseData, analysis: Mapping[str, Any]) -> ResponseData:
    """The respondents the analysis kept, by re-applying its quality rule with its parameters to ``data``."""
    keep = _keep_mask(data, analysis)
    return data if keep.all() else data.take(keep)


def _kept_by_wave(definition: SurveyDefinition, data: ResponseData, analysis: Mapping[str, Any]) -> ResponseData:
    """Every wave's respondents as that wave's own report keeps them: the quality rule applied wave by wave.

    A one-wave report flags speeders against its wave's median time; flagging the trend over all waves at once
    would give each wave a slightly different index from its own report.
    """
    if not definition.waves or data.n == 0:
        return _kept(data, analysis)
    keep = np.zeros(data.n, dtype=bool)
    for w in definition.wave_ids():
        idx = np.flatnonzero(data.wave == w)
        if idx.size:
            keep[idx[_keep_mask(data.take(idx), analysis)]] = True
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


def _trend(definition: SurveyDefinition, kept: ResponseData, analysis: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Index and top-level node scores of every wave with responses, on the analysed weights."""
    if definition.indicators is None or not definition.waves or kept.n == 0:
        return []
    weights = node_weights_from_analysis(analysis)
    own = definition.own_brand.id
    top = [c.id for c in definition.indicators.children]
    rows = []
    conf = float((analysis.get("settings") or {}).get("conf") or 0.95)
    for w in definition.wave_ids():
        sub = kept.filter(wave=w)
        if sub.n == 0:
            continue
        try:
            tr = compute_tree(definition, sub, brand=own, weights=weights, conf=conf, respondent_level=False)
        except ValueError as exc:
            rows.append({"wave": w, "n": sub.n, "index": None, "reason": str(exc), "nodes": {}})
            continue
        nodes = {nd.id: nd.score.to_dict() for nd in tr.nodes if nd.id in top}
        rows.append({"wave": w, "n": sub.n, "index": tr.index.to_dict(), "nodes": nodes})
    return rows


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
    by_wave = _kept_by_wave(definition, data, analysis)
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
        "trend": _trend(definition, by_wave, analysis),
        "wave_change": None,
    }
    present = [w for w in definition.wave_ids() if (by_wave.wave == w).any()]
    if wave and wave in present and present.index(wave) > 0 and definition.indicators is not None:
        settings = analysis.get("settings") or {}
        prev = present[present.index(wave) - 1]
        out["wave_change"] = compare_waves(
            definition, by_wave, latest=wave, previous=prev, brand=definition.own_brand.id,
            weights=node_weights_from_analysis(analysis), n_boot=int(settings.get("n_boot") or 1000),
            conf=float(settings.get("conf") or 0.95), random_state=int(settings.get("random_state") or 0))
    return to_jsonable(out)
