"""Staff API behind bearer keys: admin manages surveys and keys, analyst reads data."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response as RawResponse
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from service import audit
from service.api.content_type import JSON, YAML_TYPES, JsonBody, check_json, is_json
from service.api.deps import Admin, Analyst, State
from service.api.validation import body_error
from service.errors import AppError
from service.fields import CleanStr
from service.responses.schemas import BatchIn, BatchOut
from service.responses.service import submit_batch
from service.staff import keys
from service.surveys import service as surveys
from survey_defs import list_templates, template_path
from survey_defs.codebook import clean_text

router = APIRouter(prefix="/api/v1", tags=["staff"])
AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "no or bad API key"},
                                         403: {"description": "role not allowed"}}


class PublishIn(BaseModel):
    yaml: CleanStr | None = Field(default=None, max_length=500_000)
    template: CleanStr | None = Field(default=None, max_length=64)


class KeyIn(BaseModel):
    role: Literal["admin", "analyst"]
    name: CleanStr = Field(default="", max_length=128)


@router.get("/surveys", responses=AUTH)
def list_surveys(state: State, _: Analyst) -> list[dict[str, Any]]:
    return surveys.list_surveys(state.engine)


PUBLISH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": PublishIn.model_json_schema()},
    "application/yaml": {"schema": {"type": "string", "description": "the definition (survey_defs/README.md)"}},
}}}
EXPORT_TYPES = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                   "format": "binary"}},
    "application/json": {"schema": {"type": "object"}},
    "application/x-spss-sav": {"schema": {"type": "string", "format": "binary"}},
    "application/x-stata-dta": {"schema": {"type": "string", "format": "binary"}},
}
REPORT_TYPES = {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "text/html": {"schema": {"type": "string"}}}


@router.post("/surveys", status_code=201, responses={**AUTH, 422: {"description": "invalid definition"}},
             openapi_extra=PUBLISH_BODY)
async def publish_survey(request: Request, state: State, _: Admin) -> dict[str, Any]:
    """Publish a definition: a YAML body (``application/yaml``) or JSON ``{"yaml": ...}`` / ``{"template": ...}``.

    Each publish of a changed definition creates a new immutable version; an unchanged one is a no-op.
    """
    ctype = request.headers.get("content-type")
    check_json(ctype, f"{JSON} or application/yaml", also=YAML_TYPES)
    raw = await request.body()
    if is_json(ctype):
        try:
            body = PublishIn.model_validate_json(raw)
        except ValidationError as e:
            raise body_error(e) from None
        if body.template:
            if body.template not in list_templates():
                raise AppError(f"unknown template {body.template!r}", status_code=422, loc=["body", "template"])
            text, name = template_path(body.template).read_text(encoding="utf-8"), f"{body.template}.yaml"
        elif body.yaml:
            text, name = body.yaml, "<upload>"
        else:
            raise AppError("give `yaml` or `template`", status_code=422, loc=["body"])
    else:
        try:
            text, name = clean_text(raw.decode("utf-8")), "<upload>"
        except UnicodeDecodeError as e:
            raise AppError("the definition must be UTF-8 text", status_code=422, loc=["body"]) from e
        except ValueError as e:
            raise AppError(f"the definition {e}", status_code=422, loc=["body"]) from e
    ref, created = await run_in_threadpool(surveys.publish, state.engine, text, name)
    state.surveys.invalidate(ref.slug)
    return {"slug": ref.slug, "version": ref.version, "status": ref.status, "created": created}


@router.get("/surveys/{slug}", responses=AUTH)
def get_survey(slug: str, state: State, _: Analyst) -> dict[str, Any]:
    ref = surveys.load_ref(state.engine, _checked(slug))
    return {"slug": ref.slug, "version": ref.version, "status": ref.status, "require_token": ref.require_token,
            "definition": ref.definition.model_dump(mode="json")}


@router.post("/surveys/{slug}/close", responses=AUTH)
def close_survey(slug: str, state: State, _: Admin) -> dict[str, Any]:
    ref = surveys.set_status(state.engine, slug, "closed")
    state.surveys.invalidate(slug)
    return {"slug": ref.slug, "status": ref.status}


@router.post("/surveys/{slug}/open", responses=AUTH)
def open_survey(slug: str, state: State, _: Admin) -> dict[str, Any]:
    ref = surveys.set_status(state.engine, slug, "open")
    state.surveys.invalidate(slug)
    return {"slug": ref.slug, "status": ref.status}


@router.get("/surveys/{slug}/counts", responses=AUTH)
def survey_counts(slug: str, state: State, _: Analyst) -> dict[str, Any]:
    """Responses by version, wave and channel; with quotas, each cell's progress in the wave open now."""
    from service.quotas.service import quota_progress

    out = surveys.counts(state.engine, _checked(slug))
    ref = surveys.load_ref(state.engine, slug)
    if ref.definition.quotas:
        from service.surveys.waves import default_wave

        out["quotas"] = {"wave": default_wave(ref.definition, time.time()),
                         "cells": [c.as_json() for c in quota_progress(state.engine, ref)]}
    return out


@router.post("/surveys/{slug}/responses/batch",
             responses={**AUTH, 422: {"description": "invalid rows"}})
def submit_responses_batch(slug: str, batch: BatchIn, state: State, _: Admin, __: JsonBody) -> BatchOut:
    """Phone and paper channels: many responses at once; all-or-nothing by default, or store the valid ones."""
    ref = surveys.load_ref(state.engine, _checked(slug))
    return BatchOut(**submit_batch(state.engine, ref, batch))


