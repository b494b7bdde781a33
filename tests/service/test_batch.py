"""The batch endpoint for phone and paper channels: all-or-nothing by default, or store the valid ones."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.service.payloads import good_submission

URL = "/api/v1/surveys/utility_csi/responses/batch"


def total(client: TestClient, admin: dict[str, str]) -> int:
    return int(client.get("/api/v1/surveys/utility_csi/counts", headers=admin).json()["total"])


def test_all_or_nothing_stores_nothing_on_a_bad_item(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    bad = good_submission(channel="paper")
    bad["answers"]["q_overall"] = 9
    items = [good_submission(channel="paper"), bad, good_submission(channel="phone")]
    r = client.post(URL, json={"responses": items}, headers=admin)
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"][:2] == ["responses", 1] and "q_overall" in err["loc"] and "out of range" in err["msg"]
    assert total(client, admin) == 0


def test_partial_stores_the_valid_ones(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    bad = good_submission()
    del bad["answers"]["q_region"]
    items = [good_submission(channel="paper", idempotency_key="p-1"), bad, good_submission(channel="phone")]
    r = client.post(URL, json={"responses": items, "all_or_nothing": False}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] == 2 and body["rejected"] == 1
    assert body["ids"][1] is None and body["ids"][0] and body["ids"][2]
    assert any(e["loc"][:2] == ["responses", 1] and "required" in e["msg"] for e in body["errors"])
    # Re-sending the keyed item replays it instead of storing it twice.
    again = client.post(URL, json={"responses": [items[0]], "all_or_nothing": False}, headers=admin).json()
    assert again["ids"] == [body["ids"][0]]
    counts = client.get("/api/v1/surveys/utility_csi/counts", headers=admin).json()
    assert counts["total"] == 2 and counts["by_channel"] == {"paper": 1, "phone": 1}


def test_batch_needs_admin(client: TestClient, utility: str, analyst: dict[str, str]) -> None:
    assert client.post(URL, json={"responses": []}, headers=analyst).status_code == 403
