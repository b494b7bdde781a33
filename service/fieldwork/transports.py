"""The senders configured by the environment: SMTP (``CSI_SMTP_URL``) and an SMS webhook (``CSI_SMS_WEBHOOK_URL``)."""

from __future__ import annotations

from service.fieldwork.outbox import Transports
from service.fieldwork.sms import SmsWebhook
from service.mail.smtp import SmtpSender, parse_smtp_url
from service.settings import Settings


def from_settings(settings: Settings) -> Transports:
    """Both channels that are configured; ValueError when CSI_SMTP_URL is malformed."""
    email = SmtpSender(parse_smtp_url(settings.smtp_url)) if settings.smtp_url else None
    sms = SmsWebhook(settings.sms_webhook_url) if settings.sms_webhook_url else None
    return Transports(email=email, sms=sms, mail_from=settings.mail_from)
