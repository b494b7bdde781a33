"""Errors on the survey pages render as friendly HTML pages, never as JSON or a stack trace.

The JSON API keeps its error format; only paths under ``/s/`` (what respondents open) get pages.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

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


def _switch(request: Request, kind: str) -> tuple[str, dict[str, str]]:
    """Where the language links go: this address again for a GET; the message's own page after a POST."""
    if request.method in ("GET", "HEAD"):
        return request.url.path, {k: v for k, v in request.query_params.items() if k != "lang"}
    parts = request.url.path.split("/")
    if len(parts) >= 3 and parts[2]:  # /s/{slug}...
        return f"/s/{parts[2]}/notice/{kind}", {}
    return request.url.path, {}


def page_for(request: Request, status: int) -> HTMLResponse:
    lang = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"), None)
    kind = KIND_BY_STATUS.get(status, "error")
    ctx = message_context(kind, lang, None)
    path, params = _switch(request, kind)
    ctx["lang_urls"] = [(code, name, f"{path}?{urlencode({**params, 'lang': code})}")
                        for code, name in language_choices(None)]
    return HTMLResponse(render("message.html", ctx), status_code=status, headers=SECURITY_HEADERS)


def app_error_page(request: Request, exc: AppError) -> HTMLResponse:
    return page_for(request, exc.status_code)


def http_error_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
    return page_for(request, exc.status_code)


def server_error_page(request: Request, exc: Exception) -> HTMLResponse:
    log.error("survey page failed: %s", type(exc).__name__, exc_info=exc)
    return page_for(request, 500)
