"""Routes of the respondent-facing survey pages (HTML). The logic is in `flow`; this file is HTTP only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from service.api.deps import State
from service.surveys.service import SurveyRef
from service.web import flow
from service.web.i18n import language_choices, negotiate
from service.web.layout import BRANDS_FIELD
from service.web.render import SECURITY_HEADERS, css, render

router = APIRouter(tags=["web"], include_in_schema=False)
DONE_MAX_AGE = 365 * 86400


def _lang_urls(request: Request, ref: SurveyRef, result: flow.Result) -> list[tuple[str, str, str]]:
    """Language-switch links for pages without a form: the same page in each language."""
    params = dict(request.query_params) if request.method == "GET" else {}
    params.pop("lang", None)
    out = []
    for code, name in language_choices(ref.definition):
        out.append((code, name, f"{request.url.path}?{urlencode({**params, 'lang': code})}"))
    return out


def _respond(request: Request, ref: SurveyRef, result: flow.Result) -> Response:
    if result.redirect is not None:
        resp: Response = RedirectResponse(result.redirect, status_code=303, headers={"Cache-Control": "no-store"})
    else:
        assert result.template is not None
        ctx = {**result.context, "lang_urls": _lang_urls(request, ref, result)}
        resp = HTMLResponse(render(result.template, ctx), status_code=result.status, headers=SECURITY_HEADERS)
    if result.set_done_cookie:
        resp.set_cookie(flow.done_cookie_name(ref.slug), "1", max_age=DONE_MAX_AGE, path=f"/s/{ref.slug}",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
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
) -> Response:
    """The survey: a fresh start, an invitation (``?t=TOKEN``) or answers in progress (``?r=RESUME``)."""
    ref = await run_in_threadpool(state.surveys.get, slug)
    result = await run_in_threadpool(
        flow.show, state, ref, lang_param=lang, accept_language=request.headers.get("accept-language"),
        token=t, resume=r, page=page, done_cookie=flow.done_cookie_name(slug) in request.cookies,
        base_url=str(request.base_url),
    )
    return _respond(request, ref, result)


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
        done_cookie=flow.done_cookie_name(slug) in request.cookies, base_url=str(request.base_url),
    )
    return _respond(request, ref, result)


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
