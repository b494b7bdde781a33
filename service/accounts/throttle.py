"""Failed sign-ins throttled per email and per client address.

Rule: ``login_max_failures`` failures of one email (``login_max_failures_per_ip`` of one address) within
``login_lock_minutes`` lock it until the oldest of them is that old, i.e. for up to ``login_lock_minutes``.
While locked no password is checked at all, and refused attempts are not counted (so a locked account opens
again on time instead of being kept shut by whoever keeps trying). The counting is by the email as typed, so
an unknown email locks exactly like a known one and the answer never tells which accounts exist.
"""

from __future__ import annotations

from sqlalchemy import Engine

from service.accounts import repository as repo
from service.settings import Settings


def locked_until(engine: Engine, settings: Settings, email: str, ip: str, now: float) -> float | None:
    """When the lock on this email or this address ends, or None if neither is locked."""
    window = settings.login_lock_minutes * 60
    ends = []
    for times, limit in ((repo.failures_since(engine, now - window, email=email), settings.login_max_failures),
                         (repo.failures_since(engine, now - window, ip=ip), settings.login_max_failures_per_ip)):
        if len(times) >= limit:
            ends.append(times[len(times) - limit] + window)
    return max(ends) if ends else None


def fail(engine: Engine, settings: Settings, email: str, ip: str, now: float) -> None:
    repo.add_failure(engine, email[:254], ip[:64], now, purge_before=now - settings.login_lock_minutes * 60)


def succeed(engine: Engine, email: str) -> None:
    repo.clear_failures(engine, email)