@router.get("/surveys/{slug}/export", response_class=RawResponse,
            responses={**AUTH, 200: {"description": "the responses in the asked format", "content": EXPORT_TYPES}})
def export_responses(
    slug: str,
    state: State,
    _: Analyst,
    format: Annotated[Literal["csv", "xlsx", "json", "sav", "dta"], Query()] = "csv",
    labels: Annotated[Literal["zh", "en"] | None, Query()] = None,
) -> RawResponse:
    """Every response, one row per (respondent, brand); ``labels`` writes answer labels in that language."""
    # Imported here: the writers pull in openpyxl, pyreadstat and the analytics (for the codebook sheet), which
    # doubled the service's start-up; a worker starts answering submissions before anyone exports.
    from service.responses import export

    ref = surveys.load_ref(state.engine, _checked(slug))
    kind = export.FORMATS[format]
    disp = {"Content-Disposition": f'attachment; filename="{ref.slug}-responses.{format}"'}
    if kind.text:
        return StreamingResponse(export.stream(state.engine, ref, format, labels), media_type=kind.media_type,
                                 headers=disp)
    data = export.to_bytes(state.engine, ref, format, labels)
    return RawResponse(data, headers=disp, media_type=kind.media_type)


@router.get("/surveys/{slug}/analytics", responses={**AUTH, 413: {"description": "over the memory bound"},
                                                     422: {"description": "unknown filter value"},
                                                     503: {"description": "the worker's analysis slots are busy"}})
def survey_analytics(
    slug: str,
    state: State,
    _: Analyst,
    wave: Annotated[CleanStr | None, Query(max_length=64)] = None,
    period: Annotated[CleanStr | None,
                      Query(max_length=64, description="the same as wave (a wave is a period)")] = None,
    brand: Annotated[CleanStr | None, Query(max_length=64)] = None,
    segment: Annotated[list[CleanStr] | None, Query(description="ITEM=OPTION, repeatable")] = None,
    mode: Annotated[Literal["full", "summary"], Query(
        description="full: every analysis, under the memory bound (413 above it); summary: streamed in bounded "
                    "chunks, memory independent of the number of responses, sections that need respondent-level "
                    "data marked not_computed")] = "full",
) -> dict[str, Any]:
    """Every applicable analysis (docs/analytics-json.md): each figure with its n and CI."""
    from service.analysis import analyze_store, summarize_store

    if period is not None and wave is not None and period != wave:
        raise AppError(f"wave={wave!r} and period={period!r} disagree; a period is a wave, give one",
                       status_code=422, loc=["query", "period"])
    wave = wave if wave is not None else period

    segs: dict[str, str] = {}
    for p in segment or []:
        item, sep, code = p.partition("=")
        if not sep:
            raise AppError(f"segment filter must be ITEM=OPTION, got {p!r}", status_code=422, loc=["query", "segment"])
        segs[item] = code
    with state.heavy.slot():
        if mode == "summary":  # no memory bound: it never holds more than one chunk of responses
            return summarize_store(state.engine, _checked(slug), wave=wave, brand=brand, segment=segs or None)
        return analyze_store(state.engine, _checked(slug), wave=wave, brand=brand, segment=segs or None,
                             max_bytes=state.settings.max_analysis_bytes)


@router.get("/surveys/{slug}/report.{fmt}", response_class=RawResponse,
            responses={**AUTH, 200: {"description": "the report", "content": REPORT_TYPES},
                       413: {"description": "over the memory bound"},
                       422: {"description": "unknown language or wave"},
                       503: {"description": "the worker's analysis slots are busy"}})
def survey_report(
    slug: str,
    fmt: Literal["pdf", "html"],
    state: State,
    _: Analyst,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
    wave: Annotated[CleanStr | None, Query(max_length=64)] = None,
) -> RawResponse:
    """The CSI report as PDF or as self-contained interactive HTML (works offline)."""
    from service.reporting import build_report

    with state.heavy.slot():
        data = build_report(state.engine, _checked(slug), lang=lang, fmt=fmt, wave=wave,
                            max_bytes=state.settings.max_analysis_bytes)
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    name = f"{slug}-report-{lang}.{fmt}"
    return RawResponse(data, media_type=media, headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.post("/keys", status_code=201, responses=AUTH)
def create_key(body: KeyIn, request: Request, state: State, caller: Admin, __: JsonBody) -> dict[str, Any]:
    """The secret is returned once; only its hash is stored."""
    row, secret = keys.create_key(state.engine, body.role, body.name)
    audit.record(state.engine, f"key:{caller.prefix}", "key.created", f"{row.prefix}… ({row.name})",
                 {"id": row.id, "role": row.role, "via": "api"}, request.client.host if request.client else None)
    return {"id": row.id, "role": row.role, "name": row.name, "key": secret}


@router.get("/keys", responses=AUTH)
def list_keys(state: State, _: Admin) -> list[dict[str, Any]]:
    return [{"id": k.id, "role": k.role, "name": k.name, "prefix": k.prefix, "revoked": k.revoked_at is not None}
            for k in keys.list_keys(state.engine)]


@router.delete("/keys/{key_id}", responses=AUTH)
def revoke_key(key_id: int, request: Request, state: State, caller: Admin) -> dict[str, Any]:
    row = keys.revoke_key(state.engine, key_id)
    audit.record(state.engine, f"key:{caller.prefix}", "key.revoked", f"{row.prefix}… ({row.name})",
                 {"id": row.id, "via": "api"}, request.client.host if request.client else None)
    return {"id": row.id, "revoked": True}


def _checked(slug: str) -> str:
    surveys.check_slug(slug)
    return slug


__all__ = ["Body", "router"]
