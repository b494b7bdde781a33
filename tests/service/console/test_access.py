"""Console access rules route by route: no session -> 303 to the login page with ``next``; a role below the
route's -> 403; the route's role and above -> neither. A new console route fails the first test until it is
added to ROUTES with its role (or to PUBLIC)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.accounts.schemas import RANK
from service.console.routes import router
from service.staff.keys import create_key
from service.store.tables import StaffUser
from tests.service.console.conftest import sign_in, token

PUBLIC = {("GET", "/"), ("GET", "/static/console.css"), ("GET", "/staff"), ("GET", "/staff/login"),
          ("POST", "/staff/login"), ("GET", "/staff/setup"), ("POST", "/staff/setup")}
#: (method, path) -> the lowest role allowed.
ROUTES = {
    ("GET", "/staff/"): "viewer",
    ("GET", "/staff/account"): "viewer",
    ("POST", "/staff/account/password"): "viewer",
    ("POST", "/staff/account/lang"): "viewer",
    ("POST", "/staff/logout"): "viewer",
    ("GET", "/staff/users"): "admin",
    ("POST", "/staff/users"): "admin",
    ("POST", "/staff/users/{user_id}"): "admin",
    ("GET", "/staff/keys"): "admin",
    ("POST", "/staff/keys"): "admin",
    ("POST", "/staff/keys/{key_id}/revoke"): "admin",
    ("GET", "/staff/audit"): "admin",
}


def _routes() -> set[tuple[str, str]]:
    return {(m, r.path) for r in router.routes if isinstance(r, APIRoute) for m in r.methods}


def _guard(route: APIRoute) -> str | None:
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        name = getattr(d.call, "__name__", "")
        if name.startswith("require_console_"):
            return name.removeprefix("require_console_")
        stack.extend(d.dependencies)
    return None


def test_every_console_route_is_listed_with_its_role() -> None:
    assert _routes() == set(ROUTES) | PUBLIC
    for r in router.routes:
        assert isinstance(r, APIRoute)
        for m in r.methods:
            want = ROUTES.get((m, r.path))
            assert _guard(r) == want, f"{m} {r.path}: guarded by {_guard(r)!r}, expected {want!r}"


def _body(path: str, csrf: str) -> dict[str, Any]:
    """A form the route accepts when the role is enough (so 'not 403' means it really ran)."""
    return {
        "/staff/account/password": {"current": "wrong password!", "new": "x" * 12, "again": "x" * 12},
        "/staff/account/lang": {"lang": "zh", "next": "/staff/"},
        "/staff/users": {"email": "new@x.org", "name": "N", "role": "viewer", "password": "a fine password"},
        "/staff/users/{user_id}": {"op": "role", "role": "analyst"},
        "/staff/keys": {"name": "robot", "role": "analyst"},
    }.get(path, {}) | {"csrf": csrf}


def _call(c: TestClient, method: str, path: str, ids: dict[str, int], csrf: str) -> Any:
    url = path.format(**ids)
    if method == "GET":
        return c.get(url, follow_redirects=False)
    return c.post(url, data=_body(path, csrf), follow_redirects=False)


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES), ids=[f"{m} {p}" for m, p in sorted(ROUTES)])
def test_route_answers_by_role(method: str, path: str, client: TestClient, engine: Engine,
                               users: dict[str, StaffUser]) -> None:
    key, _ = create_key(engine, "analyst", "k")
    extra = users["viewer"]  # the target of /staff/users/{id}: never the signed-in admin
    ids = {"user_id": extra.id or 0, "key_id": key.id or 0}

    anon = _call(client, method, path, ids, "x")
    assert anon.status_code == 303
    assert anon.headers["location"].startswith("/staff/login")
    if method == "GET":
        assert "next=" in anon.headers["location"] or path == "/staff/"

    for role in ("viewer", "analyst", "admin"):
        client.cookies.clear()
        assert sign_in(client, f"{role}@x.org").status_code == 303
        csrf = token(client)
        r = _call(client, method, path, ids, csrf)
        if RANK[role] < RANK[ROUTES[(method, path)]]:
            assert r.status_code == 403, (role, r.status_code)
            assert "Not allowed" in r.text
        else:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text[:300])
            assert not (r.status_code == 303 and r.headers["location"].startswith("/staff/login")) or \
                path == "/staff/logout"


def test_login_redirect_keeps_the_page_and_returns_there(client: TestClient, users: dict[str, StaffUser]) -> None:
    r = client.get("/staff/audit?action=login", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/login?next=%2Fstaff%2Faudit%3Faction%3Dlogin"
    done = sign_in(client, "admin@x.org", next_url="/staff/audit?action=login")
    assert done.headers["location"] == "/staff/audit?action=login"


@pytest.mark.parametrize("evil", ["//evil.example/x", "https://evil.example/", "/s/../staff//x", "/\\evil"])
def test_next_never_leaves_the_console(evil: str, client: TestClient, users: dict[str, StaffUser]) -> None:
    assert sign_in(client, "viewer@x.org", next_url=evil).headers["location"] == "/staff/"


def test_root_redirects_to_the_console(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/staff/")
