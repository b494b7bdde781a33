"""Ingest benchmark: durable acknowledged submissions/s and latency, on SQLite and PostgreSQL.

For each store: a fresh database, the real service under uvicorn with 2 workers on 127.0.0.1, and a load
generator in a separate process with 64 keep-alive connections sending a bounded number of utility_csi
submissions (each with its own Idempotency-Key). In the same run a bare FastAPI endpoint returning a constant is
driven the same way, so the figure is also printed as a ratio. Afterwards the stored rows are counted: every
acknowledged response must be there.

Then bulk import: 10^6 respondents through the importer (vectorised validation + executemany/COPY).

    .venv/bin/python bench/ingest.py [--requests 20000] [--import-rows 1000000] [--skip-import]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench._stores import count_responses, drop_store, fresh_store  # noqa: E402

TARGET_PER_S = 2000  # issue 2: durable acknowledged submissions per second, on both stores
TARGET_P99_MS = 100.0
IMPORT_TARGET_S = {"sqlite": 10.0, "postgres": 30.0}  # 10^6 respondents, reading the file included


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(port: int, timeout: float = 60) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not come up")


def start_server(app: str, port: int, env: dict[str, str], factory: bool = True, workers: int = 2) -> subprocess.Popen:
    cmd = [PY, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
    if factory:
        cmd.append("--factory")
    # The load comes from one address, so the per-client rate limit would answer most of it 429: off here.
    env = {"CSI_PUBLIC_RATE_LIMIT_PER_MINUTE": "0", **env}
    p = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    wait_up(port)
    time.sleep(1.0)  # let both workers start
    return p


def stop(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(p.pid, signal.SIGKILL)


def load(port: int, path: str, bodies: list[dict[str, Any]], requests: int, concurrency: int = 64,
         idempotency: bool = True) -> dict[str, Any]:
    cfg = {"host": "127.0.0.1", "port": port, "path": path, "bodies": bodies, "requests": requests,
           "concurrency": concurrency, "idempotency": idempotency}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfg, f)
    out = subprocess.run([PY, str(ROOT / "bench" / "_loadgen.py"), f.name], capture_output=True, text=True,
                         timeout=900)
    os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


def bodies(n: int = 256) -> list[dict[str, Any]]:
    from tests.service.payloads import good_submission

    out = []
    for k in range(n):
        b = good_submission()
        b["answers"]["q_overall"] = 1 + k % 5
        b["answers"]["q_recommend"] = k % 11
        b["brands"]["jiangcheng"]["q_price"] = 1 + (k // 5) % 5
        out.append(b)
    return out


def run_http(requests: int, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    port = free_port()
    p = start_server("bench._bare_app:app", port, {}, factory=False)
    try:
        load(port, "/bare", [{}], min(2000, requests))  # warm-up
        bare = load(port, "/bare", [{}], requests, idempotency=False)
    finally:
        stop(p)
    rows.append({"target": "bare FastAPI constant", **bare})
    for kind in ("sqlite", "postgres"):
        url = fresh_store(kind, tmp)
        port = free_port()
        p = start_server("service.app:app_from_env", port, {"CSI_DATABASE_URL": url})
        try:
            load(port, "/api/v1/surveys/utility_csi/responses", bodies(), min(2000, requests))  # warm-up
            before = count_responses(url)
            r = load(port, "/api/v1/surveys/utility_csi/responses", bodies(), requests)
        finally:
            stop(p)
        r["stored"] = count_responses(url) - before
        r["ratio_to_bare"] = r["per_s"] / bare["per_s"]
        rows.append({"target": f"submit ({kind})", **r})
        drop_store(url)
    return rows


def run_import(n: int, tmp: Path, repeats: int = 3) -> list[dict[str, Any]]:
    """Bulk import from a CSV file into a fresh store, ``repeats`` times per store; the median run is reported."""
    import pandas as pd

    from analytics.simulate import simulate
    from service.responses.importer import import_file
    from service.store.engine import make_engine
    from service.surveys.service import load_ref
    from survey_defs import load_template

    d = load_template("utility_csi")
    t0 = time.perf_counter()
    data = simulate(d, n, random_state=1, rate_probability=0.5)
    df = data.to_frame()
    gen_s = time.perf_counter() - t0
    csv = tmp / "import.csv"
    df.to_csv(csv, index=False)
    os.sync()  # the file's write-back must not compete with the imports' fsyncs
    out = []
    for kind in ("sqlite", "postgres"):
        runs = []
        for _ in range(repeats):
            url = fresh_store(kind, tmp)
            eng = make_engine(url)
            ref = load_ref(eng, "utility_csi")
            t0 = time.perf_counter()
            rep = import_file(eng, ref, csv)  # read (encoding, separator, SHA-256), check, store as one batch
            total = time.perf_counter() - t0
            runs.append({"read_s": rep.read_seconds, "validate_store_s": rep.seconds - rep.read_seconds,
                         "total_s": total, "stored": count_responses(url)})
            eng.dispose()
            drop_store(url)
        med = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]
        out.append({"target": f"import {n:,} respondents ({kind})", "rows_in_file": len(df), **med,
                    "all_s": [round(r["total_s"], 1) for r in runs]})
    del pd
    print(f"(generated {n:,} respondents / {len(df):,} rows in {gen_s:.1f} s)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    a = ap.parse_args()
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not a.skip_http:
            print(f"{'target':28} {'acked/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'acked':>7} {'stored':>7} "
                  f"{'non-2xx':>8} {'ratio':>6}")
            for r in run_http(a.requests, tmp):
                non2 = sum(v for k, v in r["statuses"].items() if not 200 <= int(k) < 300)
                print(f"{r['target']:28} {r['per_s']:9.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['acked']:7d} "
                      f"{r.get('stored', '-')!s:>7} {non2:8d} {r.get('ratio_to_bare', 1.0):6.2f}")
                if "stored" in r:
                    ok = (r["per_s"] >= TARGET_PER_S and r["p99_ms"] < TARGET_P99_MS and r["stored"] == r["acked"]
                          and non2 == 0)
                    verdicts.append(f"{'PASS' if ok else 'FAIL'} {r['target']}: {r['per_s']:.0f}/s (>= {TARGET_PER_S}),"
                                    f" p99 {r['p99_ms']:.1f} ms (< {TARGET_P99_MS}), stored {r['stored']} of"
                                    f" {r['acked']} acknowledged, non-2xx {non2}")
        if not a.skip_import:
            for r in run_import(a.import_rows, tmp):
                print(f"{r['target']:40} file rows {r['rows_in_file']:,}: read {r['read_s']:.1f} s, validate+store "
                      f"{r['validate_store_s']:.1f} s, total {r['total_s']:.1f} s (median of {r['all_s']}), "
                      f"stored {r['stored']:,}")
                limit = IMPORT_TARGET_S["sqlite" if "sqlite" in r["target"] else "postgres"]
                ok = r["total_s"] <= limit and r["stored"] == a.import_rows
                verdicts.append(f"{'PASS' if ok else 'FAIL'} {r['target']}: {r['total_s']:.1f} s file to committed"
                                f" (<= {limit:.0f} s)")
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
