"""The SQL of staff users, sessions and failed sign-ins, in one place (the service module holds the rules)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, select

from service.store.tables import LoginFailure, StaffSession, StaffUser


def count_users(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(StaffUser)).one())


def user_by_email(engine: Engine, email: str) -> StaffUser | None:
    with Session(engine) as s:
        return s.exec(select(StaffUser).where(StaffUser.email == email)).first()


def user_by_id(engine: Engine, user_id: int) -> StaffUser | None:
    with Session(engine) as s:
        return s.get(StaffUser, user_id)


def list_users(engine: Engine) -> list[StaffUser]:
    with Session(engine) as s:
        return list(s.exec(select(StaffUser).order_by(StaffUser.email)).all())


def active_admins(engine: Engine) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(StaffUser).where(StaffUser.role == "admin",
                                                              StaffUser.disabled_at.is_(None))  # type: ignore[union-attr]
        return int(s.exec(q).one())


def insert_user(engine: Engine, user: StaffUser) -> StaffUser:
    with Session(engine) as s:
        s.add(user)
        s.commit()
        s.refresh(user)
        return user


def update_user(engine: Engine, user_id: int, **fields: object) -> None:
    with Session(engine) as s:
        s.exec(update(StaffUser).where(StaffUser.id == user_id).values(**fields))  # type: ignore[call-overload]
        s.commit()


# Sessions


def insert_session(engine: Engine, row: StaffSession) -> None:
    with Session(engine) as s:
        s.add(row)
        s.commit()


def session_with_user(engine: Engine, session_id: str) -> tuple[StaffSession, StaffUser] | None:
    with Session(engine) as s:
        got = s.exec(select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.user_id)
                     .where(StaffSession.id == session_id)).first()
        return (got[0], got[1]) if got else None


def touch_session(engine: Engine, session_id: str, now: float) -> None:
    with Session(engine) as s:
        s.exec(update(StaffSession).where(StaffSession.id == session_id).values(last_seen=now))  # type: ignore[call-overload]
        s.commit()


def delete_session(engine: Engine, session_id: str) -> None:
    with Session(engine) as s:
        s.exec(delete(StaffSession).where(StaffSession.id == session_id))  # type: ignore[call-overload]
        s.commit()


def delete_user_sessions(engine: Engine, user_id: int, keep: str | None = None) -> int:
    with Session(engine) as s:
        q = delete(StaffSession).where(StaffSession.user_id == user_id)
        if keep is not None:
            q = q.where(StaffSession.id != keep)
        n = s.exec(q).rowcount  # type: ignore[call-overload]
        s.commit()
        return int(n or 0)


def delete_stale_sessions(engine: Engine, idle_before: float, created_before: float) -> None:
    with Session(engine) as s:
        s.exec(delete(StaffSession).where((StaffSession.last_seen < idle_before)  # type: ignore[call-overload]
                                          | (StaffSession.created_at < created_before)))
        s.commit()


# Failed sign-ins


def failures_since(engine: Engine, since: float, *, email: str | None = None, ip: str | None = None) -> list[float]:
    """Times of the failures after ``since`` for this email (or this address), oldest first."""
    with Session(engine) as s:
        q = select(LoginFailure.at).where(LoginFailure.at >= since)
        q = q.where(LoginFailure.email == email) if email is not None else q.where(LoginFailure.ip == ip)
        return list(s.exec(q.order_by(LoginFailure.at)).all())  # type: ignore[arg-type]


def add_failure(engine: Engine, email: str, ip: str, at: float, purge_before: float) -> None:
    with Session(engine) as s:
        s.exec(delete(LoginFailure).where(LoginFailure.at < purge_before))  # type: ignore[call-overload]
        s.add(LoginFailure(email=email, ip=ip, at=at))
        s.commit()


def clear_failures(engine: Engine, email: str) -> None:
    with Session(engine) as s:
        s.exec(delete(LoginFailure).where(LoginFailure.email == email))  # type: ignore[call-overload]
        s.commit()
