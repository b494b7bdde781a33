"""Console sessions: a signed cookie naming a server-side row that can be ended at any time.

- The cookie holds a random secret and its HMAC (``settings.secret_key``). The row's id is the secret's
  SHA-256, so neither a copy of the table nor a cookie forged without the key signs anyone in.
- A session is made only by a successful sign-in (``start``), always with a fresh secret: an id a browser
  presented before signing in is never promoted (session fixation).
- ``resolve`` ends a session unused for ``session_idle_minutes`` or older than ``session_max_hours``, and one
  whose user was disabled; logging out and changing the password delete rows, which ends them everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from service.accounts import repository as repo
from service.settings import Settings
from service.store.tables import StaffSession, StaffUser

COOKIE = "csi_staff"
COOKIE_PATH = "/staff"
#: last_seen is written at most this often per session: the idle clock needs minutes, not every request.
TOUCH_EVERY_S = 15.0


@dataclass(frozen=True)
class Signed:
    """A session as a request sees it: the row, its user and the cookie value that named it."""

    session: StaffSession
    user: StaffUser


def _mac(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), f"staff-session\0{token}".encode(), hashlib.sha256).hexdigest()


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(secret_key: str, token: str) -> str:
    return f"{token}.{_mac(secret_key, token)}"


def token_of(secret_key: str, value: str | None) -> str | None:
    """The session secret a cookie carries if we signed it, else None."""
    token, sep, mac = (value or "").partition(".")
    if not sep or not token or len(value or "") > 200:
        return None
    return token if hmac.compare_digest(_mac(secret_key, token), mac) else None


def start(engine: Engine, settings: Settings, user: StaffUser, ip: str | None, user_agent: str | None) -> str:
    """A new session for ``user``; returns the cookie value (the secret is nowhere else)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = time.time()
    repo.delete_stale_sessions(engine, now - settings.session_idle_minutes * 60,
                               now - settings.session_max_hours * 3600)
    repo.insert_session(engine, StaffSession(
        id=session_id(token), user_id=user.id, csrf=secrets.token_urlsafe(32), created_at=now, last_seen=now,
        ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:255] or None))
    return cookie_value(settings.secret_key, token)


def resolve(engine: Engine, settings: Settings, value: str | None, now: float | None = None) -> Signed | None:
    """The live session this cookie names, or None (unsigned, unknown, idle, too old, or user disabled)."""
    token = token_of(settings.secret_key, value)
    if token is None:
        return None
    sid = session_id(token)
    got = repo.session_with_user(engine, sid)
    if got is None:
        return None
    row, user = got
    now = time.time() if now is None else now
    if (now - row.last_seen > settings.session_idle_minutes * 60
            or now - row.created_at > settings.session_max_hours * 3600 or user.disabled_at is not None):
        repo.delete_session(engine, sid)
        return None
    if now - row.last_seen >= TOUCH_EVERY_S:
        repo.touch_session(engine, sid, now)
    return Signed(row, user)


def end(engine: Engine, sid: str) -> None:
    repo.delete_session(engine, sid)
