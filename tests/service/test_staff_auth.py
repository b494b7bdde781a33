"""Every staff route answers 401 without a key, 401 with a bad one, and 403 with too weak a role."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.api import staff
from service.invitations import endpoints as invitations


def _roles(route: APIRoute) -> set[str]:
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        name = getattr(d.call, "__name__", "")
        if name.startswith("require_"):
            found.add(name.removeprefix("require_"))
        stack.extend(d.dependencies)
    return found


def staff_routes(client: TestClient) -> list[tuple[str, str, set[str]]]:
    spec_paths = client.get("/openapi.json").json()["paths"]
    out = []
    for r in [*staff.router.routes, *invitations.router.routes]:  # invitations and settings are staff too
        if isinstance(r, APIRoute):
            assert r.path in spec_paths  # the app really serves it
            path = re.sub(r"\{key_id\}", "1", re.sub(r"\{slug\}", "utility_csi", r.path))
            for m in r.methods:
                out.append((m, path, _roles(r)))
    return out


def test_every_staff_route_is_guarded(client: TestClient, utility: str, analyst: dict[str, str]) -> None:
    routes = staff_routes(client)
    assert len(routes) >= 12
    for method, path, roles in routes:
        assert roles, f"{method} {path} has no role requirement"
        assert client.request(method, path).status_code == 401, (method, path)
        bad = {"Authorization": "Bearer csi_not-a-real-key"}
        assert client.request(method, path, headers=bad).status_code == 401, (method, path)
        r = client.request(method, path, headers=analyst)
        if "admin" in roles:
            assert r.status_code == 403, (method, path, r.text)
        else:
            assert r.status_code not in (401, 403), (method, path, r.text)


def test_revoked_key_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    made = client.post("/api/v1/keys", json={"role": "analyst", "name": "temp"}, headers=admin).json()
    h = {"Authorization": f"Bearer {made['key']}"}
    assert client.get("/api/v1/surveys", headers=h).status_code == 200
    assert client.delete(f"/api/v1/keys/{made['id']}", headers=admin).status_code == 200
    assert client.get("/api/v1/surveys", headers=h).status_code == 401
    listed = client.get("/api/v1/keys", headers=admin).json()
    assert all("key" not in k for k in listed)  # secrets are never listed


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_key_role_is_validated(client: TestClient, admin: dict[str, str], role: str) -> None:
    assert client.post("/api/v1/keys", json={"role": role}, headers=admin).status_code == 201
    r = client.post("/api/v1/keys", json={"role": "root"}, headers=admin)
    assert r.status_code == 422 and "role" in r.text
