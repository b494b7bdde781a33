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

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from service.errors import Invalid
from service.invitations.links import new_seed, token_from_seed
from service.invitations.schemas import InviteeIn
from service.responses.service import token_hash
from service.store.tables import Invitation, InvitationContact
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
    invitee: InviteeIn | None = None
    seed: str | None = None
    invitation_id: int | None = None

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
        if inv.lang is not None and inv.lang not in ref.definition.languages:
            errors.append((["body", "invitees", i, "lang"],
                           f"{inv.lang!r} is not a language of this survey ({', '.join(ref.definition.languages)})"))
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
    secret: str | None = None,
    wave: str | None = None,
) -> tuple[list[Issued], float | None]:
    """Create ``count`` tokens (one per invitee when given) in one transaction; returns them and the expiry.

    An invitee with contact data (email, phone, name) gets a token derived from a stored seed and ``secret``
    (`links.token_from_seed`), so the sender can rebuild its link for reminders; the contact goes to
    invitation_contact, apart from the answers.
    """
    segments = check_segments(ref, invitees) if invitees else [{} for _ in range(count)]
    people: list[InviteeIn | None] = list(invitees) if invitees else [None] * count
    if wave is not None and wave not in ref.definition.wave_ids():
        raise Invalid([(["wave"], f"unknown wave {wave!r}; waves are {ref.definition.wave_ids()}")])
    now = time.time()
    expires_at = now + expires_in_days * DAY if expires_in_days else None
    issued: list[Issued] = []
    for p, segs in zip(people, segments, strict=True):
        if p is not None and p.has_contact and secret:
            seed = new_seed()
            issued.append(Issued(token_from_seed(secret, seed), p.customer_ref, segs, p, seed))
        else:
            issued.append(Issued(secrets.token_urlsafe(TOKEN_BYTES), p.customer_ref if p else None, segs, p))
    with Session(engine) as s:
        rows = [
            Invitation(
                survey_id=ref.id,
                token_hash=token_hash(it.token),
                customer_ref=it.customer_ref,
                segments_json=json.dumps(it.segments, ensure_ascii=False) if it.segments else None,
                created_at=now,
                expires_at=expires_at,
                stratum=it.invitee.stratum if it.invitee else None,
                wave=wave,
            )
            for it in issued
        ]
        s.add_all(rows)
        s.flush()
        for it, row in zip(issued, rows, strict=True):
            it.invitation_id = row.id
            p = it.invitee
            if p is not None and p.has_contact:
                s.add(InvitationContact(invitation_id=int(row.id or 0), email=p.email, phone=p.phone, name=p.name,
                                        lang=p.lang, seed=it.seed))
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


def mark_opened(engine: Engine, invitation_id: int | None, now: float | None = None) -> None:
    """Record an invitation's first page view (fieldwork's "opened"); later visits keep the first time."""
    if invitation_id is None:
        return
    with engine.begin() as c:
        c.execute(update(Invitation).where(col(Invitation.id) == invitation_id, col(Invitation.opened_at).is_(None))
                  .values(opened_at=time.time() if now is None else now))
