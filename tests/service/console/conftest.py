"""Console fixtures: users of each role on the real app and store, and a browser-like sign-in helper."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.accounts import passwords
from service.accounts.service import create_user
from service.app import create_app
from service.settings import Settings
from service.store.tables import StaffUser

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny parameters (real hashes, same code path): the default costs ~0.5 s per hash here,
    and these tests sign in hundreds of times. The CLI and browser tests run the real parameters."""
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords._dummy.cache_clear()


@pytest.fixture
def users(engine: Engine) -> dict[str, StaffUser]:
    """One active user per role: admin@x.org, analyst@x.org, viewer@x.org (password ``PASSWORD``)."""
    return {role: create_user(engine, "test", f"{role}@x.org", PASSWORD, role, role.title(), "en")
            for role in ("admin", "analyst", "viewer")}


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "the page has no CSRF field"
    return m.group(1)


def sign_in(c: TestClient, email: str, password: str = PASSWORD, next_url: str | None = None) -> Any:
    """What a browser does: open the login page (gets the form cookie and token), post the form."""
    page = c.get("/staff/login", params={"next": next_url} if next_url else None)
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "email": email, "password": password, "lang": "en"}
    if next_url:
        data["next"] = next_url
    return c.post("/staff/login", data=data, follow_redirects=False)


def token(c: TestClient) -> str:
    """The signed-in session's CSRF token, as the account page carries it."""
    r = c.get("/staff/account")
    assert r.status_code == 200, r.status_code
    return csrf_of(r.text)


@pytest.fixture
def make_client(engine: Engine, store_url: str) -> Iterator[Callable[..., TestClient]]:
    """A client of an app with settings changed (throttle limits, timeouts); several share the store."""
    made: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        c = TestClient(create_app(Settings(database_url=store_url, environment="test", **overrides), engine))
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
