"""Turning a submission into a stored response: resolve the survey, check the token, validate, group-commit."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.errors import AppError, Conflict, Gone, Invalid
from service.quotas.service import cells_of, option_codes
from service.responses.schemas import BatchIn, SubmissionIn
from service.responses.writer import NewResponse, Outcome, existing_outcome, write_batch
from service.store.raw import RawConn
from service.store.tables import Invitation
from service.surveys import waves
from service.surveys.service import SurveyRef
from survey_defs.codebook import AnswerErrors, codebook_for_json

CLOCK_SKEW = 300.0


class TokenRejected(AppError):
    status_code = 403


class AlreadyAnswered(Conflict):
    """The invitation was used; nothing new is stored."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(engine: Engine, survey_id: int, token: str) -> Invitation:
    """The invitation behind a token, or a clear refusal (unknown, expired or used)."""
    with Session(engine) as s:
        inv = s.exec(select(Invitation).where(Invitation.token_hash == token_hash(token))).first()
    if inv is None or inv.survey_id != survey_id:
        raise TokenRejected("unknown invitation token", loc=["body", "token"])
    if inv.expires_at is not None and inv.expires_at < time.time():
        raise TokenRejected("this invitation has expired", loc=["body", "token"])
    if inv.used_at is not None:
        raise AlreadyAnswered("this invitation has already been answered", loc=["body", "token"])
    return inv


