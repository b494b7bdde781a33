"""The report-job API's bodies: what a report request may say, and what a job looks like from outside."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.fields import CleanStr

Status = Literal["queued", "running", "done", "failed"]


class ReportIn(BaseModel):
    """A report to make in the background: the same choices as the synchronous report route, plus filters."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["pdf", "html"] = "pdf"
    lang: Literal["zh", "en"] = "zh"
    wave: CleanStr | None = Field(default=None, max_length=64, description=(
        "a wave id, 'all' for every wave pooled; default the latest wave with responses"))
    brand: CleanStr | None = Field(default=None, max_length=64,
                                   description="only the respondents who rated this brand")
    segment: dict[CleanStr, CleanStr] | None = Field(default=None, max_length=16, description=(
        "only the respondents with these segment answers: {segment item id: option code}"))


class Progress(BaseModel):
    stage: str | None = Field(description="load, analyse, charts, render, write; done when finished")
    percent: int = Field(ge=0, le=100)


class JobOut(BaseModel):
    id: str
    kind: Literal["report"]
    survey: str
    status: Status
    progress: Progress
    error: str | None = Field(description="why the job failed (e.g. the memory bound's message)")
    params: ReportIn
    requested_by: str
    attempts: int = Field(description="times a worker started it (a worker that died is retried, at most "
                                      "CSI_JOB_MAX_ATTEMPTS times)")
    created_at: float = Field(description="Unix time (UTC seconds), as every time in this API")
    started_at: float | None
    finished_at: float | None
    expired: bool = Field(description="the file was deleted after CSI_ARTIFACTS_RETENTION_DAYS (GET .../file: 410)")
    file: str | None = Field(description="where to download the file, once done")
    media_type: str
    bytes: int | None


class JobAccepted(BaseModel):
    id: str
    status: Status
