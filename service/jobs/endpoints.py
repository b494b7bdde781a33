"""Staff API for report jobs: request a report (202), follow it, download, list and delete.

The synchronous ``GET /api/v1/surveys/{slug}/report.{fmt}`` stays for small surveys; these routes are for
everything else: the request is answered at once and a worker (``csi worker``, or the one `csi serve` runs)
makes the report.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from service.api.content_type import JsonBody
from service.api.deps import Analyst, AppState, State
from service.jobs import service
from service.jobs.queue import JobQueue
from service.jobs.schemas import JobAccepted, JobOut, ReportIn

router = APIRouter(prefix="/api/v1", tags=["jobs"])

AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "no or bad API key"},
                                         403: {"description": "role not allowed"}}
FILE_TYPES = {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
              "text/html": {"schema": {"type": "string"}}}
_queue_lock = threading.Lock()


def queue_of(state: AppState) -> JobQueue:
    """The app's queue, opened on first use (an app that never queues a job opens no queue file or connection)."""
    if state.queue is None:
        with _queue_lock:
            if state.queue is None:
                state.queue = JobQueue(state.settings)
    return state.queue


@router.post("/surveys/{slug}/reports", status_code=202, response_model=JobAccepted,
             responses={**AUTH, 202: {"description": "queued; follow it at the Location (GET /api/v1/jobs/{id})",
                                      "headers": {"Location": {"schema": {"type": "string"}}}},
                        404: {"description": "unknown survey"},
                        422: {"description": "unknown format, language, wave, brand or segment option"},
                        503: {"description": "the job queue cannot be reached; see Retry-After"}})
def request_report(slug: str, body: ReportIn, state: State, key: Analyst, __: JsonBody,
                   response: Response) -> JobAccepted:
    """Queue a report (PDF or interactive HTML) of the survey's current definition.

    ``wave``: a wave id, ``"all"`` (every wave pooled) or none (the latest wave with responses). ``brand`` and
    ``segment`` restrict the report to those respondents. A survey over the memory bound (CSI_MAX_ANALYSIS_BYTES)
    is accepted here and fails in the worker, with the bound's message in the job's ``error``.
    """
    job = service.submit_report(state.engine, queue_of(state), slug, body, service.requester(key))
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobAccepted(id=job.id, status="queued")


@router.get("/surveys/{slug}/reports", responses={**AUTH, 404: {"description": "unknown survey"}})
def list_reports(slug: str, state: State, _: Analyst) -> list[JobOut]:
    """The survey's report jobs, newest first (at most 200), with their parameters and state."""
    return [service.describe(j, slug) for j in service.list_reports(state.engine, slug)]


@router.get("/jobs/{job_id}", responses={**AUTH, 404: {"description": "unknown job"}})
def get_job(job_id: str, state: State, _: Analyst) -> JobOut:
    """A job's status (queued, running, done, failed), progress (stage, percent) and, if it failed, why."""
    job = service.get_job(state.engine, job_id)
    return service.describe(job, service.survey_slug(state.engine, job.survey_id))


@router.get("/jobs/{job_id}/file", response_class=FileResponse,
            responses={**AUTH, 200: {"description": "the report", "content": FILE_TYPES},
                       404: {"description": "unknown job, or not done yet"},
                       410: {"description": "the file was deleted after CSI_ARTIFACTS_RETENTION_DAYS"}})
async def job_file(job_id: str, state: State, _: Analyst) -> FileResponse:
    """The finished job's file (PDF or HTML)."""
    job = await run_in_threadpool(service.get_job, state.engine, job_id)
    path = service.artifact_file(state.settings, job)
    params = service.params_of(job)
    slug = await run_in_threadpool(service.survey_slug, state.engine, job.survey_id)
    name = f"{slug}-report-{params.lang}-{job.id[:8]}.{params.format}"
    return FileResponse(path, media_type=service.MEDIA_TYPES[params.format], filename=name,
                        content_disposition_type="attachment")


@router.delete("/jobs/{job_id}", responses={**AUTH, 403: {"description": "neither an admin nor the requester"},
                                             404: {"description": "unknown job"},
                                             409: {"description": "the job is still queued or running"}})
def delete_job(job_id: str, state: State, key: Analyst) -> dict[str, Any]:
    """Delete a finished job and its file (an admin, or whoever requested it)."""
    service.delete_job(state.engine, state.settings, job_id, key)
    return {"id": job_id, "deleted": True}
