"""`analyze`: every applicable analysis of one survey as a stable, JSON-serialisable dict.

The schema is documented in ``docs/analytics-json.md``. Every figure carries its n and CI
(``{"value": 78.3, "n": 812, "ci": [77.1, 79.5], ...}``); a figure that cannot be estimated says so
(``{"value": null, "status": "insufficient_data", "reason": "..."}``). A section that fails on the data or the
definition is ``{"status": "error", "reason": "..."}`` and the other sections are still computed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from analytics.benchmark import compare_brands, compare_waves, item_figures
from analytics.calibration import CALIBRATED, FIXED, Calibration
from analytics.data import ResponseData
from analytics.inference import kish_effective_n
from analytics.itemstats import item_statistics
from analytics.kano import kano
from analytics.loyalty import loyalty_analysis
from analytics.priorities import bootstrap_priorities, importance_performance
from analytics.quality import apply_exclusions, flag_quality
from analytics.result_json import (
    MAX_FLAG_EXAMPLES,
    NO_COMPETITORS,
    NO_OWN_INDEX,
    NO_TREE,
    SCHEMA_VERSION,
    brand_figures,
    empty_sections,
    insufficient,
    item_sections,
    no_satisfaction_item,
    scored_items,
    survey_header,
    to_jsonable,
    top_box,
    tree_dict,
    unraked_weighting,
    weight_summary,
)
from analytics.satisfaction_rate import satisfaction_rate
from analytics.scoring import item_scoring
from analytics.segments import segments
from analytics.servqual import servqual_gaps
from analytics.settings import DEFAULTS, AnalysisSettings
from analytics.survey_weights import RakingConvergenceWarning, rake_data
from analytics.tree import TreeResult, compute_tree
from analytics.trend import kept_by_wave, wave_change, wave_trend
from analytics.weights import regression_importance
from survey_defs.schema import KANO_ANSWERS, SurveyDefinition

__all__ = ["DEFAULTS", "SCHEMA_VERSION", "AnalysisSettings", "analyze", "to_jsonable"]

def _section(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ValueError as exc:
        return {"status": "error", "reason": str(exc)}


def _items(definition: SurveyDefinition, data: ResponseData, brand: str, conf: float,
           cal: Calibration | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    groups = [(scored_items(definition, definition.respondent_item_ids), data, cal)]
    rated = data.rated(brand)
    groups.append((scored_items(definition, definition.brand_item_ids), data.take(rated) if not rated.all() else data,
                   cal if cal is None or rated.all() else cal.domain(rated)))
    for ids, sub, c in groups:
        if not ids:
            continue
        codes = sub.code_matrix(ids, brand)
        stats = item_statistics(codes, [item_scoring(definition, i) for i in ids],
                                [top_box(definition, i) for i in ids], sub.weight, conf, calibration=c)
        out.update(item_sections(definition, stats))
    return out


def _priorities(definition: SurveyDefinition, data: ResponseData, tree: TreeResult, split: str,
                best: Mapping[str, float] | None, gaps_to_best: Mapping[str, Any] | None, n_boot: int,
                conf: float, random_state: int) -> dict[str, Any]:
    """Importance-performance analysis of the own brand's index items (analytics.priorities).

    Performance is each item's mean score figure; importance is Johnson's relative weights for the overall
    satisfaction item (with a joint bootstrap of importance and priority) or, failing that, the tree's
    effective leaf weights (fixed, so no interval).
    """
    items = tree.items
    perf = tree.item_means
    figs = item_figures(tree, conf)
    src = "tree weights (effective leaf weights of the index)"
    imp = tree.coefficients[:, 0]
    detail: Any = None
    imp_ci = pri_ci = None
    note = "fixed importance (effective leaf weights of the indicator tree), not estimated"
    lb = definition.loyalty
    if lb is not None and lb.satisfaction_item not in items:
        try:
            X = data.score_matrix(items, tree.brand)[tree.rows]
            y = data.scores(lb.satisfaction_item,
                            tree.brand if definition.is_per_brand(lb.satisfaction_item) else None)[tree.rows]
            ri = regression_importance(X, y, tree.weights, items, shapley=len(items) <= 10)
            imp = ri.weights
            src = f"derived: Johnson relative weights for {lb.satisfaction_item!r} (R^2 = {ri.r2:.3f})"
            detail = {"r2": ri.r2, "adj_r2": ri.adj_r2, "n": ri.n, "condition_number": ri.condition_number,
                      "beta": dict(zip(items, ri.beta, strict=True)),
                      "p_values": dict(zip(items, ri.p_values, strict=True)),
                      "p_value_method": ri.diagnostics.get("p_value_method"),
                      "vif": dict(zip(items, ri.vif, strict=True)),
                      "shapley": None if ri.shapley is None else dict(zip(items, ri.shapley, strict=True))}
            if n_boot > 0:
                bs = bootstrap_priorities(X, y, tree.weights, n_boot=n_boot, conf=conf, random_state=random_state)
                imp_ci, pri_ci = bs["importance"], bs["priority"]
                detail["bootstrap"] = {"method": bs["method"], "n_boot": n_boot, "n_failed": bs["n_failed"]}
            else:
                note = "derived importance; bootstrap off (n_boot = 0)"
        except ValueError as exc:
            src = f"tree weights (derived importance unavailable: {exc})"
    ok = ~np.isnan(perf)
    names = [i for i, k in zip(items, ok, strict=True) if k]
    sel = np.flatnonzero(ok)
    n_items = [figs[i].n for i in names]
    p_ci = np.array([figs[i].ci if figs[i].ci is not None else (np.nan, np.nan) for i in names], dtype=float)
    p_ci = p_ci.reshape(len(names), 2)
    how = "median" if split == "median" else "mean"
    sub = (lambda a: None if a is None else np.asarray(a)[sel])  # noqa: E731
    if imp_ci is None and n_boot > 0 and src.startswith("derived"):
        note = "derived importance; every bootstrap replicate failed"
    out = importance_performance(names, imp[ok], perf[ok], split=how, n=n_items, performance_ci=p_ci,
                                 importance_ci=sub(imp_ci), importance_note=note, priority_ci=sub(pri_ci))
    out["importance_source"] = src
    out["regression"] = detail
    if best:
        tgt = {k: v for k, v in best.items() if k in names}
        leaf = {nd.item: nd.id for nd in tree.nodes if nd.item is not None}
        g_ci = np.full((len(names), 2), np.nan)
        for j, nm in enumerate(names):
            gd = ((gaps_to_best or {}).get(leaf.get(nm, "")) or {}).get("gap") or {}
            if isinstance(gd, Mapping) and gd.get("ci") is not None:
                g_ci[j] = gd["ci"]
        gaps = importance_performance(names, imp[ok], perf[ok], split=how, target=tgt, n=n_items,
                                      performance_ci=p_ci, importance_ci=sub(imp_ci), importance_note=note,
                                      gap_ci=g_ci)
        out["improve_first_vs_best_brand"] = gaps["improve_first"]
    return out


def _weighting(definition: SurveyDefinition, data: ResponseData) -> tuple[ResponseData, dict[str, Any],
                                                                          Calibration | None]:
    """Rake the analysed respondents to the definition's margins (from the data's weights as base weights).

    Returns the data with its final weights, the ``weighting`` report (docs/analytics-json.md) and, when the
    raking succeeded, its calibration (margin design and final weights): the CIs of the rate, the items and
    the indices then use the calibrated variance (`analytics.calibration`), and the report says so
    (``variance: "calibrated"``; ``"fixed-weight"`` for given weights, ``"unweighted"`` without). Without a
    weighting block the data's own weights (or none) are used as they are; when raking fails the base weights
    stay and the report says why (``status: "error"``).
    """
    wb = definition.weighting
    base = data.weight
    n = data.n

    def summary(w: Any) -> dict[str, Any]:
        if n == 0:
            return weight_summary(0, 0.0, None, None)
        ww = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        return weight_summary(n, kish_effective_n(ww), float(ww.min()), float(ww.max()))

    fixed = {"variance": FIXED if base is not None else "unweighted"}
    if wb is None:
        return data, unraked_weighting(base is not None, summary(base)), None
    rep: dict[str, Any] = {
        "method": "raking", "base": "equal" if base is None else "data weights",
        "margins": {k: dict(v) for k, v in wb.margins.items()},
        "trim": None if wb.trim is None else {"min": wb.trim.min, "max": wb.trim.max},
        "tol": wb.tol, "max_iter": wb.max_iter,
    }
    if n == 0:
        return data, {**rep, "iterations": 0, "converged": None, "max_error": None, **summary(None),
                      "status": "insufficient_data", "reason": "no respondents to weight", **fixed}, None
    bounds = None if wb.trim is None else (wb.trim.min, wb.trim.max)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RakingConvergenceWarning)
            raked, res = rake_data(data, wb.margins, max_iter=wb.max_iter, tol=wb.tol, bounds=bounds,
                                   drop_empty=True)
    except ValueError as exc:
        return data, {**rep, "iterations": 0, "converged": False, "max_error": None, **summary(base),
                      "status": "error", "reason": f"{exc}; the statistics use the "
                      + ("data's own weights" if base is not None else "unweighted data"), **fixed}, None
    notes = [f"{item}={code}: no analysed respondents; its population share {share:g} was left out and the other "
             f"shares of {item!r} renormalised" for item, gone in (res.dropped or {}).items()
             for code, share in gone.items()]
    if not res.converged:
        notes.append(f"raking did not converge in {res.iterations} iterations (max error {res.max_deviation:.2e}"
                     f" > tol {wb.tol:g}); the weights are used as they stand")
    return raked, {**rep, "iterations": res.iterations, "converged": res.converged, "max_error": res.max_deviation,
                   **summary(res.weights), "n_trimmed": res.n_trimmed, "dropped": res.dropped or {},
                   "warnings": notes, "variance": CALIBRATED}, res.calibration()


def _servqual(definition: SurveyDefinition, data: ResponseData, brand: str, conf: float) -> dict[str, Any] | None:
    """SERVQUAL gaps of the definition's servqual block, on the raw scale (reverse coding applied)."""
    sq = definition.servqual
    if sq is None:
        return None
    keys: list[str] = []
    dims: dict[str, str] = {}
    P: list[Any] = []
    E: list[Any] = []
    for dim in sq.dimensions:
        for e_id, p_id in dim.pairs:
            for i in (e_id, p_id):
                if i not in definition.item_map or definition.item(i).type != "likert":
                    raise ValueError(f"SERVQUAL: {i!r} is not a likert item of the definition")
            keys.append(p_id)
            dims[p_id] = dim.id
            for item_id, dest in ((p_id, P), (e_id, E)):
                rule = item_scoring(definition, item_id)
                dest.append(rule.oriented(data.raw_values(item_id, brand if definition.is_per_brand(item_id)
                                                          else None)))
    if not keys:
        raise ValueError("SERVQUAL: the servqual block has no [expectation, perception] pairs")
    res = servqual_gaps(np.column_stack(P), np.column_stack(E), keys, dims, data.weight, conf)
    pairs = {p_id: e_id for dim in sq.dimensions for e_id, p_id in dim.pairs}
    for p_id, r in res["items"].items():  # type: ignore[attr-defined]
        r.update({"perception_item": p_id, "expectation_item": pairs[p_id], "dimension": dims[p_id]})
    for dim in sq.dimensions:
        if dim.id in res["dimensions"]:  # type: ignore[operator]
            res["dimensions"][dim.id]["label"] = dict(dim.label)  # type: ignore[index]
    sc = definition.scale_of(keys[0])
    res["unit"] = f"points of scale {definition.item(keys[0]).scale!r} ({sc.min}..{sc.max})"
    return res


