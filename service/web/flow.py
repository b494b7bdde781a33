"""What happens on each survey request: open a survey or invitation, save a page, move, validate, submit.

Synchronous on purpose (database sessions, the writer's ``write_blocking``); the routes run it in the thread
pool. Each function returns a `Result` (a page to render or a redirect) instead of an HTTP response, so the
logic can be read and tested without HTTP.

Double answers are prevented three ways. An invitation token is consumed in the response's own transaction
(the writer), so two submissions with one token store one response. A draft is submitted with the idempotency
key ``web:<draft id>``, so a double-clicked Submit stores one response. An anonymous survey also sets a
per-browser cookie on submit and marks the draft submitted; a later visit from that browser sees "already
answered". The cookie only guards against accidental repeats (clearing it or another browser gets around it):
surveys that need one answer per customer should require invitation tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from service.api.deps import AppState
from service.errors import Invalid
from service.invitations.service import fixed_segments, lookup
from service.responses.codec import codebook_for
from service.responses.schemas import SubmissionIn
from service.responses.service import prepare
from service.store.tables import Draft, Invitation
from service.surveys.service import SurveyRef
from service.web import csrf, drafts
from service.web.drafts import Answers
from service.web.i18n import item_message, negotiate, ui
from service.web.layout import BRANDS_FIELD, Step, build_steps, field_name, step_of_field
from service.web.view import message_context, page_context

DONE_COOKIE = "csi_done_{slug}"
MAX_DRAFT_AGE = 90 * 86400.0
MAX_FIELD = 5000
TOKEN_MAX = 128


@dataclass
class Result:
    """A page to render (``template`` + ``context`` + ``status``) or a redirect, maybe with a cookie to set."""

    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    redirect: str | None = None
    set_done_cookie: bool = False


def message(kind: str, lang: str, ref: SurveyRef | None, status: int, back: bool = False) -> Result:
    back_url = survey_url(ref.slug, lang) if (back and ref) else None
    return Result("message.html", message_context(kind, lang, ref.definition if ref else None, back_url), status)


def survey_url(slug: str, lang: str, **params: Any) -> str:
    q = {k: v for k, v in params.items() if v is not None}
    q["lang"] = lang
    return f"/s/{slug}?{urlencode(q)}"


def _invitation_refusal(state_: str, lang: str, ref: SurveyRef) -> Result | None:
    if state_ == "unknown":
        return message("unknown_token", lang, ref, 404)
    if state_ == "expired":
        return message("expired", lang, ref, 410)
    if state_ == "used":
        return message("already", lang, ref, 200)
    return None


# --------------------------------------------------------------------------------------------------- GET
def show(state: AppState, ref: SurveyRef, *, lang_param: str | None, accept_language: str | None,
         token: str | None, resume: str | None, page: str | None, done_cookie: bool, base_url: str) -> Result:
    """``GET /s/{slug}``: a fresh start, an invitation (``t``) or a draft to continue (``r``)."""
    d = ref.definition
    lang = negotiate(lang_param, accept_language, d)
    if ref.status != "open":
        return message("closed", lang, ref, 410)
    if resume:
        row = drafts.get(state.engine, resume) if drafts.valid_id(resume) else None
        if row is None or row.survey_id != ref.id:
            return message("resume_unknown", lang, ref, 404)
        if row.submitted_at is not None:
            return message("already", lang, ref, 200)
        inv = None
        if row.token_hash is not None:
            st, inv = lookup(state.engine, ref.id, hashed=row.token_hash)
            if (refusal := _invitation_refusal(st, lang, ref)) is not None:
                return refusal
        elif ref.require_token:
            return message("token_required", lang, ref, 403)
        answers = Answers.of(row)
        steps = _steps(ref, answers, inv)
        index = _page_index(page, row.page, len(steps))
        return _form(state, ref, lang, steps, index, answers, row.id, row.started_at, None, True, inv is not None,
                     base_url)
    if token:
        if len(token) > TOKEN_MAX:
            return message("unknown_token", lang, ref, 404)
        st, inv = lookup(state.engine, ref.id, token=token)
        if (refusal := _invitation_refusal(st, lang, ref)) is not None:
            return refusal
        assert inv is not None
        existing = drafts.by_token(state.engine, inv.token_hash)
        if existing is not None and existing.submitted_at is None:
            return Result(redirect=survey_url(ref.slug, lang, r=existing.id, page=existing.page))
        steps = _steps(ref, Answers(), inv)
        return _form(state, ref, lang, steps, 1, Answers(), drafts.new_id(), time.time(), token, False, True,
                     base_url)
    if ref.require_token:
        return message("token_required", lang, ref, 403)
    if done_cookie:
        return message("already", lang, ref, 200)
    steps = _steps(ref, Answers(), None)
    return _form(state, ref, lang, steps, 1, Answers(), drafts.new_id(), time.time(), None, False, False, base_url)


def _page_index(page: str | None, default: int, n: int) -> int:
    try:
        i = int(page) if page else default
    except ValueError:
        i = default
    return min(max(i, 1), n)


def _steps(ref: SurveyRef, answers: Answers, inv: Invitation | None) -> list[Step]:
    return build_steps(ref.definition, answers.chosen, set(fixed_segments(inv)))


def _form(state: AppState, ref: SurveyRef, lang: str, steps: list[Step], index: int, answers: Answers,
          draft_id: str, started: float, token: str | None, saved: bool, invited: bool, base_url: str,
          errors: dict[str, str] | None = None, general: list[str] | None = None, status: int = 200) -> Result:
    hidden = {"draft": draft_id, "csrf": csrf.sign(state.settings.secret_key, ref.slug, draft_id),
              "started": f"{started:.3f}", "page": str(index), "lang": lang}
    if token:
        hidden["t"] = token
    resume = base_url.rstrip("/") + survey_url(ref.slug, lang, r=draft_id) if saved else None
    ctx = page_context(d=ref.definition, slug=ref.slug, lang=lang, steps=steps, index=index, values=answers.values,
                       chosen=answers.chosen, errors=errors or {}, general_errors=general or [], hidden=hidden,
                       resume_url=resume, invited=invited)
    return Result("survey.html", ctx, status)


# -------------------------------------------------------------------------------------------------- POST
def post(state: AppState, ref: SurveyRef, form: dict[str, Any], *, accept_language: str | None,
         done_cookie: bool, base_url: str) -> Result:
    """``POST /s/{slug}``: save the page's answers, then go back, switch language, go on, or submit."""
    d = ref.definition
    lang = negotiate(_one(form, "lang"), accept_language, d)
    draft_id = _one(form, "draft") or ""
    if not drafts.valid_id(draft_id) or not csrf.check(state.settings.secret_key, ref.slug, draft_id,
                                                       _one(form, "csrf")):
        return message("csrf", lang, ref, 403, back=True)
    if ref.status != "open":
        return message("closed", lang, ref, 410)
    row = drafts.get(state.engine, draft_id)
    inv: Invitation | None = None
    if row is not None:
        if row.survey_id != ref.id:
            return message("resume_unknown", lang, ref, 404)
        if row.submitted_at is not None:
            return message("already", lang, ref, 200)
        if row.token_hash is not None:
            st, inv = lookup(state.engine, ref.id, hashed=row.token_hash)
            if (refusal := _invitation_refusal(st, lang, ref)) is not None:
                return refusal
        elif ref.require_token:
            return message("token_required", lang, ref, 403)
    else:
        token = _one(form, "t")
        if token:
            st, inv = lookup(state.engine, ref.id, token=token[:TOKEN_MAX])
            if (refusal := _invitation_refusal(st, lang, ref)) is not None:
                return refusal
        elif ref.require_token:
            return message("token_required", lang, ref, 403)
        now = time.time()
        try:
            started = float(_one(form, "started") or now)
        except ValueError:
            started = now
        started = min(max(started, now - MAX_DRAFT_AGE), now)
        row = Draft(id=draft_id, survey_id=ref.id, version_id=ref.version_id, started_at=started, updated_at=now,
                    token_hash=inv.token_hash if inv else None)

    answers = Answers.of(row)
    steps = _steps(ref, answers, inv)
    index = _page_index(_one(form, "page"), 1, len(steps))
    _apply(steps[index - 1], form, answers, ref)
    steps = _steps(ref, answers, inv)  # picking brands changes the pages that follow
    index = min(index, len(steps))
    go = _one(form, "go") or "next"
    row.version_id = ref.version_id

    def saved(page: int) -> Draft:
        answers.to_row(row)
        row.page = page
        return drafts.save(state.engine, row)

    def show_errors(errs: dict[str, str], general: list[str], at: int) -> Result:
        stored = saved(at)
        return _form(state, ref, lang, steps, at, answers, stored.id, stored.started_at, None, True,
                     inv is not None, base_url, errs, general, status=422)

    if go == "prev":
        stored = saved(max(index - 1, 1))
        return Result(redirect=survey_url(ref.slug, lang, r=stored.id, page=stored.page))
    if go.startswith("lang:"):
        stored = saved(index)
        return Result(redirect=survey_url(ref.slug, negotiate(go[5:], None, d), r=stored.id, page=index))

    book = codebook_for(ref.version_id, ref.definition_json)
    fixed = fixed_segments(inv)
    sub_answers, sub_brands = answers.submission(set(d.respondent_item_ids) | set(d.text_item_ids) -
                                                 _brand_text(ref), set(d.brand_item_ids) | _brand_text(ref))
    step = steps[index - 1]
    errors = _page_errors(book.encode, sub_answers, sub_brands, fixed, answers, step, lang)
    if errors:
        return show_errors(errors, [], index)
    if index < len(steps) and go != "submit":
        stored = saved(index + 1)
        return Result(redirect=survey_url(ref.slug, lang, r=stored.id, page=stored.page))

    # Submit: exactly the collector API's validation (prepare), then the group-commit writer.
    stored = saved(index)
    if inv is None and done_cookie:
        return message("already", lang, ref, 200)
    payload = SubmissionIn(answers=sub_answers, brands=sub_brands, channel="web",
                           started_at=datetime.fromtimestamp(stored.started_at, UTC),
                           submitted_at=datetime.now(UTC))
    try:
        item = prepare(state.engine, ref, payload, idempotency_key=f"web:{stored.id}", invitation=inv)
    except Invalid as e:
        errs, general = _map_errors(e.errors, steps, lang)
        first = min((step_of_field(steps, k) or index for k in errs), default=index)
        return show_errors(errs, general, first)
    outcome = state.writer.write_blocking(item)
    if outcome.status in ("created", "replayed", "key_conflict"):
        drafts.mark_submitted(state.engine, stored.id, outcome.response_id)
        return Result(redirect=f"/s/{ref.slug}/thanks?lang={lang}", set_done_cookie=inv is None)
    if outcome.status == "token_used":
        return message("already", lang, ref, 200)
    if outcome.status == "closed":
        return message("closed", lang, ref, 410)
    return message("error", lang, ref, 503, back=True)


