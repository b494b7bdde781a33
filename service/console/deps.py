"""One dependency guards every console page: a live session, a role at least R, and on a POST the CSRF checks.

``Viewer``/``Analyst``/``Admin`` are that dependency for each role; routes take one of them, and the
parametrised access test (tests/service/console/test_access.py) walks every console route with every role.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from service.accounts import sessions
from service.accounts.schemas import RANK
from service.api.deps import State
from service.store.tables import StaffSession, StaffUser
from service.web import csrf as web_csrf

LOGIN = "/staff/login"
HOME = "/staff/"


class LoginRequired(Exception):
    """No live session: answered with 303 to the login page carrying ``next``."""

    def __init__(self, next_url: str):
        super().__init__(next_url)
        self.next_url = next_url

    def location(self) -> str:
        return f"{LOGIN}?{urlencode({'next': self.next_url})}" if self.next_url != HOME else LOGIN


class ConsoleError(Exception):
    """A console refusal shown as a page: ``kind`` picks its title and text (forbidden, csrf, not_found)."""

    def __init__(self, status: int, kind: str, lang: str | None = None, detail: str | None = None):
        super().__init__(kind)
        self.status, self.kind, self.lang, self.detail = status, kind, lang, detail


@dataclass(frozen=True)
class Staff:
    """The signed-in user of this request, with the session it came with and the client address."""

    user: StaffUser
    session: StaffSession
    ip: str

    @property
    def lang(self) -> str:
        return self.user.lang

    @property
    def csrf(self) -> str:
        return self.session.csrf


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def safe_next(value: str | None) -> str:
    """Only a console path is a place to go back to (``//evil.org`` and ``https://...`` are not)."""
    v = value or ""
    if v.startswith("/staff") and "//" not in v and "\\" not in v and len(v) <= 500 and v.isprintable():
        return v
    return HOME


def form_csrf_ok(request: Request, expected: str, token: object) -> bool:
    """Synchroniser token of the session, and the same-origin check the survey forms use."""
    return (web_csrf.cross_site(request.headers) is None and isinstance(token, str)
            and hmac.compare_digest(token.encode(), expected.encode()))


def need(role: str):  # type: ignore[no-untyped-def]
    async def dep(request: Request, state: State) -> Staff:
        signed = await run_in_threadpool(sessions.resolve, state.engine, state.settings,
                                         request.cookies.get(sessions.COOKIE))
        if signed is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(safe_next(here) if request.method in ("GET", "HEAD") else HOME)
        if RANK.get(signed.user.role, -1) < RANK[role]:
            raise ConsoleError(403, "forbidden", signed.user.lang)
        if request.method not in ("GET", "HEAD"):
            form = await request.form()
            if not form_csrf_ok(request, signed.session.csrf, form.get("csrf")):
                raise ConsoleError(403, "csrf", signed.user.lang)
        return Staff(signed.user, signed.session, client_ip(request))

    dep.__name__ = f"require_console_{role}"
    return dep


Viewer = Annotated[Staff, Depends(need("viewer"))]
Analyst = Annotated[Staff, Depends(need("analyst"))]
Admin = Annotated[Staff, Depends(need("admin"))]