def _kano_answers(definition: SurveyDefinition, data: ResponseData, item_id: str, brand: str) -> Any:
    """1..5 (like, must-be, neutral, live-with, dislike) per respondent from a Kano choice item; NaN if none."""
    it = definition.item_map.get(item_id)
    if it is None or it.type != "choice" or not it.options:
        raise ValueError(f"Kano: {item_id!r} is not a choice item of the definition")
    bad = [o.code for o in it.options if o.code not in KANO_ANSWERS]
    if bad:
        raise ValueError(f"Kano: item {item_id!r} has options {', '.join(bad)} that are not Kano answers")
    lut = np.array([KANO_ANSWERS.index(o.code) + 1.0 for o in it.options] + [np.nan, np.nan])
    c = data.codes(item_id, brand if definition.is_per_brand(item_id) else None).astype(np.intp)
    return lut[np.where(c >= 0, c, len(it.options))]


def _kano(definition: SurveyDefinition, data: ResponseData, brand: str, conf: float) -> dict[str, Any] | None:
    kb = definition.kano
    if kb is None:
        return None
    feats: dict[str, Any] = {}
    for f in kb.features:
        try:
            fn = _kano_answers(definition, data, f.functional, brand)
            dy = _kano_answers(definition, data, f.dysfunctional, brand)
            r = kano(fn, dy, data.weight, conf, what=f"Kano feature {f.id!r}")
        except ValueError as exc:
            feats[f.id] = {"status": "error", "reason": str(exc)}
            continue
        feats[f.id] = {"label": dict(f.label), "functional": f.functional, "dysfunctional": f.dysfunctional,
                       **r.to_dict()}
    return {"features": feats,
            "coefficients": "Better = (A+O)/(A+O+M+I), Worse = -(O+M)/(A+O+M+I) (Berger et al. 1993); Wilson CIs"}


