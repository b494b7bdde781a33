"""What happens on each survey request: open a survey or invitation, save a page, move, validate, submit.

Synchronous on purpose (database sessions, the writer's ``write_blocking``); the routes run it in the thread
pool. Each function returns a `Result` (a page to render or a redirect) instead of an HTTP response, so the
logic can be read and tested without HTTP.

Nothing entered is lost to the browser's history. An anonymous first GET writes nothing: it picks the draft's
id and start time (signed, `csrf.sign_start`) and redirects to the draft's own address, whose page 1 is shown
from them; the first POST with answers stores the draft. So crawlers, link previews and visitors who never
answer leave no rows behind (drafts that are stored expire after ``CSI_DRAFT_TTL_DAYS``, `drafts.purge`). Every
POST saves, then answers with a 303 redirect to a GET page (the next page, the same page with its errors, the
thank-you page, a message): Post/Redirect/Get. Back and Forward therefore only ever reload GET pages built from
the saved draft, and a POST made from a page older than the draft's last save (another tab, a restored page) is
merged, never allowed to erase newer answers.

Double answers are prevented three ways. An invitation token is consumed in the response's own transaction
(the writer), so two submissions with one token store one response. A draft is submitted with the idempotency
key ``web:<draft id>``, so a double-clicked Submit stores one response. An anonymous survey also sets a
per-browser cookie on submit and marks the draft submitted; a later visit from that browser sees "already
answered". The cookie only guards against accidental repeats (clearing it or another browser gets around it):
surveys that need one answer per customer should require invitation tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from service.api.deps import AppState
from service.errors import Invalid
from service.invitations.service import fixed_segments, lookup, mark_opened
from service.responses.schemas import SubmissionIn
from service.responses.service import prepare
from service.store.tables import Draft, Invitation
from service.surveys import waves
from service.surveys.service import SurveyRef
from service.web import csrf, drafts, quota
from service.web.drafts import Answers
from service.web.i18n import item_message, negotiate, ui
from service.web.layout import BRANDS_FIELD, Step, build_steps, field_name, step_of_field
from service.web.view import message_context, page_context
from survey_defs.codebook import OWN_REQUIRED, AnswerErrors, codebook_for_json
from survey_defs.codebook.visibility import Hidden

log = logging.getLogger(__name__)

DONE_COOKIE = "csi_done_{slug}"
MAX_FIELD = 5000
TOKEN_MAX = 128


#: Message pages and their HTTP status. Every outcome of a POST is a redirect to a GET page (Post/Redirect/Get),
#: so Back, Forward and Reload never resubmit a form; messages reached from a POST live at
#: ``/s/{slug}/notice/{kind}``, which is also where their language switch points.
NOTICES: dict[str, int] = {
    "already": 200, "closed": 410, "token_required": 403, "unknown_token": 404, "expired": 410,
    "resume_unknown": 404, "csrf": 403, "cross_site": 403, "error": 503, "not_found": 404, "token_rejected": 403,
    "invalid": 422, "wave_closed": 409, "quota_full": 200,
}
CHECK_PAGE, CHECK_ALL = "1", "all"


@dataclass
class Result:
    """A page to render (``template`` + ``context`` + ``status``) or a redirect, maybe with a cookie to set.

    ``switch`` is the address (path, query without ``lang``) the language links of a message page open in the
    other languages; None means "this request's own address", which is right for every GET.
    """

    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    redirect: str | None = None
    set_done_cookie: bool = False
    switch: tuple[str, dict[str, str]] | None = None


def message(kind: str, lang: str, ref: SurveyRef | None, status: int | None = None, back_url: str | None = None,
            switch: tuple[str, dict[str, str]] | None = None) -> Result:
    ctx = message_context(kind, lang, ref.definition if ref else None, back_url)
    return Result("message.html", ctx, NOTICES.get(kind, 200) if status is None else status, switch=switch)


def survey_url(slug: str, lang: str, **params: Any) -> str:
    q = {k: v for k, v in params.items() if v is not None}
    q["lang"] = lang
    return f"/s/{slug}?{urlencode(q)}"


def notice_path(slug: str, kind: str) -> str:
    return f"/s/{slug}/notice/{kind}"


def to_notice(ref: SurveyRef, kind: str, lang: str, **params: Any) -> Result:
    """After a POST: redirect to the message page, so Back/Reload show it again instead of re-posting."""
    q = {k: str(v) for k, v in params.items() if v is not None}
    return Result(redirect=f"{notice_path(ref.slug, kind)}?{urlencode({**q, 'lang': lang})}")


def notice(ref: SurveyRef, kind: str, lang: str, resume: str | None, page: str | None) -> Result:
    """``GET /s/{slug}/notice/{kind}``: a message page shown after a POST, in any language."""
    if kind not in NOTICES:
        return message("not_found", lang, ref)
    back = None
    if kind == "error" and drafts.valid_id(resume):
        back = survey_url(ref.slug, lang, r=resume, page=_page_index(page, 1, 1000))
    elif kind in ("csrf", "cross_site", "error"):
        back = survey_url(ref.slug, lang)
    return message(kind, lang, ref, back_url=back)


def _refusal_kind(state_: str) -> str | None:
    return {"unknown": "unknown_token", "expired": "expired", "used": "already"}.get(state_)


def _invitation_refusal(state_: str, lang: str, ref: SurveyRef) -> Result | None:
    kind = _refusal_kind(state_)
    return message(kind, lang, ref) if kind else None


# --------------------------------------------------------------------------------------------------- GET
def show(state: AppState, ref: SurveyRef, *, lang_param: str | None, accept_language: str | None,
         token: str | None, resume: str | None, page: str | None, check: str | None, done_cookie: bool,
         browser: str, base_url: str, start: str | None = None) -> Result:
    """``GET /s/{slug}``: a fresh start, an invitation (``t``) or a draft to continue (``r``).

    A fresh start stores nothing: it redirects to the address of a draft not stored yet, ``?r=<draft>&page=1
    &start=<signed start time>``, which shows an empty page 1 until the first answered POST stores the draft
    with that start time. A first invitation visit does create its draft at once (see `_create`). Every page
    has its own address, so Back and Forward always land on a page that shows the answers saved in the draft.
    ``check`` shows that page's validation errors (``1``: this page's items, as "Next" checks them; ``all``:
    the whole submission, as "Submit" checks it), recomputed from the saved draft.
    """
    d = ref.definition
    lang = negotiate(lang_param, accept_language, d)
    if ref.status != "open":
        return message("closed", lang, ref)
    if not waves.is_open_now(d):
        return message("wave_closed", lang, ref)
    if resume:
        row = drafts.get(state.engine, resume) if drafts.valid_id(resume) else None
        stored = row is not None
        if row is None and drafts.valid_id(resume):
            started = csrf.check_start(state.settings.secret_key, ref.slug, resume, start, time.time())
            row = _unsaved(state, ref, resume, started)
            if row is not None and ref.require_token:
                return message("token_required", lang, ref)
            if row is not None and done_cookie:
                return message("already", lang, ref)
        if row is None or row.survey_id != ref.id:
            return message("resume_unknown", lang, ref)
        if row.submitted_at is not None:
            return message("already", lang, ref)
        inv = None
        if row.token_hash is not None:
            st, inv = lookup(state.engine, ref.id, hashed=row.token_hash)
            if (refusal := _invitation_refusal(st, lang, ref)) is not None:
                return refusal
        elif ref.require_token:
            return message("token_required", lang, ref)
        answers = Answers.of(row)
        if d.quotas and stored and (quota.screened(state, ref, row.id)
                                    or quota.turn_away(state, ref, row.id, answers, inv)):
            return message("quota_full", lang, ref)
        steps = _steps(ref, answers, inv)
        index = _page_index(page, row.page, len(steps))
        errors: dict[str, str] = {}
        general: list[str] = []
        if check in (CHECK_PAGE, CHECK_ALL):
            errors, general = _check(state, ref, steps, index, answers, row, inv, lang, whole=check == CHECK_ALL)
        return _form(state, ref, lang, steps, index, answers, row, inv is not None, browser, base_url, errors,
                     general, status=422 if errors or general else 200, start=None if stored else start)
    if token:
        if len(token) > TOKEN_MAX:
            return message("unknown_token", lang, ref)
        st, inv = lookup(state.engine, ref.id, token=token)
        if (refusal := _invitation_refusal(st, lang, ref)) is not None:
            return refusal
        assert inv is not None
        existing = drafts.by_token(state.engine, inv.token_hash)
        if existing is not None and existing.submitted_at is not None:
            return message("already", lang, ref)
        stored = existing or _create(state, ref, inv)
        if stored.submitted_at is not None:  # lost a race against a tab that has just submitted
            return message("already", lang, ref)
        return Result(redirect=survey_url(ref.slug, lang, r=stored.id, page=stored.page))
    if ref.require_token:
        return message("token_required", lang, ref)
    if done_cookie:
        return message("already", lang, ref)
    draft_id = drafts.new_id()
    signed = csrf.sign_start(state.settings.secret_key, ref.slug, draft_id, time.time())
    return Result(redirect=survey_url(ref.slug, lang, r=draft_id, page=1, start=signed))


def _unsaved(state: AppState, ref: SurveyRef, draft_id: str, started: float | None) -> Draft | None:
    """The empty draft a fresh start's address stands for, not stored yet; None when its signed start time is
    missing, forged or older than a draft may live (it would have been purged)."""
    if started is None or time.time() - started > state.settings.draft_ttl_s:
        return None
    row = Draft(id=draft_id, survey_id=ref.id, version_id=ref.version_id, started_at=started, updated_at=started,
                page=1, token_hash=None)
    Answers().to_row(row)
    return row


def _create(state: AppState, ref: SurveyRef, inv: Invitation | None) -> Draft:
    """A new, empty draft for an invitation's first visit; ``started_at`` is now, by the server's clock.

    Unlike a fresh anonymous start, an invitation stores its draft at once: the token is in the first address
    only, and the draft holds its hash (UNIQUE), which is what lets every later page, the resume link and a
    second tab opening the same invitation find the one draft without carrying the token. The writes are bounded
    by the invitations issued, so this cannot be used to fill the table.
    """
    now = time.time()
    row = Draft(id=drafts.new_id(), survey_id=ref.id, version_id=ref.version_id, started_at=now, updated_at=now,
                page=1, token_hash=inv.token_hash if inv else None)
    Answers().to_row(row)
    saved = drafts.save(state.engine, row)
    mark_opened(state.engine, inv.id if inv else None)  # fieldwork's "opened": kept when the draft is purged
    return saved


def _page_index(page: str | None, default: int, n: int) -> int:
    try:
        i = int(page) if page else default
    except ValueError:
        i = default
    return min(max(i, 1), n)


def _hidden(ref: SurveyRef, answers: Answers, inv: Invitation | None) -> Hidden:
    """The items the saved draft's answers hide (``show_if``), as the codebook reads them."""
    sub_answers, sub_brands = _raw_submission(ref, answers)
    fixed = fixed_segments(inv)
    return codebook_for_json(ref.definition_json).hidden({**sub_answers, **fixed} if fixed else sub_answers,
                                                         sub_brands)


