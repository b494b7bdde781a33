"""Writing and reading the audit log.

Why a table and not the log file: admins read it in the console (filtered, paged), and it must survive log
rotation. Rows are only ever added. ``details`` is JSON; every text in it is shown autoescaped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from service.store.tables import AuditLog

#: Longest stored actor/target text (the column sizes); longer values are cut, never refused: an audit write
#: must not fail the action it records.
ACTOR_MAX = 254
TARGET_MAX = 255
DETAILS_MAX = 4000


class Actor(Protocol):
    """Whoever acted: a staff user (anything with ``id`` and ``email``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def email(self) -> str: ...


def _printable(value: str, limit: int) -> str:
    """Control characters shown as ``\\uXXXX`` (a typed email at a failed login is attacker-chosen)."""
    out = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value)
    return out[:limit]


def record(engine: Engine, actor: Actor | str | None, action: str, target: str = "",
           details: dict[str, Any] | None = None, ip: str | None = None) -> None:
    """Add one row. ``actor`` is a staff user, or a text such as ``"cli"`` or ``"key:csi_AbC123"``."""
    if actor is None:
        actor_id, name = None, "-"
    elif isinstance(actor, str):
        actor_id, name = None, actor
    else:
        actor_id, name = actor.id, actor.email
    text = json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)[:DETAILS_MAX] if details else None
    row = AuditLog(at=time.time(), actor_id=actor_id, actor=_printable(name, ACTOR_MAX), action=action[:64],
                   target=_printable(target, TARGET_MAX), details=text, ip=(ip or None) and ip[:64])
    with Session(engine) as s:
        s.add(row)
        s.commit()


@dataclass(frozen=True)
class Page:
    rows: list[AuditLog]
    total: int


def find(engine: Engine, *, actor: str | None = None, action: str | None = None, offset: int = 0,
         limit: int = 50) -> Page:
    """Newest first, optionally only one actor's (by email or name as recorded) or one action's rows."""
    conds = []
    if actor:
        conds.append(AuditLog.actor == actor)
    if action:
        conds.append(AuditLog.action == action)
    with Session(engine) as s:
        total = s.exec(select(func.count()).select_from(AuditLog).where(*conds)).one()
        rows = s.exec(select(AuditLog).where(*conds).order_by(AuditLog.id.desc())  # type: ignore[union-attr]
                      .offset(offset).limit(limit)).all()
    return Page(list(rows), int(total))


def actions(engine: Engine) -> list[str]:
    """The distinct actions recorded so far, for the filter."""
    with Session(engine) as s:
        return sorted(s.exec(select(AuditLog.action).distinct()).all())


def actors(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(s.exec(select(AuditLog.actor).distinct()).all())
