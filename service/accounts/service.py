"""The rules of staff accounts: who may be created, signing in (throttled), passwords, roles, disabling.

Every change is written to the audit log here, next to the change, so no caller (page, CLI) can forget it.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from service import audit
from service.accounts import passwords, throttle
from service.accounts import repository as repo
from service.accounts.schemas import (
    EMAIL_MAX,
    check_lang,
    check_password,
    check_role,
    clean_email,
    clean_name,
    normalize_email,
)
from service.errors import AppError, Conflict, Invalid, NotFound
from service.settings import Settings
from service.store.ids import storable_id
from service.store.tables import StaffUser


class LoginRefused(AppError):
    """One message for every refusal (unknown email, wrong password, disabled, locked): it reveals nothing."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__("email or password wrong, or too many attempts; try again later")


class SetupClosed(NotFound):
    pass


def create_user(engine: Engine, actor: audit.Actor | str | None, email: str | None, password: str | None,
                role: str | None, name: str | None = None, lang: str = "zh", ip: str | None = None,
                via: str = "console") -> StaffUser:
    """A new user; 409 if the email (case-insensitively) is taken, 422 naming the field for bad input."""
    clean = clean_email(email)
    user_role = check_role(role)
    pw = check_password(password, clean)
    display = clean_name(name) or clean.split("@")[0]
    if repo.user_by_email(engine, clean) is not None:
        raise Conflict(f"a user with the email {clean} exists", loc=["form", "email"])
    row = StaffUser(email=clean, name=display, password_hash=passwords.hash_password(pw), role=user_role,
                    lang=check_lang(lang), created_at=time.time())
    try:
        row = repo.insert_user(engine, row)
    except IntegrityError:
        raise Conflict(f"a user with the email {clean} exists", loc=["form", "email"]) from None
    audit.record(engine, actor if actor is not None else row, "user.created", clean,
                 {"role": user_role, "name": display, "via": via}, ip)
    return row


def create_first_admin(engine: Engine, email: str | None, password: str | None, name: str | None, lang: str,
                       ip: str | None) -> StaffUser:
    """The one-time setup: only while no user exists (afterwards the setup page is a 404)."""
    if repo.count_users(engine) > 0:
        raise SetupClosed("setup is done")
    return create_user(engine, None, email, password, "admin", name, lang, ip, via="setup")


def setup_open(engine: Engine) -> bool:
    return repo.count_users(engine) == 0


def login(engine: Engine, settings: Settings, email: str | None, password: str | None, ip: str) -> StaffUser:
    """The user these credentials name; else ``LoginRefused`` (after recording the failure)."""
    typed = normalize_email(email or "")[:EMAIL_MAX]
    now = time.time()
    if throttle.locked_until(engine, settings, typed, ip, now) is not None:
        audit.record(engine, typed or "-", "login.locked", typed, None, ip)
        raise LoginRefused()
    user = repo.user_by_email(engine, typed) if typed else None
    ok = passwords.verify(user.password_hash if user else None, (password or "")[:1024])
    if not ok or user is None or user.disabled_at is not None:
        throttle.fail(engine, settings, typed, ip, now)
        audit.record(engine, user if user is not None else (typed or "-"), "login.failed", typed,
                     None if user is None else {"disabled": True} if user.disabled_at else None, ip)
        raise LoginRefused()
    throttle.succeed(engine, typed)
    if passwords.needs_rehash(user.password_hash):
        repo.update_user(engine, user.id or 0, password_hash=passwords.hash_password(password or ""))
    audit.record(engine, user, "login", user.email, None, ip)
    return user


def _user(engine: Engine, user_id: int) -> StaffUser:
    row = repo.user_by_id(engine, user_id) if storable_id(user_id) else None
    if row is None:
        raise NotFound(f"unknown user {user_id}", loc=["path", "user_id"])
    return row


def change_password(engine: Engine, user: StaffUser, current: str | None, new: str | None, again: str | None,
                    keep_session: str | None, ip: str | None) -> int:
    """Sets a new password after checking the current one; ends every other session. Returns how many."""
    if not passwords.verify(user.password_hash, (current or "")[:1024]):
        raise Invalid([(["form", "current"], "the current password is wrong")])
    pw = check_password(new, user.email, "new")
    if pw != (again or ""):
        raise Invalid([(["form", "again"], "the two new passwords differ")])
    assert user.id is not None
    repo.update_user(engine, user.id, password_hash=passwords.hash_password(pw))
    ended = repo.delete_user_sessions(engine, user.id, keep=keep_session)
    audit.record(engine, user, "user.password_changed", user.email, {"sessions_ended": ended}, ip)
    return ended


def set_lang(engine: Engine, user: StaffUser, lang: str | None, ip: str | None) -> str:
    chosen = check_lang(lang)
    if chosen != user.lang:
        repo.update_user(engine, user.id or 0, lang=chosen)
        audit.record(engine, user, "user.lang_changed", user.email, {"lang": chosen}, ip)
    return chosen


def set_role(engine: Engine, actor: StaffUser, user_id: int, role: str | None, ip: str | None) -> StaffUser:
    target = _user(engine, user_id)
    new = check_role(role)
    if new == target.role:
        return target
    if target.role == "admin" and target.disabled_at is None and repo.active_admins(engine) <= 1:
        raise Conflict("the last active admin cannot lose the admin role", loc=["form", "role"])
    repo.update_user(engine, user_id, role=new)
    audit.record(engine, actor, "user.role_changed", target.email, {"from": target.role, "to": new}, ip)
    return _user(engine, user_id)


def set_disabled(engine: Engine, actor: StaffUser, user_id: int, disabled: bool, ip: str | None) -> StaffUser:
    """Disabling ends the user's sessions at once; an admin cannot disable themself (nor the last admin)."""
    target = _user(engine, user_id)
    if disabled == (target.disabled_at is not None):
        return target
    if disabled:
        if target.id == actor.id:
            raise Conflict("you cannot disable your own account", loc=["path", "user_id"])
        if target.role == "admin" and repo.active_admins(engine) <= 1:
            raise Conflict("the last active admin cannot be disabled", loc=["path", "user_id"])
        repo.update_user(engine, user_id, disabled_at=time.time())
        repo.delete_user_sessions(engine, user_id)
    else:
        repo.update_user(engine, user_id, disabled_at=None)
    audit.record(engine, actor, "user.disabled" if disabled else "user.enabled", target.email, None, ip)
    return _user(engine, user_id)


def list_users(engine: Engine) -> list[StaffUser]:
    return repo.list_users(engine)
