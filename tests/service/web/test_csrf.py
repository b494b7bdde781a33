"""CSRF: cross-site POSTs are refused, and a form's token only works in the browser it was served to."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.service.web.respondent import Respondent, full_answers, heading

SLUG = "utility_csi"


def stored(engine: Engine) -> tuple[list[Any], int]:
    """Every draft as saved (answers, brands, page, last save) and the number of responses."""
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, answers, brands, page, updated_at, submitted_at FROM draft ORDER BY id"))
        n = c.execute(text("SELECT count(*) FROM response")).scalar_one()
    return [tuple(r) for r in rows], int(n)


def at_last_page(client: TestClient) -> Respondent:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    while 'value="submit" class="primary"' not in p.html:
        p.post("next", full_answers())
    return p


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page too
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
])
def test_cross_site_posts_are_refused(client: TestClient, engine: Engine, utility: str,
                                      headers: dict[str, str]) -> None:
    p = at_last_page(client)
    before = stored(engine)
    for go in ("next", "submit", "prev"):
        r = client.post(f"/s/{SLUG}", data=p.form(go, {**full_answers(), "a:q_age": "20-34"}), headers=headers,
                        follow_redirects=False)
        assert r.status_code == 403 and heading(r.text) == "Submissions from other websites are not accepted"
        assert "nothing was saved" in r.text and "Traceback" not in r.text
    assert stored(engine) == before


@pytest.mark.parametrize("headers", [
    {},  # old browsers and scripts send neither header
    {"Origin": "http://testserver"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},  # pages once served with Referrer-Policy: no-referrer
    {"Sec-Fetch-Site": "none"},  # the user's own action (typed, bookmarked)
    {"Origin": "http://other.example", "X-Forwarded-Host": "other.example"},  # behind a proxy
])
def test_same_origin_posts_pass(client: TestClient, engine: Engine, utility: str, headers: dict[str, str]) -> None:
    p = at_last_page(client)
    r = client.post(f"/s/{SLUG}", data=p.form("submit", full_answers()), headers=headers)
    assert r.status_code == 200 and heading(r.text) == "Thank you!"
    assert stored(engine)[1] == 1


def test_the_token_is_bound_to_the_browser_cookie(client: TestClient, engine: Engine, utility: str) -> None:
    victim = at_last_page(client)
    form = victim.form("submit", full_answers())

    def victims() -> tuple[list[Any], int]:
        rows, n = stored(engine)
        return [r for r in rows if r[0] == victim.hidden["draft"]], n

    before = victims()
    # Another browser (no cookie at all) posting the victim's form, token and all: refused.
    stranger = TestClient(client.app)
    r = stranger.post(f"/s/{SLUG}", data=form, follow_redirects=False)
    assert r.status_code == 403 and heading(r.text) == "This form has expired" and "allow cookies" in r.text
    # An attacker's browser, with its own cookie from its own visit: refused as well.
    attacker = TestClient(client.app)
    attacker.get(f"/s/{SLUG}")
    assert attacker.cookies.get("csi_browser") not in (None, client.cookies.get("csi_browser"))
    assert attacker.post(f"/s/{SLUG}", data=form, follow_redirects=False).status_code == 403
    # A token the attacker got for the victim's draft in his own browser does not work in the victim's.
    own = Respondent(attacker)
    own.open(victim.url)
    assert own.hidden["draft"] == victim.hidden["draft"] and own.hidden["csrf"] != victim.hidden["csrf"]
    r = client.post(f"/s/{SLUG}", data={**form, "csrf": own.hidden["csrf"]}, follow_redirects=False)
    assert r.status_code == 403
    assert victims() == before
    # The victim's own browser still submits.
    assert heading(victim.send(form).text) == "Thank you!"
    assert stored(engine)[1] == 1


def test_the_browser_cookie_is_set_without_javascript(client: TestClient, utility: str) -> None:
    r = client.get(f"/s/{SLUG}?lang=en", follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert r.status_code == 303 and cookie.startswith("csi_browser=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/s/" in cookie
    page = client.get(r.headers["location"])
    assert "<script" not in page.text and 'name="csrf"' in page.text
    assert "set-cookie" not in page.headers  # set once, then kept
    assert page.headers["referrer-policy"] == "same-origin"  # no-referrer would make our own POSTs "Origin: null"
    # A browser that lost the cookie gets a new one with the next page, and that page's form works again.
    client.cookies.clear()
    p = Respondent(client)
    p.open(str(page.url))
    assert client.cookies.get("csi_browser") and p.post("next", full_answers()).status_code == 200
