"""Quotas (a full cell turns new respondents away, API and web, and counts them) and the brand block in the
definition's words (question, badge, our own brand required)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.quotas.service import QuotaCell, quota_progress, screened_out_count
from service.surveys.service import load_ref, publish
from tests.service.fieldwork.defs import BRAND_OPTIONS, QUOTAS, dated
from tests.service.payloads import good_submission
from tests.service.web.respondent import Respondent

SLUG = "utility_csi"
URL = f"/api/v1/surveys/{SLUG}/responses"
PAGE1 = {"a:q_customer_type": "residential", "a:q_usage": "lt100"}


def _sub(region: str, **over: Any) -> dict[str, Any]:
    body = good_submission(**over)
    for key in ("started_at", "submitted_at", "wave"):
        if key not in over:
            body.pop(key)
    body["answers"]["q_region"] = region
    return body


def test_a_full_cell_refuses_new_api_respondents_and_counts_them(
        client: TestClient, engine: Engine, analyst: dict[str, str]) -> None:
    publish(engine, dated(QUOTAS), "utility_csi.yaml")
    first = client.post(URL, json=_sub("urban"), headers={"Idempotency-Key": "k-first"})
    assert first.status_code == 201, first.text
    full = client.post(URL, json=_sub("urban"), headers={"Idempotency-Key": "k-second"})
    assert full.status_code == 409
    detail = full.json()["detail"][0]
    assert detail["loc"] == ["body", "answers", "q_region"] and "q_region = urban is full" in detail["msg"]
    # a retry of the stored response is still its original, not a refusal; a retry of the refusal counts once
    again = client.post(URL, json=_sub("urban"), headers={"Idempotency-Key": "k-first"})
    assert again.status_code in (200, 201) and again.json()["id"] == first.json()["id"]
    assert client.post(URL, json=_sub("urban"), headers={"Idempotency-Key": "k-second"}).status_code == 409
    assert client.post(URL, json=_sub("城区")).status_code == 409  # a label is the same option (the codebook)
    assert client.post(URL, json=_sub("rural")).status_code == 201
    ref = load_ref(engine, SLUG)
    cells = {(c.item, c.option): c for c in quota_progress(engine, ref)}
    assert cells[("q_region", "urban")] == QuotaCell("q_region", "urban", 1, 1, 0, 2)
    assert cells[("q_region", "rural")] == QuotaCell("q_region", "rural", 5, 1, 4, 0)
    assert screened_out_count(engine, ref) == 2 and screened_out_count(engine, ref, "2025H2") == 0
    counts = client.get(f"/api/v1/surveys/{SLUG}/counts", headers=analyst).json()
    assert counts["quotas"]["wave"] == "2026H1"
    assert {c["option"]: (c["completes"], c["full"]) for c in counts["quotas"]["cells"]} == {
        "urban": (1, True), "rural": (1, False)}


def test_quotas_count_per_wave(client: TestClient, engine: Engine) -> None:
    publish(engine, dated(QUOTAS), "utility_csi.yaml")
    assert client.post(URL, json=_sub("urban", wave="2025H2")).status_code == 201  # back-filled, other wave
    assert client.post(URL, json=_sub("urban")).status_code == 201
    assert client.post(URL, json=_sub("urban")).status_code == 409


def test_the_web_turns_a_respondent_away_at_the_segment_question(client: TestClient, engine: Engine) -> None:
    publish(engine, dated(QUOTAS), "utility_csi.yaml")
    assert client.post(URL, json=_sub("urban")).status_code == 201
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    r = p.post("next", {**PAGE1, "a:q_region": "urban"})
    assert r.status_code == 200 and "/notice/quota_full" in str(r.url)
    assert "Thank you for your time!" in r.text and "no need to continue" in r.text
    draft = p.history[0].split("r=", 1)[1].split("&", 1)[0]
    # coming back to the draft (or reloading) shows the same page and counts nobody twice
    back = client.get(f"/s/{SLUG}?r={draft}&page=2&lang=zh")
    assert back.status_code == 200 and "您无需继续作答" in back.text
    assert screened_out_count(engine, load_ref(engine, SLUG)) == 1
    # another respondent in an open cell goes on
    q = Respondent(client)
    q.open(f"/s/{SLUG}?lang=en")
    q.post("next", {**PAGE1, "a:q_region": "rural"})
    assert q.status == 200 and 'name="draft"' in q.html


def test_own_brand_is_required_by_default(client: TestClient, engine: Engine) -> None:
    publish(engine, dated(), "utility_csi.yaml")
    body = _sub("urban")
    del body["brands"]["jiangcheng"]
    r = client.post(URL, json=body)
    assert r.status_code == 422
    assert {"loc": ["body", "brands"], "msg": "our own brand 'jiangcheng' must be rated "
            "(brand_options.own_required)", "type": "invalid"} in r.json()["detail"]
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=zh")
    p.post("next", {**PAGE1, "a:q_region": "rural"})
    assert "以下哪些企业您了解或使用过" in p.html and "本企业" in p.html
    assert '<input type="hidden" name="brands" value="jiangcheng">' in p.html
    assert 'value="jiangcheng" checked disabled' in p.html
    # a form that leaves our brand out anyway (not what the page sends) gets a message, not a page of ratings
    p.post("next", brands=["hengyuan"])
    assert p.status == 422 and "请保留对本企业的评价" in p.html


def test_brand_block_in_the_definitions_words(client: TestClient, engine: Engine) -> None:
    publish(engine, dated(BRAND_OPTIONS), "utility_csi.yaml")
    body = _sub("urban")
    del body["brands"]["jiangcheng"]
    assert client.post(URL, json=body).status_code == 201  # own_required: false
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    p.post("next", {**PAGE1, "a:q_region": "rural"})
    assert "Which electricity retailers have you used?" in p.html and "runs this survey" in p.html
    assert "disabled" not in p.html
    p.open(p.url.replace("lang=en", "lang=zh"))
    assert "您用过哪些售电公司？" in p.html and "本次调查发起方" in p.html
