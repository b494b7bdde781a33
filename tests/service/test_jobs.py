"""Report jobs through the staff API with a real worker and a real queue: SQLite + the embedded queue, PostgreSQL +
Redis. The worker runs in this process (threads); tests/reliability/test_job_crash.py runs `csi worker` processes
and kills them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.jobs import repository
from service.jobs.queue import JobQueue
from service.jobs.service import purge_artifacts, reap
from service.jobs.worker import Worker
from service.settings import Settings
from service.staff.keys import create_key
from service.store.tables import Job
from tests.service.jobs_support import cleaned_queue, job_settings, publish_with_responses, wait_for

NPS_TITLE = "Quick Customer Satisfaction Survey"


@dataclass
class Jobs:
    client: TestClient
    settings: Settings
    engine: Engine
    analyst: dict[str, str]
    worker: Worker | None

    def request(self, slug: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
        r = self.client.post(f"/api/v1/surveys/{slug}/reports", json=body, headers=headers or self.analyst)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "queued" and r.headers["location"] == f"/api/v1/jobs/{r.json()['id']}"
        return str(r.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/jobs/{job_id}", headers=self.analyst)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def finished(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        return dict(wait_for(lambda: (j := self.job(job_id))["status"] in ("done", "failed") and j, timeout,
                             every=0.2, message=f"job {job_id} to finish"))


def _jobs(engine: Engine, store_url: str, tmp_path: Path, *, worker: bool, **kw: Any) -> Iterator[Jobs]:
    s = job_settings(store_url, tmp_path, **kw)
    w = Worker(s, engine, threads=1, poll_s=0.1) if worker else None
    with cleaned_queue(s):
        if w is not None:
            w.start()
        try:
            with TestClient(create_app(s, engine)) as c:
                yield Jobs(c, s, engine, {"Authorization": f"Bearer {create_key(engine, 'analyst')[1]}"}, w)
        finally:
            if w is not None:
                w.stop()


@pytest.fixture
def jobs(engine: Engine, store_url: str, tmp_path: Path) -> Iterator[Jobs]:
    yield from _jobs(engine, store_url, tmp_path, worker=True)


@pytest.fixture
def idle(engine: Engine, store_url: str, tmp_path: Path) -> Iterator[Jobs]:
    """The API without a worker: jobs stay queued."""
    yield from _jobs(engine, store_url, tmp_path, worker=False)


def test_a_report_job_runs_and_its_file_is_served(jobs: Jobs, tmp_path: Path) -> None:
    """202 + Location; the job goes queued -> running -> done with its progress; the file is the HTML report;
    the survey's list shows it with its parameters; only an admin or the requester may delete it."""
    slug = publish_with_responses(jobs.engine, tmp_path, "nps_quick", n=120)
    job_id = jobs.request(slug, {"format": "html", "lang": "en", "wave": "2026-01"})
    assert len(job_id) >= 22  # 128 random bits
    seen: set[tuple[str, str | None]] = set()

    def watch() -> dict[str, Any] | None:
        j = jobs.job(job_id)
        seen.add((j["status"], j["progress"]["stage"]))
        return j if j["status"] in ("done", "failed") else None

    job = wait_for(watch, 120, every=0.05, message="the job")
    assert job["status"] == "done", job
    assert job["progress"] == {"stage": "done", "percent": 100} and job["error"] is None
    assert job["params"] == {"format": "html", "lang": "en", "wave": "2026-01", "brand": None, "segment": None}
    assert job["attempts"] == 1 and job["finished_at"] >= job["started_at"] >= job["created_at"]
    assert job["file"] == f"/api/v1/jobs/{job_id}/file" and not job["expired"]
    assert ("queued", "queued") in seen or ("running", "load") in seen or len(seen) >= 2, seen

    f = jobs.client.get(job["file"], headers=jobs.analyst)
    assert f.status_code == 200 and f.headers["content-type"] == "text/html; charset=utf-8"
    assert f.headers["content-disposition"].startswith("attachment;") and ".html" in f.headers["content-disposition"]
    assert f.content.startswith(b"<!DOCTYPE html>") and NPS_TITLE.encode() in f.content
    assert int(job["bytes"]) == len(f.content)
    assert (Path(jobs.settings.artifacts_dir) / f"{job_id}.html").read_bytes() == f.content

    listed = jobs.client.get(f"/api/v1/surveys/{slug}/reports", headers=jobs.analyst).json()
    assert [j["id"] for j in listed] == [job_id] and listed[0]["params"]["wave"] == "2026-01"

    other = {"Authorization": f"Bearer {create_key(jobs.engine, 'analyst')[1]}"}
    assert jobs.client.delete(f"/api/v1/jobs/{job_id}", headers=other).status_code == 403
    assert jobs.client.delete(f"/api/v1/jobs/{job_id}", headers=jobs.analyst).json() == {"id": job_id,
                                                                                          "deleted": True}
    assert jobs.client.get(f"/api/v1/jobs/{job_id}", headers=jobs.analyst).status_code == 404
    assert not (Path(jobs.settings.artifacts_dir) / f"{job_id}.html").exists()
    assert jobs.client.get(f"/api/v1/surveys/{slug}/reports", headers=jobs.analyst).json() == []


