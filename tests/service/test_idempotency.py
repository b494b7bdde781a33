"""A retry with the same Idempotency-Key gets the original response even when the request would now be refused:
its invitation token was used (by the original), the survey was closed, or a new version rejects the answers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.invitations.service import create_invitations
from service.surveys.service import load_ref
from survey_defs import template_path
from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses"
BATCH = "/api/v1/surveys/utility_csi/responses/batch"


def total(client: TestClient, admin: dict[str, str]) -> int:
    return int(client.get("/api/v1/surveys/utility_csi/counts", headers=admin).json()["total"])


def test_retry_with_token_replays(client: TestClient, engine: Engine, utility: str, admin: dict[str, str]) -> None:
    (inv,), _ = create_invitations(engine, load_ref(engine, utility), 1)
    body = good_submission(token=inv.token)
    h = {"Idempotency-Key": "tok-1"}
    first = client.post(URL, json=body, headers=h)
    assert first.status_code == 201, first.text
    retry = client.post(URL, json=body, headers=h)
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first.json()["id"] and retry.headers["Idempotency-Replayed"] == "true"
    # Without the key, a second use of the token is still refused, and the same key with another body too.
    assert client.post(URL, json=body).status_code == 409
    other = client.post(URL, json=good_submission(token=inv.token, wave="2025H2"), headers=h)
    assert other.status_code == 422 and "different request body" in other.json()["detail"][0]["msg"]
    assert total(client, admin) == 1


def test_retry_after_close_replays(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    h = {"Idempotency-Key": "close-1"}
    first = client.post(URL, json=good_submission(), headers=h)
    assert first.status_code == 201
    assert client.post("/api/v1/surveys/utility_csi/close", headers=admin).status_code == 200
    retry = client.post(URL, json=good_submission(), headers=h)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    # A new key on the closed survey is refused and stores nothing.
    assert client.post(URL, json=good_submission(), headers={"Idempotency-Key": "close-2"}).status_code == 410
    assert total(client, admin) == 1


def test_retry_after_new_version_replays(client: TestClient, engine: Engine, utility: str,
                                         admin: dict[str, str]) -> None:
    h = {"Idempotency-Key": "ver-1"}
    first = client.post(URL, json=good_submission(), headers=h)
    assert first.status_code == 201 and first.json()["version"] == 1
    # Version 2 no longer has the comment item, so the same body would now be a 422.
    text = template_path("utility_csi").read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
    start = text.index("      - id: q_comment")
    end = text.index("\n\n", start)
    r = client.post("/api/v1/surveys", content=(text[:start] + text[end + 1:]).encode(),
                    headers={**admin, "Content-Type": "application/yaml"})
    assert r.status_code == 201 and r.json()["version"] == 2, r.text
    assert client.post(URL, json=good_submission()).status_code == 422
    retry = client.post(URL, json=good_submission(), headers=h)
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first.json()["id"] and retry.json()["version"] == 1
    assert total(client, admin) == 1


def test_batch_retry_after_close_replays(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    items = [good_submission(idempotency_key=f"b-{i}", channel="paper") for i in range(3)]
    first = client.post(BATCH, json={"responses": items}, headers=admin)
    assert first.status_code == 200 and first.json()["stored"] == 3, first.text
    assert client.post("/api/v1/surveys/utility_csi/close", headers=admin).status_code == 200
    retry = client.post(BATCH, json={"responses": items, "all_or_nothing": True}, headers=admin)
    assert retry.status_code == 200, retry.text
    assert retry.json()["ids"] == first.json()["ids"]
    assert total(client, admin) == 3
