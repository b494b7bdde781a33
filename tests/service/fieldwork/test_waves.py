"""Waves with dates: answers without a wave go to the wave open then; none open is a 409 (API) or a polite
page (web); the calendar changes without a new version (staff API), and every wave id stays known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.surveys.service import load_ref, publish
from service.surveys.waves import default_wave, list_waves
from tests.service.fieldwork.defs import UTILITY, dated, days
from tests.service.payloads import good_submission

SLUG = "utility_csi"
URL = f"/api/v1/surveys/{SLUG}/responses"
WAVES = f"/api/v1/surveys/{SLUG}/waves"


def _now_submission(**over: Any) -> dict[str, Any]:
    body = good_submission(**over)
    for key in ("started_at", "submitted_at", "wave"):
        if key not in over:
            body.pop(key)
    return body


def _wave_of(client: TestClient, admin: dict[str, str], rid: int) -> str:
    recs = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin).json()["responses"]
    return next(r["wave"] for r in recs if r["id"] == rid)


def _ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n)).isoformat()


def test_answers_go_to_the_wave_open_at_submission(client: TestClient, engine: Engine,
                                                   admin: dict[str, str]) -> None:
    publish(engine, dated(), "utility_csi.yaml")
    now = client.post(URL, json=_now_submission())
    assert now.status_code == 201, now.text
    assert _wave_of(client, admin, now.json()["id"]) == "2026H1"
    # a client-side submission time picks the wave open then
    back = client.post(URL, json=_now_submission(submitted_at=_ago(45)))
    assert back.status_code == 201 and _wave_of(client, admin, back.json()["id"]) == "2025H2"
    # staff back-filling may name a wave outside its dates
    named = client.post(URL, json=_now_submission(wave="2025H2"))
    assert named.status_code == 201 and _wave_of(client, admin, named.json()["id"]) == "2025H2"
    # submitted when no wave was open
    gap = client.post(URL, json=_now_submission(submitted_at=_ago(90)))
    assert gap.status_code == 409
    assert gap.json()["detail"][0]["loc"] == ["body", "wave"] and "no wave" in gap.json()["detail"][0]["msg"]


def test_without_dates_the_last_wave_is_used(client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
    publish(engine, UTILITY, "utility_csi.yaml")
    r = client.post(URL, json=_now_submission())
    assert r.status_code == 201 and _wave_of(client, admin, r.json()["id"]) == "2026H1"


def test_closing_every_wave_refuses_api_and_web(client: TestClient, engine: Engine, admin: dict[str, str],
                                                analyst: dict[str, str]) -> None:
    publish(engine, dated(), "utility_csi.yaml")
    assert client.put(f"{WAVES}/2026H1", json={"closes": days(-1)}, headers=analyst).status_code == 403
    r = client.put(f"{WAVES}/2026H1", json={"closes": days(-1)}, headers=admin)
    assert r.status_code == 200 and r.json()["state"] == "closed" and r.json()["closes"] == days(-1)
    listed = client.get(WAVES, headers=analyst).json()
    assert listed["open_now"] is None and [w["state"] for w in listed["waves"]] == ["closed", "closed"]
    api = client.post(URL, json=_now_submission())
    assert api.status_code == 409 and api.json()["detail"][0]["loc"] == ["body", "wave"]
    en = client.get(f"/s/{SLUG}?lang=en")
    assert en.status_code == 409 and "This survey is not open now" in en.text
    zh = client.get(f"/s/{SLUG}?lang=zh")
    assert zh.status_code == 409 and "本问卷目前未开放" in zh.text
    # reopening needs no new version
    assert client.put(f"{WAVES}/2026H1", json={"closes": days(10)}, headers=admin).status_code == 200
    assert client.post(URL, json=_now_submission()).status_code == 201
    assert load_ref(engine, SLUG).version == 1


def test_calendar_changes_are_checked(client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
    publish(engine, dated(), "utility_csi.yaml")
    overlap = client.put(f"{WAVES}/2026H1", json={"opens": days(-40)}, headers=admin)
    assert overlap.status_code == 422 and "overlaps wave '2025H2'" in overlap.json()["detail"][0]["msg"]
    bad = client.put(f"{WAVES}/2026H1", json={"closes": "2026-13-01"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "closes"]
    before = client.put(f"{WAVES}/2026H1", json={"closes": days(-35)}, headers=admin)
    assert before.status_code == 422 and "before it opens" in before.json()["detail"][0]["msg"]
    assert client.put(f"{WAVES}/2099Q1", json={"opens": days(400)}, headers=admin).status_code == 404
    dup = client.put(f"{WAVES}/2026H1", json={"add": True, "label": {"zh": "重", "en": "dup"}}, headers=admin)
    assert dup.status_code == 409
    nolabel = client.put(f"{WAVES}/2026H2", json={"add": True, "label": {"zh": "下半年"}}, headers=admin)
    assert nolabel.status_code == 422 and nolabel.json()["detail"][0]["loc"] == ["body", "label"]


def test_an_added_wave_is_known_everywhere_and_survives_republishing(
        client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
    publish(engine, dated(), "utility_csi.yaml")
    r = client.put(f"{WAVES}/2026H2", json={"add": True, "label": {"zh": "2026年下半年", "en": "2nd half of 2026"},
                                           "opens": days(31), "closes": days(200)}, headers=admin)
    assert r.status_code == 200 and r.json()["state"] == "upcoming" and not r.json()["in_definition"]
    ok = client.post(URL, json=_now_submission(wave="2026H2"))
    assert ok.status_code == 201, ok.text
    assert _wave_of(client, admin, ok.json()["id"]) == "2026H2"
    assert client.post(URL, json=_now_submission(wave="2027H1")).status_code == 422  # still checked
    survey = client.get(f"/api/v1/surveys/{SLUG}", headers=admin).json()
    assert [w["id"] for w in survey["definition"]["waves"]] == ["2025H2", "2026H1", "2026H2"]
    # a changed date survives a new version whose YAML still has the old one; the added wave stays
    assert client.put(f"{WAVES}/2026H1", json={"closes": days(20)}, headers=admin).status_code == 200
    v2 = dated().replace("Satisfaction Survey", "Satisfaction Survey v2", 1)
    ref, created = publish(engine, v2, "utility_csi.yaml")
    assert created and ref.version == 2
    cal = {w.id: w for w in list_waves(engine, SLUG)}
    assert cal["2026H1"].closes == days(20) and cal["2026H1"].in_definition
    assert "2026H2" in cal and not cal["2026H2"].in_definition
    assert default_wave(ref.definition, datetime.now(UTC).timestamp()) == "2026H1"
