"""Report jobs: submit, look up, list, delete; and the two chores every worker does, the reaper and the purge.

A job is a row (service/store/tables.py `Job`) and a message on the queue carrying its id (service/jobs/queue.py).
Submitting checks the request completely first (survey, language, format, wave, brand, segment options), so a job
only fails for reasons the caller could not see from outside: the memory bound, a rendering failure, or workers
that kept dying.

Crash survival: a running job's worker touches ``heartbeat_at`` every ``CSI_JOB_HEARTBEAT_S``; `reap`, which each
worker runs at start and then as often, puts a job whose heartbeat is older than ``CSI_JOB_STALE_AFTER_S`` back on
the queue, unless it has been started ``CSI_JOB_MAX_ATTEMPTS`` times already: then it fails with "the worker died N
times" rather than take down worker after worker (a report that kills its worker, e.g. by running out of memory,
would otherwise do so forever). The same pass puts back queued jobs that nobody claimed for a long time (a Redis
restart loses its lists; duplicates are harmless, because only one claim of a queued job succeeds).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from service import audit
from service.errors import AppError, Conflict, Gone, NotFound
from service.jobs import repository
from service.jobs.queue import JobQueue
from service.jobs.schemas import JobOut, Progress, ReportIn
from service.settings import Settings
from service.store.tables import ApiKey, Job, Survey
from service.surveys.service import check_slug, load_ref

log = logging.getLogger("csi.jobs")

MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
#: Report jobs listed per survey (newest first).
LIST_LIMIT = 200
#: A queued job not claimed for this many stale periods is put on the queue again (its message may be lost).
REQUEUE_UNCLAIMED_PERIODS = 10


class QueueUnavailable(AppError):
    status_code = 503


def requester(key: ApiKey) -> str:
    """Who asked, as stored in ``job.requested_by``: ``key:<id>`` for an API key (``user:<id>`` for a console
    user, once accounts exist)."""
    return f"key:{key.id}"


def new_job_id() -> str:
    """128 random bits, URL-safe: the id is the capability to read the job's file name, so it is not guessable."""
    return secrets.token_urlsafe(16)


def params_of(job: Job) -> ReportIn:
    return ReportIn.model_validate_json(job.params)


def submit_report(engine: Engine, queue: JobQueue, slug: str, body: ReportIn, requested_by: str) -> Job:
    """Check the request, store the job (queued) and put its id on the queue."""
    from service.reporting import check_report_request  # imports the analytics: not at the app's start

    check_slug(slug)
    ref = load_ref(engine, slug)
    try:
        check_report_request(ref.definition, lang=body.lang, fmt=body.format, wave=body.wave, brand=body.brand,
                             segment=body.segment)
    except AppError as exc:  # the checks name query parameters (the sync route's); here they are body fields
        if exc.loc and exc.loc[0] == "query":
            exc.loc = ["body", *exc.loc[1:]]
        raise
    now = time.time()
    job = Job(id=new_job_id(), kind="report", survey_id=ref.id, params=body.model_dump_json(),
              requested_by=requested_by, status="queued", stage="queued", enqueued_at=now, created_at=now)
    repository.insert_job(engine, job)
    try:
        queue.enqueue(job.id)
    except Exception as exc:  # Redis down: say so now rather than leave a job nobody will run
        reason = f"the job queue ({_safe_url(queue.url)}) could not be reached: {type(exc).__name__}"
        repository.fail_queued(engine, job.id, time.time(), reason)
        raise QueueUnavailable(f"{reason}; retry later", headers={"Retry-After": "30"}) from exc
    audit.record(engine, requested_by, "report.request", f"{slug}/{job.id}", body.model_dump(exclude_none=True))
    return job


