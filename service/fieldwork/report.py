"""Response rates: who was invited, reached, opened, started, finished, screened out or unsubscribed.

Counted per invitation, overall and per wave, channel, stratum and segment, with AAPOR RR1 and RR2
(docs/methods.md section 13.4 says how each AAPOR disposition maps to what we observe), and completes per day.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlmodel import Session, select

from service.quotas.service import QuotaCell, quota_progress, screened_out_count
from service.store.tables import Invitation, InvitationSend
from service.surveys.service import SurveyRef

NONE = "(none)"
#: The channel of an invitation that we never sent (its link was handed out by other means).
LINK = "link"


@dataclass
class Counts:
    """One group's funnel and its AAPOR dispositions. Funnel counts overlap (a complete was also opened);
    the dispositions (I, P, R, NC, O, U, NE) partition the invitations."""

    invited: int = 0
    delivered: int = 0
    opened: int = 0
    partial: int = 0
    complete: int = 0
    screened_out: int = 0
    unsubscribed: int = 0
    aapor: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("I", "P", "R", "NC", "O", "U", "NE"), 0))
    rr1: float | None = None
    rr2: float | None = None

    def finish(self) -> Counts:
        a = self.aapor
        denominator = a["I"] + a["P"] + a["R"] + a["NC"] + a["O"] + a["U"]
        self.rr1 = a["I"] / denominator if denominator else None
        self.rr2 = (a["I"] + a["P"]) / denominator if denominator else None
        return self


@dataclass
class Day:
    date: str
    completes: int
    invited_completes: int


@dataclass
class Fieldwork:
    survey: str
    overall: Counts
    by_wave: dict[str, Counts]
    by_channel: dict[str, Counts]
    by_stratum: dict[str, Counts]
    by_segment: dict[str, dict[str, Counts]]
    completes_per_day: list[Day]
    anonymous_completes: int
    sends: dict[str, dict[str, int]]
    stuck_sends: int
    #: Progress of the definition's quotas per cell in the current wave (`service.quotas.service.quota_progress`).
    quota_progress: list[QuotaCell] = field(default_factory=list)
    #: Every respondent screened out in the current wave, invited or anonymous.
    screened_out_total: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Case:
    """One invitation's observed states."""

    wave: str
    channel: str
    stratum: str
    segments: dict[str, str]
    delivered: bool
    opened: bool
    partial: bool
    complete: bool
    screened_out: bool
    unsubscribed: bool

    @property
    def disposition(self) -> str:
        if self.complete:
            return "I"
        if self.screened_out:
            return "NE"
        if self.partial:
            return "P"
        if self.unsubscribed or self.opened:
            return "R"
        return "U"


def screened_out_ids(engine: Engine, ref: SurveyRef) -> set[int]:
    """Invitations whose respondent was screened out (quota full): the screen-out was recorded under the
    invitation's token hash (API) or under the web draft that invitation opened (``web:<draft id>``)."""
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT i.id FROM invitation i WHERE i.survey_id = :s AND ("
            " EXISTS (SELECT 1 FROM screen_out so WHERE so.survey_id = :s AND so.key = i.token_hash)"
            " OR EXISTS (SELECT 1 FROM draft d JOIN screen_out so ON so.key = 'web:' || d.id"
            "            WHERE d.token_hash = i.token_hash AND so.survey_id = :s))"), {"s": ref.id}).all()
    return {int(r[0]) for r in rows}


def _add(c: Counts, k: _Case) -> None:
    c.invited += 1
    c.delivered += k.delivered
    c.opened += k.opened
    c.partial += k.partial and not k.complete
    c.complete += k.complete
    c.screened_out += k.screened_out and not k.complete
    c.unsubscribed += k.unsubscribed
    c.aapor[k.disposition] += 1


def _group(cases: Iterable[_Case], key: Any) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for k in cases:
        _add(out.setdefault(key(k), Counts()), k)
    return {name: out[name].finish() for name in sorted(out)}


