"""Request-scoped dependencies as ``Annotated`` aliases, so routes read like sentences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from service.api.heavy import HeavyJobs
from service.responses.writer import GroupCommitWriter
from service.settings import Settings
from service.staff.keys import authenticate
from service.store.tables import ApiKey
from service.surveys.service import SurveyCache

if TYPE_CHECKING:
    from service.jobs.queue import JobQueue


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    writer: GroupCommitWriter
    surveys: SurveyCache
    heavy: HeavyJobs
    #: The background-job queue, opened on first use (service/jobs/endpoints.py `queue_of`).
    queue: JobQueue | None = None


async def get_state(request: Request) -> AppState:
    """Async on purpose: a sync dependency would cost every request a trip through the thread pool."""
    return request.app.state.csi  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(get_state)]


def _need(role: str):  # type: ignore[no-untyped-def]
    def dep(state: State, authorization: Annotated[str | None, Header()] = None) -> ApiKey:
        return authenticate(state.engine, authorization, role)

    dep.__name__ = f"require_{role}"
    return dep


Analyst = Annotated[ApiKey, Depends(_need("analyst"))]
Admin = Annotated[ApiKey, Depends(_need("admin"))]
