"""`csi demo`: the product end to end, as a user would run it, on a fresh SQLite store.

Publishes utility_csi, generates a realistic population (service.demo_population), submits every response through
the real collector HTTP API in-process (validation, idempotency keys, group commit), then analyses the store and
writes the reports.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from service.app import create_app
from service.demo_population import population
from service.errors import AppError
from service.settings import Settings
from service.staff.keys import create_key
from service.store.engine import make_engine
from service.store.migrate import upgrade
from service.surveys.service import publish
from survey_defs import template_path

SLUG = "utility_csi"


async def _submit_all(app: Any, bodies: list[dict[str, Any]], concurrency: int = 16) -> dict[int, int]:
    statuses: dict[int, int] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(body: dict[str, Any]) -> None:
            async with sem:
                r = await client.post(f"/api/v1/surveys/{SLUG}/responses", json=body,
                                      headers={"Idempotency-Key": uuid.uuid4().hex})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        await asyncio.gather(*(one(b) for b in bodies))
    return statuses


def run_demo(out: Path, n_per_wave: int = 1200) -> int:
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db.resolve()}"
    engine = make_engine(url)
    upgrade(engine)
    ref, _ = publish(engine, template_path(SLUG).read_text(encoding="utf-8"), f"{SLUG}.yaml")
    print(f"1. fresh SQLite store {db}; published {SLUG} version {ref.version}")
    people = population(ref.definition, n_per_wave=n_per_wave)
    kinds = {k: sum(1 for p in people if p.kind == k) for k in ("normal", "speeder", "straightliner")}
    print(f"2. generated {len(people)} respondents over waves {ref.definition.wave_ids()} "
          f"({kinds['speeder']} speeders, {kinds['straightliner']} straight-liners)")
    # The submissions stand for 2,400 respondents on their own phones, not one client: no per-client rate limit.
    app = create_app(Settings(database_url=url, environment="development", public_rate_limit_per_minute=0), engine)
    statuses = asyncio.run(_submit_all(app, [p.body for p in people]))
    app.state.csi.writer.close()
    print(f"3. submitted through the collector API: {statuses}")
    if set(statuses) - {201}:
        print("demo: some submissions were refused", statuses)
        return 1
    try:
        outputs = _analyse_and_report(engine, out)
    except AppError as exc:  # a rendering failure: say so plainly, without a traceback
        print(f"demo: {exc.message}", file=sys.stderr)
        return 1
    admin = create_key(engine, "admin", "demo")[1]
    print(f"4. wrote {', '.join(str(p) for p in outputs)}")
    print(f"\nDone in {time.perf_counter() - t0:.0f} s. To answer the survey in a browser:\n"
          f"  export CSI_DATABASE_URL={url}\n"
          f"  .venv/bin/csi serve --port 8000\n"
          f"  open http://127.0.0.1:8000/s/{SLUG}   (staff API key for this store: {admin})")
    return 0


def _analyse_and_report(engine: Any, out: Path) -> list[Path]:
    """``analysis.json`` and the PDF/HTML reports of the latest wave (`service.reporting.write_demo_reports`)."""
    from service.reporting import write_demo_reports

    return write_demo_reports(engine, SLUG, out)
