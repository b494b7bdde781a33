"""Staff API of the wave calendar: list the waves (analyst) and change or add one (admin).

Waves live outside the immutable definition (service/surveys/waves.py), so these change the running survey
without publishing a new version.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from service.api.content_type import JsonBody
from service.api.deps import Admin, Analyst, State
from service.fields import CleanStr
from service.surveys import service as surveys
from service.surveys import waves

router = APIRouter(prefix="/api/v1/surveys", tags=["staff"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad API key"},
    403: {"description": "role not allowed"},
    404: {"description": "unknown survey or wave"},
    409: {"description": "the wave exists already (add)"},
    422: {"description": "a bad date, closes before opens, or an overlap with another wave; names the field"},
}


class WaveIn(BaseModel):
    """A change to one wave; a key left out keeps its value, ``null`` clears a date. ``add`` creates the wave."""

    model_config = ConfigDict(extra="forbid")

    label: dict[CleanStr, CleanStr] | None = Field(default=None, max_length=8)
    opens: CleanStr | None = Field(default=None, max_length=40, description="ISO date (a whole day) or datetime")
    closes: CleanStr | None = Field(default=None, max_length=40, description="ISO date (inclusive) or datetime")
    add: bool = False


WaveId = Annotated[str, Path(min_length=1, max_length=waves.WAVE_ID_MAX, pattern=r"^\S+$")]


@router.get("/{slug}/waves", responses=ERRORS)
def list_waves(slug: str, state: State, _: Analyst) -> dict[str, Any]:
    """The wave calendar: each wave's label, dates and state now (open, closed, upcoming, undated)."""
    surveys.check_slug(slug)
    ref = surveys.load_ref(state.engine, slug)
    return {"slug": slug, "timezone": ref.definition.tz, "open_now": waves.default_wave(ref.definition, time.time()),
            "waves": [w.as_json() for w in waves.list_waves(state.engine, slug)]}


@router.put("/{slug}/waves/{wave_id}", responses=ERRORS)
async def put_wave(slug: str, wave_id: WaveId, body: WaveIn, state: State, _: Admin, __: JsonBody
                   ) -> dict[str, Any]:
    """Change a wave's dates or label (or add a wave with ``add: true``); no new definition version."""
    surveys.check_slug(slug)
    given = body.model_dump(exclude_unset=True)
    kw: dict[str, Any] = {k: given[k] for k in ("opens", "closes") if k in given}
    info = await run_in_threadpool(waves.set_wave, state.engine, slug, wave_id, label=body.label, add=body.add,
                                   **kw)
    state.surveys.invalidate(slug)
    return info.as_json()