def _safe_url(url: str) -> str:
    """The queue URL without a password, for messages."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


def get_job(engine: Engine, job_id: str) -> Job:
    job = repository.get(engine, job_id) if 0 < len(job_id) <= 64 else None
    if job is None:
        raise NotFound(f"unknown job {job_id[:64]!r}", loc=["path", "job_id"])
    return job


def survey_slug(engine: Engine, survey_id: int) -> str:
    with engine.connect() as c:
        t = Survey.__table__  # type: ignore[attr-defined]
        return str(c.execute(select(t.c.slug).where(t.c.id == survey_id)).scalar_one())


def list_reports(engine: Engine, slug: str) -> list[Job]:
    check_slug(slug)
    ref = load_ref(engine, slug)
    return repository.list_for_survey(engine, ref.id, "report", LIST_LIMIT)


def describe(job: Job, slug: str) -> JobOut:
    """The job as the API shows it."""
    params = params_of(job)
    return JobOut(id=job.id, kind="report", survey=slug, status=job.status,  # type: ignore[arg-type]
                  progress=Progress(stage=job.stage, percent=job.percent), error=job.error, params=params,
                  requested_by=job.requested_by, attempts=job.attempts, created_at=job.created_at,
                  started_at=job.started_at, finished_at=job.finished_at, expired=job.expired_at is not None,
                  file=f"/api/v1/jobs/{job.id}/file" if job.status == "done" and job.expired_at is None else None,
                  media_type=MEDIA_TYPES[params.format], bytes=job.artifact_bytes)


def artifact_name(job_id: str, fmt: str) -> str:
    return f"{job_id}.{fmt}"


def artifact_file(settings: Settings, job: Job) -> Path:
    """The finished job's file: 404 while it is not done, 410 once purged (or lost)."""
    if job.status != "done" or not job.artifact:
        raise NotFound(f"job {job.id} is {job.status}; its file exists once it is done", loc=["path", "job_id"])
    path = Path(settings.artifacts_dir) / job.artifact
    if job.expired_at is not None or not path.is_file():
        raise Gone(f"the file of job {job.id} was deleted after {settings.artifacts_retention_days:g} day(s) "
                   f"(CSI_ARTIFACTS_RETENTION_DAYS); request the report again", loc=["path", "job_id"])
    return path


def delete_job(engine: Engine, settings: Settings, job_id: str, key: ApiKey) -> None:
    """Delete a finished job and its file: admins, or whoever requested it."""
    from service.staff.keys import Forbidden

    job = get_job(engine, job_id)
    if key.role != "admin" and job.requested_by != requester(key):
        raise Forbidden("only an admin or the job's requester may delete it")
    if job.status not in repository.FINISHED or not repository.delete_finished(engine, job_id):
        raise Conflict(f"job {job_id} is {job.status}; only a finished job can be deleted", loc=["path", "job_id"])
    if job.artifact:
        (Path(settings.artifacts_dir) / job.artifact).unlink(missing_ok=True)
    audit.record(engine, requester(key), "report.delete", job_id)


@dataclass
class Reaped:
    requeued: list[str]
    failed: list[str]
    renudged: list[str]


def reap(engine: Engine, queue: JobQueue, settings: Settings, now: float | None = None) -> Reaped:
    """Requeue (or, after ``job_max_attempts`` starts, fail) running jobs whose worker stopped its heartbeat; put
    long-unclaimed queued jobs on the queue again. Safe to run in every worker at once (conditional updates)."""
    now = time.time() if now is None else now
    cutoff = now - settings.job_stale_after_s
    out = Reaped([], [], [])
    for job_id, attempts in repository.stale_running(engine, cutoff):
        if attempts >= settings.job_max_attempts:
            reason = (f"the worker died {attempts} times while running this job (CSI_JOB_MAX_ATTEMPTS="
                      f"{settings.job_max_attempts}); it is not retried again: look for an out-of-memory kill in "
                      f"the worker's log, or lower CSI_MAX_ANALYSIS_BYTES")
            if repository.fail_stale(engine, job_id, cutoff, now, reason):
                out.failed.append(job_id)
                log.warning("job %s failed: %s", job_id, reason)
        elif repository.requeue_stale(engine, job_id, cutoff, now):
            queue.enqueue(job_id)
            out.requeued.append(job_id)
            log.warning("job %s: its worker stopped (no heartbeat for %.0f s); requeued after attempt %d of %d",
                        job_id, settings.job_stale_after_s, attempts, settings.job_max_attempts)
    lost = now - REQUEUE_UNCLAIMED_PERIODS * settings.job_stale_after_s
    for job_id in repository.unclaimed(engine, lost):
        if repository.mark_enqueued(engine, job_id, lost, now):
            queue.enqueue(job_id)
            out.renudged.append(job_id)
    return out


def purge_artifacts(engine: Engine, settings: Settings, now: float | None = None) -> list[str]:
    """Delete the files of jobs finished more than ``artifacts_retention_days`` ago; their rows stay, marked
    expired (the list of past reports keeps its parameters). Returns the expired job ids."""
    now = time.time() if now is None else now
    cutoff = now - settings.artifacts_retention_days * 86400.0
    done: list[str] = []
    for job in repository.expirable(engine, cutoff):
        if job.artifact:
            (Path(settings.artifacts_dir) / job.artifact).unlink(missing_ok=True)
        if repository.mark_expired(engine, job.id, now):
            done.append(job.id)
    if done:
        log.info("expired %d report file(s) older than %g day(s)", len(done), settings.artifacts_retention_days)
    return done