def _steps(ref: SurveyRef, answers: Answers, inv: Invitation | None) -> list[Step]:
    return build_steps(ref.definition, answers.chosen, set(fixed_segments(inv)), _hidden(ref, answers, inv))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _shown(name: str, answers: Answers) -> str:
    """A field's value as a form shows it (the brand picker: the picked brands)."""
    return "\n".join(answers.chosen) if name == BRANDS_FIELD else answers.values.get(name, "")


def _seen(step: Step, answers: Answers) -> str:
    """Hidden ``seen``: a short hash of each field's value as this page shows it, for merging a stale POST."""
    return json.dumps({n: _digest(_shown(n, answers)) for n in sorted(step.field_names())}, separators=(",", ":"))


def _parse_seen(raw: str | None) -> dict[str, str] | None:
    try:
        seen = json.loads(raw or "")
    except ValueError:
        return None
    if not isinstance(seen, dict) or len(seen) > 500:
        return None
    return {k: v for k, v in seen.items() if isinstance(k, str) and isinstance(v, str)}


def _form(state: AppState, ref: SurveyRef, lang: str, steps: list[Step], index: int, answers: Answers,
          row: Draft, invited: bool, browser: str, base_url: str, errors: dict[str, str] | None = None,
          general: list[str] | None = None, status: int = 200, start: str | None = None) -> Result:
    """The survey page; ``start`` (the signed start time) for a draft not stored yet, which has no resume link."""
    hidden = {"draft": row.id, "csrf": csrf.sign(state.settings.secret_key, ref.slug, row.id, browser),
              "page": str(index), "lang": lang, "rev": drafts.revision(row),
              "seen": _seen(steps[index - 1], answers)}
    if start is not None:
        hidden["start"] = start
    resume = None if start is not None else base_url.rstrip("/") + survey_url(ref.slug, lang, r=row.id)
    ctx = page_context(d=ref.definition, slug=ref.slug, lang=lang, steps=steps, index=index, values=answers.values,
                       chosen=answers.chosen, errors=errors or {}, general_errors=general or [], hidden=hidden,
                       resume_url=resume, invited=invited)
    return Result("survey.html", ctx, status)


