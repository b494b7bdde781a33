"""Routes of the respondent-facing survey pages (HTML). The logic is in `flow`; this file is HTTP only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import State
from service.surveys.service import SurveyRef
from service.web import csrf, flow
from service.web.i18n import language_choices, negotiate
from service.web.layout import BRANDS_FIELD
from service.web.render import SECURITY_HEADERS, css, render

router = APIRouter(tags=["web"], include_in_schema=False)
DONE_MAX_AGE = 365 * 86400


def _lang_urls(request: Request, ref: SurveyRef, result: flow.Result) -> list[tuple[str, str, str]]:
    """Language-switch links for pages without a form: the same page in each language.

    A GET page links to its own address with another ``lang``; a page rendered from a POST (a refusal) links
    to the GET address of the same message (``result.switch``), never to a fresh survey.
    """
    if result.switch is not None:
        path, params = result.switch
    else:
        path = request.url.path
        params = dict(request.query_params) if request.method in ("GET", "HEAD") else {}
    params = {k: v for k, v in params.items() if k != "lang"}
    return [(code, name, f"{path}?{urlencode({**params, 'lang': code})}")
            for code, name in language_choices(ref.definition)]


def _browser(request: Request) -> tuple[str, bool]:
    """This browser's CSRF cookie value, and whether it is new (then the response sets it)."""
    value = request.cookies.get(csrf.BROWSER_COOKIE)
    if csrf.valid_browser_id(value):
        return str(value), False
    return csrf.new_browser_id(), True


def _respond(request: Request, ref: SurveyRef, result: flow.Result, new_browser: str | None = None) -> Response:
    if result.redirect is not None:
        resp: Response = RedirectResponse(result.redirect, status_code=303, headers={"Cache-Control": "no-store"})
    else:
        assert result.template is not None
        ctx = {**result.context, "lang_urls": _lang_urls(request, ref, result)}
        resp = HTMLResponse(render(result.template, ctx), status_code=result.status, headers=SECURITY_HEADERS)
    secure = request.url.scheme == "https"
    if result.set_done_cookie:
        resp.set_cookie(flow.done_cookie_name(ref.slug), "1", max_age=DONE_MAX_AGE, path=f"/s/{ref.slug}",
                        httponly=True, samesite="lax", secure=secure)
    if new_browser is not None and (result.redirect is not None or result.template == "survey.html"):
        resp.set_cookie(csrf.BROWSER_COOKIE, new_browser, max_age=csrf.BROWSER_MAX_AGE, path="/s/", httponly=True,
                        samesite="lax", secure=secure)
    return resp


@router.get("/s/{slug}", response_class=HTMLResponse)
async def survey_page(
    slug: str,
    request: Request,
    state: State,
    lang: str | None = None,
    t: str | None = None,
    r: str | None = None,
    page: str | None = None,
    check: str | None = None,
    start: str | None = None,
) -> Response:
    """The survey: a fresh start or an invitation (``?t=TOKEN``) redirect to a draft's own address (``?r=RESUME``;
    a fresh start's draft is stored with its first answered page, and until then ``start`` carries its signed
    start time)."""
    ref = await run_in_threadpool(state.surveys.get, slug)
    browser, is_new = _browser(request)
    result = await run_in_threadpool(
        flow.show, state, ref, lang_param=lang, accept_language=request.headers.get("accept-language"),
        token=t, resume=r, page=page, check=check, done_cookie=flow.done_cookie_name(slug) in request.cookies,
        browser=browser, base_url=str(request.base_url), start=start,
    )
    return _respond(request, ref, result, browser if is_new else None)


@router.post("/s/{slug}", response_class=HTMLResponse)
async def survey_submit(slug: str, request: Request, state: State) -> Response:
    """Every button of the form: save this page, then Previous / Next / language / Submit (redirect after POST)."""
    ref = await run_in_threadpool(state.surveys.get, slug)
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values if key == BRANDS_FIELD else (values[0] if values else None)
    result = await run_in_threadpool(
        flow.post, state, ref, data, accept_language=request.headers.get("accept-language"),
        done_cookie=flow.done_cookie_name(slug) in request.cookies, browser=request.cookies.get(csrf.BROWSER_COOKIE),
        cross_site=csrf.cross_site(request.headers),
    )
    return _respond(request, ref, result)


@router.get("/s/{slug}/notice/{kind}", response_class=HTMLResponse)
async def notice(slug: str, kind: str, request: Request, state: State, lang: str | None = None,
                 r: str | None = None, page: str | None = None) -> Response:
    """A message reached from a POST (already answered, closed, form expired, ...), at an address of its own."""
    ref = await run_in_threadpool(state.surveys.get, slug)
    chosen = negotiate(lang, request.headers.get("accept-language"), ref.definition)
    return _respond(request, ref, flow.notice(ref, kind, chosen, r, page))


@router.get("/s/{slug}/thanks", response_class=HTMLResponse)
async def thanks(slug: str, request: Request, state: State, lang: str | None = None) -> Response:
    ref = await run_in_threadpool(state.surveys.get, slug)
    chosen = negotiate(lang, request.headers.get("accept-language"), ref.definition)
    return _respond(request, ref, flow.thanks(ref, chosen))


@router.get("/static/survey.css")
def stylesheet() -> Response:
    data, _ = css()
    return Response(data, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})
