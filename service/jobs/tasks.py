"""What a worker does with a job id: claim the job, build the report with progress and a heartbeat, write the file.

The heartbeat is a thread of its own, not the progress reports: one stage (the PDF rendering of a large survey)
can take minutes without a word, and a silent worker must not be taken for a dead one. Every write to the row is
conditional on the job still being this worker's (service/jobs/repository.py); when it is not (the reaper gave it
to another worker, or it was deleted), the work stops at the next stage instead of finishing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

from sqlalchemy import Engine

from service.errors import AppError
from service.jobs import repository
from service.jobs.service import artifact_name, params_of, survey_slug
from service.settings import Settings

log = logging.getLogger("csi.jobs")


class JobLost(Exception):
    """The job is no longer this worker's (requeued after a missed heartbeat, or deleted): stop working on it."""


def worker_id() -> str:
    """host:pid:thread, unique among the running workers (the reaper's log names the one that died)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:128]


class _Heartbeat:
    """Touches the job's row every ``interval`` seconds until stopped."""

    def __init__(self, engine: Engine, job_id: str, wid: str, interval: float):
        self._stop = threading.Event()
        self.lost = False

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    if not repository.touch(engine, job_id, wid, time.time()):
                        self.lost = True
                        return
                except Exception:  # a database hiccup: try again next beat (the reaper allows several)
                    log.exception("job %s: heartbeat failed", job_id)

        self._thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:8]}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_report_job(engine: Engine, settings: Settings, job_id: str) -> str | None:
    """Run report job ``job_id`` if it is queued; returns its final status (None: not ours to run).

    An `AppError` (the memory bound's 413, an unknown wave after a republish, a rendering failure) fails the job
    with its message, which the API and console show. Any other exception fails it with its type and message and
    is logged with its traceback.
    """
    from service.reporting import STAGES, build_report, write_report

    wid = worker_id()
    if not repository.claim(engine, job_id, wid, time.time()):
        log.info("job %s: not queued any more (a duplicate message, finished, or deleted); skipped", job_id)
        return None
    job = repository.get(engine, job_id)
    if job is None:  # deleted between the claim and now
        return None
    params = params_of(job)
    slug = survey_slug(engine, job.survey_id)
    log.info("job %s: report of %s %s (attempt %d) on %s", job_id, slug, params.model_dump(exclude_none=True),
             job.attempts, wid)
    beat = _Heartbeat(engine, job_id, wid, settings.job_heartbeat_s)

    def progress(stage: str, percent: int) -> None:
        if beat.lost or not repository.touch(engine, job_id, wid, time.time(), stage=stage, percent=percent):
            raise JobLost(job_id)

    try:
        data = build_report(engine, slug, lang=params.lang, fmt=params.format, wave=params.wave,
                            brand=params.brand, segment=params.segment, max_bytes=settings.max_analysis_bytes,
                            progress=progress)
        progress("write", STAGES["write"])
        name = artifact_name(job_id, params.format)
        write_report(data, Path(settings.artifacts_dir) / name)
        if not repository.finish(engine, job_id, wid, time.time(), name, len(data)):
            raise JobLost(job_id)
        log.info("job %s: done, %s (%d bytes)", job_id, name, len(data))
        return "done"
    except JobLost:
        log.warning("job %s: no longer this worker's (requeued or deleted); stopped", job_id)
        return None
    except AppError as exc:
        repository.fail(engine, job_id, wid, time.time(), exc.message)
        log.info("job %s: failed: %s", job_id, exc.message)
        return "failed"
    except Exception as exc:
        log.exception("job %s: failed", job_id)
        repository.fail(engine, job_id, wid, time.time(), f"internal error: {type(exc).__name__}: {exc}")
        return "failed"
    finally:
        beat.stop()
