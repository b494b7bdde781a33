"""Staff users: the one-time setup page, `csi staff create-user` (a real subprocess, stdin password), the
account page (password, language) and the admin's users and keys pages, on both stores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.accounts import passwords
from service.accounts.service import create_user
from service.errors import Conflict, Invalid
from service.store.tables import StaffUser
from tests.service.console.conftest import PASSWORD, csrf_of, sign_in, token

ROOT = Path(__file__).resolve().parents[3]


def _one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar_one_or_none()


def _setup_form(client: TestClient, **fields: str) -> dict[str, str]:
    page = client.get("/staff/setup", params={"lang": "en"})
    assert page.status_code == 200
    return {"csrf": csrf_of(page.text), "lang": "en", "email": "boss@x.org", "name": "Boss",
            "password": PASSWORD, "password2": PASSWORD, **fields}


def test_setup_creates_the_first_admin_once(client: TestClient, engine: Engine) -> None:
    assert client.get("/staff/login", follow_redirects=False).headers["location"] == "/staff/setup"
    bad = client.post("/staff/setup", data=_setup_form(client, password="short", password2="short"))
    assert bad.status_code == 422 and "Password: at least 10 characters" in bad.text
    differ = client.post("/staff/setup", data=_setup_form(client, password2=PASSWORD + "!"))
    assert differ.status_code == 422 and "Password again: the two passwords differ" in differ.text
    mail = client.post("/staff/setup", data=_setup_form(client, email="not-an-email"))
    assert mail.status_code == 422 and "Email: not an email address" in mail.text
    assert _one(engine, "SELECT count(*) FROM staff_user") == 0

    r = client.post("/staff/setup", data=_setup_form(client, email="Boss@X.org"), follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/staff/")
    assert client.get("/staff/users").status_code == 200  # signed in, as admin
    assert _one(engine, "SELECT role FROM staff_user WHERE email = 'boss@x.org'") == "admin"
    assert client.get("/staff/setup").status_code == 404
    client.cookies.clear()
    assert client.get("/staff/setup").status_code == 404
    again = client.post("/staff/setup", data={"email": "eve@x.org", "password": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 404
    assert _one(engine, "SELECT count(*) FROM staff_user") == 1


def test_hostile_text_is_refused_naming_the_field_and_escaped_when_shown(
        client: TestClient, engine: Engine, users: dict[str, StaffUser]) -> None:
    sign_in(client, "admin@x.org")
    csrf = token(client)
    nul = client.post("/staff/users", data={"csrf": csrf, "email": "n@x.org", "name": "a\x00b", "role": "viewer",
                                            "password": "a fine password"})
    assert nul.status_code == 422 and "Display name: contains the control character U+0000" in nul.text
    r = client.post("/staff/users", data={"csrf": csrf, "email": "h@x.org", "name": "<script>alert(1)</script>",
                                          "role": "viewer", "password": "a fine password"})
    assert r.status_code == 200  # after the redirect
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    role = client.post("/staff/users", data={"csrf": csrf, "email": "r@x.org", "role": "root",
                                             "password": "a fine password"})
    assert role.status_code == 422 and "Role: one of viewer, analyst, admin" in role.text


def test_emails_are_unique_case_insensitively(engine: Engine, users: dict[str, StaffUser]) -> None:
    with pytest.raises(Conflict):
        create_user(engine, "test", "ADMIN@x.org", PASSWORD, "viewer")
    with pytest.raises(Invalid, match="must not be the email"):
        create_user(engine, "test", "ann@x.org", "ANN@x.org ", "viewer")
    with pytest.raises(Invalid, match="must not be the email"):
        create_user(engine, "test", "annabelle.li@x.org", "Annabelle.Li", "viewer")


def _cli(store_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CSI_DATABASE_URL": store_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "service.cli", "staff", "create-user", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_cli_creates_a_user_from_a_piped_password(client: TestClient, engine: Engine, store_url: str) -> None:
    ok = _cli(store_url, "Quality.Lead@Example.org", "--role", "analyst", "--name", "Li Wei",
              stdin="a long passphrase\n")
    assert ok.returncode == 0, ok.stderr
    assert "quality.lead@example.org" in ok.stdout
    with engine.connect() as c:
        role, name, hashed = c.execute(text("SELECT role, name, password_hash FROM staff_user")).one()
    assert (role, name) == ("analyst", "Li Wei") and hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "a long passphrase")
    assert sign_in(client, "quality.lead@example.org", "a long passphrase").status_code == 303
    assert _one(engine, "SELECT actor FROM audit_log WHERE action = 'user.created'") == "cli"

    short = _cli(store_url, "x@example.org", "--role", "viewer", stdin="short\n")
    assert short.returncode == 2 and "password: at least 10 characters" in short.stderr
    dup = _cli(store_url, "QUALITY.lead@example.org", "--role", "viewer", stdin="another passphrase\n")
    assert dup.returncode == 2 and "exists" in dup.stderr
    role_bad = _cli(store_url, "y@example.org", "--role", "boss", stdin="another passphrase\n")
    assert role_bad.returncode == 2 and "role: one of viewer, analyst, admin" in role_bad.stderr
    assert _one(engine, "SELECT count(*) FROM staff_user") == 1


def test_change_password_needs_the_current_one_and_ends_other_sessions(
        client: TestClient, engine: Engine, users: dict[str, StaffUser]) -> None:
    laptop, tablet = client, TestClient(client.app)
    sign_in(tablet, "analyst@x.org")
    sign_in(laptop, "analyst@x.org")
    csrf = token(laptop)
    wrong = laptop.post("/staff/account/password",
                        data={"csrf": csrf, "current": "not it at all", "new": "a new passphrase",
                              "again": "a new passphrase"})
    assert wrong.status_code == 422 and "Current password: the current password is wrong" in wrong.text
    differ = laptop.post("/staff/account/password",
                         data={"csrf": csrf, "current": PASSWORD, "new": "a new passphrase", "again": "other one!!"})
    assert differ.status_code == 422 and "Password again" in differ.text
    r = laptop.post("/staff/account/password", data={"csrf": csrf, "current": PASSWORD, "new": "a new passphrase",
                                                      "again": "a new passphrase"}, follow_redirects=False)
    assert r.headers["location"] == "/staff/account?done=password_changed"
    assert "signed out everywhere else" in laptop.get(r.headers["location"]).text
    assert tablet.get("/staff/", follow_redirects=False).status_code == 303
    laptop.cookies.clear()
    assert sign_in(laptop, "analyst@x.org").status_code == 401
    assert sign_in(laptop, "analyst@x.org", "a new passphrase").status_code == 303


def test_the_language_is_remembered_per_user(client: TestClient, engine: Engine,
                                             users: dict[str, StaffUser]) -> None:
    sign_in(client, "viewer@x.org")
    assert "Sign out" in client.get("/staff/").text
    r = client.post("/staff/account/lang", data={"csrf": token(client), "lang": "zh", "next": "/staff/account"},
                    follow_redirects=False)
    assert r.headers["location"] == "/staff/account"
    assert _one(engine, "SELECT lang FROM staff_user WHERE email = 'viewer@x.org'") == "zh"
    client.cookies.clear()
    sign_in(client, "viewer@x.org")  # a new session, same language
    page = client.get("/staff/")
    assert "退出登录" in page.text and '<html lang="zh-CN">' in page.text
    bad = client.post("/staff/account/lang", data={"csrf": token(client), "lang": "fr"})
    assert bad.status_code == 422 and "语言" in bad.text


def test_admin_changes_roles_and_cannot_remove_the_last_admin(client: TestClient, engine: Engine,
                                                              users: dict[str, StaffUser]) -> None:
    sign_in(client, "admin@x.org")
    csrf = token(client)
    r = client.post(f"/staff/users/{users['viewer'].id}", data={"csrf": csrf, "op": "role", "role": "analyst"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _one(engine, "SELECT role FROM staff_user WHERE email = 'viewer@x.org'") == "analyst"
    last = client.post(f"/staff/users/{users['admin'].id}", data={"csrf": csrf, "op": "role", "role": "viewer"})
    assert last.status_code == 409 and "the last active admin cannot lose the admin role" in last.text
    me = client.post(f"/staff/users/{users['admin'].id}", data={"csrf": csrf, "op": "disable"})
    assert me.status_code == 409 and "you cannot disable your own account" in me.text
    assert client.post("/staff/users/999999", data={"csrf": csrf, "op": "disable"}).status_code == 404
    assert client.post("/staff/users/99999999999999999999", data={"csrf": csrf, "op": "disable"}).status_code \
        in (404, 422)
    op = client.post(f"/staff/users/{users['viewer'].id}", data={"csrf": csrf, "op": "explode"})
    assert op.status_code == 422 and "op: one of role, disable, enable" in op.text


def test_keys_are_shown_once_work_on_the_api_and_can_be_revoked(client: TestClient, engine: Engine,
                                                                users: dict[str, StaffUser]) -> None:
    sign_in(client, "admin@x.org")
    r = client.post("/staff/keys", data={"csrf": token(client), "name": "nightly export", "role": "analyst"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    secret = r.text.split('<code class="key">')[1].split("</code>")[0]
    assert secret.startswith("csi_")
    listing = client.get("/staff/keys").text
    assert "nightly export" in listing and secret not in listing
    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/surveys", headers=api).status_code == 200
    key_id = _one(engine, "SELECT id FROM api_key WHERE name = 'nightly export'")
    done = client.post(f"/staff/keys/{key_id}/revoke", data={"csrf": token(client)}, follow_redirects=False)
    assert done.headers["location"] == "/staff/keys?done=key_revoked"
    assert client.get("/api/v1/surveys", headers=api).status_code == 401
    bad = client.post("/staff/keys", data={"csrf": token(client), "name": "x", "role": "viewer"})
    assert bad.status_code == 422 and "Role: one of admin, analyst" in bad.text
