"""Staff API keys: random secrets shown once, stored as SHA-256 hashes, each with one role."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Literal

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.errors import AppError, NotFound
from service.store.ids import storable_id
from service.store.tables import ApiKey

Role = Literal["admin", "analyst"]
ROLES: tuple[Role, ...] = ("admin", "analyst")
# admin can do everything an analyst can.
GRANTS: dict[str, set[str]] = {"admin": {"admin", "analyst"}, "analyst": {"analyst"}}


class Unauthorized(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(engine: Engine, role: str, name: str = "") -> tuple[ApiKey, str]:
    """Returns the row and the secret; the secret is not stored and cannot be shown again."""
    if role not in ROLES:
        raise AppError(f"unknown role {role!r}; roles are {list(ROLES)}", status_code=422, loc=["body", "role"])
    secret = "csi_" + secrets.token_urlsafe(32)
    row = ApiKey(name=name or role, role=role, prefix=secret[:10], key_hash=hash_key(secret), created_at=time.time())
    with Session(engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
    return row, secret


def authenticate(engine: Engine, authorization: str | None, need: str) -> ApiKey:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer API key (Authorization: Bearer csi_...)")
    secret = authorization[7:].strip()
    with Session(engine) as s:
        row = s.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked API key")
    if need not in GRANTS.get(row.role, set()):
        raise Forbidden(f"this API key has role {row.role!r}; this route needs {need!r}")
    return row


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine) as s:
        return list(s.exec(select(ApiKey).order_by(ApiKey.id)).all())  # type: ignore[arg-type]


def revoke_key(engine: Engine, key_id: int) -> ApiKey:
    if not storable_id(key_id):
        raise NotFound(f"unknown API key {key_id}", loc=["path", "key_id"])
    with Session(engine) as s:
        row = s.get(ApiKey, key_id)
        if row is None:
            raise NotFound(f"unknown API key {key_id}", loc=["path", "key_id"])
        row.revoked_at = time.time()
        s.add(row)
        s.commit()
        s.refresh(row)
        return row
