"""Back, Forward, Reload and replayed POSTs never lose answers; the start time is the server's, never the form's.

Every page has its own address (``?r=<draft>&page=N``, from the first GET on; until the first answered POST
stores the draft, its first page's address also carries the signed start time) and every POST answers with a 303
redirect to one (Post/Redirect/Get), so a browser's history holds only GET pages that show the saved draft.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.service.web.respondent import Respondent, checked, errors, full_answers

SLUG = "utility_csi"
PAGE1 = {"a:q_customer_type": "residential", "a:q_region": "urban", "a:q_usage": "100-300"}


def drafts(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, answers, brands, page, started_at, updated_at, submitted_at FROM draft"))
        return [dict(r._mapping) for r in rows]


def answers_of(engine: Engine, draft_id: str) -> dict[str, str]:
    (row,) = [d for d in drafts(engine) if d["id"] == draft_id]
    return dict(json.loads(row["answers"]))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_fresh_visit_redirects_to_its_draft_address_and_stores_nothing(client: TestClient, engine: Engine,
                                                                         utility: str) -> None:
    t0 = time.time()
    r = client.get(f"/s/{SLUG}?lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"
    q = query(r.headers["location"])
    assert set(q) == {"r", "page", "lang", "start"} and q["page"] == "1" and q["lang"] == "en"
    assert t0 - 0.001 <= float(q["start"].rsplit(".", 1)[0]) <= time.time()  # "<time>.<signature>"
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and f'name="draft" value="{q["r"]}"' in page.text
    assert drafts(engine) == []  # neither the redirect nor page 1 wrote anything
    # The language the browser asked for is kept in the address.
    r = client.get(f"/s/{SLUG}", headers={"Accept-Language": "zh-CN"}, follow_redirects=False)
    assert query(r.headers["location"])["lang"] == "zh"
    # Each fresh visit is a new respondent (no cookie says otherwise): a new draft id each time.
    assert query(r.headers["location"])["r"] != q["r"] and drafts(engine) == []


def test_the_first_answered_post_stores_the_draft(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    draft = p.hidden["draft"]
    p.post("lang:zh")  # nothing answered: still nothing stored, the page is the same draft's
    assert drafts(engine) == [] and p.hidden["draft"] == draft and "start" in query(p.url)
    p.post("next", {})  # Next with nothing answered: this page's errors, still nothing stored
    assert p.status == 422 and drafts(engine) == [] and p.hidden["draft"] == draft
    p.post("next", PAGE1)
    (d,) = drafts(engine)
    assert d["id"] == draft and d["page"] == 2 and json.loads(d["answers"])["q_region"] == "urban"
    assert "start" not in query(p.url) and "start" not in p.hidden


def test_a_forged_or_future_start_time_is_refused(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    stamp, mac = p.hidden["start"].rsplit(".", 1)
    future = f"{float(stamp) + 3600:.3f}.{mac}"
    for bad in (f"{float(stamp) - 3600:.3f}.{mac}", future, "1.0", "", stamp, "x" * 200):
        r = client.post(f"/s/{SLUG}", data=p.form("next", PAGE1, start=bad), follow_redirects=False)
        assert r.status_code == 403, (bad, r.status_code)
        page = client.get(f"/s/{SLUG}?r={p.hidden['draft']}&page=1&start={bad}")
        assert page.status_code == 404 and 'name="draft"' not in page.text
    # Signed for another draft: refused too.
    other = Respondent(client)
    other.open(f"/s/{SLUG}?lang=en")
    r = client.post(f"/s/{SLUG}", data=p.form("next", PAGE1, start=other.hidden["start"]), follow_redirects=False)
    assert r.status_code == 403 and drafts(engine) == []
    assert p.post("next", PAGE1).status_code == 200 and len(drafts(engine)) == 1


def test_back_to_the_first_page_shows_its_answers_and_the_same_draft(client: TestClient, engine: Engine,
                                                                     utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    first_url, draft = p.url, p.hidden["draft"]
    assert query(first_url) == {"r": draft, "page": "1", "lang": "en", "start": p.hidden["start"]}
    p.post("next", PAGE1)
    (d,) = drafts(engine)
    started = d["started_at"]
    assert p.progress == "Page 2 of 4" and query(p.url)["page"] == "2"
    p.post("next", {"brands": ["jiangcheng"]})
    assert p.progress == "Page 3 of 5"
    p.back()
    assert p.progress == "Page 2 of 5" and checked(p.html, "brands") == ["jiangcheng"]
    p.back()
    assert p.url == first_url and p.hidden["draft"] == draft
    assert checked(p.html, "a:q_region") == ["urban"] and checked(p.html, "a:q_usage") == ["100-300"]
    p.forward()
    p.forward()
    assert p.progress == "Page 3 of 5" and p.hidden["draft"] == draft
    (d,) = drafts(engine)  # still one draft, started when the first page was opened
    assert d["started_at"] == started and d["id"] == draft


def test_a_validation_error_redirects_to_a_page_that_can_be_reloaded(client: TestClient, engine: Engine,
                                                                     utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    data = p.form("next", {"a:q_customer_type": "residential", "a:q_usage": "lt100"})  # q_region forgotten
    r = client.post(f"/s/{SLUG}", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert query(r.headers["location"]) == {"r": p.hidden["draft"], "page": "1", "check": "1", "lang": "en"}
    # What was entered is saved before the redirect.
    assert answers_of(engine, p.hidden["draft"]) == {"q_customer_type": "residential", "q_usage": "lt100"}
    p.send(data)
    assert p.status == 422 and errors(p.html) == {"q-a-q_region": "Please answer this question"}
    assert checked(p.html, "a:q_customer_type") == ["residential"] and checked(p.html, "a:q_usage") == ["lt100"]
    # Reloading the error page (a GET) shows the same, and changes nothing.
    before = drafts(engine)
    again = client.get(p.url)
    assert again.status_code == 422 and errors(again.text) == errors(p.html)
    assert drafts(engine) == before


def test_error_fix_next_then_back_keeps_the_draft(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    p.post("next", {"a:q_customer_type": "residential", "a:q_usage": "lt100"})
    assert errors(p.html) == {"q-a-q_region": "Please answer this question"}
    p.post("next", {"a:q_region": "rural"})
    assert p.progress == "Page 2 of 4"
    p.post("next", {"brands": ["jiangcheng", "xinda"]})
    assert p.progress == "Page 3 of 6"
    saved = answers_of(engine, p.hidden["draft"])
    p.back()
    p.back()  # the error page's address: now it shows the corrected answers and no error
    assert "check=1" in p.url and p.status == 200 and errors(p.html) == {}
    assert checked(p.html, "a:q_region") == ["rural"] and checked(p.html, "a:q_usage") == ["lt100"]
    assert answers_of(engine, p.hidden["draft"]) == saved
    p.forward()
    assert checked(p.html, "brands") == ["jiangcheng", "xinda"]


def test_a_replayed_post_does_not_erase_newer_answers(client: TestClient, engine: Engine, utility: str) -> None:
    """The old problem: Back onto a page rendered from a POST re-posts it, and its blanks erased answers."""
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    old = p.form("next", {"a:q_customer_type": "residential", "a:q_usage": "lt100"})  # q_region blank
    p.send(old)
    p.post("next", {"a:q_region": "rural", "a:q_usage": "gt1000"})  # fixed, and q_usage changed
    assert p.progress == "Page 2 of 4"
    p.send(old)  # the browser re-sends the first POST
    assert answers_of(engine, p.hidden["draft"]) == {
        "q_customer_type": "residential", "q_region": "rural", "q_usage": "gt1000"}
    assert p.status == 200 and p.progress == "Page 2 of 4"


def test_two_tabs_on_one_draft_merge_instead_of_overwriting(client: TestClient, engine: Engine,
                                                            utility: str) -> None:
    a = Respondent(client)
    a.open(f"/s/{SLUG}?lang=en")
    a.post("next", PAGE1)
    a.post("prev")
    b = Respondent(client)
    b.open(a.url)  # the same page in a second tab
    b.post("next", {"a:q_usage": "gt1000"})  # tab B changes one answer and moves on
    # Tab A, still showing the old page, changes another answer: only that change is taken.
    a.post("next", {"a:q_region": "suburban"})
    assert answers_of(engine, a.hidden["draft"]) == {
        "q_customer_type": "residential", "q_region": "suburban", "q_usage": "gt1000"}
    # A stale page can still clear what the respondent clears on it (the comment box), and keeps the rest.
    last = f"/s/{SLUG}?r={a.hidden['draft']}&page=5&lang=en"  # only our own brand (always) picked: 5 is last
    a.open(last)
    a.post("next", {"a:q_comment": "first words", "a:q_age": "20-34"})
    a.open(last)
    b.open(last)
    b.post("next", {"a:q_age": "65plus"})
    a.post("next", {"a:q_comment": ""})  # emptied the box on the page shown before B's save
    saved = answers_of(engine, a.hidden["draft"])
    assert "q_comment" not in saved and saved["q_age"] == "65plus"


def test_stale_post_without_seen_only_fills_in(client: TestClient, engine: Engine, utility: str) -> None:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    p.post("next", PAGE1)
    p.post("prev")
    form = {k: v for k, v in p.form("next", {}).items() if k not in ("seen", "a:q_region")}
    form["rev"] = "0"
    p.send(form)
    assert answers_of(engine, p.hidden["draft"])["q_region"] == "urban"


def test_started_at_is_the_first_get_on_the_servers_clock(client: TestClient, engine: Engine, utility: str,
                                                          admin: dict[str, str]) -> None:
    p = Respondent(client)
    t0 = time.time()
    p.open(f"/s/{SLUG}?lang=en")
    t1 = time.time()
    assert "started" not in p.hidden  # the form carries only the server's signed start
    time.sleep(0.05)
    p.post("next", full_answers())
    (d,) = drafts(engine)
    assert t0 - 0.001 <= d["started_at"] <= t1  # the first GET's time (signed to a millisecond), not the POST's
    for _ in range(5):
        is_last = 'value="submit" class="primary"' in p.html
        p.post("submit" if is_last else "next", full_answers(), started="1")  # a faked start (1970)
    assert "Thank you" in p.html
    (d2,) = drafts(engine)
    assert d2["started_at"] == d["started_at"]
    with engine.connect() as c:
        stored, submitted = c.execute(text("SELECT started_at, submitted_at FROM response")).one()
    assert abs(stored - d["started_at"]) < 1e-5 and submitted > stored + 0.04  # datetime keeps microseconds
    rec = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin).json()["responses"][0]
    assert abs(datetime.fromisoformat(rec["started_at"]).timestamp() - d["started_at"]) < 1.0
