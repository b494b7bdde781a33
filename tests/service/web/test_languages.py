"""Page language: ``?lang=``, then Accept-Language, then the definition's default; the switch on every page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.surveys.service import publish
from service.web.i18n import UI
from survey_defs import template_path
from tests.service.web.respondent import Respondent, full_answers, heading, lang_links

SLUG = "utility_csi"
OTHER = {"en": "zh", "zh": "en"}


def test_the_definitions_own_default_language(client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
    """A copy of utility_csi whose default is English although Chinese is listed first (and is the fallback)."""
    source = template_path("utility_csi").read_text(encoding="utf-8")
    assert "languages: [zh, en]\ndefault_language: zh\n" in source
    source = source.replace("slug: utility_csi", "slug: utility_en_default").replace(
        "default_language: zh\n", "default_language: en\n")
    ref, _ = publish(engine, source, "utility_en_default.yaml")
    assert ref.definition.languages == ["zh", "en"] and ref.definition.default_language == "en"
    url = "/s/utility_en_default"

    def lang_of(r: object) -> str:
        page = r.text  # type: ignore[attr-defined]
        assert r.status_code == 200 and 'name="draft"' in page  # type: ignore[attr-defined]
        return "en" if "Page 1 of" in page and '<html lang="en">' in page else (
            "zh" if "第 1 / " in page and '<html lang="zh-CN">' in page else "?")

    assert lang_of(client.get(url, headers={"Accept-Language": "fr"})) == "en"
    assert lang_of(client.get(url, headers={"Accept-Language": "fr-FR, de;q=0.8"})) == "en"
    assert lang_of(client.get(url)) == "en"  # no header at all
    assert lang_of(client.get(url, headers={"Accept-Language": ""})) == "en"
    assert lang_of(client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})) == "zh"
    assert lang_of(client.get(f"{url}?lang=zh", headers={"Accept-Language": "en"})) == "zh"  # ?lang= wins
    assert lang_of(client.get(f"{url}?lang=xx", headers={"Accept-Language": "fr"})) == "en"
    # Pages without a form (here: token required) follow the same rule.
    client.post("/api/v1/surveys/utility_en_default/settings", json={"require_token": True}, headers=admin)
    client.app.state.csi.surveys.invalidate()
    r = client.get(url, headers={"Accept-Language": "fr"})
    assert r.status_code == 403 and heading(r.text) == UI["en"]["token_required_title"]


# ----------------------------------------------------------------------------------- the switch on every page
Setup = Callable[[TestClient, Engine, dict[str, str], str], object]


def _completed(client: TestClient, lang: str) -> Respondent:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    p.complete()
    return p


def _invited(client: TestClient, admin: dict[str, str], **body: object) -> str:
    r = client.post(f"/api/v1/surveys/{SLUG}/invitations", json={"count": 1, **body}, headers=admin)
    assert r.status_code == 201, r.text
    return str(r.json()["invitations"][0]["url"])


def _require_token(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post(f"/api/v1/surveys/{SLUG}/settings", json={"require_token": True},
                       headers=admin).status_code == 200
    client.app.state.csi.surveys.invalidate()


def _close(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post(f"/api/v1/surveys/{SLUG}/close", headers=admin).status_code == 200
    client.app.state.csi.surveys.invalidate()


def thanks(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    return p.complete()


def already_on_return(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    _completed(client, lang)
    return client.get(f"/s/{SLUG}?lang={lang}")


def already_after_post(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    for _ in range(12):
        if 'value="submit" class="primary"' in p.html:
            break
        p.post("next", full_answers())
    last = p.form("submit", full_answers())
    p.send(last)
    return client.post(f"/s/{SLUG}", data=last)  # Back, then Submit again


def already_invitation(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    url = _invited(client, admin)
    p = Respondent(client)
    p.open(url)
    p.complete()
    return client.get(f"{url}&lang={lang}")


def unknown_token(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    return client.get(f"/s/{SLUG}?t=no-such-invitation&lang={lang}")


def expired_token(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    url = _invited(client, admin, expires_in_days=1)
    with engine.begin() as c:
        c.execute(text("UPDATE invitation SET expires_at = 1"))
    return client.get(f"{url}&lang={lang}")


def expired_after_post(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    url = _invited(client, admin, expires_in_days=1)
    p = Respondent(client)
    p.open(f"{url}&lang={lang}")
    with engine.begin() as c:
        c.execute(text("UPDATE invitation SET expires_at = 1"))
    return p.post("next", full_answers())


def token_required(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    _require_token(client, admin)
    return client.get(f"/s/{SLUG}?lang={lang}")


def token_required_after_post(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    _require_token(client, admin)
    return p.post("next", full_answers())


def closed(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    _close(client, admin)
    return client.get(f"/s/{SLUG}?lang={lang}")


def closed_after_post(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    _close(client, admin)
    return p.post("next", full_answers())


def resume_unknown(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    return client.get(f"/s/{SLUG}?r={'Q' * 32}&lang={lang}")


def not_found(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    return client.get(f"/s/no_such_survey?lang={lang}")


def not_found_after_post(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    return client.post(f"/s/no_such_survey?lang={lang}", data={"go": "next"})


def csrf_refused(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    return client.post(f"/s/{SLUG}", data=p.form("next", full_answers(), csrf="0" * 64))


def cross_site_refused(client: TestClient, engine: Engine, admin: dict[str, str], lang: str) -> object:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang={lang}")
    return client.post(f"/s/{SLUG}", data=p.form("next", full_answers()), headers={"Origin": "https://evil.example"})


CASES: dict[str, tuple[Setup, str, int]] = {
    "thanks": (thanks, "thanks", 200),
    "already: same browser returns": (already_on_return, "already", 200),
    "already: submitted draft posted again": (already_after_post, "already", 200),
    "already: used invitation": (already_invitation, "already", 200),
    "unknown token": (unknown_token, "unknown_token", 404),
    "expired token": (expired_token, "expired", 410),
    "expired token: posting a page": (expired_after_post, "expired", 410),
    "token required": (token_required, "token_required", 403),
    "token required: posting a page": (token_required_after_post, "token_required", 403),
    "closed": (closed, "closed", 410),
    "closed: posting a page": (closed_after_post, "closed", 410),
    "resume link unknown": (resume_unknown, "resume_unknown", 404),
    "404": (not_found, "not_found", 404),
    "404: posting": (not_found_after_post, "not_found", 404),
    "CSRF": (csrf_refused, "csrf", 403),
    "cross-site POST": (cross_site_refused, "cross_site", 403),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("case", list(CASES))
def test_language_switch_opens_the_same_page(client: TestClient, engine: Engine, utility: str,
                                             admin: dict[str, str], case: str, lang: str) -> None:
    setup, kind, status = CASES[case]
    r = setup(client, engine, admin, lang)
    assert r.status_code == status, r.text[:300]  # type: ignore[attr-defined]
    page = r.text  # type: ignore[attr-defined]
    assert heading(page) == UI[lang][f"{kind}_title"]
    links = lang_links(page)
    assert set(links) == {OTHER[lang]}, links  # the current language is shown, not linked
    with engine.connect() as c:
        drafts_before = c.execute(text("SELECT count(*) FROM draft")).scalar_one()
    other = client.get(links[OTHER[lang]])
    assert other.status_code == status, (links, other.text[:300])
    assert heading(other.text) == UI[OTHER[lang]][f"{kind}_title"]
    assert 'name="draft"' not in other.text
    # ... and back again: the switch on the switched page leads to the first one.
    back = client.get(lang_links(other.text)[lang])
    assert back.status_code == status and heading(back.text) == UI[lang][f"{kind}_title"]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM draft")).scalar_one() == drafts_before  # no new survey opened
