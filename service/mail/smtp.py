"""Sending over SMTP with the standard library, configured by one URL (``CSI_SMTP_URL``).

``smtp://[user:pass@]host[:port]`` (port 25; STARTTLS when the server offers it, required with
``?starttls=1``), ``smtps://...`` (TLS from the first byte, port 465). Credentials are URL-decoded and used only
when given. ``?timeout=SECONDS`` bounds every network wait (default 30).

A refusal of the recipient or the message with a 5xx code is a bounce (permanent: the address is wrong or the
mailbox refuses); anything else that goes wrong (the server is down, 4xx, the connection drops) is a failure,
which a later run may try again. Bounces that arrive later as delivery-status mails are not read.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


class SendError(Exception):
    """A message did not go out; ``bounced`` when the server refused it permanently (5xx)."""

    def __init__(self, reason: str, *, bounced: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.bounced = bounced


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    require_starttls: bool = False
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpConfig:
    """``CSI_SMTP_URL`` to a config; ValueError naming what is wrong (never echoing the password)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"CSI_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or '(none)'}://")
    if not parts.hostname:
        raise ValueError("CSI_SMTP_URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("CSI_SMTP_URL has a bad port") from None
    q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(q) - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"CSI_SMTP_URL: unknown parameter(s) {', '.join(sorted(unknown))}; use starttls, timeout")
    try:
        timeout = float(q.get("timeout", 30))
    except ValueError:
        raise ValueError("CSI_SMTP_URL: timeout must be a number of seconds") from None
    implicit = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname, port=port or (465 if implicit else 25),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit, require_starttls=q.get("starttls", "0").lower() in ("1", "true", "yes"),
        timeout=timeout,
    )


class SmtpSender:
    """One SMTP connection reused for many messages, reopened after it drops."""

    def __init__(self, cfg: SmtpConfig):
        self.cfg = cfg
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.cfg
        ctx = ssl.create_default_context()
        try:
            if c.implicit_tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=ctx)
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                conn.ehlo()
                if conn.has_extn("starttls"):
                    conn.starttls(context=ctx)
                    conn.ehlo()
                elif c.require_starttls:
                    conn.close()
                    raise SendError(f"{c.host}:{c.port} does not offer STARTTLS (required by ?starttls=1)")
            if c.user:
                conn.login(c.user, c.password or "")
        except smtplib.SMTPAuthenticationError as e:
            raise SendError(f"SMTP login refused: {e.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as e:
            raise SendError(f"cannot reach SMTP server {c.host}:{c.port}: {e}") from None
        return conn

    def send(self, msg: EmailMessage) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            code, text = next(iter(e.recipients.values()))
            raise SendError(f"recipient refused: {code} {_text(text)}", bounced=500 <= code < 600) from None
        except smtplib.SMTPDataError as e:
            raise SendError(f"message refused: {e.smtp_code} {_text(e.smtp_error)}",
                            bounced=500 <= e.smtp_code < 600) from None
        except smtplib.SMTPSenderRefused as e:
            raise SendError(f"sender refused: {e.smtp_code} {_text(e.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as e:
            self.close()
            raise SendError(f"SMTP error: {e}") from None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._conn = None


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)[:200]
