"""The ACSI-style index from a survey definition's latent model block, as stable JSON for `analyze()`.

Maps the definition's model block onto `analytics.pls.PLSPathModel`: indicator values are the raw answers
(reverse-coded items flipped, N/A and missing as NaN, each item with its own scale bounds), taken for the own brand
where items are asked per brand. Missing and N/A indicators are treated as the definition's ``model.missing``
says (mean replacement by default, or casewise deletion), and the output reports the method with the cells
imputed and rows dropped.

One scoring convention per report (issue 11; docs/methods.md sections 2 and 5): the index is on the definition's own
0-100 scoring, the same as the indicator tree's item scores. Each item is rescaled as
``x~_i = (x_i - L_i) / (H_i - L_i) * 100`` with (L_i, H_i) = (min_i, max_i) under ``linear`` scoring and
(0, max_i) under ``percent_of_max`` (`index_bounds`), so the satisfaction construct's index is

    linear (Fornell et al. 1996):  ACSI = (sum_i w~_i xbar_i - Min) / (Max - Min) * 100,
                                   Min = sum_i w~_i min_i,  Max = sum_i w~_i max_i;
    percent_of_max (analogue):     ACSI = sum_i w~_i xbar_i / max_i * 100,

with w~ the outer weights (``outer_weights_``) rescaled to sum 1 (docs/methods.md section 5;
`PLSPathModel.index` with its default ``weights="standardized"``), and a bootstrap CI over respondents. The IPMA
performance uses the same rescaling. When the satisfaction block has the same items and weights as a node of the
indicator tree, the two indices are equal. The output records ``scoring`` and ``weighting``. Quality criteria
follow Hair et al., *A Primer on PLS-SEM*: reliability (alpha, rho_A, rho_C >= 0.70), convergent validity
(AVE >= 0.50), discriminant validity (HTMT < 0.85 strict, < 0.90 lenient; Henseler et al. 2015) and
Fornell-Larcker; IPMA for the satisfaction construct (importance: unstandardised total effect on the 0-100
scores; performance: the driver's 0-100 index, with the same weights).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from analytics.data import ResponseData
from survey_defs.schema import SurveyDefinition

MIN_ROWS = 30
MISSING_LABELS = {"mean": "mean replacement", "casewise": "casewise deletion"}
WEIGHTING = "standardized"
"""The index weighting `acsi_analysis` uses (`analytics.pls.ipma`: outer weights rescaled to sum 1)."""


def _bounds(definition: SurveyDefinition, item_id: str) -> tuple[float, float]:
    """The item's raw scale bounds (reverse coding flips within them); yes/no is 0..1."""
    it = definition.item(item_id)
    if it.type == "yes_no":
        return 0.0, 1.0
    sc = definition.scale_of(item_id)
    return float(sc.min), float(sc.max)


def index_bounds(definition: SurveyDefinition, item_id: str) -> tuple[float, float]:
    """(L, H) with ``(x - L) / (H - L) * 100`` the item's 0-100 score under the definition's scoring convention:
    (min, max) for ``linear``, (0, max) for ``percent_of_max`` (x / max * 100); yes/no is (0, 1) either way.
    The model's index and IPMA performance use these, so they are on the tree's scale (module docstring)."""
    lo, hi = _bounds(definition, item_id)
    if definition.item(item_id).type != "yes_no" and definition.scale_of(item_id).scoring == "percent_of_max":
        lo = 0.0
    return lo, hi


def scoring_of(definition: SurveyDefinition, items: list[str]) -> str:
    """The scoring convention of ``items``: "percent_of_max", "linear" or "mixed". Yes/no items and scales from 0
    (where both conventions agree) decide only when nothing else does."""
    rated = [i for i in items if definition.item(i).type != "yes_no"]
    telling = {definition.scale_of(i).scoring for i in rated if definition.scale_of(i).min != 0}
    conv = telling or {definition.scale_of(i).scoring for i in rated} or {"linear"}
    return conv.pop() if len(conv) == 1 else "mixed"