def request_hash(slug: str, payload: SubmissionIn, raw_body: bytes | None = None) -> str:
    """Fingerprint of a request, to tell a retry (same body) from a reused key (different body).

    The raw body is hashed when we have it (a retry resends the same bytes); batch items are hashed from their
    canonical JSON.
    """
    if raw_body is not None:
        return hashlib.sha256(slug.encode() + b"\0" + raw_body).hexdigest()
    body = payload.model_dump(mode="json", exclude={"idempotency_key"})
    return hashlib.sha256(json.dumps([slug, body], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _epoch(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def prepare(
    engine: Engine,
    ref: SurveyRef,
    payload: SubmissionIn,
    *,
    idempotency_key: str | None = None,
    invitation: Invitation | None = None,
    raw_body: bytes | None = None,
) -> NewResponse:
    """Validate a submission against the survey's current version and encode it (raises Invalid / 4xx)."""
    if ref.status != "open":
        raise Gone("this survey is closed", loc=["path", "slug"])
    if ref.require_token and payload.token is None and invitation is None:
        raise TokenRejected("this survey can only be answered with an invitation token", loc=["body", "token"])
    if payload.token is not None and invitation is None:
        invitation = find_invitation(engine, ref.id, payload.token)
    book = codebook_for_json(ref.definition_json)
    errors: list[tuple[list[Any], str]] = []
    wave = payload.wave
    now = time.time()
    submitted = _epoch(payload.submitted_at) or now
    if book.wave_ids:
        if wave is None:
            # the wave open when it was submitted (the server clock, or the client's submitted_at); 409 if none
            wave = waves.wave_for(ref.definition, min(submitted, now))
        elif wave not in book.wave_ids:
            errors.append((["body", "wave"], f"unknown wave {wave!r}; waves are {book.wave_ids}"))
    started = _epoch(payload.started_at)
    if submitted > now + CLOCK_SKEW:
        errors.append((["body", "submitted_at"], "submitted_at lies in the future"))
    if started is not None and started > submitted + 1e-6:
        errors.append((["body", "started_at"], "started_at is after submitted_at"))
    fixed = json.loads(invitation.segments_json) if invitation and invitation.segments_json else None
    try:
        answers, brand_answers, texts = book.encode(payload.answers, payload.brands, fixed=fixed)
    except AnswerErrors as e:
        errors.extend((["body", *loc], msg) for loc, msg in e.errors)
    if errors:
        raise Invalid(errors)
    d = ref.definition
    quota = cells_of(d, option_codes(d, {**payload.answers, **(fixed or {})})) if d.quotas else None
    return NewResponse(
        survey_id=ref.id,
        version_id=ref.version_id,
        channel=payload.channel,
        submitted_at=submitted,
        started_at=started,
        answers=answers,
        brand_answers=brand_answers,
        texts=texts,
        wave=wave,
        respondent_key=payload.respondent or (invitation.customer_ref if invitation else None),
        token_hash=invitation.token_hash if invitation else None,
        idempotency_key=idempotency_key,
        request_hash=request_hash(ref.slug, payload, raw_body) if idempotency_key else None,
        weight=getattr(payload, "weight", None),  # only staff batch items carry one
        quota=quota or None,
    )


def prior_outcome(engine: Engine, ref: SurveyRef, payload: SubmissionIn, idempotency_key: str,
                  raw_body: bytes | None = None) -> Outcome | None:
    """The stored outcome of an earlier request with this Idempotency-Key, looked up when ``prepare`` refused.

    A retry must get the original response even when the request would now be refused: its token is used (by
    the original itself), the survey has been closed since, or a new version no longer accepts the answers. The
    lookup runs only on that refusal path, so the hot path pays nothing for it.
    """
    conn = RawConn(engine)
    try:
        return existing_outcome(conn, ref.id, idempotency_key, request_hash(ref.slug, payload, raw_body))
    finally:
        conn.close()


def raise_for_outcome(o: Outcome) -> None:
    """Turn a writer outcome that is not a success into the matching HTTP error."""
    if o.status in ("created", "replayed"):
        return
    if o.status == "closed":
        raise Gone(o.message, loc=["path", "slug"])
    if o.status == "token_used":
        raise AlreadyAnswered(o.message, loc=["body", "token"])
    if o.status == "quota_full":
        raise Conflict(o.message, loc=o.loc)
    if o.status == "key_conflict":
        raise AppError(o.message, status_code=422, loc=["header", "Idempotency-Key"])
    raise AppError(o.message or "the response store is unavailable, retry", status_code=503)


def submit_batch(engine: Engine, ref: SurveyRef, batch: BatchIn) -> dict[str, Any]:
    """Validate every item; store all valid ones in one transaction, or none if ``all_or_nothing``."""
    prepared: list[NewResponse | None] = []
    errors: list[dict[str, Any]] = []
    replays: dict[int, Outcome] = {}
    for i, item in enumerate(batch.responses):
        try:
            prepared.append(prepare(engine, ref, item, idempotency_key=item.idempotency_key))
        except AppError as e:
            prior = prior_outcome(engine, ref, item, item.idempotency_key) if item.idempotency_key else None
            if prior is None:
                _batch_error(errors, i, e)
                prepared.append(None)
            elif prior.status == "replayed":
                replays[i] = prior
                prepared.append(None)
            else:
                errors.append({"loc": ["responses", i], "msg": prior.message, "type": prior.status})
                prepared.append(None)
    if errors and batch.all_or_nothing:
        raise _BatchInvalid(errors)
    good = [p for p in prepared if p is not None]
    conn = RawConn(engine)
    try:
        with conn.transaction():
            outcomes = iter(write_batch(conn, good))
    finally:
        conn.close()
    ids: list[int | None] = []
    for i, p in enumerate(prepared):
        if p is None:
            ids.append(replays[i].response_id if i in replays else None)
            continue
        o = next(outcomes)
        if o.status in ("created", "replayed"):
            ids.append(o.response_id)
        else:
            ids.append(None)
            errors.append({"loc": ["responses", i], "msg": o.message, "type": o.status})
    stored = sum(1 for x in ids if x is not None)
    return {"stored": stored, "rejected": len(ids) - stored, "ids": ids, "errors": errors}


def _batch_error(errors: list[dict[str, Any]], i: int, e: AppError) -> None:
    """A refused batch item's errors, located under ``responses[i]``."""
    if isinstance(e, Invalid):
        errors.extend({"loc": ["responses", i, *loc[1:]], "msg": m, "type": "invalid"} for loc, m in e.errors)
    else:
        errors.append({"loc": ["responses", i, *(e.loc or [])], "msg": e.message, "type": type(e).__name__})


class _BatchInvalid(AppError):
    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(f"{len(errors)} error(s); nothing was stored")
        self.errors = errors

    def detail(self) -> list[dict[str, Any]]:
        return self.errors
