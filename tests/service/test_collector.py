"""The collector API on both stores: validation, idempotency, closing, versions."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.surveys.service import publish
from survey_defs import template_path
from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses"


def count(client: TestClient, admin: dict[str, str]) -> int:
    r = client.get("/api/v1/surveys/utility_csi/counts", headers=admin)
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def test_submit_and_read_back(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    r = client.post(URL, json=good_submission())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["survey"] == "utility_csi" and body["version"] == 1 and not body["replayed"]
    exported = client.get("/api/v1/surveys/utility_csi/export?format=json", headers=admin).json()
    (rec,) = exported["responses"]
    assert rec["id"] == body["id"]
    assert rec["answers"]["q_overall"] == 4 and rec["answers"]["q_complained"] == 0
    assert rec["answers"]["q_region"] == "urban"
    assert rec["brands"]["jiangcheng"]["q_outage_notice"] == "NA"
    assert rec["brands"]["hengyuan"]["q_reliability"] == 3
    assert "xinda" not in rec["brands"]
    assert rec["answers"]["q_comment"].startswith("停电通知")
    assert rec["started_at"] == "2026-05-01T08:00:00+00:00" and rec["wave"] == "2026H1"


def test_validation_errors_name_the_item(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    bad = good_submission()
    bad["answers"]["q_overall"] = 7  # out of range
    bad["answers"]["q_bogus"] = 3  # unknown item
    del bad["answers"]["q_region"]  # required, missing
    bad["brands"]["jiangcheng"]["q_price"] = "NA"  # N/A not allowed here
    bad["brands"]["jiangcheng"]["q_voltage"] = "three"  # wrong type
    r = client.post(URL, json=bad)
    assert r.status_code == 422
    msgs = {tuple(d["loc"]): d["msg"] for d in r.json()["detail"]}
    assert "out of range 1..5" in msgs[("body", "answers", "q_overall")]
    assert "unknown item 'q_bogus'" in msgs[("body", "answers", "q_bogus")]
    assert "required" in msgs[("body", "answers", "q_region")]
    assert "not applicable" in msgs[("body", "brands", "jiangcheng", "q_price")]
    assert "expected a number" in msgs[("body", "brands", "jiangcheng", "q_voltage")]
    assert count(client, admin) == 0


def test_unknown_brand_and_wave(client: TestClient, utility: str) -> None:
    r = client.post(URL, json=good_submission(wave="1999", brands={"acme": {"q_price": 3}}))
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert ("body", "wave") in locs and ("body", "brands", "acme") in locs


def test_idempotent_retry(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    h = {"Idempotency-Key": "k-123"}
    a = client.post(URL, json=good_submission(), headers=h)
    b = client.post(URL, json=good_submission(), headers=h)
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["id"] == b.json()["id"] and b.json()["replayed"] is True
    assert b.headers["Idempotency-Replayed"] == "true"
    assert count(client, admin) == 1
    # The same key with a different body is refused, and nothing is stored.
    c = client.post(URL, json=good_submission(wave="2025H2"), headers=h)
    assert c.status_code == 422 and "different request body" in c.json()["detail"][0]["msg"]
    assert count(client, admin) == 1


def test_unknown_and_closed_survey(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    assert client.post("/api/v1/surveys/nope/responses", json=good_submission()).status_code == 404
    assert client.post("/api/v1/surveys/..%2Fetc/responses", json=good_submission()).status_code == 404
    assert client.post("/api/v1/surveys/utility_csi/close", headers=admin).status_code == 200
    r = client.post(URL, json=good_submission())
    assert r.status_code == 410
    assert count(client, admin) == 0
    assert client.post("/api/v1/surveys/utility_csi/open", headers=admin).status_code == 200
    assert client.post(URL, json=good_submission()).status_code == 201


def test_version_change_keeps_old_responses(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str]
) -> None:
    first = client.post(URL, json=good_submission()).json()
    text = template_path("utility_csi").read_text(encoding="utf-8")
    edited = text.replace("version: 1", "version: 2", 1).replace(
        "en: Electricity Supply Customer Satisfaction Survey", "en: Electricity Customer Survey 2026", 1
    )
    assert edited != text
    r = client.post("/api/v1/surveys", content=edited.encode(), headers={**admin, "Content-Type": "application/yaml"})
    assert r.status_code == 201 and r.json() == {"slug": "utility_csi", "version": 2, "status": "open", "created": True}
    # Republishing an unchanged definition is a no-op.
    assert publish(engine, edited, "v2.yaml")[1] is False
    second = client.post(URL, json=good_submission())
    assert second.status_code == 201 and second.json()["version"] == 2
    counts = client.get("/api/v1/surveys/utility_csi/counts", headers=admin).json()
    assert counts["by_version"] == {"1": 1, "2": 1}
    exported = client.get("/api/v1/surveys/utility_csi/export?format=json", headers=admin).json()
    versions = {r["id"]: r["version"] for r in exported["responses"]}
    assert versions[first["id"]] == 1


def test_healthz_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/surveys/{slug}/responses" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_oversized_body_is_refused(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    big = good_submission()
    big["answers"]["q_comment"] = "x" * 2_000_000
    r = client.post(URL, json=big)
    assert r.status_code == 413
    assert count(client, admin) == 0


def test_republish_keeps_staff_require_token_toggle(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str]
) -> None:
    r = client.post("/api/v1/surveys/utility_csi/settings", json={"require_token": True}, headers=admin)
    assert r.status_code == 200
    text = template_path("utility_csi").read_text(encoding="utf-8").replace("version: 1", "version: 3", 1)
    ref, created = publish(engine, text, "v3.yaml")
    assert created and ref.require_token is True  # the definition did not change it, so the toggle stays
    assert publish(engine, text.replace("slug: utility_csi", "slug: utility_csi\nrequire_token: false", 1)
                   .replace("version: 3", "version: 4", 1), "v4.yaml")[0].require_token is True