def _brand_text(ref: SurveyRef) -> set[str]:
    d = ref.definition
    return {i for i in d.text_item_ids if d.is_per_brand(i)}


def _one(form: dict[str, Any], key: str) -> str | None:
    v = form.get(key)
    if isinstance(v, list):
        v = v[0] if v else None
    return v if isinstance(v, str) else None


def _apply(step: Step, form: dict[str, Any], answers: Answers, ref: SurveyRef) -> None:
    """Copy this step's fields from the form into the draft; a field left empty clears the earlier answer."""
    if step.kind == "brands":
        picked = form.get(BRANDS_FIELD) or []
        picked = picked if isinstance(picked, list) else [picked]
        answers.chosen = [b for b in ref.definition.brand_ids if b in picked]
        return
    for _, items in step.sections:
        for it in items:
            name = field_name(it.id, step.brand)
            v = _one(form, name)
            if v is None or v == "":
                answers.values.pop(name, None)
            else:
                answers.values[name] = v[: MAX_FIELD + 1]


def _page_errors(encode: Any, sub_answers: dict[str, Any], sub_brands: dict[str, Any], fixed: dict[str, str],
                 answers: Answers, step: Step, lang: str) -> dict[str, str]:
    """Validate the whole draft with the codebook, keep what concerns this page (Next shows only those)."""
    if step.kind == "brands" and not answers.chosen:
        return {BRANDS_FIELD: ui(lang)["choose_brand"]}
    try:
        encode(sub_answers, sub_brands, fixed=fixed or None)
    except Invalid as e:
        on_page = step.field_names()
        return {k: v for k, v in _to_fields(e.errors, lang).items() if k in on_page}
    return {}


def _to_fields(errors: list[tuple[list[Any], str]], lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for loc, msg in errors:
        parts = [p for p in loc if p != "body"]
        if parts[:1] == ["answers"] and len(parts) == 2:
            out.setdefault(field_name(str(parts[1]), None), item_message(msg, lang))
        elif parts[:1] == ["brands"] and len(parts) == 3:
            out.setdefault(field_name(str(parts[2]), str(parts[1])), item_message(msg, lang))
        elif parts[:1] == ["brands"]:
            out.setdefault(BRANDS_FIELD, ui(lang)["choose_brand"])
        else:
            out.setdefault("general:" + ".".join(map(str, parts)), msg)
    return out


def _map_errors(errors: list[tuple[list[Any], str]], steps: list[Step], lang: str
                ) -> tuple[dict[str, str], list[str]]:
    fields = _to_fields(errors, lang)
    shown = {k: v for k, v in fields.items() if step_of_field(steps, k) is not None}
    general = [v for k, v in fields.items() if k not in shown]
    return shown, general


def thanks(ref: SurveyRef, lang: str) -> Result:
    return message("thanks", lang, ref, 200)


def done_cookie_name(slug: str) -> str:
    return DONE_COOKIE.format(slug=slug)


