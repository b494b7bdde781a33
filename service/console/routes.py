"""The console's HTTP routes under ``/staff`` (sign-in, setup, home, account, users, keys, audit) and ``/``.

Rules live in service/accounts and service/audit; this file is forms in, pages out (redirect after POST).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from service import audit
from service.accounts import service as accounts
from service.accounts import sessions
from service.accounts.schemas import LANGS, ROLES, clean_name
from service.api.deps import State
from service.audit import service as audit_log
from service.console import i18n
from service.console.deps import HOME, LOGIN, Admin, ConsoleError, Staff, Viewer, client_ip, safe_next
from service.console.render import css, page
from service.errors import AppError, Invalid, NotFound
from service.staff import keys as api_keys
from service.surveys.service import list_surveys
from service.web import csrf as web_csrf

router = APIRouter(include_in_schema=False)

#: The pre-sign-in form cookie (login and setup forms are CSRF-protected before any session exists).
LOGIN_COOKIE = "csi_login"
#: Flash messages a redirect may name (``?done=``); anything else is ignored.
DONE = frozenset({"user_created", "user_saved", "key_revoked", "password_changed", "lang_saved"})
AUDIT_PAGE = 50


def _field(form: FormData, name: str) -> str | None:
    v = form.get(name)
    return v if isinstance(v, str) else None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _errors(exc: AppError, lang: str) -> list[str]:
    """The messages of a refusal, each naming its field in the page's language."""
    if isinstance(exc, Invalid):
        return [i18n.field_error(str(loc[-1]), msg, lang) for loc, msg in exc.errors]
    field = str(exc.loc[-1]) if exc.loc else ""
    return [i18n.field_error(field, exc.message, lang) if field else i18n.message(exc.message, lang)]


# Pages before sign-in


def _login_token(secret: str, browser: str) -> str:
    return hmac.new(secret.encode(), f"staff-login\0{browser}".encode(), hashlib.sha256).hexdigest()


def _public(request: Request, state: State, template: str, ctx: dict[str, Any], lang: str,
            status: int = 200) -> Response:
    """A page for the signed-out (login, setup): its form is bound to a random per-browser cookie."""
    browser = request.cookies.get(LOGIN_COOKIE)
    fresh = not web_csrf.valid_browser_id(browser)
    if fresh:
        browser = web_csrf.new_browser_id()
    path = request.url.path
    resp = page(template, {"t": i18n.ui(lang), "lang": lang, "user": None, "csrf": _login_token(
        state.settings.secret_key, browser or ""), "lang_urls": [
        (code, i18n.LANG_NAMES[code], f"{path}?{urlencode({**_keep(request), 'lang': code})}") for code in LANGS],
        **ctx}, status)
    if fresh:
        resp.set_cookie(LOGIN_COOKIE, browser or "", path="/staff", httponly=True, samesite="lax",
                        secure=_secure(request))
    return resp


def _keep(request: Request) -> dict[str, str]:
    nxt = request.query_params.get("next")
    return {"next": safe_next(nxt)} if nxt else {}


def _public_post_ok(request: Request, state: State, form: FormData) -> bool:
    browser = request.cookies.get(LOGIN_COOKIE)
    token = _field(form, "csrf")
    return (web_csrf.cross_site(request.headers) is None and web_csrf.valid_browser_id(browser)
            and token is not None and hmac.compare_digest(token, _login_token(state.settings.secret_key,
                                                                              browser or "")))


def _signed_in(request: Request, state: State) -> sessions.Signed | None:
    return sessions.resolve(state.engine, state.settings, request.cookies.get(sessions.COOKIE))


def _start_session(request: Request, state: State, user: Any, to: str) -> Response:
    """Always a new session id: whatever session cookie came with the request is ended, never reused."""
    old = sessions.token_of(state.settings.secret_key, request.cookies.get(sessions.COOKIE))
    if old is not None:
        sessions.end(state.engine, sessions.session_id(old))
    value = sessions.start(state.engine, state.settings, user, client_ip(request),
                           request.headers.get("user-agent"))
    resp = _redirect(to)
    resp.set_cookie(sessions.COOKIE, value, path=sessions.COOKIE_PATH, httponly=True, samesite="lax",
                    secure=_secure(request))
    resp.delete_cookie(LOGIN_COOKIE, path="/staff")
    return resp


@router.get("/")
def root() -> Response:
    """The product's front door is the staff console (respondents come with a /s/ link)."""
    return _redirect(HOME)


