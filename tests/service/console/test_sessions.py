"""Sign-in, sessions and their security properties, on both stores: cookie flags, session fixation, logout and
idle/absolute expiry ending the session server-side, the throttle and its wording, CSRF refusals."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.accounts import sessions
from service.settings import DEFAULT_SECRET
from service.store.tables import StaffUser
from tests.service.console.conftest import PASSWORD, csrf_of, sign_in, token

REFUSAL = "Email or password wrong, or too many attempts; try again later."


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(sql), params)]


def test_sign_in_sets_a_locked_down_cookie_and_a_session_row(client: TestClient, engine: Engine,
                                                             users: dict[str, StaffUser]) -> None:
    r = sign_in(client, "ADMIN@X.org")  # emails are case-insensitive
    assert (r.status_code, r.headers["location"]) == (303, "/staff/")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{sessions.COOKIE}="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/staff" in flags and "secure" not in flags
    (ip, agent, uid), = _rows(engine, "SELECT ip, user_agent, user_id FROM staff_session")
    assert (ip, uid) == ("testclient", users["admin"].id) and agent
    home = client.get("/staff/")
    assert home.status_code == 200 and "Admin" in home.text


def test_the_cookie_is_secure_over_https(engine: Engine, make_client: Callable[..., TestClient],
                                         users: dict[str, StaffUser]) -> None:
    c = make_client()
    c.base_url = c.base_url.copy_with(scheme="https")
    r = sign_in(c, "viewer@x.org")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{sessions.COOKIE}="))
    assert "secure" in cookie.lower()


def test_a_session_id_from_before_sign_in_is_never_promoted(client: TestClient, engine: Engine,
                                                            users: dict[str, StaffUser]) -> None:
    planted = sessions.cookie_value(DEFAULT_SECRET, "attacker-chosen-session-secret")
    client.cookies.set(sessions.COOKIE, planted, path="/staff")
    assert client.get("/staff/", follow_redirects=False).status_code == 303  # it names no session
    r = sign_in(client, "viewer@x.org")
    got = r.cookies.get(sessions.COOKIE)
    assert got and got != planted
    assert _rows(engine, "SELECT id FROM staff_session") == [(sessions.session_id(got.split(".")[0]),)]
    other = TestClient(client.app)
    other.cookies.set(sessions.COOKIE, planted, path="/staff")
    assert other.get("/staff/", follow_redirects=False).status_code == 303


def test_signing_in_again_ends_the_previous_session(client: TestClient, engine: Engine,
                                                    users: dict[str, StaffUser]) -> None:
    """Two tabs with the login form open: signing in from the second replaces the first tab's session."""
    form = client.get("/staff/login")
    form_cookie, form_token = client.cookies["csi_login"], csrf_of(form.text)
    first = sign_in(client, "viewer@x.org").cookies[sessions.COOKIE]
    client.cookies.set("csi_login", form_cookie, path="/staff")
    second = client.post("/staff/login", data={"csrf": form_token, "email": "admin@x.org", "password": PASSWORD},
                         follow_redirects=False).cookies[sessions.COOKIE]
    assert first != second
    assert len(_rows(engine, "SELECT id FROM staff_session")) == 1
    stale = TestClient(client.app)
    stale.cookies.set(sessions.COOKIE, first, path="/staff")
    assert stale.get("/staff/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(client: TestClient, engine: Engine,
                                               users: dict[str, StaffUser]) -> None:
    value = sign_in(client, "analyst@x.org").cookies[sessions.COOKIE]
    r = client.post("/staff/logout", data={"csrf": token(client)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/staff/login")
    assert _rows(engine, "SELECT id FROM staff_session") == []
    replay = TestClient(client.app)
    replay.cookies.set(sessions.COOKIE, value, path="/staff")
    r = replay.get("/staff/account", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/staff/login?next=%2Fstaff%2Faccount")


@pytest.mark.parametrize(("column", "age_s", "alive"), [
    ("last_seen", 29 * 60, True), ("last_seen", 31 * 60, False),
    ("created_at", 11 * 3600, True), ("created_at", 13 * 3600, False)])
def test_idle_and_absolute_timeouts(column: str, age_s: float, alive: bool, client: TestClient, engine: Engine,
                                    users: dict[str, StaffUser]) -> None:
    sign_in(client, "viewer@x.org")
    with engine.begin() as c:
        c.execute(text(f"UPDATE staff_session SET {column} = :t"), {"t": time.time() - age_s})
    r = client.get("/staff/", follow_redirects=False)
    assert r.status_code == (200 if alive else 303)
    assert len(_rows(engine, "SELECT id FROM staff_session")) == (1 if alive else 0)


def test_idle_minutes_is_a_setting(engine: Engine, make_client: Callable[..., TestClient],
                                   users: dict[str, StaffUser]) -> None:
    c = make_client(session_idle_minutes=5)
    sign_in(c, "viewer@x.org")
    with engine.begin() as conn:
        conn.execute(text("UPDATE staff_session SET last_seen = :t"), {"t": time.time() - 6 * 60})
    assert c.get("/staff/", follow_redirects=False).status_code == 303


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(client: TestClient, engine: Engine,
                                                          users: dict[str, StaffUser]) -> None:
    viewer = TestClient(client.app)
    sign_in(viewer, "viewer@x.org")
    sign_in(client, "admin@x.org")
    r = client.post(f"/staff/users/{users['viewer'].id}", data={"csrf": token(client), "op": "disable"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert viewer.get("/staff/", follow_redirects=False).status_code == 303
    again = sign_in(viewer, "viewer@x.org")
    assert again.status_code == 401 and REFUSAL in again.text


def _refusal_text(html: str) -> str:
    start = html.index('class="errors"')
    return html[start:html.index("</p>", start)]


def test_the_throttle_locks_known_and_unknown_emails_alike(client: TestClient, engine: Engine,
                                                           users: dict[str, StaffUser]) -> None:
    answers: dict[str, list[tuple[int, str]]] = {}
    for email in ("analyst@x.org", "nobody@x.org"):
        got = [sign_in(client, email, "wrong password") for _ in range(5)]
        got.append(sign_in(client, email, PASSWORD))  # right password (for the known one), but locked now
        answers[email] = [(r.status_code, _refusal_text(r.text)) for r in got]
    assert answers["analyst@x.org"] == answers["nobody@x.org"]
    assert {a for a in answers["analyst@x.org"]} == {(401, f'class="errors" role="alert">{REFUSAL}')}
    assert sign_in(client, "viewer@x.org").status_code == 303  # another account from the same address is fine
    with engine.begin() as c:  # 16 minutes later
        c.execute(text("UPDATE login_failure SET at = at - 960"))
    client.cookies.clear()
    assert sign_in(client, "analyst@x.org").status_code == 303


def test_the_throttle_counts_per_address(make_client: Callable[..., TestClient],
                                         users: dict[str, StaffUser]) -> None:
    c = make_client(login_max_failures_per_ip=3)
    for email in ("a@x.org", "b@x.org", "c@x.org"):
        assert sign_in(c, email, "wrong password").status_code == 401
    locked = sign_in(c, "admin@x.org")
    assert locked.status_code == 401 and REFUSAL in locked.text


def test_a_successful_sign_in_clears_the_account_failures(client: TestClient,
                                                          users: dict[str, StaffUser]) -> None:
    for _ in range(4):
        sign_in(client, "viewer@x.org", "wrong password")
    assert sign_in(client, "viewer@x.org").status_code == 303
    client.cookies.clear()
    for _ in range(4):
        sign_in(client, "viewer@x.org", "wrong password")
    assert sign_in(client, "viewer@x.org").status_code == 303


def test_forms_without_the_session_token_or_from_another_site_are_refused(
        client: TestClient, engine: Engine, users: dict[str, StaffUser]) -> None:
    sign_in(client, "admin@x.org")
    good = token(client)
    form = {"email": "mallory@x.org", "role": "admin", "password": "a fine password"}
    for data, headers in [(form, {}), ({**form, "csrf": "forged"}, {}),
                          ({**form, "csrf": good}, {"Origin": "https://evil.example"}),
                          ({**form, "csrf": good}, {"Sec-Fetch-Site": "cross-site"})]:
        r = client.post("/staff/users", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403 and "This form has expired" in r.text
    assert _rows(engine, "SELECT id FROM staff_user WHERE email = 'mallory@x.org'") == []
    ok = client.post("/staff/users", data={**form, "csrf": good}, headers={"Origin": "http://testserver"},
                     follow_redirects=False)
    assert ok.status_code == 303


def test_the_token_of_one_session_does_not_fit_another(client: TestClient, users: dict[str, StaffUser]) -> None:
    other = TestClient(client.app)
    sign_in(other, "admin@x.org")
    theirs = token(other)
    sign_in(client, "admin@x.org")
    r = client.post("/staff/keys", data={"csrf": theirs, "name": "k", "role": "admin"}, follow_redirects=False)
    assert r.status_code == 403


def test_the_login_form_is_csrf_protected(client: TestClient, users: dict[str, StaffUser]) -> None:
    page = client.get("/staff/login")
    data = {"csrf": csrf_of(page.text), "email": "admin@x.org", "password": PASSWORD, "lang": "en"}
    assert client.post("/staff/login", data={**data, "csrf": "x"}, follow_redirects=False).status_code == 403
    assert client.post("/staff/login", data=data, headers={"Origin": "https://evil.example"},
                       follow_redirects=False).status_code == 403
    stranger = TestClient(client.app)  # no form cookie: the token was made for another browser
    assert stranger.post("/staff/login", data=data, follow_redirects=False).status_code == 403
    assert client.post("/staff/login", data=data, follow_redirects=False).status_code == 303
