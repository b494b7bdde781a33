"""``/s/{slug}/unsubscribe?t=TOKEN``: an invitee stops the invitations and reminders of one survey.

The GET shows a page with a confirm button and changes nothing (mail scanners and link previews open links);
the POST marks the invitation unsubscribed and redirects back to the GET, which then says so (Post/Redirect/Get).
A POST whose body is ``List-Unsubscribe=One-Click`` (RFC 8058, sent by mail providers for the
``List-Unsubscribe-Post`` header) is answered at once. The token is the credential, as for the survey itself.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, update
from starlette.concurrency import run_in_threadpool

from service.api.deps import State
from service.invitations.service import lookup
from service.store.tables import Invitation
from service.surveys.service import SurveyRef
from service.web import csrf
from service.web.flow import TOKEN_MAX, message
from service.web.i18n import language_choices, negotiate, ui
from service.web.render import SECURITY_HEADERS, render

router = APIRouter(tags=["web"], include_in_schema=False)

TEXT = {
    "zh": {"ask_title": "退订调查邮件", "ask_body": "退订后，您将不再收到「{title}」的邀请和提醒。确定退订吗？",
           "button": "确认退订", "done_title": "已退订",
           "done_body": "您已退订，我们不会再就本次调查联系您。如果改变主意，仍可以用邀请链接答卷。"},
    "en": {"ask_title": "Unsubscribe from survey mails",
           "ask_body": "You will get no more invitations or reminders for \u201c{title}\u201d. Unsubscribe?",
           "button": "Unsubscribe", "done_title": "You are unsubscribed",
           "done_body": "We will not contact you about this survey again. If you change your mind, your "
                        "invitation link still works."},
}


def mark_unsubscribed(engine: Engine, survey_id: int, token: str, now: float | None = None) -> bool:
    """Set ``unsubscribed_at`` once; False when the token is not one of this survey's invitations."""
    _st, inv = lookup(engine, survey_id, token=token)
    if inv is None:
        return False
    with engine.begin() as c:
        c.execute(update(Invitation).where(Invitation.id == inv.id, Invitation.unsubscribed_at.is_(None))  # type: ignore[union-attr]
                  .values(unsubscribed_at=time.time() if now is None else now))
    return True


def _page(request: Request, ref: SurveyRef, lang: str, token: str, done: bool) -> Response:
    d = ref.definition
    t = TEXT.get(lang, TEXT["en"])
    path = f"/s/{ref.slug}/unsubscribe"
    ctx = {
        "ui": ui(lang), "lang": lang, "langs": language_choices(d), "title": d.text(d.title, lang),
        "organisation": d.text(d.organisation, lang),
        "heading": t["done_title" if done else "ask_title"],
        "body": t["done_body"] if done else t["ask_body"].format(title=d.text(d.title, lang)),
        "ask": not done, "button": t["button"], "token": token, "action": path,
        "lang_urls": [(code, name, f"{path}?{urlencode({'t': token, 'lang': code})}")
                      for code, name in language_choices(d)],
    }
    return HTMLResponse(render("unsubscribe.html", ctx), headers=SECURITY_HEADERS)


def _refuse(request: Request, ref: SurveyRef, lang: str) -> Response:
    result = message("unknown_token", lang, ref)
    ctx = {**result.context, "lang_urls": [(c, n, f"{request.url.path}?lang={c}")
                                           for c, n in language_choices(ref.definition)]}
    return HTMLResponse(render("message.html", ctx), status_code=result.status, headers=SECURITY_HEADERS)


@router.get("/s/{slug}/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(slug: str, request: Request, state: State, t: str = "", lang: str | None = None
                           ) -> Response:
    ref = await run_in_threadpool(state.surveys.get, slug)
    chosen = negotiate(lang, request.headers.get("accept-language"), ref.definition)
    if not t or len(t) > TOKEN_MAX:
        return _refuse(request, ref, chosen)
    _, inv = await run_in_threadpool(lookup, state.engine, ref.id, token=t)
    if inv is None:
        return _refuse(request, ref, chosen)
    return _page(request, ref, chosen, t, inv.unsubscribed_at is not None)


@router.post("/s/{slug}/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_confirm(slug: str, request: Request, state: State) -> Response:
    ref = await run_in_threadpool(state.surveys.get, slug)
    form = await request.form()
    token = str(form.get("t") or request.query_params.get("t") or "")
    lang = negotiate(str(form.get("lang") or request.query_params.get("lang") or "") or None,
                     request.headers.get("accept-language"), ref.definition)
    if csrf.cross_site(request.headers) is not None:
        return HTMLResponse(render("message.html", {**message("cross_site", lang, ref).context, "lang_urls": []}),
                            status_code=403, headers=SECURITY_HEADERS)
    if not token or len(token) > TOKEN_MAX or not await run_in_threadpool(
            mark_unsubscribed, state.engine, ref.id, token):
        return _refuse(request, ref, lang)
    if form.get("List-Unsubscribe") == "One-Click":
        return _page(request, ref, lang, token, True)
    return RedirectResponse(f"/s/{ref.slug}/unsubscribe?{urlencode({'t': token, 'lang': lang})}", status_code=303,
                            headers={"Cache-Control": "no-store"})

