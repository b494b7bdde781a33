"""The survey pages' side of quotas and wave dates: turn a respondent away politely, as early as possible.

A respondent whose answers put them in a full quota cell is told so as soon as they answer the segment question
(not after the whole survey), and is recorded as screened out once per draft (key ``web:<draft id>``, the same
key the writer uses when it refuses the draft's submission). Later visits of that draft show the same page.
"""

from __future__ import annotations

import time

from service.api.deps import AppState
from service.invitations.service import fixed_segments
from service.quotas.service import full_cell, is_screened_out, option_codes, screen_out
from service.store.tables import Invitation
from service.surveys import waves
from service.surveys.service import SurveyRef
from service.web.drafts import Answers


def draft_key(draft_id: str) -> str:
    return f"web:{draft_id}"


def screened(state: AppState, ref: SurveyRef, draft_id: str) -> bool:
    """Whether this draft was already turned away by a full quota cell."""
    return bool(ref.definition.quotas) and is_screened_out(state.engine, ref.id, draft_key(draft_id)) is not None


def turn_away(state: AppState, ref: SurveyRef, draft_id: str, answers: Answers, inv: Invitation | None) -> bool:
    """Whether the answers given so far (and an invitation's known segments) fall in a full cell of the wave
    open now; if so the respondent is recorded as screened out."""
    d = ref.definition
    if not d.quotas:
        return False
    raw: dict[str, str] = {k[2:]: v for k, v in answers.values.items() if k.startswith("a:")}
    raw.update(fixed_segments(inv))
    codes = option_codes(d, raw)
    if not codes:
        return False
    wave = waves.default_wave(d, time.time())
    cell = full_cell(state.engine, ref, wave, codes)
    if cell is None:
        return False
    screen_out(state.engine, ref, wave, cell, "web", draft_key(draft_id))
    return True