def _acsi(definition: SurveyDefinition, data: ResponseData, n_boot: int, random_state: int,
          conf: float) -> dict[str, Any] | None:
    """The ACSI-style PLS index (docs/methods.md section 5) when the definition has a latent model block."""
    if definition.model is None:
        return None
    from analytics.acsi import acsi_analysis

    return acsi_analysis(definition, data, n_boot=n_boot, random_state=random_state, conf=conf)


def _trend(d: SurveyDefinition, data: ResponseData, s: AnalysisSettings, tree: TreeResult | None, *,
           wave: str | Sequence[str] | None, brand: str | None, segment: Mapping[str, object] | None,
           mask: ArrayLike | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The ``trend`` (every wave's index on this analysis' tree weights) and, for a one-wave analysis, its
    ``wave_change`` on the previous wave (`analytics.trend`); the filters but the wave's apply."""
    if not d.waves:
        return [], None
    base = data.filter(brand=brand, segment=segment, mask=mask)
    kept = kept_by_wave(d, base, s)
    weights = tree.node_weights if tree is not None else None
    change = None
    if isinstance(wave, str) and tree is not None:
        change = _section(lambda: wave_change(d, kept, wave, weights, s))
    return wave_trend(d, kept, weights, s), change


def analyze(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    wave: str | Sequence[str] | None = None,
    brand: str | None = None,
    segment: Mapping[str, object] | None = None,
    mask: ArrayLike | None = None,
    settings: AnalysisSettings = DEFAULTS,
    exclude_flags: bool | None = None,
    exclusion_rule: Sequence[str] | None = None,
    speeder_fraction: float | None = None,
    min_grid: int | None = None,
    conf: float | None = None,
    alpha: float | None = None,
    n_boot: int | None = None,
    min_segment_n: int | None = None,
    priority_split: str | None = None,
    random_state: int | None = None,
    trend: bool = True,
) -> dict[str, Any]:
    """Run every applicable analysis and return the documented JSON dict (docs/analytics-json.md).

    Filters (``wave``, ``brand`` = respondents who rated it, ``segment`` = {item: option}, ``mask``) apply
    first; then quality flags are computed and, with ``exclude_flags``, flagged respondents are excluded by
    ``exclusion_rule`` (counted in ``quality.exclusions``). Then, when the definition has a ``weighting``
    block, the analysed respondents are raked to its margins (starting from the data's weights, if any) and
    the final weights enter every statistic below; ``weighting`` reports the convergence, the weight range and
    the Kish n_eff. The waves comparison ignores the ``wave`` filter's restriction only in that it compares
    the latest two waves present after filtering.

    Every default is ``settings`` (`analytics.settings.AnalysisSettings`, ``DEFAULTS`` unless given); a keyword
    given here overrides that one setting. The JSON's ``settings`` block is the settings used.

    ``trend``: also give every wave's index (``trend``) and, for one wave, its change on the previous one
    (``wave_change``; `analytics.trend`), from the waves in ``data``. Callers that read only the filtered wave
    pass False (both are then null: they could not see the other waves).
    """
    s = settings.replace(exclude_flags=exclude_flags, speeder_fraction=speeder_fraction, min_grid=min_grid,
                         conf=conf, alpha=alpha, n_boot=n_boot, min_segment_n=min_segment_n,
                         priority_split=priority_split, random_state=random_state,
                         exclusion_rule=None if exclusion_rule is None else tuple(exclusion_rule))
    conf, alpha, n_boot, random_state = s.conf, s.alpha, s.n_boot, s.random_state
    exclude_flags, min_segment_n, priority_split = s.exclude_flags, s.min_segment_n, s.priority_split
    d = definition
    if data.definition is not d and data.definition != d:
        raise ValueError("the responses were collected with another definition (version) than the one given")
    filters = {"wave": wave, "brand": brand, "segment": dict(segment) if segment else None,
               "mask": mask is not None}
    sub = data.filter(wave=wave, brand=brand, segment=segment, mask=mask)
    own = d.own_brand.id
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "survey": survey_header(d),
        "filters": filters,
        "settings": s.to_json(),
    }
    flags = flag_quality(sub, speeder_fraction=s.speeder_fraction, min_grid=s.min_grid)
    kept, report = apply_exclusions(sub, flags, s.exclusion_rule if exclude_flags else ())
    kept, weighting, cal = _weighting(d, kept)
    flagged = sorted(flags.reasons)[:MAX_FLAG_EXAMPLES]
    out["quality"] = {**flags.summary(), "exclusions": report,
                      "examples": [{"respondent": str(sub.respondent_id[i]), "reasons": flags.reasons[i]}
                                   for i in flagged]}
    w = kept.weight
    out["n"] = {"responses": data.n, "filtered": sub.n, "analysed": kept.n, "weighted": w is not None,
                "n_eff": kish_effective_n(w) if w is not None else float(kept.n)}
    out["weighting"] = weighting
    if kept.n == 0:
        out.update(empty_sections(d, "no responses to analyse" + (" after filters and exclusions" if data.n else "")))
        out["acsi"] = _section(lambda: _acsi(d, kept, n_boot, random_state, conf))
        out["trend"], out["wave_change"] = _trend(d, data, s, None, wave=wave, brand=brand, segment=segment,
                                                  mask=mask) if trend else (None, None)
        return to_jsonable(out)

    out["items"] = _section(lambda: _items(d, kept, own, conf, cal))

    def sat_rate() -> dict[str, Any] | None:
        if d.loyalty is None:
            return no_satisfaction_item()
        sid = d.loyalty.satisfaction_item
        per = d.is_per_brand(sid)
        rated = kept.rated(own) if per else np.ones(kept.n, dtype=bool)
        frame = kept.take(rated) if not rated.all() else kept
        c = cal if cal is None or rated.all() else cal.domain(rated)
        est = satisfaction_rate(frame.codes(sid, own if per else None), item_scoring(d, sid), top_box(d, sid),
                                frame.weight, conf, calibration=c)
        return {**est.to_dict(), "item": sid, "boxes": top_box(d, sid)}

    out["satisfaction_rate"] = _section(sat_rate)

    trees: dict[str, TreeResult] = {}
    if d.indicators is None:
        missing = insufficient(kept.n, NO_TREE)
        for k in ("index", "brands", "benchmarks", "waves", "segments", "priorities"):
            out[k] = missing
    else:
        try:
            trees[own] = compute_tree(d, kept, brand=own, conf=conf, calibration=cal)
            out["index"] = tree_dict(trees[own])
        except ValueError as exc:
            out["index"] = insufficient(kept.n, str(exc))
        brands: dict[str, Any] = {}
        for b in d.brand_ids:
            if own not in trees:
                brands[b] = {"status": "insufficient_data", "reason": NO_OWN_INDEX}
                continue
            if b != own:
                try:
                    trees[b] = compute_tree(d, kept, brand=b, weights=trees[own].node_weights, conf=conf,
                                            calibration=cal)
                except ValueError as exc:
                    brands[b] = insufficient(0, str(exc))
                    continue
            brands[b] = brand_figures(trees[b], b == own)
        out["brands"] = brands
        if own in trees and len(d.brand_ids) > 1 and d.brand_item_ids:
            out["benchmarks"] = _section(lambda: compare_brands(
                d, kept, own=own, own_tree=trees[own], trees=trees, n_boot=n_boot, conf=conf,
                alpha=alpha, random_state=random_state))
        else:
            out["benchmarks"] = {"status": "insufficient_data", "reason": NO_COMPETITORS}
        out["waves"] = _section(lambda: compare_waves(
            d, kept, brand=own, weights=trees[own].node_weights if own in trees else None, n_boot=n_boot,
            conf=conf, alpha=alpha, random_state=random_state))
        segs: dict[str, Any] = {}
        if own in trees:
            t = trees[own]
            idx = t.respondent_index()
            frame = kept.take(t.rows) if not t.rows.all() else kept
            lo = min(item_scoring(d, i).score_min for i in t.items)
            hi = max(item_scoring(d, i).score_max for i in t.items)
            for sid in d.segment_item_ids:
                segs[sid] = _section(lambda sid=sid: segments(  # type: ignore[misc]
                    d, sid, frame.segment_codes(sid), idx, frame.weight, conf=conf, min_n=min_segment_n,
                    bounds=(lo, hi)))
        out["segments"] = segs
        best = None
        if isinstance(out.get("benchmarks"), dict) and "gap_to_best" in out["benchmarks"] and own in trees:
            t = trees[own]
            best = {}
            for j, item in enumerate(t.items):
                vals = [float(tr.item_means[j]) for tr in trees.values() if not np.isnan(tr.item_means[j])]
                if vals:
                    best[item] = max(vals)
        gtb = out["benchmarks"].get("gap_to_best") if isinstance(out.get("benchmarks"), dict) else None
        out["priorities"] = _section(lambda: _priorities(d, kept, trees[own], priority_split, best, gtb, n_boot,
                                                         conf, random_state)) \
            if own in trees else {"status": "insufficient_data", "reason": NO_OWN_INDEX}
    out["trend"], out["wave_change"] = _trend(d, data, s, trees.get(own), wave=wave, brand=brand, segment=segment,
                                              mask=mask) if trend else (None, None)
    out["loyalty"] = _section(lambda: loyalty_analysis(d, kept, brand=own, conf=conf)) if d.loyalty else None
    out["servqual"] = _section(lambda: _servqual(d, kept, own, conf))
    out["kano"] = _section(lambda: _kano(d, kept, own, conf))
    out["acsi"] = _section(lambda: _acsi(d, kept, n_boot, random_state, conf))
    return to_jsonable(out)
