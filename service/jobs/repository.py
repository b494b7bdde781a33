"""The job table's SQL: every change of a job's state is one conditional UPDATE, so workers never need a lock.

Several workers (threads, processes, machines) and the API touch the same rows. Each transition says in its WHERE
clause the state it starts from (``status='queued'`` to claim; ``worker_id=me AND status='running'`` to report
progress or finish; a stale heartbeat to requeue), and whoever's UPDATE matches one row did it. A worker that was
taken for dead and whose job went to another worker therefore finds its next progress report refused, and stops.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update

from service.store.tables import Job

T = Job.__table__  # type: ignore[attr-defined]
FINISHED = ("done", "failed")


def _job(row: Any) -> Job:
    return Job.model_validate(dict(row._mapping))


def insert_job(engine: Engine, job: Job) -> None:
    with engine.begin() as c:
        c.execute(insert(T).values(**job.model_dump()))


def get(engine: Engine, job_id: str) -> Job | None:
    with engine.connect() as c:
        row = c.execute(select(T).where(T.c.id == job_id)).first()
    return None if row is None else _job(row)


def list_for_survey(engine: Engine, survey_id: int, kind: str, limit: int) -> list[Job]:
    """Newest first."""
    with engine.connect() as c:
        rows = c.execute(select(T).where(T.c.survey_id == survey_id, T.c.kind == kind)
                         .order_by(T.c.created_at.desc(), T.c.id).limit(limit)).all()
    return [_job(r) for r in rows]


def _update(engine: Engine, where: Any, **values: Any) -> bool:
    with engine.begin() as c:
        return c.execute(update(T).where(where).values(**values)).rowcount == 1


def claim(engine: Engine, job_id: str, worker_id: str, now: float) -> bool:
    """queued -> running for ``worker_id`` (one more attempt); False when the job is not queued (another worker
    has it, it is finished or deleted: a duplicate message)."""
    return _update(engine, and_(T.c.id == job_id, T.c.status == "queued"),
                   status="running", attempts=T.c.attempts + 1, worker_id=worker_id, heartbeat_at=now,
                   started_at=now, stage="load", percent=0, error=None)


def _mine(job_id: str, worker_id: str) -> Any:
    return and_(T.c.id == job_id, T.c.worker_id == worker_id, T.c.status == "running")


def touch(engine: Engine, job_id: str, worker_id: str, now: float, stage: str | None = None,
          percent: int | None = None) -> bool:
    """Heartbeat (and progress); False when the job is no longer this worker's."""
    values: dict[str, Any] = {"heartbeat_at": now}
    if stage is not None:
        values["stage"] = stage
    if percent is not None:
        values["percent"] = percent
    return _update(engine, _mine(job_id, worker_id), **values)


def finish(engine: Engine, job_id: str, worker_id: str, now: float, artifact: str, nbytes: int) -> bool:
    return _update(engine, _mine(job_id, worker_id), status="done", stage="done", percent=100, finished_at=now,
                   heartbeat_at=now, artifact=artifact, artifact_bytes=nbytes)


def fail(engine: Engine, job_id: str, worker_id: str, now: float, error: str) -> bool:
    return _update(engine, _mine(job_id, worker_id), status="failed", finished_at=now, heartbeat_at=now,
                   error=error)


def fail_queued(engine: Engine, job_id: str, now: float, error: str) -> bool:
    """A queued job that could not be put on the queue."""
    return _update(engine, and_(T.c.id == job_id, T.c.status == "queued"), status="failed", finished_at=now,
                   error=error)


def stale_running(engine: Engine, cutoff: float) -> list[tuple[str, int]]:
    """(id, attempts) of running jobs whose heartbeat is older than ``cutoff``."""
    with engine.connect() as c:
        rows = c.execute(select(T.c.id, T.c.attempts).where(
            T.c.status == "running", or_(T.c.heartbeat_at.is_(None), T.c.heartbeat_at < cutoff))).all()
    return [(r.id, r.attempts) for r in rows]


def _stale(job_id: str, cutoff: float) -> Any:
    return and_(T.c.id == job_id, T.c.status == "running",
                or_(T.c.heartbeat_at.is_(None), T.c.heartbeat_at < cutoff))


def requeue_stale(engine: Engine, job_id: str, cutoff: float, now: float) -> bool:
    """running with a stale heartbeat -> queued (another reaper may have done it first: then False)."""
    return _update(engine, _stale(job_id, cutoff), status="queued", worker_id=None, stage=None, percent=0,
                   enqueued_at=now)


def fail_stale(engine: Engine, job_id: str, cutoff: float, now: float, error: str) -> bool:
    return _update(engine, _stale(job_id, cutoff), status="failed", finished_at=now, error=error)


def unclaimed(engine: Engine, cutoff: float) -> list[str]:
    """Queued jobs last put on the queue before ``cutoff``: their message may be lost."""
    with engine.connect() as c:
        return list(c.execute(select(T.c.id).where(T.c.status == "queued", T.c.enqueued_at < cutoff)).scalars())


def mark_enqueued(engine: Engine, job_id: str, cutoff: float, now: float) -> bool:
    return _update(engine, and_(T.c.id == job_id, T.c.status == "queued", T.c.enqueued_at < cutoff),
                   enqueued_at=now)


def expirable(engine: Engine, cutoff: float) -> list[Job]:
    """Done jobs finished before ``cutoff`` whose file has not been purged yet."""
    with engine.connect() as c:
        rows = c.execute(select(T).where(T.c.status == "done", T.c.finished_at < cutoff,
                                         T.c.expired_at.is_(None))).all()
    return [_job(r) for r in rows]


def mark_expired(engine: Engine, job_id: str, now: float) -> bool:
    return _update(engine, and_(T.c.id == job_id, T.c.expired_at.is_(None)), expired_at=now)


def delete_finished(engine: Engine, job_id: str) -> bool:
    """Delete a finished job's row; False when it is not finished (a worker may still write its file)."""
    with engine.begin() as c:
        return c.execute(delete(T).where(T.c.id == job_id, T.c.status.in_(FINISHED))).rowcount == 1
