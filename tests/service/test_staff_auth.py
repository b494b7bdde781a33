"""Every staff route answers 401 without a key, 401 with a bad or revoked one, and 403 with too weak a role.

Every path parameter is filled with a real value (an existing survey, an existing key id, each report format), so a
refusal comes from the key check and not from a 404 or a 422 on the path, and a key with the right role is really
let through: the analyst gets 200 from every analyst route.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.api import staff
from service.invitations import endpoints as invitations
from service.staff.keys import create_key, revoke_key

SLUG = "utility_csi"


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


def staff_routes(client: TestClient, values: dict[str, list[str]]) -> list[tuple[str, str, set[str]]]:
    """(method, concrete path, roles) for every staff route, once per value of each path parameter.

    A parameter without a value in ``values`` fails the test, so a new route cannot slip through with a
    placeholder left in its path.
    """
    spec_paths = client.get("/openapi.json").json()["paths"]
    out = []
    for r in [*staff.router.routes, *invitations.router.routes]:  # invitations and settings are staff too
        if not isinstance(r, APIRoute):
            continue
        assert r.path in spec_paths  # the app really serves it
        paths = [r.path]
        for name in re.findall(r"\{(\w+)\}", r.path):
            assert name in values, f"no test value for path parameter {{{name}}} of {r.path}"
            paths = [p.replace(f"{{{name}}}", v) for p in paths for v in values[name]]
        assert not any("{" in p for p in paths), paths
        out += [(m, p, _roles(r)) for p in paths for m in sorted(r.methods)]
    return out


@pytest.fixture
def values(engine: Engine, utility: str) -> dict[str, list[str]]:
    """Real values for the path parameters: the published survey, an existing key, both report formats."""
    victim, _ = create_key(engine, "analyst", "to be revoked by the admin check")
    return {"slug": [utility], "key_id": [str(victim.id)], "fmt": ["pdf", "html"]}


def test_every_staff_route_is_guarded(client: TestClient, values: dict[str, list[str]], analyst: dict[str, str],
                                      admin: dict[str, str]) -> None:
    routes = staff_routes(client, values)
    assert len(routes) >= 16
    assert {p for _, p, _ in routes} >= {f"/api/v1/surveys/{SLUG}/report.pdf", f"/api/v1/surveys/{SLUG}/report.html"}
    bad = {"Authorization": "Bearer csi_not-a-real-key"}
    for method, path, roles in routes:
        assert roles, f"{method} {path} has no role requirement"
        for headers in ({}, bad, {"Authorization": "csi_no-bearer-scheme"}, {"Authorization": "Bearer "}):
            r = client.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text[:300])
        r = client.request(method, path, headers=analyst)
        if "admin" in roles:
            assert r.status_code == 403, (method, path, r.status_code, r.text[:300])
            assert "role 'analyst'" in r.json()["detail"][0]["msg"], r.text
        else:
            # Let through, and the route really ran on real path values (no 404/422 on the path).
            assert r.status_code == 200, (method, path, r.status_code, r.text[:300])
    # The admin passes every check (a body-less POST may still be a 415 or 422 from its body, never a 401/403/404).
    for method, path, _ in routes:
        r = client.request(method, path, headers=admin)
        assert r.status_code in (200, 201, 415, 422), (method, path, r.status_code, r.text[:300])


def test_revoked_key_is_refused_everywhere(client: TestClient, engine: Engine, values: dict[str, list[str]]) -> None:
    row, secret = create_key(engine, "admin", "revoked admin")
    h = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/keys", headers=h).status_code == 200
    revoke_key(engine, row.id)
    for method, path, _ in staff_routes(client, values):
        r = client.request(method, path, headers=h)
        assert r.status_code == 401 and "revoked" in r.text, (method, path, r.status_code, r.text[:300])


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
