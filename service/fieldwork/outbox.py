"""The outbox: every invitation and reminder is a recorded send, and a crash never sends anyone a mail twice.

A send goes through ``queued`` -> ``sending`` -> ``sent`` | ``bounced`` | ``failed``, each step committed:

1. `queue` inserts the ``queued`` rows of a whole run in one transaction before anything is sent.
2. `run` claims one row at a time (``UPDATE ... SET status='sending' WHERE id=:id AND status='queued'``, committed;
   a second sender running at the same time cannot claim it too), hands the message to SMTP or the SMS webhook,
   and records the outcome.

SMTP has no idempotency key: if the process dies after the server accepted a message but before ``sent`` is
committed, the row stays ``sending`` and we cannot know whether the mail left. We choose **at most once per
send**: a ``sending`` row is reported as stuck and not sent again unless the operator asks (``--retry-stuck``,
at least once: the person may get the mail twice). A ``queued`` row was never handed to a server, so a later run
(`csi send`, or the next `csi remind`) sends it: rerunning after a crash finishes the job without doubles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from service.invitations.links import survey_link, token_from_seed, unsubscribe_link
from service.mail.compose import Kind, Recipient, email_message, sms_text
from service.mail.smtp import SendError, SmtpSender
from service.responses.service import token_hash
from service.store.tables import Invitation, InvitationContact, InvitationSend
from service.surveys.service import SurveyRef

Channel = Literal["email", "sms"]
#: Statuses that count as "we (may have) contacted this person": the interval and the --max of reminders.
LIVE = ("queued", "sending", "sent")


@dataclass
class Transports:
    """Where messages go: an SMTP sender and/or an SMS webhook (None: that channel is not sent)."""

    email: SmtpSender | None = None
    sms: object | None = None  # SmsWebhook (anything with send(phone, text) and close())
    mail_from: str = "survey@localhost"

    @property
    def channels(self) -> set[str]:
        return {c for c, t in (("email", self.email), ("sms", self.sms)) if t is not None}

    def close(self) -> None:
        for t in (self.email, self.sms):
            if t is not None:
                t.close()  # type: ignore[attr-defined]


@dataclass
class RunSummary:
    sent: int = 0
    bounced: int = 0
    failed: int = 0
    stuck: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def line(self) -> str:
        s = f"sent {self.sent}, bounced {self.bounced}, failed {self.failed}"
        if self.stuck:
            s += (f"; {len(self.stuck)} send(s) were interrupted while sending and are not resent (the mail may "
                  f"have gone out): run `csi send SLUG --retry-stuck` to send them again")
        return s


def contact_channels(c: InvitationContact) -> set[str]:
    return {ch for ch, v in (("email", c.email), ("sms", c.phone)) if v}


def queue(engine: Engine, ref: SurveyRef, invitation_ids: list[int], kind: Kind, channels: set[str],
          now: float | None = None) -> int:
    """Queue one send per invitation and channel it has a contact for, in one committed transaction."""
    now = time.time() if now is None else now
    n = 0
    with Session(engine) as s:
        contacts = {c.invitation_id: c for c in s.exec(select(InvitationContact).where(
            col(InvitationContact.invitation_id).in_(invitation_ids)))} if invitation_ids else {}
        for iid in invitation_ids:
            c = contacts.get(iid)
            if c is None or not c.seed:
                continue
            for ch in sorted(contact_channels(c) & channels):
                s.add(InvitationSend(survey_id=int(ref.id), invitation_id=iid, channel=ch, kind=kind,
                                     status="queued", queued_at=now))
                n += 1
        s.commit()
    return n


def _set(engine: Engine, send_id: int, expect: str, **values: object) -> bool:
    with engine.begin() as c:
        r = c.execute(update(InvitationSend).where(col(InvitationSend.id) == send_id,
                                                   col(InvitationSend.status) == expect).values(**values))
    return r.rowcount == 1


def stuck(engine: Engine, ref: SurveyRef) -> list[int]:
    with Session(engine) as s:
        return list(s.exec(select(InvitationSend.id).where(
            InvitationSend.survey_id == ref.id, InvitationSend.status == "sending").order_by(InvitationSend.id)))


def run(engine: Engine, ref: SurveyRef, transports: Transports, *, base_url: str, secret: str,
        retry_stuck: bool = False, after_each: Callable[[InvitationSend], None] | None = None) -> RunSummary:
    """Send every queued row of this survey (oldest first) over the channels configured; see the module doc."""
    out = RunSummary()
    if retry_stuck:
        for sid in stuck(engine, ref):
            _set(engine, sid, "sending", status="queued", reason="retried after an interrupted send")
    d = ref.definition
    while True:
        with Session(engine) as s:
            q = select(InvitationSend).where(InvitationSend.survey_id == ref.id, InvitationSend.status == "queued",
                                             col(InvitationSend.channel).in_(sorted(transports.channels)))
            row = s.exec(q.order_by(InvitationSend.id).limit(1)).first()
            if row is None:
                break
            inv = s.get(Invitation, row.invitation_id)
            contact = s.get(InvitationContact, row.invitation_id)
        assert row.id is not None and inv is not None
        if not _set(engine, row.id, "queued", status="sending", attempted_at=time.time()):
            continue  # another sender claimed it
        status, reason = "sent", None
        try:
            if contact is None or not contact.seed:
                raise SendError("no contact data")
            if inv.unsubscribed_at is not None:
                raise SendError("unsubscribed before this was sent")
            if row.kind == "reminder" and inv.used_at is not None:
                raise SendError("answered before this was sent")
            token = token_from_seed(secret, contact.seed)
            if token_hash(token) != inv.token_hash:
                raise SendError("cannot rebuild the personal link: CSI_SECRET_KEY differs from the one it was "
                                "created with")
            r = Recipient(link=survey_link(base_url, ref.slug, token, contact.lang),
                          unsubscribe_link=unsubscribe_link(base_url, ref.slug, token, contact.lang),
                          email=contact.email, phone=contact.phone, name=contact.name, lang=contact.lang)
            kind: Kind = "reminder" if row.kind == "reminder" else "invite"
            if row.channel == "email":
                assert transports.email is not None
                transports.email.send(email_message(d, r, transports.mail_from, kind))
            else:
                transports.sms.send(r.phone, sms_text(d, r))  # type: ignore[union-attr]
        except SendError as e:
            status, reason = ("bounced" if e.bounced else "failed"), e.reason
        _set(engine, row.id, "sending", status=status, reason=reason, finished_at=time.time())
        if status == "sent":
            out.sent += 1
        elif status == "bounced":
            out.bounced += 1
        else:
            out.failed += 1
        if reason:
            out.reasons.append(f"invitation {row.invitation_id} ({row.channel}): {reason}")
        if after_each is not None:
            after_each(row)
    out.stuck = stuck(engine, ref)
    return out


@dataclass
class ReminderPlan:
    queued: int = 0
    answered: int = 0
    unsubscribed: int = 0
    expired: int = 0
    too_recent: int = 0
    at_max: int = 0
    never_invited: int = 0


def queue_reminders(engine: Engine, ref: SurveyRef, *, after_s: float, max_n: int, channels: set[str],
                    now: float | None = None) -> ReminderPlan:
    """Queue a reminder for each invitee who has neither answered nor unsubscribed, was invited on a channel,
    was last sent (or queued) something on it more than ``after_s`` ago, and has had fewer than ``max_n``
    reminders there. Counted per reason, so the operator sees why others were skipped."""
    now = time.time() if now is None else now
    plan = ReminderPlan()
    with Session(engine) as s:
        invs = {i.id: i for i in s.exec(select(Invitation).where(Invitation.survey_id == ref.id))}
        contacts = list(s.exec(select(InvitationContact).where(
            col(InvitationContact.invitation_id).in_(list(invs))))) if invs else []
        sends: dict[tuple[int, str], list[InvitationSend]] = {}
        for row in s.exec(select(InvitationSend).where(InvitationSend.survey_id == ref.id)):
            sends.setdefault((row.invitation_id, row.channel), []).append(row)
        for c in sorted(contacts, key=lambda c: c.invitation_id):
            inv = invs[c.invitation_id]
            if inv.used_at is not None:
                plan.answered += 1
                continue
            if inv.unsubscribed_at is not None:
                plan.unsubscribed += 1
                continue
            if inv.expires_at is not None and inv.expires_at < now:
                plan.expired += 1
                continue
            for ch in sorted(contact_channels(c) & channels):
                rows = [r for r in sends.get((c.invitation_id, ch), []) if r.status in LIVE]
                if not any(r.kind == "invite" for r in rows):
                    plan.never_invited += 1
                    continue
                if sum(r.kind == "reminder" for r in rows) >= max_n:
                    plan.at_max += 1
                    continue
                last = max(max(r.queued_at, r.attempted_at or 0.0) for r in rows)
                if now - last < after_s:
                    plan.too_recent += 1
                    continue
                s.add(InvitationSend(survey_id=int(ref.id), invitation_id=c.invitation_id, channel=ch,
                                     kind="reminder", status="queued", queued_at=now))
                plan.queued += 1
        s.commit()
    return plan
