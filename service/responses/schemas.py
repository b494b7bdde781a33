"""Request and response bodies of the collector API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.fields import CleanStr

AnswerValue = int | float | bool | str | None
Channel = Literal["web", "api", "phone", "paper", "import"]


class SubmissionIn(BaseModel):
    """One respondent's answers: respondent-level items under ``answers``, per-brand items under ``brands``.

    Values: a number on the item's scale, ``"NA"`` for not applicable (where allowed), ``true``/``false`` for
    yes/no items, an option code for choice items, text for comments; ``null`` or absent = not answered.
    """

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    brands: dict[str, dict[str, AnswerValue]] = Field(default_factory=dict)
    wave: CleanStr | None = Field(default=None, max_length=64)
    channel: Channel = "api"
    respondent: CleanStr | None = Field(default=None, max_length=128)
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    token: CleanStr | None = Field(default=None, max_length=128)


class BatchItem(SubmissionIn):
    """A staff-submitted response (phone, paper): may carry its own Idempotency-Key and a survey weight."""

    idempotency_key: CleanStr | None = Field(default=None, max_length=128)
    weight: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responses: list[BatchItem] = Field(max_length=10_000)
    all_or_nothing: bool = True


class SubmissionOut(BaseModel):
    id: int
    survey: str
    version: int
    replayed: bool = False


class BatchOut(BaseModel):
    stored: int
    rejected: int
    ids: list[int | None]
    errors: list[dict[str, object]]