def _answered(answers_json: str | None, brands_json: str | None) -> bool:
    """Whether a draft holds at least one answer (a picked brand alone is not one: it may be preselected)."""
    if any(v not in ("", None) for v in json.loads(answers_json or "{}").values()):
        return True
    per_brand = json.loads(brands_json or "{}").get("answers") or {}
    return any(v not in ("", None) for items in per_brand.values() for v in items.values())


def _channel(rows: list[InvitationSend]) -> str:
    for r in rows:
        if r.status == "sent":
            return r.channel
    return rows[0].channel if rows else LINK


def fieldwork(engine: Engine, ref: SurveyRef) -> Fieldwork:
    sid = int(ref.id)
    with Session(engine) as s:
        invs = list(s.exec(select(Invitation).where(Invitation.survey_id == sid).order_by(Invitation.id)))
        send_rows = list(s.exec(select(InvitationSend).where(InvitationSend.survey_id == sid)
                                .order_by(InvitationSend.id)))
    with engine.connect() as c:
        drafts = {h: (a, b, sub) for h, a, b, sub in c.execute(text(
            "SELECT token_hash, answers, brands, submitted_at FROM draft "
            "WHERE survey_id = :s AND token_hash IS NOT NULL"), {"s": sid})}
        submitted = c.execute(text("SELECT submitted_at, token_hash IS NOT NULL FROM response WHERE survey_id = :s"),
                              {"s": sid}).all()
    by_inv: dict[int, list[InvitationSend]] = {}
    for r in send_rows:
        by_inv.setdefault(r.invitation_id, []).append(r)
    screened = screened_out_ids(engine, ref)
    cases = []
    for inv in invs:
        rows = by_inv.get(int(inv.id or 0), [])
        d = drafts.get(inv.token_hash)
        started = d is not None and _answered(d[0], d[1])
        complete = inv.used_at is not None
        cases.append(_Case(
            wave=inv.wave or NONE, channel=_channel(rows), stratum=inv.stratum or NONE,
            segments=json.loads(inv.segments_json) if inv.segments_json else {},
            delivered=any(r.status == "sent" for r in rows),
            opened=inv.opened_at is not None or d is not None or complete,
            partial=started and not complete and (d is None or d[2] is None),
            complete=complete, screened_out=inv.id in screened, unsubscribed=inv.unsubscribed_at is not None,
        ))
    overall = Counts()
    for k in cases:
        _add(overall, k)
    seg_items = sorted({i for k in cases for i in k.segments})
    tz = ZoneInfo(ref.definition.tz)
    per_day: Counter[str] = Counter()
    per_day_inv: Counter[str] = Counter()
    for t, invited in submitted:
        day = datetime.fromtimestamp(float(t), tz).date().isoformat()
        per_day[day] += 1
        per_day_inv[day] += bool(invited)
    sends: dict[str, dict[str, int]] = {}
    for r in send_rows:
        bucket = sends.setdefault(f"{r.channel}/{r.kind}", {})
        bucket[r.status] = bucket.get(r.status, 0) + 1
    return Fieldwork(
        survey=ref.slug, overall=overall.finish(),
        by_wave=_group(cases, lambda k: k.wave), by_channel=_group(cases, lambda k: k.channel),
        by_stratum=_group(cases, lambda k: k.stratum),
        by_segment={i: _group(cases, lambda k, i=i: k.segments.get(i, NONE)) for i in seg_items},
        completes_per_day=[Day(d, per_day[d], per_day_inv[d]) for d in sorted(per_day)],
        anonymous_completes=sum(1 for _, invited in submitted if not invited),
        sends=sends, stuck_sends=sum(1 for r in send_rows if r.status == "sending"),
        quota_progress=quota_progress(engine, ref), screened_out_total=screened_out_count(engine, ref),
    )
