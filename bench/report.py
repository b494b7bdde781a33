"""Benchmark: the full CSI report (PDF) for a survey with 10^5 responses, warm and cold; analytics timed apart.

The survey is utility_csi (3 brands, 2 waves, 4 segment questions, comments) simulated with `analytics.simulate`.
- analytics: ``analytics.analyze`` on all responses (reported separately; issue 4 owns its speed);
- warm: extras + context + charts + PDF in a process whose chart browser is already running (median of runs);
- cold: a new Python process: importing the renderer (WeasyPrint, Plotly), starting Chromium, first report.
Targets (issue 6): warm < 5 s, cold < 15 s.

    .venv/bin/python bench/report.py [--n 100000] [--runs 3] [--lang zh]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and its name would shadow the package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import numpy as np  # noqa: E402

from analytics.analyze import analyze  # noqa: E402
from analytics.data import ResponseData  # noqa: E402
from analytics.simulate import simulate  # noqa: E402
from survey_defs import load_definition, template_path  # noqa: E402
from survey_defs.schema import SurveyDefinition  # noqa: E402

WARM_TARGET_S = 5.0
COLD_TARGET_S = 15.0
COMMENTS = ["停电通知太晚了，希望提前一天告知。", "The hotline is always busy.", "抢修人员来得快，态度也好。",
            "电价偏高，阶梯电价说明不清楚。", "Paying on the phone is very convenient.", "农村线路老化，电压不稳。"]


def survey(n: int, seed: int = 0) -> tuple[SurveyDefinition, ResponseData]:
    """utility_csi with ``n`` simulated respondents, two channels and a comment from one in four."""
    d = load_definition(template_path("utility_csi"))
    data = simulate(d, n, random_state=seed, rate_probability=0.6)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(COMMENTS) * 4, n)
    texts: list[str | None] = [COMMENTS[k] if k < len(COMMENTS) else None for k in pick]
    channel = np.where(rng.random(n) < 0.7, "web", "phone").astype(object)
    return d, dataclasses.replace(data, texts={"q_comment": texts}, channel=channel)


def report_once(d: SurveyDefinition, data: ResponseData, analysis: dict[str, Any], lang: str) -> tuple[float, int]:
    from reports.pipeline import render_report

    t0 = time.perf_counter()
    pdf = render_report(d, data, analysis, lang=lang, fmt="pdf")
    return time.perf_counter() - t0, len(pdf)


def child_cold(n: int, lang: str) -> None:
    """Runs in a fresh process: data and analytics untimed for the report figure, then import + first report."""
    d, data = survey(n)
    t0 = time.perf_counter()
    analysis = analyze(d, data)
    t_analytics = time.perf_counter() - t0
    t0 = time.perf_counter()
    import weasyprint  # noqa: F401

    import reports.pipeline  # noqa: F401  (WeasyPrint and Plotly are imported on first use below)

    t_import = time.perf_counter() - t0
    t_report, size = report_once(d, data, analysis, lang)
    print(json.dumps({"analytics_s": t_analytics, "import_s": t_import, "first_report_s": t_report,
                      "cold_s": t_import + t_report, "pdf_bytes": size}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--child-cold", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_cold:
        child_cold(args.n, args.lang)
        return

    t0 = time.perf_counter()
    d, data = survey(args.n)
    print(f"generated {data.n:,} respondents ({len(d.brand_ids)} brands, waves {d.wave_ids()}) "
          f"in {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    analysis = analyze(d, data)
    t_analytics = time.perf_counter() - t0
    print(f"analytics (analyze, n_boot=1000): {t_analytics:.2f} s  [separate from the report figures]")

    first, size = report_once(d, data, analysis, args.lang)  # starts the browser
    runs = [report_once(d, data, analysis, args.lang)[0] for _ in range(args.runs)]
    warm = statistics.median(runs)
    print(f"first report in this process: {first:.2f} s ({size / 1024:.0f} KB PDF)")
    print(f"warm report ({args.lang}, median of {args.runs}): {warm:.2f} s  "
          f"(min {min(runs):.2f}, max {max(runs):.2f}); target < {WARM_TARGET_S:.0f} s: "
          f"{'OK' if warm < WARM_TARGET_S else 'MISSED'}")

    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-cold", "--n", str(args.n),
                          "--lang", args.lang], check=True, capture_output=True, text=True)
    cold = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"cold report (new process: import {cold['import_s']:.2f} s + first report {cold['first_report_s']:.2f} s):"
          f" {cold['cold_s']:.2f} s; target < {COLD_TARGET_S:.0f} s: "
          f"{'OK' if cold['cold_s'] < COLD_TARGET_S else 'MISSED'}  (that process's analytics: "
          f"{cold['analytics_s']:.2f} s)")
    print(f"ratios: warm/target {warm / WARM_TARGET_S:.2f}, cold/target {cold['cold_s'] / COLD_TARGET_S:.2f}")

    from reports.charts import shutdown

    shutdown()


if __name__ == "__main__":
    main()
