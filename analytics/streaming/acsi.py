"""The ``acsi`` section of the streamed summary from the indicators' sums (`accumulators.PlsSums`): the moments
by the full fit's finishing step, the PLS iteration on their correlation matrix and the ACSI-style index. The
bootstrap CI resamples respondents, so it is not computed.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from analytics.streaming.accumulators import PlsSums
from analytics.streaming.sections import not_computed
from survey_defs.schema import SurveyDefinition

__all__ = ["acsi_from_sums", "pls_moments"]


def pls_moments(sums: PlsSums, missing: str) -> tuple[Any, Any]:
    """Means, covariance and the missing-data report from `PlsSums`, by the same finishing step as the full
    fit (`analytics.pls.moments.moments_from_sums`: mean replacement or casewise deletion)."""
    from analytics.pls.moments import moments_from_sums

    if sums.c is None:
        raise ValueError("the data has no rows")
    complete = sums.n_complete == sums.n_rows
    return moments_from_sums(
        sums.items, missing,  # type: ignore[arg-type]
        c=sums.c, G=sums.G, s=sums.s, cnt=sums.cnt, Bm=None if complete else sums.Bm,
        N=None if complete else sums.N, G_cc=sums.G_cc, s_cc=sums.s_cc, n_rows=sums.n_rows,
        n_complete=sums.n_complete)


def acsi_from_sums(d: SurveyDefinition, sums: PlsSums, brand: str, conf: float) -> dict[str, Any]:
    """The point estimates of `analytics.acsi.acsi_analysis` from the indicators' sums: the PLS fit on their
    correlation matrix (Lohmöller 1989; `analytics.pls.algorithm`) and the ACSI-style index
    (sum_i w~_i xbar_i - Min)/(Max - Min) * 100 of every construct (docs/methods.md section 5). No bootstrap."""
    from analytics.acsi import MIN_ROWS, WEIGHTING, _missing, index_bounds, scoring_of
    from analytics.pls import PLSPathModel
    from analytics.pls.algorithm import fit_correlations
    from analytics.pls.ipma import construct_indices, item_ranges
    from analytics.pls.spec import build_spec

    model = d.model
    assert model is not None
    usable = sums.n_complete if model.missing == "casewise" else sums.n_rows
    if usable < MIN_ROWS:
        what = "respondents" if usable == sums.n_rows else \
            f"complete respondents (casewise deletion, of {sums.n_rows})"
        return {"value": None, "status": "insufficient_data", "n": usable,
                "reason": f"{usable} {what}; the PLS path model needs at least {MIN_ROWS}"}
    params = PLSPathModel.from_definition(model).get_params()
    try:
        spec = build_spec(params["blocks"], params["paths"], params["mode"])
        if list(spec.items) != sums.items:  # pragma: no cover - both follow the definition's construct order
            raise ValueError("the model's items are not in the definition's order")
        moments, report = pls_moments(sums, model.missing)
        need, who = spec.min_rows()
        if moments.n < need:
            raise ValueError(f"{moments.n} usable rows: construct {who!r} needs at least {need} for its regression")
        R = moments.corr
        for k in spec.mode_b:
            sl = spec.block_slices[k]
            if np.linalg.cond(R[sl, sl]) > 1e12:
                raise ValueError(f"construct {spec.constructs[k]!r} (mode B): its items are perfectly collinear")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = fit_correlations(R[None], spec, params["scheme"], params["max_iter"], params["tol"])
        if est.failed[0]:
            raise ValueError("the PLS algebra broke down (a singular construct correlation matrix): check for "
                             "constructs whose scores are perfectly collinear")
    except ValueError as exc:
        return {"value": None, "status": "insufficient_data", "n": sums.n_rows, "reason": str(exc)}
    lo, hi = item_ranges(spec.items, {i: index_bounds(d, i)[0] for i in spec.items},
                         {i: index_bounds(d, i)[1] for i in spec.items})
    idx = construct_indices(est.item_weights[0], moments.mean, moments.std, lo, hi, spec, WEIGHTING)
    names = list(spec.constructs)
    n_used = int(moments.n)
    note = ("bootstrap over respondents not available in summary mode (it resamples respondent-level data); "
            "run the full analysis for the CI")
    r2 = est.r2[0]
    constructs = []
    for c in model.constructs:
        k = names.index(c.id)
        endo = k in spec.endogenous
        npred = len(spec.predecessors[k])
        constructs.append({
            "id": c.id, "label": dict(c.label), "mode": c.mode, "items": list(c.items),
            "score": {"value": float(idx[k]), "n": n_used, "ci": None, "ci_note": note},
            "r2": float(r2[k]) if endo else None,
            "r2_adj": float(1.0 - (1.0 - r2[k]) * (n_used - 1) / (n_used - npred - 1)) if endo else None,
        })
    sat = names.index(model.satisfaction)
    warn = [] if est.converged[0] else [f"PLS did not converge in {params['max_iter']} iterations "
                                        f"(tol={params['tol']:g}); the estimates are unreliable"]
    return {
        "status": "ok", "construct": model.satisfaction, "value": float(idx[sat]), "n": n_used, "ci": None,
        "se": None, "ci_note": note, "brand": brand, "scheme": model.scheme,
        "scoring": scoring_of(d, list(spec.items)), "weighting": WEIGHTING,
        "converged": bool(est.converged[0]), "n_iter": int(est.n_iter[0]), "complete_cases": sums.n_complete,
        "missing": _missing(report, model.missing),
        "constructs": constructs,
        "paths": [{"source": s, "target": t, "coef": float(est.paths[0][names.index(s), names.index(t)])}
                  for s, t in spec.paths],
        "outer": [{"item": i, "construct": names[spec.item_construct[j]], "weight": float(est.item_weights[0][j]),
                   "loading": float(est.loadings[0][j])} for j, i in enumerate(spec.items)],
        "bootstrap": not_computed(note),
        "quality_criteria": not_computed("reliability, validity (HTMT, Fornell-Larcker) and the IPMA are left to the "
                                         "full analysis in summary mode"),
        "warnings": warn,
    }
