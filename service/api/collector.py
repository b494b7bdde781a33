"""Respondent-facing JSON API: the questionnaire and submitting answers. Never returns anyone's answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from service.api.content_type import check_json
from service.api.deps import AppState, State
from service.api.validation import body_error
from service.errors import AppError
from service.fields import CLEAN_PATTERN
from service.responses.schemas import SubmissionIn, SubmissionOut
from service.responses.service import prepare, prior_outcome, raise_for_outcome
from survey_defs.codebook import clean_text

router = APIRouter(prefix="/api/v1/surveys", tags=["collector"])

ERRORS: dict[int | str, dict[str, Any]] = {404: {"description": "unknown survey"}}
SUBMIT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "a retry with the same Idempotency-Key: the original response, nothing new stored",
          "model": SubmissionOut, "headers": {"Idempotency-Replayed": {"schema": {"type": "string"}}}},
    403: {"description": "invitation token refused (unknown or expired), or the survey requires one"},
    404: {"description": "unknown survey"},
    409: {"description": "invitation already answered"},
    410: {"description": "survey closed"},
    422: {"description": "invalid answers; each error names its item"},
}


@router.get("/{slug}/definition", responses=ERRORS)
def get_definition(slug: str, state: State) -> dict[str, Any]:
    """The published questionnaire (current version), for API clients that render their own forms."""
    ref = state.surveys.get(slug)
    return {"slug": ref.slug, "version": ref.version, "status": ref.status,
            "definition": ref.definition.model_dump(mode="json")}


SUBMIT_OPENAPI: dict[str, Any] = {
    "parameters": [
        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}},
        {"name": "Idempotency-Key", "in": "header", "required": False,
         "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": CLEAN_PATTERN},
         "description": "makes retries safe: a retry returns the original response"},
    ],
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": SubmissionIn.model_json_schema()}}},
}


@router.post("/{slug}/responses", status_code=201, response_model=SubmissionOut, responses=SUBMIT_ANSWERS,
             openapi_extra=SUBMIT_OPENAPI)
async def submit_response(request: Request) -> JSONResponse:
    """Submit one respondent's answers for one or several brands.

    With an ``Idempotency-Key`` header a retry returns the original response (same id, nothing new stored);
    the same key with a different body is refused. A 2xx means the response is committed durably.

    This is the hot path, so it takes the bare request and validates the body with the same pydantic model
    itself: FastAPI's per-request parameter solving cost more than our whole validation. The OpenAPI
    description above documents the same contract.
    """
    slug: str = request.path_params["slug"]
    check_json(request.headers.get("content-type"))
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None:
        if not 0 < len(idempotency_key) <= 128:
            raise AppError("Idempotency-Key must be 1 to 128 characters", status_code=422,
                           loc=["header", "Idempotency-Key"])
        try:
            clean_text(idempotency_key)
        except ValueError as e:
            raise AppError(f"Idempotency-Key {e}", status_code=422, loc=["header", "Idempotency-Key"]) from None
    raw = await request.body()
    try:
        payload = SubmissionIn.model_validate_json(raw)
    except ValidationError as e:
        raise body_error(e) from None
    raw = raw if idempotency_key else None
    state: AppState = request.app.state.csi
    ref = state.surveys.get(slug)
    if payload.channel == "import":
        payload = payload.model_copy(update={"channel": "api"})
    try:
        if payload.token is not None or ref.require_token:
            item = await run_in_threadpool(
                prepare, state.engine, ref, payload, idempotency_key=idempotency_key, raw_body=raw
            )
        else:
            item = prepare(state.engine, ref, payload, idempotency_key=idempotency_key, raw_body=raw)
    except AppError:
        # A retry whose original was stored gets the original, even if the request would now be refused.
        prior = None if idempotency_key is None else await run_in_threadpool(
            prior_outcome, state.engine, ref, payload, idempotency_key, raw)
        if prior is None:
            raise
        outcome = prior
    else:
        outcome = await state.writer.write(item)
    raise_for_outcome(outcome)
    assert outcome.response_id is not None
    replayed = outcome.status == "replayed"
    version = ref.version if outcome.version_id in (None, ref.version_id) else _version_of(state, outcome)
    body = {"id": outcome.response_id, "survey": ref.slug, "version": version, "replayed": replayed}
    if replayed:
        return JSONResponse(body, status_code=200, headers={"Idempotency-Replayed": "true"})
    return JSONResponse(body, status_code=201)


def _version_of(state: AppState, outcome: Any) -> int:
    from sqlmodel import Session

    from service.store.tables import SurveyVersion

    with Session(state.engine) as s:
        v = s.get(SurveyVersion, outcome.version_id)
        return v.version if v else 0
