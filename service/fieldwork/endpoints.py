"""``GET /api/v1/surveys/{slug}/fieldwork``: response rates for analysts (service/fieldwork/report.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.api.deps import Analyst, State
from service.fieldwork.report import fieldwork
from service.surveys import service as surveys

router = APIRouter(prefix="/api/v1/surveys", tags=["staff"])


@router.get("/{slug}/fieldwork", responses={401: {"description": "no or bad API key"},
                                            404: {"description": "unknown survey"}})
async def get_fieldwork(slug: str, state: State, _: Analyst) -> dict[str, Any]:
    """Invited, delivered, opened, partial, complete, screened out and unsubscribed, with AAPOR RR1/RR2, overall
    and per wave, channel, stratum and segment; completes per day (docs/methods.md section 13.4)."""
    surveys.check_slug(slug)
    ref = await run_in_threadpool(surveys.load_ref, state.engine, slug)
    report = await run_in_threadpool(fieldwork, state.engine, ref)
    return report.to_json()
