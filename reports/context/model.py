"""The latent-model section from ``analysis["acsi"]``: the ACSI, constructs (R²), paths, measurement quality
(α, ρ_A, ρ_C, AVE with ✓/✗), HTMT pairs and their lower-triangular matrix, IPMA, the CI method and warnings in the
report's language; and the path-diagram and IPMA charts.

Reads the shape documented in ``docs/analytics-json.md`` (`analytics.acsi`), and tolerates records or dicts keyed
by construct for ``paths``, ``r2``, ``reliability``, ``htmt_pairs``/``htmt`` and ``ipma`` (the
`analytics.pls.PLSSummary` tables). Cut-offs: α, ρ_A, ρ_C ≥ 0.7 and AVE ≥ 0.5 (Hair et al., *A Primer on PLS-SEM*);
HTMT ≤ 0.85 ✓, > 0.90 ✗ (Henseler, Ringle & Sarstedt 2015).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports import fmt
from reports.context.figures import bounds, section_reason, status, val
from reports.i18n import t
from reports.reasons import explain, explain_model_note
from survey_defs.schema import Construct, SurveyDefinition

__all__ = ["model_charts", "model_section"]


def _records(obj: object, key: str) -> list[dict[str, Any]]:
    """Accept a list of records or a dict keyed by construct (``{"SAT": {...}}`` / ``{"SAT": 0.7}``)."""
    def low(r: Mapping[str, Any]) -> dict[str, Any]:  # rho_A / AVE as in PLSSummary, rho_a / ave in JSON
        return {str(k).lower(): v for k, v in r.items()}

    if isinstance(obj, list):
        return [low(r) for r in obj if isinstance(r, Mapping)]
    if isinstance(obj, Mapping):
        out = []
        for k, v in obj.items():
            out.append(low({key: k, **v}) if isinstance(v, Mapping) else {key: k, "value": v})
        return out
    return []


def _paths(acsi: Mapping[str, Any], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The structural paths (``source``/``target`` or ``"A -> B"``) with coefficient, CI, p or ✓/✗, f²."""
    paths = []
    for r in _records(acsi.get("paths"), "path"):
        s, tg = r.get("source"), r.get("target")
        coef = val(r.get("coef", r.get("coefficient", r.get("value"))))
        if s is None and isinstance(r.get("path"), str) and "->" in r["path"]:
            s, tg = (x.strip() for x in r["path"].split("->", 1))
        if s is None or tg is None:
            continue
        sig = r.get("significant")
        paths.append({"source": s, "target": tg, "label": f"{labels.get(s, s)} → {labels.get(tg, tg)}",
                      "coef": coef, "coef_text": fmt.num(coef, 3), "ci": fmt.ci(r.get("ci"), 3) if r.get("ci") else "",
                      "p_text": fmt.pvalue(r["p_value"]) if isinstance(r.get("p_value"), int | float)
                      else ("✓" if sig else "✗" if sig is not None else ""),
                      "f2": fmt.num(r.get("f2"), 3) if r.get("f2") is not None else ""})
    return paths