def test_a_job_over_the_memory_bound_fails_with_the_reason(engine: Engine, store_url: str, tmp_path: Path) -> None:
    """CSI_MAX_ANALYSIS_BYTES applies in the worker: the job fails, its error is the bound's message; no file."""
    for j in _jobs(engine, store_url, tmp_path, worker=True, max_analysis_bytes=1 << 20):
        slug = publish_with_responses(engine, tmp_path, "nps_quick", n=50)
        job = j.finished(j.request(slug, {"format": "pdf", "lang": "en"}))
        assert job["status"] == "failed" and job["file"] is None, job
        assert "over the configured bound of 1 MiB (CSI_MAX_ANALYSIS_BYTES)" in job["error"], job
        assert j.client.get(f"/api/v1/jobs/{job['id']}/file", headers=j.analyst).status_code == 404
        # an admin may delete anyone's job
        admin = {"Authorization": f"Bearer {create_key(engine, 'admin')[1]}"}
        assert j.client.delete(f"/api/v1/jobs/{job['id']}", headers=admin).status_code == 200


def test_requests_are_checked_before_they_are_queued(idle: Jobs, tmp_path: Path) -> None:
    slug = publish_with_responses(idle.engine, tmp_path, "nps_quick", n=10)
    c, h = idle.client, idle.analyst
    url = f"/api/v1/surveys/{slug}/reports"
    r = c.post(url, json={"wave": "2030H1"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "wave"], r.text
    r = c.post(url, json={"brand": "nobody"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "brand"], r.text
    r = c.post(url, json={"segment": {"nope": "x"}}, headers=h)
    assert r.status_code == 422 and "not a segment question" in r.text
    assert c.post(url, json={"format": "docx"}, headers=h).status_code == 422
    assert c.post(url, json={"colour": "red"}, headers=h).status_code == 422  # unknown fields are refused
    assert c.post("/api/v1/surveys/nosuch/reports", json={}, headers=h).status_code == 404
    assert c.post(url, json={}).status_code == 401
    assert c.get("/api/v1/jobs/nosuchjob", headers=h).status_code == 404
    assert c.get(url, headers=h).json() == []  # nothing was queued by the refused requests

    job_id = idle.request(slug, {"lang": "zh"})
    j = idle.job(job_id)
    assert j["status"] == "queued" and j["progress"] == {"stage": "queued", "percent": 0}
    assert c.get(f"/api/v1/jobs/{job_id}/file", headers=h).status_code == 404  # not done
    assert c.delete(f"/api/v1/jobs/{job_id}", headers=h).status_code == 409  # not finished
    with cleaned_queue(idle.settings) as q:
        assert q.pending() == 1


def _running(engine: Engine, job_id: str, worker: str, heartbeat: float, attempts: int) -> None:
    from sqlalchemy import update

    with engine.begin() as c:
        c.execute(update(repository.T).where(repository.T.c.id == job_id).values(
            status="running", worker_id=worker, heartbeat_at=heartbeat, attempts=attempts, stage="render"))


def test_the_reaper_requeues_a_dead_workers_job_then_gives_up(idle: Jobs, tmp_path: Path) -> None:
    """A stale heartbeat puts the job back on the queue (once, however many reapers run); after
    CSI_JOB_MAX_ATTEMPTS starts it fails with "the worker died N times"; the old worker's writes are refused."""
    slug = publish_with_responses(idle.engine, tmp_path, "nps_quick", n=10)
    s, e = idle.settings, idle.engine
    job_id = idle.request(slug, {"lang": "en"})
    with cleaned_queue(s) as q:
        q.flush()
        now = time.time()
        assert repository.claim(e, job_id, "A", now) and not repository.claim(e, job_id, "B", now)
        assert reap(e, q, s, now + 1).requeued == []  # heartbeat fresh
        got = reap(e, q, s, now + s.job_stale_after_s + 1)
        assert got.requeued == [job_id] and q.pending() == 1
        assert reap(e, q, s, now + s.job_stale_after_s + 1).requeued == []  # already requeued
        assert idle.job(job_id)["status"] == "queued"
        assert repository.claim(e, job_id, "B", now + 5)
        assert not repository.touch(e, job_id, "A", now + 6, "render", 70)  # A was taken for dead
        assert not repository.finish(e, job_id, "A", now + 6, "x.pdf", 1)
        assert repository.touch(e, job_id, "B", now + 6, "render", 70)

        _running(e, job_id, "C", now, attempts=s.job_max_attempts)
        got = reap(e, q, s, now + s.job_stale_after_s + 1)
        assert got.failed == [job_id] and got.requeued == []
        j = idle.job(job_id)
        assert j["status"] == "failed" and f"the worker died {s.job_max_attempts} times" in j["error"], j


def test_a_queued_job_whose_message_was_lost_is_put_back(idle: Jobs, tmp_path: Path) -> None:
    """A Redis restart (no persistence) loses the list; a job queued for long without a claim is enqueued again."""
    slug = publish_with_responses(idle.engine, tmp_path, "nps_quick", n=10)
    job_id = idle.request(slug, {"lang": "en"})
    with cleaned_queue(idle.settings) as q:
        q.flush()
        assert q.pending() == 0
        assert reap(idle.engine, q, idle.settings).renudged == []  # just queued: leave it
        later = time.time() + 11 * idle.settings.job_stale_after_s
        assert reap(idle.engine, q, idle.settings, later).renudged == [job_id] and q.pending() == 1


def test_old_files_are_purged_and_answer_410(jobs: Jobs, tmp_path: Path) -> None:
    slug = publish_with_responses(jobs.engine, tmp_path, "nps_quick", n=30)
    old, new = (jobs.request(slug, {"format": "html", "lang": lang}) for lang in ("en", "zh"))
    assert jobs.finished(old)["status"] == jobs.finished(new)["status"] == "done"
    finished = jobs.job(old)["finished_at"]
    with jobs.engine.begin() as c:  # the old one finished 31 days ago
        from sqlalchemy import update

        c.execute(update(repository.T).where(repository.T.c.id == old).values(finished_at=finished - 31 * 86400))
    another = Worker(jobs.settings, jobs.engine)  # a worker purges when it starts (and hourly)
    another.start()
    try:
        wait_for(lambda: jobs.job(old)["expired"], 30, message="the starting worker's purge")
    finally:
        another.stop()
    assert purge_artifacts(jobs.engine, jobs.settings) == []  # once
    assert not (Path(jobs.settings.artifacts_dir) / f"{old}.html").exists()
    assert (Path(jobs.settings.artifacts_dir) / f"{new}.html").exists()
    j = jobs.job(old)
    assert j["expired"] and j["file"] is None and j["status"] == "done"
    r = jobs.client.get(f"/api/v1/jobs/{old}/file", headers=jobs.analyst)
    assert r.status_code == 410 and "CSI_ARTIFACTS_RETENTION_DAYS" in r.text
    assert jobs.client.get(f"/api/v1/jobs/{new}/file", headers=jobs.analyst).status_code == 200


def test_the_queue_follows_the_settings(tmp_path: Path) -> None:
    """CSI_QUEUE_URL: the embedded queue next to a SQLite store by default; Redis when asked; nothing else."""
    assert Settings(database_url=f"sqlite:///{tmp_path}/x.db").queue == f"sqlite:///{tmp_path}/x-queue.db"
    assert Settings(database_url="postgresql://h/db").queue == "sqlite:///./csi-queue.db"
    assert Settings(queue_url="redis://127.0.0.1:6379/0").queue == "redis://127.0.0.1:6379/0"
    q = JobQueue(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    assert q.embedded and (tmp_path / "x-queue.db").exists()
    q.close()
    with pytest.raises(ValueError, match="neither"):
        JobQueue(Settings(queue_url="amqp://rabbit"))


def test_openapi_documents_the_job_routes(idle: Jobs) -> None:
    paths = idle.client.get("/openapi.json").json()["paths"]
    post = paths["/api/v1/surveys/{slug}/reports"]["post"]
    assert {"202", "400", "401", "403", "404", "413", "415", "422", "503"} <= set(post["responses"])
    assert "Location" in post["responses"]["202"]["headers"]
    file = paths["/api/v1/jobs/{job_id}/file"]["get"]["responses"]
    assert {"200", "401", "403", "404", "410"} <= set(file) and set(file["200"]["content"]) == {"application/pdf",
                                                                                                 "text/html"}
    assert {"403", "404", "409"} <= set(paths["/api/v1/jobs/{job_id}"]["delete"]["responses"])
    assert "get" in paths["/api/v1/surveys/{slug}/reports"] and "get" in paths["/api/v1/jobs/{job_id}"]


def test_job_rows_keep_their_parameters(idle: Jobs, tmp_path: Path) -> None:
    """The job table holds the request (for the console's list of past reports), not the queue."""
    slug = publish_with_responses(idle.engine, tmp_path, "nps_quick", n=10)
    job_id = idle.request(slug, {"format": "pdf", "lang": "en", "wave": "all", "segment": {"channel_used": "phone"}})
    row = repository.get(idle.engine, job_id)
    assert isinstance(row, Job) and row.kind == "report" and row.requested_by.startswith("key:")
    assert row.status == "queued" and row.attempts == 0
    assert idle.job(job_id)["params"] == {"format": "pdf", "lang": "en", "wave": "all", "brand": None,
                                          "segment": {"channel_used": "phone"}}


def test_a_segment_filter_restricts_the_report(engine: Engine, tmp_path: Path) -> None:
    """The report of a segment is made from that segment's respondents only (the analysis says so)."""
    from service.reporting import build_report

    slug = publish_with_responses(engine, tmp_path, "nps_quick", n=200)
    stages: list[tuple[str, int]] = []
    everyone = build_report(engine, slug, lang="en", fmt="html", progress=lambda s, p: stages.append((s, p)))
    phone = build_report(engine, slug, lang="en", fmt="html", segment={"channel_used": "phone"})
    assert everyone != phone and NPS_TITLE.encode() in phone
    assert [s for s, _ in stages] == ["load", "analyse", "charts", "render"]
    assert [p for _, p in stages] == sorted(p for _, p in stages)
