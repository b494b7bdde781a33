"""The write path's guards, on SQLite and PostgreSQL: control characters in text fields, ids out of the integer
range, JSON routes fed another media type, a production secret too short to keep.

Each refusal is a 4xx naming its field (never a 5xx), and nothing already stored is lost or changed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.app import create_app
from service.settings import Settings
from tests.service.payloads import good_submission

SLUG = "utility_csi"
SUBMIT = f"/api/v1/surveys/{SLUG}/responses"
NUL, ESC, C1 = "r\x00x", "r\x1bx", "r\x85x"


def rows(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM response")).scalar_one())


def locs(r: Any) -> list[str]:
    return [".".join(map(str, e["loc"])) for e in r.json()["detail"]]


# --------------------------------------------------------------------------------------------- control characters
@pytest.mark.parametrize("bad", [NUL, ESC, C1], ids=["NUL", "ESC", "C1"])
@pytest.mark.parametrize("field", ["respondent", "wave", "token"])
def test_control_characters_in_submission_fields_get_422_naming_the_field(
        client: TestClient, engine: Engine, utility: str, field: str, bad: str) -> None:
    r = client.post(SUBMIT, json=good_submission(**{field: bad}))
    assert r.status_code == 422, (field, r.status_code, r.text)
    assert locs(r) == [f"body.{field}"] and "control character" in r.text, r.text
    assert rows(engine) == 0


def test_control_characters_in_the_idempotency_key_header(client: TestClient, engine: Engine, utility: str) -> None:
    r = client.post(SUBMIT, json=good_submission(), headers={"Idempotency-Key": "k\x1bey"})
    assert r.status_code == 422 and locs(r) == ["header.Idempotency-Key"], r.text
    assert "U+001B" in r.text
    assert rows(engine) == 0
    # Tab is allowed, as in every other text field.
    assert client.post(SUBMIT, json=good_submission(), headers={"Idempotency-Key": "k\tey"}).status_code == 201


def test_control_characters_in_the_batch_endpoint(client: TestClient, engine: Engine, utility: str,
                                                  admin: dict[str, str]) -> None:
    """A bad field in one row of a staff batch: 422 naming the row and field, nothing stored (all-or-nothing)
    and nothing stored from that row when the valid rows are kept."""
    url = f"{SUBMIT}/batch"
    for field in ("respondent", "wave", "idempotency_key", "token"):
        batch = {"responses": [good_submission(channel="phone"), good_submission(channel="phone", **{field: NUL})]}
        r = client.post(url, json=batch, headers=admin)
        assert r.status_code == 422 and locs(r) == [f"body.responses.1.{field}"], (field, r.text)
        r = client.post(url, json={**batch, "all_or_nothing": False}, headers=admin)
        assert r.status_code == 422, (field, r.text)  # a schema error refuses the request before any row
    assert rows(engine) == 0
    r = client.post(url, json={"responses": [good_submission(channel="phone", respondent="tab\tok")]}, headers=admin)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text


def test_control_characters_in_staff_bodies(client: TestClient, engine: Engine, utility: str,
                                            admin: dict[str, str], analyst: dict[str, str]) -> None:
    def n_keys() -> int:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM api_key")).scalar_one())

    before = n_keys()
    r = client.post("/api/v1/keys", json={"role": "analyst", "name": "ops\x00"}, headers=admin)
    assert r.status_code == 422 and locs(r) == ["body.name"], r.text
    assert n_keys() == before
    inv = f"/api/v1/surveys/{SLUG}/invitations"
    r = client.post(inv, json={"invitees": [{"customer_ref": "c\x00"}]}, headers=admin)
    assert r.status_code == 422 and locs(r) == ["body.invitees.0.customer_ref"], r.text
    r = client.post(inv, json={"invitees": [{"segments": {"q_region": "urban\x07"}}]}, headers=admin)
    assert r.status_code == 422 and locs(r)[0].startswith("body.invitees.0.segments"), r.text
    r = client.post("/api/v1/surveys", json={"yaml": "slug: x\x00"}, headers=admin)
    assert r.status_code == 422 and locs(r) == ["body.yaml"], r.text
    r = client.post("/api/v1/surveys", content=b"slug: x\x00", headers={**admin, "content-type": "application/yaml"})
    assert r.status_code == 422 and "U+0000" in r.text, r.text
    r = client.get(f"/api/v1/surveys/{SLUG}/analytics", params={"wave": "2026H1\x00"}, headers=analyst)
    assert r.status_code == 422 and locs(r) == ["query.wave"], r.text


@pytest.mark.timeout(120)
def test_a_nul_respondent_never_reaches_the_writer(client: TestClient, engine: Engine, utility: str) -> None:
    """Requests with a NUL byte sent together with valid ones: the bad ones get 422, every valid one its 201.

    On PostgreSQL a NUL used to reach the group-commit writer, where the driver refused it and failed every
    response of the same commit batch with a 503.
    """
    def send(i: int) -> int:
        body = good_submission(respondent=f"ok-{i}" if i % 2 else f"bad\x00{i}")
        return client.post(SUBMIT, json=body, headers={"Idempotency-Key": f"k{i}"}).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(send, range(96)))
    assert [c for i, c in enumerate(codes) if i % 2] == [201] * 48
    assert [c for i, c in enumerate(codes) if not i % 2] == [422] * 48
    assert rows(engine) == 48


def test_the_documented_pattern_is_the_rule() -> None:
    """The OpenAPI pattern of clean text accepts exactly what `clean_text` accepts."""
    import re

    from service.fields import CLEAN_PATTERN
    from survey_defs.codebook import clean_text

    pattern = re.compile(CLEAN_PATTERN)
    for code in range(0x100):
        ch = f"a{chr(code)}b"
        try:
            clean_text(ch)
            accepted = True
        except ValueError:
            accepted = False
        assert accepted == bool(pattern.match(ch)), hex(code)


# ----------------------------------------------------------------------------------------------------- ids
@pytest.mark.parametrize("key_id", ["2147483648", "9223372036854775808", "-1", "0", "-2147483649", "999999"])
def test_key_ids_out_of_range_are_404(client: TestClient, engine: Engine, admin: dict[str, str], key_id: str) -> None:
    r = client.delete(f"/api/v1/keys/{key_id}", headers=admin)
    assert r.status_code == 404 and locs(r) == ["path.key_id"], (key_id, r.status_code, r.text)
    assert all(not k["revoked"] for k in client.get("/api/v1/keys", headers=admin).json())


# ------------------------------------------------------------------------------------------------ media types
JSON_ROUTES = [SUBMIT, f"{SUBMIT}/batch", "/api/v1/keys", f"/api/v1/surveys/{SLUG}/invitations",
               f"/api/v1/surveys/{SLUG}/settings", "/api/v1/surveys"]


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                   "text/json", "application/jsonx"])
def test_json_routes_refuse_other_media_types_with_415(client: TestClient, engine: Engine, utility: str,
                                                       admin: dict[str, str], ctype: str | None) -> None:
    """What a cross-site form or ``fetch`` without a preflight can send is refused, naming the expected type."""
    import json

    body = json.dumps(good_submission()).encode()
    for path in JSON_ROUTES:
        headers = {**admin, **({"content-type": ctype} if ctype else {})}
        r = client.post(path, content=body, headers=headers)
        assert r.status_code == 415, (path, ctype, r.status_code, r.text)
        assert "application/json" in r.json()["detail"][0]["msg"] and locs(r) == ["header.Content-Type"]
    assert rows(engine) == 0


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "Application/JSON",
                                   "application/merge-patch+json"])
def test_json_media_types_are_accepted(client: TestClient, engine: Engine, utility: str, ctype: str) -> None:
    import json

    r = client.post(SUBMIT, content=json.dumps(good_submission()).encode(), headers={"content-type": ctype})
    assert r.status_code == 201, (ctype, r.text)


# ---------------------------------------------------------------------------------------------------- secret
@pytest.mark.parametrize("secret", ["", "x", "s" * 31, "秘" * 10])
def test_production_refuses_a_short_secret(tmp_path: Any, secret: str) -> None:
    with pytest.raises(RuntimeError, match="CSI_SECRET_KEY must be at least 32 bytes"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", environment="production",
                            secret_key=secret))


def test_production_takes_a_32_byte_secret() -> None:
    Settings(environment="production", secret_key="s" * 32).check_production()
    Settings(environment="production", secret_key="秘" * 11).check_production()  # 33 bytes of UTF-8
    Settings(environment="development", secret_key="x").check_production()  # development keeps any secret
