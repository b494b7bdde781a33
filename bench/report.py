"""Benchmark: the full CSI report (PDF) of a stored survey with 10^5 responses, warm and cold; the store read and the
analytics are timed separately.

The survey is utility_csi (3 brands, 2 waves, 4 segment questions, a latent model, comments, two channels),
simulated with `analytics.simulate` and written straight into a fresh SQLite store (setup, untimed). The report is
what ``csi report utility_csi`` makes: the latest wave, compared with the one before it, the trend over both.

- store read: `service.analysis.load_data` (every wave: the trend needs them);
- analytics: ``analytics.analyze`` of the reported wave (issue 4 owns its speed);
- warm: extras + context + charts + PDF in a process whose chart browser is already running (median of runs);
- cold: a new Python process from its launch: interpreter start, every import (WeasyPrint, Plotly, the analytics),
  starting Chromium, and the first report, minus that process' own store read and analytics.

Targets (issue 6): warm < 5 s, cold < 15 s.

    .venv/bin/python bench/report.py [--n 100000] [--runs 3] [--lang zh] [--wave latest|all|WAVE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

WARM_TARGET_S = 5.0
COLD_TARGET_S = 15.0
SLUG = "utility_csi"
COMMENTS = ["停电通知太晚了，希望提前一天告知。", "The hotline is always busy.", "抢修人员来得快，态度也好。",
            "电价偏高，阶梯电价说明不清楚。", "Paying on the phone is very convenient.", "农村线路老化，电压不稳。"]


def fill_store(db: Path, n: int, seed: int = 0) -> str:
    """A fresh SQLite store with utility_csi published and ``n`` simulated responses (one comment in four)."""
    import numpy as np

    from analytics.simulate import simulate
    from service.responses.importer import bulk_insert, to_rows
    from service.store.engine import make_engine
    from service.store.migrate import upgrade
    from service.surveys.service import publish
    from survey_defs import template_path

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    ref, _ = publish(engine, template_path(SLUG).read_text(encoding="utf-8"), f"{SLUG}.yaml")
    data = simulate(ref.definition, n, random_state=seed, rate_probability=0.6)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(COMMENTS) * 4, n)
    texts: list[str | None] = [COMMENTS[k] if k < len(COMMENTS) else None for k in pick]
    channel = np.where(rng.random(n) < 0.7, "web", "phone").astype(object)
    data = dataclasses.replace(data, texts={"q_comment": texts}, channel=channel)
    bulk_insert(engine, to_rows(ref, data, "web", time.time()))
    engine.dispose()
    return url


def read_and_analyse(url: str, wave_arg: str) -> dict[str, Any]:
    """Store read and analysis of the reported wave, each timed (what `service.reporting.build_report` does)."""
    from analytics.analyze import analyze
    from service.analysis import load_data
    from service.reporting import resolve_wave
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    engine = make_engine(url)
    ref = load_ref(engine, SLUG)
    t0 = time.perf_counter()
    data = load_data(engine, ref)
    t_read = time.perf_counter() - t0
    wave = resolve_wave(ref.definition, data, None if wave_arg == "latest" else wave_arg)
    t0 = time.perf_counter()
    analysis = analyze(ref.definition, data, wave=wave)
    t_analysis = time.perf_counter() - t0
    engine.dispose()
    return {"definition": ref.definition, "data": data, "analysis": analysis, "wave": wave, "read_s": t_read,
            "analysis_s": t_analysis}


def report_once(run: dict[str, Any], lang: str) -> tuple[float, int]:
    from reports.pipeline import render_report

    t0 = time.perf_counter()
    pdf = render_report(run["definition"], run["data"], run["analysis"], lang=lang, fmt="pdf", wave=run["wave"])
    return time.perf_counter() - t0, len(pdf)


def child_cold(url: str, lang: str, wave_arg: str) -> None:
    """A fresh process: every import, store read and analysis (timed apart), then the first report."""
    t0 = time.perf_counter()
    import weasyprint  # noqa: F401  (imported lazily by the renderer; counted here as part of the cold start)

    import analytics.analyze  # noqa: F401
    import reports.pipeline  # noqa: F401
    import service.reporting  # noqa: F401

    t_import = time.perf_counter() - t0
    run = read_and_analyse(url, wave_arg)
    t_report, size = report_once(run, lang)
    print(json.dumps({"import_s": t_import, "read_s": run["read_s"], "analysis_s": run["analysis_s"],
                      "first_report_s": t_report, "pdf_bytes": size, "end_wall": time.time()}))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--wave", default="latest", help="latest (as csi report), all, or a wave id")
    ap.add_argument("--child-cold", metavar="URL", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_cold:
        child_cold(args.child_cold, args.lang, args.wave)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        t0 = time.perf_counter()
        url = fill_store(Path(tmp) / "bench.db", args.n)
        print(f"setup: {args.n:,} simulated utility_csi responses into a fresh SQLite store in "
              f"{time.perf_counter() - t0:.1f} s (untimed)")

        run = read_and_analyse(url, args.wave)
        print(f"store read (load_data, all waves): {run['read_s']:.2f} s; analytics (analyze, wave "
              f"{run['wave'] or 'all'}, n = {run['analysis']['n']['analysed']:,}, n_boot=1000, with the PLS model): "
              f"{run['analysis_s']:.2f} s  [both separate from the report figures]")
        first, size = report_once(run, args.lang)  # starts the browser
        runs = [report_once(run, args.lang)[0] for _ in range(args.runs)]
        warm = statistics.median(runs)
        print(f"first report in this process (browser start included): {first:.2f} s ({size / 1024:.0f} KB PDF)")
        print(f"warm report ({args.lang}, median of {args.runs}): {warm:.2f} s (min {min(runs):.2f}, max "
              f"{max(runs):.2f}); target < {WARM_TARGET_S:.0f} s: {verdict(warm < WARM_TARGET_S)}")

        launch = time.time()
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-cold", url, "--lang",
                              args.lang, "--wave", args.wave], check=True, capture_output=True, text=True)
        child = json.loads(out.stdout.strip().splitlines()[-1])
        cold = child["end_wall"] - launch - child["read_s"] - child["analysis_s"]
        print(f"cold report (new process from launch to PDF, minus its store read {child['read_s']:.2f} s and "
              f"analytics {child['analysis_s']:.2f} s; imports {child['import_s']:.2f} s, first report "
              f"{child['first_report_s']:.2f} s): {cold:.2f} s; target < {COLD_TARGET_S:.0f} s: "
              f"{verdict(cold < COLD_TARGET_S)}")
        print(f"ratios: warm/target {warm / WARM_TARGET_S:.2f}, cold/target {cold / COLD_TARGET_S:.2f}")

        from reports.charts import shutdown

        shutdown()
    return 0 if warm < WARM_TARGET_S and cold < COLD_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
