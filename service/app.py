"""The FastAPI application: collector API, staff API, health, and the web survey pages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api import collector, staff
from service.api.deps import AppState
from service.api.heavy import HeavyJobs
from service.api.limits import BodyLimit
from service.api.openapi import document_errors
from service.api.ratelimit import RateLimit
from service.console import install as install_console
from service.errors import AppError
from service.fieldwork import endpoints as fieldwork_endpoints
from service.invitations import endpoints as invitations
from service.jobs import endpoints as jobs
from service.responses.writer import GroupCommitWriter
from service.settings import Settings, get_settings
from service.store.engine import make_engine
from service.store.migrate import check_schema, head_revision
from service.surveys import endpoints as wave_endpoints
from service.surveys.service import SurveyCache
from service.web import errors as web_errors
from service.web import pages, unsubscribe
from service.web.drafts import purge_drafts_periodically


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    engine = engine or make_engine(settings.database_url)
    check_schema(engine)
    state = AppState(settings, engine, GroupCommitWriter(engine, settings.batch_max), SurveyCache(engine),
                     HeavyJobs(settings.max_concurrent_analyses))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        purging = asyncio.create_task(purge_drafts_periodically(engine, settings.draft_ttl_s))
        try:
            yield
        finally:
            purging.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purging
            state.writer.close()
            if state.queue is not None:
                state.queue.close()

    app = FastAPI(
        title="CSI survey and analytics service",
        version="0.1.0",
        lifespan=lifespan,
        description="Collects customer-satisfaction survey responses and serves analytics and reports.",
    )
    app.state.csi = state
    framework_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return document_errors(framework_openapi())

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if web_errors.is_page(request):
            return web_errors.app_error_page(request, exc)
        return JSONResponse({"detail": exc.detail()}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web_errors.is_page(request):
            return web_errors.http_error_page(request, exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        """Respondents get a page, never a stack trace; the API keeps Starlette's plain 500."""
        if web_errors.is_page(request):
            return web_errors.server_error_page(request, exc)
        return PlainTextResponse("Internal Server Error", status_code=500)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        """Liveness and database reachability."""
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name, "schema": head_revision()}

    app.include_router(collector.router)
    app.include_router(staff.router)
    app.include_router(invitations.router)
    app.include_router(fieldwork_endpoints.router)
    app.include_router(unsubscribe.router)
    app.include_router(jobs.router)
    app.include_router(wave_endpoints.router)
    app.include_router(pages.router)
    install_console(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # Outermost: a limited client is answered before its body is read.
    app.add_middleware(RateLimit, per_minute=settings.public_rate_limit_per_minute)
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory: ``uvicorn --factory service.app:app_from_env``."""
    return create_app()
