"""Request and response bodies of the invitation and survey-settings staff API."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from service.fields import CleanStr

MAX_INVITATIONS = 10_000
#: Columns of an invitee file that are not segment items: how to reach the person, and fieldwork bookkeeping.
CONTACT_COLUMNS = ("email", "phone", "name", "lang")
RESERVED_COLUMNS = ("customer_ref", *CONTACT_COLUMNS, "stratum")
EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{3,30}$")


def _email(v: str) -> str:
    v = v.strip()
    if not EMAIL.match(v):
        raise ValueError(f"not an email address: {v[:80]!r}")
    return v


def _phone(v: str) -> str:
    v = v.strip()
    if not PHONE.match(v):
        raise ValueError(f"not a phone number (digits, optional leading +, spaces, dashes): {v[:40]!r}")
    return v


def _one_line(v: str) -> str:
    if "\n" in v or "\t" in v:
        raise ValueError("must be one line")
    return v.strip()


Email = Annotated[CleanStr, AfterValidator(_email)]
Phone = Annotated[CleanStr, AfterValidator(_phone)]
OneLine = Annotated[CleanStr, AfterValidator(_one_line)]


class InviteeIn(BaseModel):
    """What we already know about one invitee; segment values are stored with the response, not asked again."""

    model_config = ConfigDict(extra="forbid")

    customer_ref: CleanStr | None = Field(default=None, max_length=128)
    segments: dict[CleanStr, CleanStr] = Field(default_factory=dict)
    #: Contact data, stored apart from the answers (invitation_contact) and never exported with them.
    email: Email | None = Field(default=None, max_length=320)
    phone: Phone | None = Field(default=None, max_length=32)
    name: OneLine | None = Field(default=None, max_length=200)
    lang: OneLine | None = Field(default=None, max_length=8)
    #: The stratum the invitee was drawn from (`csi sample draw`), for response rates per stratum.
    stratum: OneLine | None = Field(default=None, max_length=128)

    @property
    def has_contact(self) -> bool:
        return bool(self.email or self.phone or self.name)


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
