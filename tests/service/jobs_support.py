"""Helpers for the background-job tests: the queue that goes with each store, surveys with responses, polling.

The pairing is the deployment rule of issue 13: a SQLite store with the embedded SQLite queue (a file next to it),
a PostgreSQL store with Redis (127.0.0.1:6379, a queue name of its own per test, flushed afterwards).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from analytics.simulate import simulate
from service.jobs.queue import JobQueue
from service.settings import Settings
from service.surveys.service import publish
from survey_defs import load_definition, template_path

REDIS_URL = os.environ.get("CSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]


def need_redis() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis is needed for the PostgreSQL + Redis job tests at {REDIS_URL}: {exc}")


def job_settings(store_url: str, tmp_path: Path, **kw: Any) -> Settings:
    """Settings for ``store_url`` with its queue (embedded next to SQLite, Redis for PostgreSQL), artifacts in
    ``tmp_path`` and a fast heartbeat (0.3 s) and staleness (2 s) so a dead worker is noticed within the test."""
    if store_url.startswith("sqlite"):
        queue = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        need_redis()
        queue = REDIS_URL
    values: dict[str, Any] = {"database_url": store_url, "environment": "test", "queue_url": queue,
                              "queue_name": f"test-{uuid.uuid4().hex[:12]}", "artifacts_dir": str(tmp_path / "art"),
                              "job_heartbeat_s": 0.3, "job_stale_after_s": 2.0}
    values.update(kw)
    return Settings(**values)


def settings_env(s: Settings) -> dict[str, str]:
    """The same settings as ``CSI_*`` variables, for a ``csi worker`` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    env.update({"CSI_DATABASE_URL": s.database_url, "CSI_ENVIRONMENT": s.environment, "CSI_QUEUE_URL": s.queue,
                "CSI_QUEUE_NAME": s.queue_name, "CSI_ARTIFACTS_DIR": s.artifacts_dir,
                "CSI_JOB_HEARTBEAT_S": str(s.job_heartbeat_s), "CSI_JOB_STALE_AFTER_S": str(s.job_stale_after_s),
                "CSI_JOB_MAX_ATTEMPTS": str(s.job_max_attempts),
                "CSI_MAX_ANALYSIS_BYTES": str(s.max_analysis_bytes), "PYTHONPATH": str(ROOT)})
    return env


@contextmanager
def cleaned_queue(s: Settings) -> Iterator[JobQueue]:
    """The test's queue, emptied (its Redis keys deleted) and closed at the end."""
    q = JobQueue(s)
    try:
        yield q
    finally:
        q.flush()
        q.close()


@contextmanager
def worker_process(s: Settings, log: Path, threads: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """``csi worker`` in its own process group, killed (the whole group) when the block ends, whatever happens."""
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "worker", "--threads", str(threads),
                                 "--poll", "0.2"], cwd=ROOT, env=settings_env(s), stdout=out, stderr=out,
                                start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait(timeout=30)


def publish_with_responses(engine: Engine, tmp_path: Path, template: str = "utility_csi", n: int = 300) -> str:
    """``template`` published with ``n`` simulated responses imported; returns the slug."""
    from service.responses.importer import import_file

    d = load_definition(template_path(template))
    ref, _ = publish(engine, template_path(template).read_text(encoding="utf-8"), f"{template}.yaml")
    csv = tmp_path / f"{template}.csv"
    simulate(d, n, random_state=21).to_frame().to_csv(csv, index=False)
    import_file(engine, ref, csv)
    return ref.slug


def wait_for(what: Callable[[], Any], timeout: float, every: float = 0.1, message: str = "") -> Any:
    """Poll ``what()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {message or what}")
        time.sleep(every)
