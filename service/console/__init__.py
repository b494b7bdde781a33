"""The staff console: server-rendered pages under ``/staff`` for quality staff (no JavaScript needed).

``install`` adds the routes and the two refusals every console page can end in: no session (303 to the login
page with ``next``) and a refusal page (403 role or CSRF, 404).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from service.console import i18n
from service.console.deps import ConsoleError, LoginRequired
from service.console.render import page
from service.console.routes import router


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(exc.location(), status_code=303, headers={"Cache-Control": "no-store"})


async def _console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    lang = exc.lang or i18n.pick(request.query_params.get("lang"), request.headers.get("accept-language"))
    return page("error.html", {"t": i18n.ui(lang), "lang": lang, "kind": exc.kind, "user": None,
                               "lang_urls": []}, exc.status)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(ConsoleError, _console_error)