def _quality(constructs: Sequence[Construct], acsi: Mapping[str, Any], cons_records: list[dict[str, Any]],
             labels: Mapping[str, str], r2: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Measurement quality per construct with ✓/✗ against the cut-offs; one-item constructs are left unmarked."""
    quality = []
    for r in _records(acsi.get("reliability"), "construct") or cons_records:
        c = str(r.get("construct", r.get("id")))
        ave, rho_c = r.get("ave"), r.get("rho_c")
        alpha, rho_a = r.get("alpha", r.get("cronbach_alpha")), r.get("rho_a")
        single = len(next((x.items for x in constructs if x.id == c), [])) <= 1

        def mark(v: object, lim: float, single: bool = single) -> str:
            if single or not isinstance(v, int | float):
                return ""
            return "✓" if v >= lim else "✗"
        quality.append({"construct": labels.get(c, c), "alpha": fmt.num(alpha, 3), "alpha_mark": mark(alpha, 0.7),
                        "rho_a": fmt.num(rho_a, 3), "rho_a_mark": mark(rho_a, 0.7),
                        "rho_c": fmt.num(rho_c, 3), "rho_c_mark": mark(rho_c, 0.7),
                        "ave": fmt.num(ave, 3), "ave_mark": mark(ave, 0.5),
                        "r2": fmt.num((r2.get(c) or {}).get("r2"), 3)})
    return quality


def _htmt(constructs: Sequence[Construct], acsi: Mapping[str, Any],
          labels: Mapping[str, str]) -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """The HTMT pairs with ✓ (≤ 0.85), ! or ✗ (> 0.90), and the same cells as a lower-triangular matrix."""
    htmt = []
    htmt_by: dict[frozenset[str], dict[str, str]] = {}
    htmt_src = acsi.get("htmt_pairs") if acsi.get("htmt_pairs") is not None else acsi.get("htmt")
    for r in _records(htmt_src if isinstance(htmt_src, list) else None, "pair"):
        ra, rb = r.get("a", r.get("construct_a")), r.get("b", r.get("construct_b"))
        v = val(r.get("htmt", r.get("value")))
        if ra is None or rb is None or v is None:
            continue
        a, b = str(ra), str(rb)
        cell = {"pair": f"{labels.get(a, a)} – {labels.get(b, b)}", "value": fmt.num(v, 3),
                "mark": "✓" if v <= 0.85 else ("✗" if v > 0.90 else "!")}
        htmt.append(cell)
        htmt_by[frozenset((a, b))] = cell
    # the same values as a lower-triangular matrix: 21 pairs of 7 constructs fit in 6 rows instead of 21
    order = [c.id for c in constructs]
    matrix = {"columns": [labels[c] for c in order[:-1]],
              "rows": [{"label": labels[r], "cells": [htmt_by.get(frozenset((r, c))) if j < i else None
                                                      for j, c in enumerate(order[:-1])]}
                       for i, r in enumerate(order) if i > 0]} if htmt_by else None
    return htmt, matrix


def model_section(d: SurveyDefinition, analysis: Mapping[str, Any], lang: str, conf_pct: str) -> dict[str, Any]:
    """The latent-model section from ``analysis["acsi"]`` (see the module docstring for the shapes read)."""
    acsi = analysis.get("acsi")
    if d.model is None or acsi is None:
        return {"available": False, "message": t("acsi_absent", lang)}
    if section_reason(acsi) or not isinstance(acsi, Mapping):
        why = explain(section_reason(acsi), lang, status=status(acsi))
        return {"available": False, "message": t("acsi_unavailable", lang, reason=why)}
    labels = {c.id: d.text(c.label, lang) if c.label else c.id for c in d.model.constructs}
    paths = _paths(acsi, labels)
    cons_records = _records(acsi.get("constructs") or acsi.get("indices"), "construct")
    r2 = {}
    for r in _records(acsi.get("r2"), "construct") or cons_records:
        c = r.get("construct", r.get("id"))
        v = r.get("r2", r.get("value"))
        if c is not None and isinstance(v, int | float):
            r2[str(c)] = {"r2": v, "adj": r.get("r2_adj", r.get("adj_r2"))}
    indices: dict[str, Any] = {}
    for r in cons_records:
        c = str(r.get("construct", r.get("id")))
        v = r.get("score", r.get("index", r.get("value")))
        indices[c] = v if isinstance(v, Mapping) else {"value": v}
    quality = _quality(d.model.constructs, acsi, cons_records, labels, r2)
    htmt, htmt_matrix = _htmt(d.model.constructs, acsi, labels)
    ipma = []
    for r in _records(acsi.get("ipma"), "driver"):
        c = str(r.get("driver", r.get("construct")))
        imp, perf = val(r.get("importance")), val(r.get("performance"))
        if imp is not None and perf is not None:
            ipma.append({"id": c, "label": labels.get(c, c), "importance": imp, "performance": perf,
                         "importance_text": fmt.num(imp, 3), "performance_text": fmt.num(perf)})
    sat = str(acsi.get("construct") or d.model.satisfaction)
    if isinstance(acsi.get("value"), int | float):  # docs/analytics-json.md: the ACSI at the top level
        index_est: Any = {"value": acsi["value"], "ci": acsi.get("ci"), "n": acsi.get("n")}
    else:
        index_est = acsi.get("index") if acsi.get("index") is not None else indices.get(sat)
    if not paths and index_est is None:
        return {"available": False, "message": t("model_shape", lang, keys=", ".join(sorted(acsi)))}
    info: Mapping[str, Any] = acsi["info"] if isinstance(acsi.get("info"), Mapping) else \
        {"converged": acsi.get("converged"), "n_obs": acsi.get("n")}
    ci_method = explain_model_note(acsi["ci_method"], lang) if acsi.get("ci_method") else ""
    return {
        "available": True, "message": None, "satisfaction": sat,
        "index": val(index_est), "index_text": fmt.num(val(index_est)),
        "index_note": (t("ci_level", lang, level=conf_pct) + " " + fmt.ci(bounds(index_est)))
        if bounds(index_est) else "",
        "constructs": [{"id": c.id, "label": labels[c.id], "r2": (r2.get(c.id) or {}).get("r2"),
                        "index": val(indices.get(c.id))} for c in d.model.constructs],
        "paths": paths, "quality": quality, "htmt": htmt, "htmt_matrix": htmt_matrix, "ipma": ipma,
        "converged": info.get("converged"), "n": info.get("n_obs", acsi.get("n")),
        "ci_method": ci_method,
        "ci_note": t("ci_method_note", lang, method=ci_method) if acsi.get("ci_method") else "",
        "warnings": list(dict.fromkeys(fmt.sentence(explain_model_note(w, lang), lang)
                                       for w in acsi.get("warnings") or [])),
    }


def model_charts(d: SurveyDefinition, model: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """The path diagram and the IPMA chart (None each when the model has no paths / no IPMA)."""
    if not model.get("available") or d.model is None:
        return {"path": None, "ipma": None}
    path = {"kind": "path_diagram", "title": t("path_diagram", lang),
            "constructs": model["constructs"], "paths": [{"source": p["source"], "target": p["target"],
                                                          "coef": p["coef"]} for p in model["paths"]],
            "satisfaction": model["satisfaction"]} if model["paths"] else None
    ipma = {"kind": "ipma", "title": t("ipma", lang), "x_title": t("performance", lang),
            "y_title": t("importance", lang), "labels": [r["label"] for r in model["ipma"]],
            "x": [r["performance"] for r in model["ipma"]], "y": [r["importance"] for r in model["ipma"]]} \
        if model["ipma"] else None
    return {"path": path, "ipma": ipma}