@router.get("/static/console.css")
def stylesheet() -> Response:
    data, _ = css()
    return Response(data, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@router.get(LOGIN)
def login_page(request: Request, state: State, next: str | None = None, lang: str | None = None) -> Response:
    chosen = i18n.pick(lang, request.headers.get("accept-language"))
    if _signed_in(request, state) is not None:
        return _redirect(safe_next(next))
    if accounts.setup_open(state.engine):
        return _redirect("/staff/setup")
    return _public(request, state, "login.html", {"next": safe_next(next), "email": "", "error": None}, chosen)


@router.post(LOGIN)
async def login(request: Request, state: State) -> Response:
    form = await request.form()
    chosen = i18n.pick(_field(form, "lang"), request.headers.get("accept-language"))
    if not _public_post_ok(request, state, form):
        raise ConsoleError(403, "csrf", chosen)
    email, nxt = _field(form, "email") or "", safe_next(_field(form, "next"))
    try:
        user = await run_in_threadpool(accounts.login, state.engine, state.settings, email,
                                       _field(form, "password"), client_ip(request))
    except accounts.LoginRefused:
        return _public(request, state, "login.html", {"next": nxt, "email": email[:254],
                                                      "error": i18n.ui(chosen)["login_refused"]}, chosen, 401)
    return await run_in_threadpool(_start_session, request, state, user, nxt)


@router.get("/staff/setup")
def setup_page(request: Request, state: State, lang: str | None = None) -> Response:
    chosen = i18n.pick(lang, request.headers.get("accept-language"))
    if not accounts.setup_open(state.engine):
        raise ConsoleError(404, "not_found", chosen)
    return _public(request, state, "setup.html", {"form": {}, "errors": []}, chosen)


@router.post("/staff/setup")
async def setup(request: Request, state: State) -> Response:
    form = await request.form()
    chosen = i18n.pick(_field(form, "lang"), request.headers.get("accept-language"))
    if not await run_in_threadpool(accounts.setup_open, state.engine):
        raise ConsoleError(404, "not_found", chosen)
    if not _public_post_ok(request, state, form):
        raise ConsoleError(403, "csrf", chosen)
    values = {"email": _field(form, "email") or "", "name": _field(form, "name") or ""}
    try:
        if (_field(form, "password") or "") != (_field(form, "password2") or ""):
            raise Invalid([(["form", "password2"], "the two passwords differ")])
        user = await run_in_threadpool(accounts.create_first_admin, state.engine, values["email"],
                                       _field(form, "password"), values["name"], chosen, client_ip(request))
    except accounts.SetupClosed:
        raise ConsoleError(404, "not_found", chosen) from None
    except AppError as e:
        return _public(request, state, "setup.html", {"form": values, "errors": _errors(e, chosen)}, chosen,
                       e.status_code)
    await run_in_threadpool(audit.record, state.engine, user, "login", user.email, {"via": "setup"},
                            client_ip(request))
    return await run_in_threadpool(_start_session, request, state, user, HOME)


# Pages after sign-in


def _ctx(request: Request, staff: Staff, **extra: Any) -> dict[str, Any]:
    done = request.query_params.get("done")
    t = i18n.ui(staff.lang)
    return {"t": t, "lang": staff.lang, "user": staff.user, "csrf": staff.csrf, "path": request.url.path,
            "here": safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else "")),
            "langs": [(c, i18n.LANG_NAMES[c]) for c in LANGS], "notice": t[done] if done in DONE else None,
            "is_admin": staff.user.role == "admin", **extra}


@router.post("/staff/logout")
def logout(request: Request, state: State, staff: Viewer) -> Response:
    sessions.end(state.engine, staff.session.id)
    audit.record(state.engine, staff.user, "logout", staff.user.email, None, staff.ip)
    resp = _redirect(LOGIN)
    resp.delete_cookie(sessions.COOKIE, path=sessions.COOKIE_PATH)
    return resp


@router.get("/staff/", response_class=HTMLResponse)
def home(request: Request, state: State, staff: Viewer) -> Response:
    """Placeholder survey list (other console pages enrich it: waves, today's responses, last report)."""
    return page("home.html", _ctx(request, staff, surveys=list_surveys(state.engine)))


@router.get("/staff", include_in_schema=False)
def home_no_slash() -> Response:
    return _redirect(HOME)


@router.get("/staff/account", response_class=HTMLResponse)
def account_page(request: Request, state: State, staff: Viewer) -> Response:
    return page("account.html", _ctx(request, staff, errors=[]))


@router.post("/staff/account/password")
async def change_password(request: Request, state: State, staff: Viewer) -> Response:
    form = await request.form()
    try:
        await run_in_threadpool(accounts.change_password, state.engine, staff.user, _field(form, "current"),
                                _field(form, "new"), _field(form, "again"), staff.session.id, staff.ip)
    except AppError as e:
        return page("account.html", _ctx(request, staff, errors=_errors(e, staff.lang)), e.status_code)
    return _redirect("/staff/account?done=password_changed")


@router.post("/staff/account/lang")
async def change_lang(request: Request, state: State, staff: Viewer) -> Response:
    """The header's zh/en switch: remembered on the user, then back to the page it was pressed on."""
    form = await request.form()
    try:
        await run_in_threadpool(accounts.set_lang, state.engine, staff.user, _field(form, "lang"), staff.ip)
    except AppError as e:
        return page("account.html", _ctx(request, staff, errors=_errors(e, staff.lang)), e.status_code)
    return _redirect(safe_next(_field(form, "next")))


# Users (admin)


