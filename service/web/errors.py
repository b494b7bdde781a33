"""Errors on the survey pages render as friendly HTML pages, never as JSON or a stack trace.

The JSON API keeps its error format; only paths under ``/s/`` (what respondents open) get pages.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import AppError
from service.web.i18n import language_choices, negotiate
from service.web.render import SECURITY_HEADERS, render
from service.web.view import message_context

log = logging.getLogger(__name__)

KIND_BY_STATUS = {404: "not_found", 410: "closed", 403: "token_rejected", 409: "already", 422: "invalid"}


def is_page(request: Request) -> bool:
    return request.url.path.startswith("/s/")


def page_for(request: Request, status: int) -> HTMLResponse:
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"), None)
    kind = KIND_BY_STATUS.get(status, "error")
    ctx = message_context(kind, lang, None)
    ctx["lang_urls"] = [(code, name, f"{request.url.path}?lang={code}") for code, name in language_choices(None)]
    return HTMLResponse(render("message.html", ctx), status_code=status, headers=SECURITY_HEADERS)


def app_error_page(request: Request, exc: AppError) -> HTMLResponse:
    return page_for(request, exc.status_code)


def http_error_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
    return page_for(request, exc.status_code)


def server_error_page(request: Request, exc: Exception) -> HTMLResponse:
    log.error("survey page failed: %s", type(exc).__name__, exc_info=exc)
    return page_for(request, 500)
