"""Issuing invitation tokens and telling a respondent's token apart: valid, unknown, expired or already used.

Tokens are ``secrets.token_urlsafe(24)`` (192 random bits) and shown once; only their SHA-256 is stored, so a
leaked database does not hand out open invitations. Single use is enforced when the response is written (the
group-commit writer consumes the token in the same transaction), not here.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.errors import Invalid
from service.invitations.schemas import InviteeIn
from service.responses.service import token_hash
from service.store.tables import Invitation
from service.surveys.service import SurveyRef
from survey_defs.codebook import codebook_for_json

TOKEN_BYTES = 24
DAY = 86400.0

TokenState = Literal["ok", "unknown", "expired", "used"]


@dataclass
class Issued:
    """A freshly created token; the plain token exists only in this object and in what we hand back."""

    token: str
    customer_ref: str | None = None
    segments: dict[str, str] = field(default_factory=dict)

    def path(self, slug: str) -> str:
        return f"/s/{slug}?t={self.token}"


def check_segments(ref: SurveyRef, invitees: list[InviteeIn]) -> list[dict[str, str]]:
    """Validate every invitee's segment values as answers to the definition's segment items.

    Uses the survey's codebook, so option codes and option labels (in any language) are accepted, as on import;
    values are normalised to option codes. All problems are reported at once, each naming its invitee and item.
    """
    book = codebook_for_json(ref.definition_json)
    segment_ids = set(ref.definition.segment_item_ids)
    errors: list[tuple[list[Any], str]] = []
    out: list[dict[str, str]] = []
    for i, inv in enumerate(invitees):
        norm: dict[str, str] = {}
        for iid, raw in inv.segments.items():
            loc: list[Any] = ["body", "invitees", i, "segments", iid]
            if iid not in segment_ids:
                errors.append((loc, f"{iid!r} is not a segment item; segment items are {sorted(segment_ids)}"))
                continue
            codec = book.codecs[iid]
            try:
                code = codec.parse(raw)
            except ValueError as e:
                errors.append((loc, str(e)))
                continue
            if code >= 0:
                norm[iid] = str(codec.render(code))
        out.append(norm)
    if errors:
        raise Invalid(errors)
    return out


def create_invitations(
    engine: Engine,
    ref: SurveyRef,
    count: int,
    *,
    invitees: list[InviteeIn] | None = None,
    expires_in_days: float | None = None,
) -> tuple[list[Issued], float | None]:
    """Create ``count`` tokens (one per invitee when given) in one transaction; returns them and the expiry."""
    segments = check_segments(ref, invitees) if invitees else [{} for _ in range(count)]
    refs = [i.customer_ref for i in invitees] if invitees else [None] * count
    now = time.time()
    expires_at = now + expires_in_days * DAY if expires_in_days else None
    issued = [Issued(secrets.token_urlsafe(TOKEN_BYTES), r, s) for r, s in zip(refs, segments, strict=True)]
    with Session(engine) as s:
        s.add_all(
            Invitation(
                survey_id=ref.id,
                token_hash=token_hash(it.token),
                customer_ref=it.customer_ref,
                segments_json=json.dumps(it.segments, ensure_ascii=False) if it.segments else None,
                created_at=now,
                expires_at=expires_at,
            )
            for it in issued
        )
        s.commit()
    return issued, expires_at


def lookup(engine: Engine, survey_id: int, *, token: str | None = None, hashed: str | None = None
           ) -> tuple[TokenState, Invitation | None]:
    """The state of a token (plain or already hashed) for this survey, without raising: the web pages show a
    different page for each state, where the API's ``find_invitation`` answers them all with an error."""
    h = hashed if hashed is not None else token_hash(token or "")
    with Session(engine) as s:
        inv = s.exec(select(Invitation).where(Invitation.token_hash == h)).first()
    if inv is None or inv.survey_id != survey_id:
        return "unknown", None
    if inv.used_at is not None:
        return "used", inv
    if inv.expires_at is not None and inv.expires_at < time.time():
        return "expired", inv
    return "ok", inv


def fixed_segments(inv: Invitation | None) -> dict[str, str]:
    """The segment answers an invitation already carries (not asked again on the page)."""
    if inv is None or not inv.segments_json:
        return {}
    return dict(json.loads(inv.segments_json))