def indicator_frame(definition: SurveyDefinition, data: ResponseData, brand: str | None = None) -> pd.DataFrame:
    """One column per model item, raw values with reverse coding applied, NaN for missing/N/A; rows are the
    respondents who rated ``brand`` (default: the own brand) when any model item is asked per brand."""
    model = definition.model
    assert model is not None
    brand = brand or definition.own_brand.id
    items = [i for c in model.constructs for i in c.items]
    per_brand = any(definition.is_per_brand(i) for i in items)
    rows = data.rated(brand) if per_brand else np.ones(data.n, dtype=bool)
    cols: dict[str, Any] = {}
    for i in items:
        x = data.raw_values(i, brand=brand if definition.is_per_brand(i) else None)[rows]
        if definition.item(i).reverse:
            lo, hi = _bounds(definition, i)
            x = lo + hi - x
        cols[i] = x
    return pd.DataFrame(cols)


def _rows(df: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    return [{key: str(k), **{c: _num(v) for c, v in row.items()}} for k, row in df.iterrows()]


def _num(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return None if not np.isfinite(f) else f
    return v


def _missing(report: Any, setting: str) -> dict[str, Any]:
    """The missing-data treatment as chosen by the definition, with the rows and cells it affected."""
    return {
        "method": MISSING_LABELS[setting],
        "setting": setting,
        "n_rows": int(report.n_rows),
        "n_used": int(report.n_used),
        "n_cells_imputed": int(report.n_imputed),
        "n_rows_imputed": int(report.n_incomplete) if setting == "mean" else 0,
        "n_rows_dropped": int(report.n_dropped),
        "report": str(report),
    }


def acsi_analysis(
    definition: SurveyDefinition,
    data: ResponseData,
    *,
    brand: str | None = None,
    n_boot: int = 1000,
    random_state: int = 0,
    conf: float = 0.95,
    ci_method: str = "percentile",
) -> dict[str, Any]:
    """Fit the definition's latent model and return the index with its CI, the model and its quality criteria.

    ``ci_method`` picks the bootstrap interval the index and construct scores report: ``"percentile"`` or
    ``"bca"`` (bias-corrected and accelerated, docs/methods.md section 10.4); the output's ``interval`` says
    which. Path and loading intervals stay percentile.
    """
    from analytics.pls import PLSPathModel
    from analytics.pls.bootstrap import CI_METHODS

    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(CI_METHODS)}, got {ci_method!r}")
    lo_col, hi_col = ("bca_lower", "bca_upper") if ci_method == "bca" else ("ci_lower", "ci_upper")

    model = definition.model
    if model is None:
        raise ValueError("the definition has no latent model block")
    df = indicator_frame(definition, data, brand)
    complete = int(df.notna().all(axis=1).sum())
    usable = complete if model.missing == "casewise" else len(df)
    if usable < MIN_ROWS:
        what = "respondents" if usable == len(df) else f"complete respondents (casewise deletion, of {len(df)})"
        return {"value": None, "status": "insufficient_data", "n": usable,
                "reason": f"{usable} {what}; the PLS path model needs at least {MIN_ROWS}"}
    lo = {i: index_bounds(definition, i)[0] for i in df.columns}
    hi = {i: index_bounds(definition, i)[1] for i in df.columns}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pls = PLSPathModel.from_definition(model).fit(df)  # missing: the definition's model.missing
            boot = pls.bootstrap(n_boot, random_state=random_state, scale_min=lo, scale_max=hi, ci=conf,
                                 index_weights=WEIGHTING)
    except ValueError as e:  # constant indicator, too few rows, ...: say which, never crash the whole analysis
        return {"value": None, "status": "insufficient_data", "n": len(df), "reason": str(e)}
    sat = model.satisfaction
    n_used = int(pls.n_obs_)
    idx = boot.indices.loc[sat]
    summary = pls.summary()
    rel = summary.reliability
    r2 = summary.r2
    labels = {c.id: c.label for c in model.constructs}
    constructs = []
    for c in model.constructs:
        b = boot.indices.loc[c.id]
        entry: dict[str, Any] = {
            "id": c.id, "label": labels[c.id], "mode": c.mode, "items": list(c.items),
            "score": {"value": _num(b["estimate"]), "n": n_used, "ci": [_num(b[lo_col]), _num(b[hi_col])],
                      "se": _num(b["se"])},
            "r2": _num(r2.loc[c.id, "r2"]) if c.id in r2.index else None,
            "r2_adj": _num(r2.loc[c.id, "r2_adj"]) if c.id in r2.index else None,
        }
        if c.id in rel.index:
            q = rel.loc[c.id]
            entry.update(alpha=_num(q["alpha"]), rho_a=_num(q["rho_A"]), rho_c=_num(q["rho_C"]), ave=_num(q["AVE"]))
            multi = len(c.items) > 1 and c.mode == "A"
            entry["checks"] = {
                "reliability": None if not multi else bool(q["rho_C"] >= 0.70),
                "convergent_validity": None if not multi else bool(q["AVE"] >= 0.50),
            }
        constructs.append(entry)
    paths = []
    coef_tab = summary.paths.set_index(["source", "target"])
    for (s, t), row in coef_tab.iterrows():
        bp = boot.paths.loc[f"{s} -> {t}"]
        ci = [_num(bp["ci_lower"]), _num(bp["ci_upper"])]
        paths.append({"source": s, "target": t, "coef": _num(row["coef"]), "se": _num(bp["se"]), "t": _num(bp["t"]),
                      "ci": ci, "f2": _num(row["f2"]), "vif": _num(row["vif"]),
                      "significant": bool(ci[0] is not None and (ci[0] > 0 or ci[1] < 0))})
    outer = summary.outer.reset_index()
    load_ci = boot.loadings
    outer_rows = [{"item": r["item"], "construct": r["construct"], "weight": _num(r["weight"]),
                   "loading": _num(r["loading"]), "vif": _num(r["vif"]),
                   "loading_ci": [_num(load_ci.loc[r["item"], "ci_lower"]), _num(load_ci.loc[r["item"], "ci_upper"])]}
                  for _, r in outer.iterrows()]
    htmt = [{"a": r["construct_a"], "b": r["construct_b"], "value": _num(r["htmt"]), "flag": r["flag"] or None}
            for _, r in summary.htmt_pairs.iterrows()]
    fl = summary.fornell_larcker
    fl_ok = all(fl.iloc[i, i] > np.nanmax(np.abs(np.r_[fl.iloc[i, :i].to_numpy(), fl.iloc[i + 1:, i].to_numpy()]))
                for i in range(len(fl)) if len(fl) > 1)
    ipma = pls.ipma(sat, scale_min=lo, scale_max=hi, weights=WEIGHTING)
    return {
        "status": "ok",
        "construct": sat,
        "value": _num(idx["estimate"]),
        "n": n_used,
        "ci": [_num(idx[lo_col]), _num(idx[hi_col])],
        "se": _num(idx["se"]),
        "interval": ci_method,
        "scoring": scoring_of(definition, list(df.columns)),
        "weighting": WEIGHTING,
        "ci_method": ("BCa (jackknife acceleration over " + boot.jackknife_units.replace("rows", "respondents")
                      + ") " if ci_method == "bca" else "percentile ")
                     + f"bootstrap over respondents, {n_boot} resamples"
                     + ("" if boot.resampling == "rows" else f" of {boot.resampling.replace('rows', 'respondents')}"),
        "brand": brand or definition.own_brand.id,
        "scheme": model.scheme,
        "converged": bool(pls.converged_),
        "n_iter": int(pls.n_iter_),
        "complete_cases": complete,
        "missing": _missing(pls.missing_report_, model.missing),
        "constructs": constructs,
        "paths": paths,
        "outer": outer_rows,
        "htmt": htmt,
        "fornell_larcker_ok": bool(fl_ok),
        "ipma": _rows(ipma.drop(columns=[c for c in ipma.columns if c == "quadrant"]), "driver"),
        "ipma_quadrants": {str(k): str(v) for k, v in ipma["quadrant"].items()} if "quadrant" in ipma else {},
        "bootstrap": {"n_boot": n_boot, "n_failed": int(boot.n_failed),
                      "failures": {str(k): int(v) for k, v in dict(boot.failures).items()}},
        "warnings": [str(w.message) for w in caught],
    }
