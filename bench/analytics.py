"""Benchmark: the full weighted CSI with item statistics and CIs on 10^6 respondents x 30 items.

In memory (this half): the responses are generated directly as a `ResponseData` from a latent model
(`analytics.simulate`), then `csi_from_arrays` (item statistics with CIs for all 30 items + the weighted index
tree with a delta-method CI for every node) is timed; the median of several runs is printed.
Target (issue 4): <= 0.5 s.

From the store (the other half): the same respondents are bulk-loaded into a fresh SQLite and PostgreSQL store;
then, each in its own subprocess so that peak memory (the worker's own VmHWM) is measured alone, we time
(a) the product's path: `service.analysis.load_data` (chunked blob decode) + the same computation, and
(b) a plain `pandas.read_sql` of the same table, as the baseline; the ratio is printed.
Targets: <= 5 s with loading included, peak memory < 1 GiB.
(c) the streamed summary, `service.analysis.summarize_store` (filters and the median in SQL, chunks of whole
respondents into sufficient statistics): its time and peak memory next to the full path's, and its index, which
must equal the full path's.

    .venv/bin/python bench/analytics.py [--n 1000000] [--runs 5] [--skip-store]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))
sys.modules.pop("analytics", None)

from analytics.data import ResponseData  # noqa: E402
from analytics.simulate import simulate  # noqa: E402
from analytics.tree import compute_tree  # noqa: E402
from survey_defs.schema import SurveyDefinition  # noqa: E402

N_ITEMS = 30
N_DIMS = 5


def bench_definition() -> SurveyDefinition:
    """30 per-brand 5-point items (every 7th reverse-coded, every 4th allows N/A) under 5 AHP-weighted
    dimensions of 6 items with given weights; one brand."""
    labels = {"en": ["1", "2", "3", "4", "5"]}
    items = [{"id": f"q{j:02d}", "scale": "sat5", "text": {"en": f"Q{j}"}, "reverse": j % 7 == 6,
              "allow_na": j % 4 == 3} for j in range(N_ITEMS)]
    per = N_ITEMS // N_DIMS
    leaf_w = [0.3, 0.2, 0.15, 0.15, 0.1, 0.1]
    ahp = [[1, 2, 3, 4, 5], [1 / 2, 1, 2, 3, 4], [1 / 3, 1 / 2, 1, 2, 3], [1 / 4, 1 / 3, 1 / 2, 1, 2],
           [1 / 5, 1 / 4, 1 / 3, 1 / 2, 1]]
    dims = [{"id": f"d{k}", "children": [{"id": f"n{k * per + i:02d}", "item": f"q{k * per + i:02d}",
                                          "weight": leaf_w[i]} for i in range(per)]} for k in range(N_DIMS)]
    return SurveyDefinition.model_validate({
        "slug": "bench_csi",
        "languages": ["en"],
        "default_language": "en",
        "title": {"en": "Benchmark"},
        "scales": {"sat5": {"points": 5, "labels": labels}},
        "sections": [{"id": "rating", "title": {"en": "Rating"}, "per_brand": True, "items": items}],
        "brands": [{"id": "own", "own": True, "name": {"en": "Own"}}],
        "indicators": {"id": "csi", "ahp": ahp, "children": dims},
    })


def csi_from_arrays(data: ResponseData) -> dict[str, Any]:
    """Item statistics (n, mean, sd, distribution, top-box, CIs) for every indicator item and the weighted
    index tree with a delta-method CI per node, from the arrays in memory (one histogram pass + one blocked
    moment pass over the codes)."""
    d = data.definition
    tree = compute_tree(d, data, respondent_level=False)
    stats = tree.item_stats([d.scale_of(i).top_box_count for i in tree.items])
    return {"items": stats, "tree": tree}


def run_in_memory(data: ResponseData, runs: int = 5) -> dict[str, Any]:
    """Time `csi_from_arrays` ``runs`` times (after one warm-up) and return the figures."""
    csi_from_arrays(data)
    times = []
    out: dict[str, Any] = {}
    for _ in range(runs):
        t0 = time.perf_counter()
        out = csi_from_arrays(data)
        times.append(time.perf_counter() - t0)
    idx = out["tree"].index
    return {
        "n": data.n,
        "items": len(data.definition.brand_item_ids),
        "weighted": data.weight is not None,
        "runs": runs,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "index": idx.value,
        "ci": idx.ci,
    }


def _fill_store(kind: str, data: ResponseData, tmp: Path) -> str:
    """A fresh store of `kind` with the benchmark definition published and every respondent bulk-loaded."""
    import yaml

    from bench._stores import fresh_store
    from service.responses.importer import bulk_insert, to_rows
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    d = data.definition
    url = fresh_store(kind, tmp, definition=yaml.safe_dump(d.model_dump(mode="json", exclude_none=True)),
                      filename="bench.yaml")
    eng = make_engine(url)
    bulk_insert(eng, to_rows(load_ref(eng, d.slug), data, "import", time.time()))
    eng.dispose()
    return url


def _peak_rss() -> int:
    """This process's own peak resident set size in bytes.

    ``VmHWM`` of /proc/self/status (Linux), not ``getrusage().ru_maxrss``: Linux carries ru_maxrss over ``exec``
    from the process image that forked, so a worker started from this (large) benchmark process would report the
    parent's peak (measured: a 10 MiB child of a 426 MiB parent reports 426 MiB).
    """
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _store_worker(mode: str, url: str, runs: int) -> None:
    """Runs in a subprocess: time one path and print JSON with its peak memory."""
    import json

    import pandas as pd

    import analytics.streaming  # noqa: F401  (imported by summarize_store; loaded before the baseline is taken)
    from service.analysis import load_data, summarize_store
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    eng = make_engine(url)
    load_ref(eng, "bench_csi")
    base = _peak_rss()  # after the imports and the first connection: what the read and the statistics add to
    times = []
    result: dict[str, Any] = {}
    for _ in range(runs):
        t0 = time.perf_counter()
        if mode == "product":
            data = load_data(eng, load_ref(eng, "bench_csi"))
            out = csi_from_arrays(data)
            result = {"n": data.n, "index": out["tree"].index.value}
            del data, out
        elif mode == "summary":
            # Flags are still computed and counted; excluding none keeps the full path's respondents, so the two
            # indices must agree.
            summ = summarize_store(eng, "bench_csi", exclude_flags=False)
            result = {"n": summ["n"]["analysed"], "index": summ["index"]["value"],
                      "chunks": summ["streaming"]["chunks"]}
            del summ
        else:
            df = pd.read_sql("SELECT * FROM response", eng)
            result = {"n": len(df)}
            del df
        times.append(time.perf_counter() - t0)
    peak = _peak_rss()
    print(json.dumps({**result, "median_s": statistics.median(times), "peak_bytes": peak, "base_bytes": base}))


def run_store(data: ResponseData, runs: int) -> None:
    import json
    import subprocess
    import tempfile

    from bench._stores import drop_store

    with tempfile.TemporaryDirectory() as d:
        for kind in ("sqlite", "postgres"):
            t0 = time.perf_counter()
            url = _fill_store(kind, data, Path(d))
            print(f"[{kind}] loaded {data.n:,} respondents into a fresh store in {time.perf_counter() - t0:.1f} s")
            res = {}
            for mode in ("product", "read_sql", "summary"):
                out = subprocess.run([sys.executable, __file__, "--store-worker", mode, url, "--runs", str(runs)],
                                     capture_output=True, text=True, timeout=1800)
                if out.returncode != 0:
                    raise RuntimeError(out.stderr)
                res[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            p, b = res["product"], res["read_sql"]
            print(f"[{kind}] from the store (load + weighted CSI + item stats + CIs): median {p['median_s']:.2f} s, "
                  f"peak {p['peak_bytes'] / 2**20:.0f} MiB (process after imports: {p['base_bytes'] / 2**20:.0f} MiB); "
                  f"plain pandas.read_sql alone: {b['median_s']:.2f} s, "
                  f"peak {b['peak_bytes'] / 2**20:.0f} MiB; ratio product/read_sql = "
                  f"{p['median_s'] / b['median_s']:.2f}; targets <= 5 s and < 1024 MiB")
            s = res["summary"]
            print(f"[{kind}] streamed summary (summarize_store: filters + median in SQL, {s['chunks']} chunks into "
                  f"sufficient statistics; items, index with node CIs, brands, segments, loyalty): median "
                  f"{s['median_s']:.2f} s, peak {s['peak_bytes'] / 2**20:.0f} MiB (after imports: "
                  f"{s['base_bytes'] / 2**20:.0f} MiB; full path: {p['median_s']:.2f} s, "
                  f"{p['peak_bytes'] / 2**20:.0f} MiB); index {s['index']:.6f} vs full {p['index']:.6f}, "
                  f"{'equal' if abs(s['index'] - p['index']) < 1e-6 else 'DIFFERENT'}")
            drop_store(url)  # (a SQLite file goes with the temporary folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--skip-store", action="store_true")
    ap.add_argument("--store-worker", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.store_worker:
        _store_worker(args.store_worker[0], args.store_worker[1], args.runs)
        return
    d = bench_definition()
    t0 = time.perf_counter()
    data = simulate(d, args.n, random_state=0, missing=0.02, na=0.03, weighted=True, durations=False)
    print(f"generated {data.n:,} respondents x {len(d.brand_item_ids)} items in {time.perf_counter() - t0:.2f} s")
    r = run_in_memory(data, args.runs)
    print(f"in memory: full weighted CSI + item statistics + CIs: median {r['median_s']:.3f} s over {r['runs']} runs "
          f"(min {r['min_s']:.3f}, max {r['max_s']:.3f}); target <= 0.5 s; ratio to target "
          f"{r['median_s'] / 0.5:.2f}")
    lo, hi = r["ci"]
    print(f"CSI = {r['index']:.3f}  95% CI [{lo:.3f}, {hi:.3f}]")
    if not args.skip_store:
        run_store(data, max(1, min(args.runs, 3)))


if __name__ == "__main__":
    main()
