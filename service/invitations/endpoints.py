"""Staff API for invitations and the survey's token requirement (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from service.api.content_type import JsonBody
from service.api.deps import Admin, State
from service.invitations import service
from service.invitations.schemas import InvitationsIn, InvitationsOut, IssuedOut, SettingsIn
from service.surveys import service as surveys

router = APIRouter(prefix="/api/v1/surveys", tags=["staff"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad API key"},
    403: {"description": "role not allowed"},
    404: {"description": "unknown survey"},
    422: {"description": "invalid request; each error names its invitee and item"},
}


@router.post("/{slug}/invitations", status_code=201, responses=ERRORS)
async def create_invitations(slug: str, body: InvitationsIn, state: State, request: Request,
                             _: Admin, __: JsonBody) -> InvitationsOut:
    """Create single-use tokens; they and their links are returned once (only hashes are stored)."""
    surveys.check_slug(slug)
    ref = await run_in_threadpool(surveys.load_ref, state.engine, slug)
    issued, expires_at = await run_in_threadpool(
        service.create_invitations, state.engine, ref, body.n,
        invitees=body.invitees, expires_in_days=body.expires_in_days, secret=state.settings.secret_key,
    )
    base = str(request.base_url).rstrip("/")
    return InvitationsOut(
        survey=ref.slug,
        count=len(issued),
        expires_at=expires_at,
        invitations=[IssuedOut(token=i.token, url=base + i.path(ref.slug), customer_ref=i.customer_ref,
                               segments=i.segments) for i in issued],
    )


@router.post("/{slug}/settings", responses=ERRORS)
def update_settings(slug: str, body: SettingsIn, state: State, _: Admin, __: JsonBody) -> dict[str, Any]:
    """Require an invitation token (or not). Publishing a new version resets this to the definition's value."""
    surveys.check_slug(slug)
    ref = surveys.set_require_token(state.engine, slug, body.require_token)
    state.surveys.invalidate(slug)
    return {"slug": ref.slug, "require_token": ref.require_token}
