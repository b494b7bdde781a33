"""The sections of the streamed summary's JSON, finished from the sums of `analytics.streaming.accumulators`
by the same formulas as the full analysis (the shared pieces are `analytics.result_json`,
`analytics.itemstats.stats_from_histogram`, `analytics.tree.tree_from_statistics` and
`analytics.loyalty.nps_from_weighted`; each function names its counterpart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from analytics.inference import Estimate, mean_ci
from analytics.itemstats import stats_from_histogram
from analytics.loyalty import NpsResult, nps_from_weighted
from analytics.result_json import (
    NO_OWN_INDEX,
    brand_figures,
    insufficient,
    item_sections,
    no_satisfaction_item,
    top_box,
    unraked_weighting,
    weight_summary,
)
from analytics.satisfaction_rate import proportion_estimate, top_box_threshold
from analytics.streaming.accumulators import SHIFT, ItemHistograms, LoyaltySums, SegmentSums
from analytics.tree import TreeAccumulator, TreeResult, tree_from_statistics
from survey_defs.schema import SurveyDefinition

__all__ = [
    "NOT_COMPUTED",
    "anova_from_sums",
    "brands_section",
    "finish_trees",
    "items_section",
    "loyalty_section",
    "mean_from_sums",
    "not_computed",
    "nps_from_histogram",
    "satisfaction_rate_section",
    "segments_section",
    "share",
    "weighting_section",
]

NOT_COMPUTED = "needs respondent-level data; run the full analysis (filter by wave to fit the memory bound)"


def not_computed(reason: str = NOT_COMPUTED) -> dict[str, str]:
    """The marker of a section that the summary does not compute."""
    return {"status": "not_computed", "reason": reason}


def share(success: float, cnt: NDArray[np.int64], wv: NDArray[np.float64], w2v: NDArray[np.float64], *,
          conf: float, what: str) -> Estimate:
    """A weighted share (percent, Wilson CI on n_eff) among the answered codes of a histogram row
    (`analytics.satisfaction_rate.proportion_estimate`; n_eff = (sum w)^2 / sum w^2, Kish 1965)."""
    W, W2 = float(wv.sum()), float(w2v.sum())
    return proportion_estimate(success, W, int(cnt.sum()), W * W / W2 if W2 > 0 else 0.0, conf, what=what)


def nps_from_histogram(vals: NDArray[np.int64], cnt: NDArray[np.int64], wv: NDArray[np.float64],
                       w2v: NDArray[np.float64], conf: float) -> NpsResult:
    """`analytics.loyalty.nps` from the recommendation item's histogram of raw values: the same function
    (`analytics.loyalty.nps_from_weighted`: NPS = 100 (p_P - p_D), var = (p_P(1-p_P) + p_D(1-p_D) + 2 p_P p_D) /
    n_eff, normal CI clipped to +-100) on one entry per value, n_eff = W^2 / W2."""
    W, W2 = float(wv.sum()), float(w2v.sum())
    return nps_from_weighted(vals, wv, int(cnt.sum()), W * W / W2 if W2 > 0 else 0.0, conf)


def mean_from_sums(n: int, s: Mapping[str, float], conf: float, bounds: tuple[float, float]) -> Estimate:
    """`analytics.inference.mean_estimate` from the sums of `SegmentSums` (values shifted by `SHIFT`): the Hajek
    mean m = sum w r / W with var = n/(n-1) sum w^2 (r - m)^2 / W^2 (`analytics.inference.weighted_mean_se`)."""
    W = s["W"]
    m0 = s["wr"] / W
    n_eff = W * W / s["w2"]
    ss = max(s["w2r2"] - 2.0 * m0 * s["w2r"] + m0 * m0 * s["w2"], 0.0)
    se = float(np.sqrt(n / (n - 1) * ss / (W * W)))
    m = m0 + SHIFT
    lo, hi = mean_ci(m, se, max(n_eff - 1.0, 1.0), conf)
    return Estimate(value=m, n=n, ci=(max(lo, bounds[0]), min(hi, bounds[1])), se=se, n_eff=n_eff)


def anova_from_sums(s: SegmentSums, weighted: bool) -> dict[str, object]:
    """`analytics.segments.segment_test` (method "anova") from per-segment sums: the one-way ANOVA F-test
    (Fisher 1925), F = ((SSR0 - SSR1)/(G - 1)) / (SSR1/(N - G)) with SSR = sum w (r - mean)^2 within segments
    (SSR1) and pooled (SSR0); with weights the WLS F-test of the segment dummies (formula in
    `analytics.segments`)."""
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


def weighting_section(definition: SurveyDefinition, n: int, n_eff: float, *, weighted: bool, raking: bool,
                      w_min: float, w_max: float) -> dict[str, Any]:
    """The ``weighting`` report of `analytics.analyze` from the weights' sums (Kish n_eff = (sum w)^2 / sum w^2);
    with a weighting block, raking is not computed (it needs every respondent's cell)."""
    d = definition
    summ = weight_summary(n, n_eff if weighted else float(n), w_min, w_max)
    if raking and d.weighting is not None:
        return {"method": "raking", "base": "data weights" if weighted else "equal",
                "margins": {k: dict(v) for k, v in d.weighting.margins.items()}, **summ,
                **not_computed("raking needs every analysed respondent's cell and base weight before the "
                               f"statistics; {NOT_COMPUTED}")}
    return unraked_weighting(weighted, summ)


def items_section(definition: SurveyDefinition, items: ItemHistograms, conf: float) -> dict[str, Any]:
    """The ``items`` section: `analytics.itemstats.stats_from_histogram` of each histogram."""
    d = definition
    out: dict[str, Any] = {}
    for ids, _, h in items.groups:
        out.update(item_sections(d, stats_from_histogram(h.get(), h.rules, [top_box(d, i) for i in ids], conf)))
    return out


def satisfaction_rate_section(definition: SurveyDefinition, items: ItemHistograms, conf: float) -> dict[str, Any]:
    """The ``satisfaction_rate``: the weighted share of the satisfaction item's top box (`share`)."""
    d = definition
    if d.loyalty is None:
        return no_satisfaction_item()
    sid = d.loyalty.satisfaction_item
    h, j = items.find(sid)
    rule = h.rules[j]
    boxes = top_box(d, sid)
    vals, cnt, wv, w2v = h.row(j)
    sat = rule.oriented(vals.astype(np.float64)) >= top_box_threshold(rule, boxes)
    est = share(float(wv[sat].sum()), cnt, wv, w2v, conf=conf, what=f"satisfaction rate of {sid!r}")
    return {**est.to_dict(), "item": sid, "boxes": boxes}


def finish_trees(definition: SurveyDefinition, trees: Mapping[str, TreeAccumulator], own: str,
                 errors: Mapping[str, str], n_kept: int, conf: float) -> dict[str, TreeResult | dict[str, Any]]:
    """Every brand's tree from its statistics (`analytics.tree.tree_from_statistics`), the own brand's first and
    the others with its weights, as `analytics.analyze` scores competitors; a failed brand gets its reason."""
    out: dict[str, TreeResult | dict[str, Any]] = {}
    own_weights = None
    for b in [own] + [b for b in trees if b != own]:
        acc = trees[b]
        err = errors.get(f"tree:{b}")
        try:
            if err is not None:
                raise ValueError(err)
            out[b] = tree_from_statistics(definition, acc.statistics(), brand=b, weights=own_weights, conf=conf)
            if b == own:
                own_weights = out[b].node_weights  # type: ignore[union-attr]
        except ValueError as exc:
            out[b] = insufficient(n_kept if b == own else 0, str(exc))
    return out


def brands_section(definition: SurveyDefinition, own: str,
                   trees: Mapping[str, TreeResult | dict[str, Any]]) -> dict[str, Any]:
    """The ``brands`` section: each brand's index and node scores (`analytics.result_json.brand_figures`)."""
    brands: dict[str, Any] = {}
    own_ok = isinstance(trees.get(own), TreeResult)
    for b in definition.brand_ids:
        t = trees.get(b)
        if not own_ok:
            brands[b] = {"status": "insufficient_data", "reason": NO_OWN_INDEX}
        elif isinstance(t, TreeResult):
            brands[b] = brand_figures(t, b == own)
        else:
            brands[b] = t
    return brands


def segments_section(definition: SurveyDefinition, own_tree: TreeAccumulator, sums: Mapping[str, SegmentSums], *,
                     min_segment_n: int, weighted: bool, conf: float) -> dict[str, Any]:
    """The ``segments`` section: per option the index of its respondents (`mean_from_sums`) and the test
    between segments (`anova_from_sums`), as `analytics.segments.segments` gives them."""
    d = definition
    lo, hi = own_tree.score_bounds
    out: dict[str, Any] = {}
    for sid, s in sums.items():
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
                est = mean_from_sums(nk, {name: float(v[k]) for name, v in s.s.items()}, conf, (lo, hi))
            segs[opt.code] = {**est.to_dict(), "small_n": nk < min_segment_n, "label": dict(opt.label)}
        out[sid] = {"item": sid, "min_n": min_segment_n, "segments": segs, "unknown": s.unknown,
                    "test": anova_from_sums(s, weighted)}
    return out


def loyalty_section(definition: SurveyDefinition, sums: LoyaltySums, conf: float) -> dict[str, Any]:
    """`analytics.loyalty.loyalty_analysis` from the loyalty histograms: zones and quadrants (Jones & Sasser
    1995) as weighted shares with Wilson CIs, NPS (Reichheld 2003) with the multinomial variance."""
    d = definition
    lb = d.loyalty
    assert lb is not None
    used, h, joint = sums.used, sums.hist, sums.joint
    dmax, lmin = lb.defection_max, lb.loyalty_min
    if dmax >= lmin:
        raise ValueError(f"zone cut-offs: defection_max {dmax} must be below loyalty_min {lmin}")
    vals, cnt, wv, w2v = h.row(0)
    x = h.rules[0].oriented(vals.astype(np.float64))
    zones = {"defection": x <= dmax, "indifference": (x > dmax) & (x < lmin), "loyalty": x >= lmin}
    out: dict[str, Any] = {
        "satisfaction_item": lb.satisfaction_item,
        "cutoffs": {"defection_max": dmax, "loyalty_min": lmin},
        "zones": {k: share(float(wv[m].sum()), cnt, wv, w2v, conf=conf, what=f"zone {k}").to_dict()
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
        out["nps"] = {"item": lb.nps_item, **nps_from_histogram(vals, cnt, wv, w2v, conf).to_dict()}
    else:
        out["nps"] = None
    return out