def _raw_submission(ref: SurveyRef, answers: Answers) -> tuple[dict[str, Any], dict[str, Any]]:
    d = ref.definition
    return answers.submission(set(d.respondent_item_ids) | set(d.text_item_ids) - _brand_text(ref),
                              set(d.brand_item_ids) | _brand_text(ref))


def _submission(ref: SurveyRef, answers: Answers, inv: Invitation | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The draft as the collector API takes it, without the answers to items it now hides: an answer kept in the
    draft from before a change ("yes" -> "no") is not submitted, and comes back if the change is undone."""
    sub_answers, sub_brands = _raw_submission(ref, answers)
    hidden = _hidden(ref, answers, inv)
    if hidden.items:
        sub_answers = {k: v for k, v in sub_answers.items() if k not in hidden.items}
    for b, items in sub_brands.items():
        gone = hidden.per_brand.get(b)
        if gone:
            sub_brands[b] = {k: v for k, v in items.items() if k not in gone}
    if not hidden.brands_asked:
        sub_brands = {}
    return sub_answers, sub_brands


def _check(state: AppState, ref: SurveyRef, steps: list[Step], index: int, answers: Answers, row: Draft,
           inv: Invitation | None, lang: str, whole: bool) -> tuple[dict[str, str], list[str]]:
    """The validation errors a POST found, recomputed from the saved draft for the page it redirected to."""
    sub_answers, sub_brands = _submission(ref, answers, inv)
    if not whole:
        book = codebook_for_json(ref.definition_json)
        return _page_errors(book.encode, sub_answers, sub_brands, fixed_segments(inv), answers, steps[index - 1],
                            lang), []
    try:
        prepare(state.engine, ref, _payload(row, sub_answers, sub_brands), invitation=inv)
    except Invalid as e:
        return _map_errors(e.errors, steps, lang)
    except waves.WaveClosed:
        return {}, []
    return {}, []


def _payload(row: Draft, sub_answers: dict[str, Any], sub_brands: dict[str, Any]) -> SubmissionIn:
    return SubmissionIn(answers=sub_answers, brands=sub_brands, channel="web",
                        started_at=datetime.fromtimestamp(row.started_at, UTC), submitted_at=datetime.now(UTC))


# -------------------------------------------------------------------------------------------------- POST
def refused(ref: SurveyRef, kind: str, lang: str) -> Result:
    """A POST refused by the CSRF checks: a 403 page whose language switch opens the same message."""
    return message(kind, lang, ref, back_url=survey_url(ref.slug, lang), switch=(notice_path(ref.slug, kind), {}))


def post(state: AppState, ref: SurveyRef, form: dict[str, Any], *, accept_language: str | None,
         done_cookie: bool, browser: str | None, cross_site: str | None) -> Result:
    """``POST /s/{slug}``: save the page's answers, then go back, switch language, go on, or submit.

    Every outcome but a refusal is a 303 redirect to a GET page: the next page, this page with its errors
    (``check``), the thank-you page or a message. ``started_at`` is the server's clock at the first GET: read
    from the stored draft, or, for the first POST of a fresh start, from the form's ``start`` as the server
    signed it (a forged or future one is refused like a bad CSRF token). Until something is answered nothing is
    stored.
    """
    d = ref.definition
    lang = negotiate(_one(form, "lang"), accept_language, d)
    if cross_site is not None:
        log.warning("survey %s: cross-site POST refused (%s)", ref.slug, cross_site)
        return refused(ref, "cross_site", lang)
    draft_id = _one(form, "draft") or ""
    if not drafts.valid_id(draft_id) or not csrf.check(state.settings.secret_key, ref.slug, draft_id, browser,
                                                       _one(form, "csrf")):
        return refused(ref, "csrf", lang)
    if ref.status != "open":
        return to_notice(ref, "closed", lang)
    if not waves.is_open_now(d):
        return to_notice(ref, "wave_closed", lang)
    row = drafts.get(state.engine, draft_id)
    unsaved = row is None
    start = _one(form, "start") if unsaved else None
    if row is None and start is not None:  # the first POST of a fresh start (else: a purged or unknown draft)
        started = csrf.check_start(state.settings.secret_key, ref.slug, draft_id, start, time.time())
        if started is None:
            return refused(ref, "csrf", lang)
        row = _unsaved(state, ref, draft_id, started)
    if row is None or row.survey_id != ref.id:
        return to_notice(ref, "resume_unknown", lang)
    if row.submitted_at is not None:
        return to_notice(ref, "already", lang)
    inv: Invitation | None = None
    if row.token_hash is not None:
        st, inv = lookup(state.engine, ref.id, hashed=row.token_hash)
        if (kind := _refusal_kind(st)) is not None:
            return to_notice(ref, kind, lang)
    elif ref.require_token:
        return to_notice(ref, "token_required", lang)
    if not unsaved and quota.screened(state, ref, row.id):
        return to_notice(ref, "quota_full", lang)

    answers = Answers.of(row)
    steps = _steps(ref, answers, inv)
    index = _page_index(_one(form, "page"), 1, len(steps))
    if _one(form, "rev") == drafts.revision(row):
        _apply(steps[index - 1].field_names(), form, answers, ref, None)
    else:
        # A page shown before the draft's last save (another tab, the history, a replayed POST): apply only
        # what the respondent changed on it, so it cannot erase or undo answers saved since.
        seen = _parse_seen(_one(form, "seen"))
        known = _known_fields(ref, inv)
        if seen is not None:
            names = {n for n in seen if n in known}
            index = next((i for i, st in enumerate(steps, 1) if st.field_names() == names), index)
        else:
            names = steps[index - 1].field_names()
        _apply(names, form, answers, ref, seen if seen is not None else {})
    steps = _steps(ref, answers, inv)  # picking brands changes the pages that follow
    index = min(index, len(steps))
    go = _one(form, "go") or "next"
    row.version_id = ref.version_id

    def saved(page: int) -> Draft:
        nonlocal unsaved
        answers.to_row(row)
        row.page = page
        if unsaved and not answers.values and not answers.chosen:
            return row  # nothing answered yet: still nothing to store
        unsaved = False
        return drafts.save(state.engine, row)

    def to_page(stored: Draft, page: int, to_lang: str = lang, check: str | None = None) -> Result:
        return Result(redirect=survey_url(ref.slug, to_lang, r=stored.id, page=page, check=check,
                                          start=start if unsaved else None))

    if go == "prev":
        stored = saved(max(index - 1, 1))
        return to_page(stored, stored.page)
    if go.startswith("lang:"):
        stored = saved(index)
        return to_page(stored, index, negotiate(go[5:], None, d))

    book = codebook_for_json(ref.definition_json)
    sub_answers, sub_brands = _submission(ref, answers, inv)
    errors = _page_errors(book.encode, sub_answers, sub_brands, fixed_segments(inv), answers, steps[index - 1],
                          lang)
    if errors:
        return to_page(saved(index), index, check=CHECK_PAGE)
    if d.quotas and quota.turn_away(state, ref, row.id, answers, inv):
        saved(index)
        return to_notice(ref, "quota_full", lang)
    if index < len(steps) and go != "submit":
        stored = saved(index + 1)
        return to_page(stored, stored.page)

    # Submit: exactly the collector API's validation (prepare), then the group-commit writer.
    stored = saved(index)
    if inv is None and done_cookie:
        return to_notice(ref, "already", lang)
    try:
        item = prepare(state.engine, ref, _payload(stored, sub_answers, sub_brands),
                       idempotency_key=f"web:{stored.id}", invitation=inv)
    except Invalid as e:
        errs, _ = _map_errors(e.errors, steps, lang)
        first = min((step_of_field(steps, k) or index for k in errs), default=index)
        return to_page(saved(first), first, check=CHECK_ALL)
    except waves.WaveClosed:  # the wave closed while the respondent was answering
        return to_notice(ref, "wave_closed", lang)
    outcome = state.writer.write_blocking(item)
    if outcome.status in ("created", "replayed", "key_conflict"):
        drafts.mark_submitted(state.engine, stored.id, outcome.response_id)
        return Result(redirect=f"/s/{ref.slug}/thanks?lang={lang}", set_done_cookie=inv is None)
    if outcome.status == "token_used":
        return to_notice(ref, "already", lang)
    if outcome.status == "closed":
        return to_notice(ref, "closed", lang)
    if outcome.status == "quota_full":
        return to_notice(ref, "quota_full", lang)
    return to_notice(ref, "error", lang, r=stored.id, page=index)


def _known_fields(ref: SurveyRef, inv: Invitation | None) -> set[str]:
    """Every field any page of this survey can show (all brands picked): what a stale POST may change."""
    steps = build_steps(ref.definition, list(ref.definition.brand_ids), set(fixed_segments(inv)))
    return set().union(*(st.field_names() for st in steps))


def _brand_text(ref: SurveyRef) -> set[str]:
    d = ref.definition
    return {i for i in d.text_item_ids if d.is_per_brand(i)}


def _one(form: dict[str, Any], key: str) -> str | None:
    v = form.get(key)
    if isinstance(v, list):
        v = v[0] if v else None
    return v if isinstance(v, str) else None


def _apply(names: set[str], form: dict[str, Any], answers: Answers, ref: SurveyRef,
           seen: dict[str, str] | None) -> None:
    """Copy the page's fields ``names`` from the form into the draft.

    With ``seen`` None (the page shows the draft as it is now) the form is the truth: a field left empty clears
    the earlier answer. With ``seen`` (a stale page) this is a three-way merge against the value the page was
    shown with: a field is taken only if the respondent changed it on that page *and* nobody changed it in the
    draft since; when both changed, the draft's newer save wins. A field missing from ``seen`` is only filled
    in when the draft has no answer, never cleared.
    """
    for name in names:
        if name == BRANDS_FIELD:
            picked = form.get(BRANDS_FIELD) or []
            picked = picked if isinstance(picked, list) else [picked]
            chosen = [b for b in ref.definition.brand_ids if b in picked]
            if seen is None or _take(seen, name, "\n".join(chosen), _shown(name, answers)):
                answers.chosen = chosen
            continue
        v = (_one(form, name) or "")[: MAX_FIELD + 1]
        if seen is not None and not _take(seen, name, v, _shown(name, answers)):
            continue
        if v == "":
            answers.values.pop(name, None)
        else:
            answers.values[name] = v


def _take(seen: dict[str, str], name: str, posted: str, current: str) -> bool:
    """Whether a stale page's value replaces the draft's (see `_apply`)."""
    if name not in seen:
        return posted != "" and current == ""
    return _digest(posted) != seen[name] and _digest(current) == seen[name]


def _page_errors(encode: Any, sub_answers: dict[str, Any], sub_brands: dict[str, Any], fixed: dict[str, str],
                 answers: Answers, step: Step, lang: str) -> dict[str, str]:
    """Validate the whole draft with the codebook, keep what concerns this page (Next shows only those)."""
    if step.kind == "brands" and not answers.chosen:
        return {BRANDS_FIELD: ui(lang)["choose_brand"]}
    try:
        encode(sub_answers, sub_brands, fixed=fixed or None)
    except AnswerErrors as e:
        on_page = step.field_names()
        return {k: v for k, v in _to_fields(e.errors, lang).items() if k in on_page}
    return {}


OWN_PREFIX = OWN_REQUIRED.split("{", 1)[0]


def _to_fields(errors: list[tuple[list[Any], str]], lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for loc, msg in errors:
        parts = [p for p in loc if p != "body"]
        if parts[:1] == ["answers"] and len(parts) == 2:
            out.setdefault(field_name(str(parts[1]), None), item_message(msg, lang))
        elif parts[:1] == ["brands"] and len(parts) == 3:
            out.setdefault(field_name(str(parts[2]), str(parts[1])), item_message(msg, lang))
        elif parts[:1] == ["brands"]:
            out.setdefault(BRANDS_FIELD, ui(lang)["own_required" if msg.startswith(OWN_PREFIX) else "choose_brand"])
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


