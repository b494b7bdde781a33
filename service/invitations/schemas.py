"""Request and response bodies of the invitation and survey-settings staff API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.fields import CleanStr

MAX_INVITATIONS = 10_000


class InviteeIn(BaseModel):
    """What we already know about one invitee; segment values are stored with the response, not asked again."""

    model_config = ConfigDict(extra="forbid")

    customer_ref: CleanStr | None = Field(default=None, max_length=128)
    segments: dict[CleanStr, CleanStr] = Field(default_factory=dict)


class InvitationsIn(BaseModel):
    """``count`` anonymous tokens, or one token per invitee (``count`` may then be left out)."""

    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(default=None, ge=1, le=MAX_INVITATIONS)
    expires_in_days: float | None = Field(default=None, gt=0, le=3660)
    invitees: list[InviteeIn] | None = Field(default=None, max_length=MAX_INVITATIONS)

    @model_validator(mode="after")
    def _count_matches(self) -> InvitationsIn:
        if self.invitees is None and self.count is None:
            raise ValueError("give `count` or `invitees`")
        if self.invitees is not None and self.count is not None and self.count != len(self.invitees):
            raise ValueError(f"`count` is {self.count} but {len(self.invitees)} invitees are listed")
        return self

    @property
    def n(self) -> int:
        return len(self.invitees) if self.invitees is not None else int(self.count or 0)


class IssuedOut(BaseModel):
    token: str
    url: str
    customer_ref: str | None = None
    segments: dict[str, str] = Field(default_factory=dict)


class InvitationsOut(BaseModel):
    survey: str
    count: int
    expires_at: float | None
    invitations: list[IssuedOut]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_token: bool
