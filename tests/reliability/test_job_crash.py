"""Background jobs survive their worker: ``kill -9`` of a `csi worker` in the middle of a PDF report, and the job
still finishes once another worker runs (SQLite + the embedded queue; PostgreSQL + Redis). Several workers share
one Redis queue.

The workers are real ``csi worker`` processes, each in its own process group, killed in ``finally`` blocks. The
heartbeat is 0.3 s and a job is taken for orphaned after 2 s without one, so the test waits seconds, not minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from service.jobs import repository
from service.jobs.service import new_job_id
from service.store.tables import Job
from tests.service.jobs_support import cleaned_queue, job_settings, publish_with_responses, wait_for, worker_process

UTILITY_TITLE = "Electricity Supply Customer Satisfaction Survey"


def _job(engine: Engine, job_id: str) -> Job:
    job = repository.get(engine, job_id)
    assert job is not None
    return job


def _submit(engine: Engine, s: object, slug: str, body: dict[str, object]) -> str:
    """Through the service function the API calls (no HTTP server needed in this process)."""
    from service.jobs.queue import JobQueue
    from service.jobs.schemas import ReportIn
    from service.jobs.service import submit_report

    q = JobQueue(s)  # type: ignore[arg-type]
    try:
        return submit_report(engine, q, slug, ReportIn.model_validate(body), "key:test").id
    finally:
        q.close()


@pytest.mark.timeout(300)
def test_a_killed_worker_s_report_is_finished_by_another(engine: Engine, store_url: str, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    s = job_settings(store_url, tmp_path)
    slug = publish_with_responses(engine, tmp_path, "utility_csi", n=300)  # a PDF of ~10 s on this machine
    log = tmp_path / "workers.log"
    with cleaned_queue(s):
        job_id = _submit(engine, s, slug, {"format": "pdf", "lang": "en", "wave": "all"})
        with worker_process(s, log) as first:
            running = wait_for(lambda: (j := _job(engine, job_id)).status == "running" and j.percent > 0 and j, 120,
                               message="the first worker to be in the middle of the report")
            os.killpg(first.pid, 9)  # kill -9, the whole process group
            first.wait(timeout=30)
        killed_in = running.stage
        assert _job(engine, job_id).status == "running"  # nobody has noticed yet
        with worker_process(s, log) as second:
            done = wait_for(lambda: (j := _job(engine, job_id)).status in ("done", "failed") and j, 240,
                            message="the second worker to finish the job")
            assert second.poll() is None  # still serving
    text = log.read_text(errors="replace")
    assert done.status == "done", f"{done}\n{text}"
    assert done.attempts == 2 and done.worker_id != running.worker_id, done
    assert f"{os.getpid()}" not in (done.worker_id or "")
    assert killed_in in ("analyse", "charts", "render", "write"), killed_in
    assert "its worker stopped" in text and "requeued after attempt 1 of 3" in text
    pdf = Path(s.artifacts_dir) / f"{job_id}.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and done.artifact_bytes == len(data)
    pages = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert UTILITY_TITLE in " ".join(pages.split()), pages[:500]
    assert [p.name for p in Path(s.artifacts_dir).iterdir()] == [pdf.name]  # no half-written file of the first


@pytest.mark.timeout(300)
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_two_workers_drain_one_redis_queue(engine: Engine, store_url: str, tmp_path: Path) -> None:
    """Two `csi worker` processes on one Redis queue and one PostgreSQL store take 4 jobs between them, each job
    run once."""
    assert store_url.startswith("postgresql")
    s = job_settings(store_url, tmp_path)
    slug = publish_with_responses(engine, tmp_path, "nps_quick", n=200)
    log = tmp_path / "workers.log"
    with cleaned_queue(s), worker_process(s, log), worker_process(s, log):
        wait_for(lambda: log.exists() and log.read_text(errors="replace").count("csi worker:") == 2, 60,
                 message="both workers to start")
        ids = [_submit(engine, s, slug, {"format": "pdf", "lang": lang}) for lang in ("en", "zh", "en", "zh")]
        jobs = wait_for(lambda: (js := [_job(engine, i) for i in ids]) and all(j.status == "done" for j in js)
                        and js, 240, message="4 jobs done")
    pids = {j.worker_id.split(":")[1] for j in jobs if j.worker_id}
    assert len(pids) == 2, (pids, log.read_text(errors="replace"))
    assert all(j.attempts == 1 for j in jobs)
    for j in jobs:
        assert (Path(s.artifacts_dir) / f"{j.id}.pdf").read_bytes().startswith(b"%PDF")


def _finished(c: Any, url: str) -> dict[str, Any] | None:
    j: dict[str, Any] = c.get(url).json()
    return j if j["status"] in ("done", "failed") else None


def test_job_ids_are_unguessable() -> None:
    ids = {new_job_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) == 22 for i in ids)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_csi_serve_runs_an_embedded_worker_with_the_embedded_queue(engine: Engine, store_url: str,
                                                                   tmp_path: Path) -> None:
    """The demo setting: `csi serve` with a SQLite store and no CSI_QUEUE_URL makes the reports it is asked for,
    with no other process; with --no-worker the job waits for one."""
    import httpx

    from service.staff.keys import create_key
    from tests.reliability.test_access import ENTRY_POINTS, _serving

    slug = publish_with_responses(engine, tmp_path, "nps_quick", n=60)
    auth = {"Authorization": f"Bearer {create_key(engine, 'analyst')[1]}"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    env.update({"CSI_DATABASE_URL": store_url, "CSI_ARTIFACTS_DIR": str(tmp_path / "art"),
                "CSI_QUEUE_NAME": "serve-test"})
    for flag, expect in (("--no-worker", "queued"), (None, "done")):
        cmd = [*ENTRY_POINTS["csi serve"], *([flag] if flag else [])]
        with _serving(cmd, env) as base, httpx.Client(base_url=base, headers=auth, timeout=30) as c:
            r = c.post(f"/api/v1/surveys/{slug}/reports", json={"format": "pdf", "lang": "en"})
            assert r.status_code == 202, r.text
            url = r.headers["location"]
            if expect == "queued":
                time.sleep(3)
                assert c.get(url).json()["status"] == "queued"
                continue
            job = wait_for(partial(_finished, c, url), 120, every=0.3, message="the embedded worker's report")
            assert job["status"] == "done", job
            f = c.get(f"{url}/file")
            assert f.status_code == 200 and f.headers["content-type"] == "application/pdf"
            assert f.content.startswith(b"%PDF")
    assert (tmp_path / "csi-queue.db").exists()  # the embedded queue, next to the store
