"""The audit log: each state-changing action leaves one row (who, what, target, when, from where), and admins
read it paged and filtered, with whatever text it holds escaped."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service import audit
from service.store.tables import StaffUser
from tests.service.console.conftest import PASSWORD, sign_in, token


def _log(engine: Engine) -> list[tuple[str, str, str, dict[str, object] | None, str | None]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT actor, action, target, details, ip FROM audit_log ORDER BY id")).all()
    return [(a, act, t, json.loads(d) if d else None, ip) for a, act, t, d, ip in rows]


def test_every_action_is_recorded(client: TestClient, engine: Engine, users: dict[str, StaffUser]) -> None:
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_log"))  # the fixture's own user.created rows
    sign_in(client, "admin@x.org", "wrong password")
    sign_in(client, "ghost@x.org", "wrong password")
    sign_in(client, "admin@x.org")
    csrf = token(client)
    client.post("/staff/users", data={"csrf": csrf, "email": "new@x.org", "name": "New", "role": "viewer",
                                      "password": "a fine password"})
    new_id = users["viewer"].id
    client.post(f"/staff/users/{new_id}", data={"csrf": csrf, "op": "role", "role": "analyst"})
    client.post(f"/staff/users/{new_id}", data={"csrf": csrf, "op": "disable"})
    client.post(f"/staff/users/{new_id}", data={"csrf": csrf, "op": "enable"})
    client.post("/staff/keys", data={"csrf": csrf, "name": "robot", "role": "analyst"})
    with engine.connect() as c:
        key_id = c.execute(text("SELECT id FROM api_key WHERE name = 'robot'")).scalar_one()
    client.post(f"/staff/keys/{key_id}/revoke", data={"csrf": csrf})
    client.post("/staff/account/lang", data={"csrf": csrf, "lang": "zh"})
    client.post("/staff/account/password", data={"csrf": csrf, "current": PASSWORD, "new": "a new passphrase",
                                                 "again": "a new passphrase"})
    client.post("/staff/logout", data={"csrf": csrf})

    got = _log(engine)
    assert [(a, act, t) for a, act, t, _, _ in got] == [
        ("admin@x.org", "login.failed", "admin@x.org"),
        ("ghost@x.org", "login.failed", "ghost@x.org"),
        ("admin@x.org", "login", "admin@x.org"),
        ("admin@x.org", "user.created", "new@x.org"),
        ("admin@x.org", "user.role_changed", "viewer@x.org"),
        ("admin@x.org", "user.disabled", "viewer@x.org"),
        ("admin@x.org", "user.enabled", "viewer@x.org"),
        ("admin@x.org", "key.created", got[7][2]),
        ("admin@x.org", "key.revoked", got[7][2]),
        ("admin@x.org", "user.lang_changed", "admin@x.org"),
        ("admin@x.org", "user.password_changed", "admin@x.org"),
        ("admin@x.org", "logout", "admin@x.org"),
    ]
    assert got[7][2].startswith("csi_") and got[7][2].endswith("(robot)")
    assert {ip for *_, ip in got} == {"testclient"}
    assert got[4][3] == {"from": "viewer", "to": "analyst"}
    assert got[3][3] == {"name": "New", "role": "viewer", "via": "console"}


def test_api_key_changes_through_the_api_are_recorded(client: TestClient, engine: Engine,
                                                      admin: dict[str, str]) -> None:
    r = client.post("/api/v1/keys", json={"role": "analyst", "name": "ci"}, headers=admin)
    client.delete(f"/api/v1/keys/{r.json()['id']}", headers=admin)
    acts = [(a, act) for a, act, *_ in _log(engine)]
    assert [act for _, act in acts] == ["key.created", "key.revoked"]
    assert all(a.startswith("key:csi_") for a, _ in acts)


def test_admins_read_the_log_paged_and_filtered(client: TestClient, engine: Engine,
                                                users: dict[str, StaffUser]) -> None:
    for i in range(120):
        audit.record(engine, "robot@x.org", "report.requested", f"utility_csi #{i}", {"n": i}, "10.0.0.1")
    audit.record(engine, "<script>alert(1)</script>", "login.failed", "<b>x</b>", None, "10.0.0.2")
    sign_in(client, "admin@x.org")
    page1 = client.get("/staff/audit")
    assert "125 entries" in page1.text  # + 3 user.created + 1 login
    assert "Page 1 of 3" in page1.text and page1.text.count("<tr>") == 51  # header + 50 rows
    assert "<script>alert(1)" not in page1.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page1.text
    page3 = client.get("/staff/audit", params={"page_no": 3})
    assert page3.text.count("<tr>") == 26 and "Page 3 of 3" in page3.text
    only = client.get("/staff/audit", params={"action": "report.requested", "page_no": 3})
    assert "120 entries" in only.text and only.text.count("<tr>") == 21
    assert "utility_csi #0<" in only.text and "user.created</code>" not in only.text
    mine = client.get("/staff/audit", params={"user": "ADMIN@x.org"})
    assert "1 entries" in mine.text and "<code>login</code>" in mine.text
    assert client.get("/staff/audit", params={"page_no": "x"}).status_code == 422


def test_audit_record_never_fails_on_odd_input(engine: Engine) -> None:
    audit.record(engine, "a\x00b" * 200, "x" * 100, "t\x1b" * 300, {"when": time}, None)
    (actor, action, target, details, _), = _log(engine)
    assert "\x00" not in actor and len(actor) <= 254 and actor.startswith("a\\u0000b")
    assert len(action) == 64 and len(target) <= 255 and "\x1b" not in target
    assert details is not None and "module" in str(details["when"])