def _users_page(request: Request, state: State, staff: Staff, status: int = 200, **extra: Any) -> Response:
    ctx = _ctx(request, staff, users=accounts.list_users(state.engine), roles=ROLES,
               **{"errors": [], "form": {}, **extra})
    return page("users.html", ctx, status)


@router.get("/staff/users", response_class=HTMLResponse)
def users_page(request: Request, state: State, staff: Admin) -> Response:
    return _users_page(request, state, staff)


@router.post("/staff/users")
async def create_user(request: Request, state: State, staff: Admin) -> Response:
    form = await request.form()
    values = {k: _field(form, k) or "" for k in ("email", "name", "role")}
    try:
        await run_in_threadpool(accounts.create_user, state.engine, staff.user, values["email"],
                                _field(form, "password"), values["role"], values["name"], staff.lang, staff.ip)
    except AppError as e:
        return await run_in_threadpool(partial(_users_page, request, state, staff, e.status_code,
                                               errors=_errors(e, staff.lang), form=values))
    return _redirect("/staff/users?done=user_created")


@router.post("/staff/users/{user_id}")
async def change_user(user_id: int, request: Request, state: State, staff: Admin) -> Response:
    """``op`` = role (with ``role``), disable or enable."""
    form = await request.form()
    op = _field(form, "op")
    try:
        if op == "role":
            await run_in_threadpool(accounts.set_role, state.engine, staff.user, user_id, _field(form, "role"),
                                    staff.ip)
        elif op in ("disable", "enable"):
            await run_in_threadpool(accounts.set_disabled, state.engine, staff.user, user_id, op == "disable",
                                    staff.ip)
        else:
            raise Invalid([(["form", "op"], "one of role, disable, enable")])
    except NotFound:
        raise ConsoleError(404, "not_found", staff.lang) from None
    except AppError as e:
        return await run_in_threadpool(partial(_users_page, request, state, staff, e.status_code,
                                               errors=_errors(e, staff.lang)))
    return _redirect("/staff/users?done=user_saved")


# API keys (admin)


def _keys_page(request: Request, state: State, staff: Staff, status: int = 200, **extra: Any) -> Response:
    ctx = _ctx(request, staff, keys=api_keys.list_keys(state.engine), key_roles=api_keys.ROLES,
               **{"errors": [], "secret": None, **extra})
    return page("keys.html", ctx, status)


@router.get("/staff/keys", response_class=HTMLResponse)
def keys_page(request: Request, state: State, staff: Admin) -> Response:
    return _keys_page(request, state, staff)


@router.post("/staff/keys")
async def create_key(request: Request, state: State, staff: Admin) -> Response:
    """The new key's secret is on this one response (no-store) and nowhere else."""
    form = await request.form()

    def make() -> Response:
        try:
            name = clean_name(_field(form, "name"))
            role = _field(form, "role") or ""
            if role not in api_keys.ROLES:
                raise Invalid([(["form", "role"], f"one of {', '.join(api_keys.ROLES)}")])
            row, secret = api_keys.create_key(state.engine, role, name)
        except AppError as e:
            return _keys_page(request, state, staff, e.status_code, errors=_errors(e, staff.lang))
        audit.record(state.engine, staff.user, "key.created", f"{row.prefix}… ({row.name})",
                     {"id": row.id, "role": row.role}, staff.ip)
        return _keys_page(request, state, staff, 201, secret=secret)

    return await run_in_threadpool(make)


@router.post("/staff/keys/{key_id}/revoke")
def revoke_key(key_id: int, request: Request, state: State, staff: Admin) -> Response:
    try:
        row = api_keys.revoke_key(state.engine, key_id)
    except NotFound:
        raise ConsoleError(404, "not_found", staff.lang) from None
    audit.record(state.engine, staff.user, "key.revoked", f"{row.prefix}… ({row.name})", {"id": row.id}, staff.ip)
    return _redirect("/staff/keys?done=key_revoked")


# Audit log (admin)


@router.get("/staff/audit", response_class=HTMLResponse)
def audit_page(request: Request, state: State, staff: Admin, user: str | None = None, action: str | None = None,
               page_no: int = 1) -> Response:
    who = (user or "").strip().casefold()[:254] or None
    what = (action or "").strip()[:64] or None
    pno = max(1, min(page_no, 10**6))
    found = audit_log.find(state.engine, actor=who, action=what, offset=(pno - 1) * AUDIT_PAGE, limit=AUDIT_PAGE)
    pages = max(1, math.ceil(found.total / AUDIT_PAGE))
    base = {k: v for k, v in (("user", who), ("action", what)) if v}

    def link(n: int) -> str:
        return "/staff/audit?" + urlencode({**base, "page_no": n})

    return page("audit.html", _ctx(request, staff, rows=found.rows, total=found.total, page_no=pno, pages=pages,
                                   prev_url=link(pno - 1) if pno > 1 else None,
                                   next_url=link(pno + 1) if pno < pages else None,
                                   filter_user=who or "", filter_action=what or "",
                                   actions=audit_log.actions(state.engine)))
