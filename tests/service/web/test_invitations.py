"""Invitations on both stores: the staff API and CLI, opening a token on the pages, and single use under races."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.invitations.service import fixed_segments, lookup
from service.responses.schemas import SubmissionIn
from service.responses.service import prepare, token_hash
from service.store.tables import Draft
from service.surveys.service import load_ref
from service.web import drafts
from service.web.drafts import Answers
from tests.service.payloads import good_submission
from tests.service.web.respondent import Respondent, full_answers

SLUG = "utility_csi"
URL = f"/api/v1/surveys/{SLUG}/invitations"


def invite(client: TestClient, admin: dict[str, str], **body: object) -> list[dict]:  # type: ignore[type-arg]
    r = client.post(URL, json=body, headers=admin)
    assert r.status_code == 201, r.text
    return list(r.json()["invitations"])


def count(client: TestClient, admin: dict[str, str]) -> int:
    return int(client.get(f"/api/v1/surveys/{SLUG}/counts", headers=admin).json()["total"])


def draft_count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT count(*) FROM draft")).scalar_one())


def draft_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT id, answers, brands, page, updated_at, submitted_at FROM draft ORDER BY id"))]


def test_create_tokens_only_hashes_are_stored(client: TestClient, engine: Engine, utility: str,
                                             admin: dict[str, str]) -> None:
    made = invite(client, admin, count=3, expires_in_days=7)
    assert len(made) == 3 and len({m["token"] for m in made}) == 3
    for m in made:
        assert len(m["token"]) >= 32  # token_urlsafe(24): 192 random bits
        assert m["url"] == f"http://testserver/s/{SLUG}?t={m['token']}"
    with engine.connect() as c:
        rows = c.execute(text("SELECT token_hash, expires_at, used_at FROM invitation")).all()
    assert {r[0] for r in rows} == {token_hash(m["token"]) for m in made}
    assert all(r[1] is not None and r[2] is None for r in rows)
    dump = "".join(str(r) for r in rows)
    assert not any(m["token"] in dump for m in made)


def test_invitee_segments_are_validated(client: TestClient, utility: str, admin: dict[str, str],
                                        analyst: dict[str, str]) -> None:
    ok = invite(client, admin, invitees=[
        {"customer_ref": "C-1", "segments": {"q_customer_type": "residential", "q_region": "农村"}},
        {"customer_ref": "C-2"},
    ])
    assert ok[0]["segments"] == {"q_customer_type": "residential", "q_region": "rural"}  # labels become codes
    assert ok[1]["segments"] == {} and ok[1]["customer_ref"] == "C-2"
    bad = client.post(URL, headers=admin, json={"invitees": [
        {"segments": {"q_customer_type": "martian"}}, {"segments": {"q_overall": "5"}}]})
    assert bad.status_code == 422
    locs = {tuple(d["loc"]): d["msg"] for d in bad.json()["detail"]}
    assert "not one of the options" in locs[("body", "invitees", 0, "segments", "q_customer_type")]
    assert "not a segment item" in locs[("body", "invitees", 1, "segments", "q_overall")]
    assert client.post(URL, headers=admin, json={"count": 2, "invitees": [{}]}).status_code == 422
    assert client.post(URL, headers=admin, json={}).status_code == 422
    assert client.post(URL, json={"count": 1}).status_code == 401
    assert client.post(URL, json={"count": 1}, headers=analyst).status_code == 403
    assert client.post("/api/v1/surveys/nope/invitations", json={"count": 1}, headers=admin).status_code == 404


def test_invitation_page_skips_known_segments_and_stores_them(client: TestClient, engine: Engine, utility: str,
                                                              admin: dict[str, str]) -> None:
    (inv,) = invite(client, admin, invitees=[{"customer_ref": "C-42", "segments": {
        "q_customer_type": "non_residential", "q_region": "suburban", "q_usage": "gt1000", "q_age": "50-64"}}])
    p = Respondent(client)
    p.open(inv["url"] + "&lang=en")
    assert p.status == 200 and "q_customer_type" not in p.html and "q_age" not in p.html
    assert p.progress == "Page 1 of 3"  # the profile page is gone: the brand picker comes first
    assert "reopen your invitation link" in p.html
    p.post("next", full_answers())
    # Reopening the invitation link continues the same draft.
    again = Respondent(client)
    again.open(inv["url"])
    assert again.hidden["draft"] == p.hidden["draft"] and "第 2 / 5 页" in again.html
    r = p.complete()
    assert "Thank you" in r.text
    rec = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin).json()["responses"][0]
    assert rec["respondent"] == "C-42" and rec["channel"] == "web"
    assert rec["answers"]["q_customer_type"] == "non_residential" and rec["answers"]["q_age"] == "50-64"
    # A used token: a polite page, nothing stored, not even a new draft.
    n_drafts = draft_count(engine)
    for _ in range(2):
        used = client.get(inv["url"])
        assert used.status_code == 200 and "您已经完成了本问卷" in used.text and 'name="draft"' not in used.text
        assert TestClient(client.app).get(inv["url"] + "&lang=en").status_code == 200  # another browser too
    assert draft_count(engine) == n_drafts
    assert count(client, admin) == 1


def test_unknown_and_expired_tokens(client: TestClient, engine: Engine, utility: str, admin: dict[str, str]) -> None:
    r = client.get(f"/s/{SLUG}?t=not-a-token&lang=en")
    assert r.status_code == 404 and "This invitation link is not valid" in r.text and "Traceback" not in r.text
    assert client.get(f"/s/{SLUG}?t={'x' * 500}").status_code == 404
    (inv,) = invite(client, admin, count=1, expires_in_days=1)
    with engine.begin() as c:
        c.execute(text("UPDATE invitation SET expires_at = 1"))
    r = client.get(inv["url"] + "&lang=zh")
    assert r.status_code == 410 and "邀请链接已过期" in r.text


def test_require_token(client: TestClient, utility: str, admin: dict[str, str], analyst: dict[str, str]) -> None:
    settings = f"/api/v1/surveys/{SLUG}/settings"
    assert client.post(settings, json={"require_token": True}).status_code == 401
    assert client.post(settings, json={"require_token": True}, headers=analyst).status_code == 403
    r = client.post(settings, json={"require_token": True}, headers=admin)
    assert r.status_code == 200 and r.json() == {"slug": SLUG, "require_token": True}
    r = client.get(f"/s/{SLUG}?lang=en")
    assert r.status_code == 403 and "by invitation only" in r.text
    # A tokenless form posted anyway is refused too.
    anon = Respondent(client)
    client.post(settings, json={"require_token": False}, headers=admin)
    anon.open()
    client.post(settings, json={"require_token": True}, headers=admin)
    client.app.state.csi.surveys.invalidate()
    assert anon.post("next", full_answers()).status_code == 403
    (inv,) = invite(client, admin, count=1)
    p = Respondent(client)
    p.open(inv["url"])
    assert p.status == 200
    assert "感谢" in p.complete().text
    assert count(client, admin) == 1


def test_two_concurrent_submissions_with_one_token_store_one_response(
    client: TestClient, engine: Engine, utility: str, admin: dict[str, str]
) -> None:
    """Through the real writer: many threads, one token, distinct idempotency keys -> exactly one response."""
    (inv,) = invite(client, admin, count=1)
    ref = load_ref(engine, SLUG)
    _, row = lookup(engine, ref.id, token=inv["token"])
    assert row is not None and fixed_segments(row) == {}
    writer = client.app.state.csi.writer
    items = [prepare(engine, ref, SubmissionIn(**good_submission(), channel="web"), invitation=row,
                     idempotency_key=f"race-{i}") for i in range(8)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(items))

    def go(it: object) -> None:
        barrier.wait()
        outcomes.append(writer.write_blocking(it).status)

    threads = [threading.Thread(target=go, args=(it,)) for it in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["created"] + ["token_used"] * 7
    assert count(client, admin) == 1


def test_two_concurrent_page_submits_store_one_response(client: TestClient, utility: str,
                                                        admin: dict[str, str]) -> None:
    """Through HTTP: the same invitation's last page submitted twice at once (a double tap)."""
    (inv,) = invite(client, admin, count=1)
    p = Respondent(client)
    p.open(inv["url"])
    for _ in range(5):
        p.post("next", full_answers())
    data = {**p.hidden, **p.filled(), "go": "submit", "a:q_age": "35-49"}
    results: list[str] = []
    barrier = threading.Barrier(2)

    def go() -> None:
        barrier.wait()
        results.append(client.post(f"/s/{SLUG}", data=data).text)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and all("感谢" in r or "已经完成" in r for r in results)
    assert count(client, admin) == 1


def test_cli_invite(tmp_path: Path, store_url: str, engine: Engine, utility: str, client: TestClient,
                    admin: dict[str, str]) -> None:
    people = tmp_path / "people.csv"
    people.write_text("customer_ref,q_customer_type,q_region\nC-1,residential,urban\nC-2,居民用户,\n",
                      encoding="utf-8")
    out = tmp_path / "tokens.csv"
    env = {**os.environ, "CSI_DATABASE_URL": store_url}
    cmd = [sys.executable, "-m", "service.cli", "invite", SLUG, "--invitees", str(people), "--expires-days", "30",
           "--out", str(out), "--base-url", "https://survey.example.com/"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [x["customer_ref"] for x in rows] == ["C-1", "C-2"]
    assert rows[1]["q_customer_type"] == "residential" and rows[1]["q_region"] == ""
    assert rows[0]["url"] == f"https://survey.example.com/s/{SLUG}?t={rows[0]['token']}" and rows[0]["expires_at"]
    # The CLI's invitations work on the pages: known segments are not asked again and are stored with the answer.
    asked = {}
    for row in rows:
        p = Respondent(TestClient(client.app))
        p.open(f"/s/{SLUG}?t={row['token']}&lang=en")
        asked[row["customer_ref"]] = {f for f in ("a:q_customer_type", "a:q_region", "a:q_usage") if f in p.fields()}
        assert "Thank you" in p.complete({**full_answers(), "a:q_customer_type": "non_residential",
                                          "a:q_region": "suburban"}).text
    assert asked == {"C-1": {"a:q_usage"}, "C-2": {"a:q_region", "a:q_usage"}}
    recs = {x["respondent"]: x for x in
            client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin).json()["responses"]}
    assert set(recs) == {"C-1", "C-2"}
    assert (recs["C-1"]["answers"]["q_customer_type"], recs["C-1"]["answers"]["q_region"]) == ("residential", "urban")
    assert (recs["C-2"]["answers"]["q_customer_type"], recs["C-2"]["answers"]["q_region"]) == (
        "residential", "suburban")  # the CSV left q_region blank: asked, and the respondent's answer kept
    assert recs["C-1"]["answers"]["q_usage"] == "100-300"
    r = subprocess.run([sys.executable, "-m", "service.cli", "invite", SLUG, "--count", "5", "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and len(list(csv.DictReader(out.open(encoding="utf-8")))) == 5
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_ref,q_region\nC-9,moon\n", encoding="utf-8")
    r = subprocess.run([*cmd[:6], str(bad), "--out", str(tmp_path / "x.csv")], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 1 and f"{bad}:2: column q_region" in r.stderr and not (tmp_path / "x.csv").exists()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM invitation")).scalar() == 7


def _open_invitation(client: TestClient, admin: dict[str, str], pages: int = 1) -> tuple[Respondent, str]:
    (inv,) = invite(client, admin, count=1, expires_in_days=7)
    p = Respondent(client)
    p.open(inv["url"] + "&lang=en")
    for _ in range(pages):
        p.post("next", full_answers())
    return p, inv["url"]


def test_posting_after_the_invitation_expired(client: TestClient, engine: Engine, utility: str,
                                              admin: dict[str, str]) -> None:
    p, _ = _open_invitation(client, admin, pages=2)
    with engine.begin() as c:
        c.execute(text("UPDATE invitation SET expires_at = :t"), {"t": 1.0})
    before = draft_rows(engine)
    for go in ("next", "prev", "submit", "lang:zh"):
        r = client.post(f"/s/{SLUG}", data=p.form(go, full_answers()))
        assert r.status_code == 410 and "This invitation has expired" in r.text and 'name="draft"' not in r.text
    assert draft_rows(engine) == before and count(client, admin) == 0
    assert client.get(p.url).status_code == 410  # the draft's own address says the same


def test_posting_after_the_survey_closed(client: TestClient, engine: Engine, utility: str,
                                         admin: dict[str, str]) -> None:
    p, _ = _open_invitation(client, admin, pages=5)
    assert 'value="submit" class="primary"' in p.html
    assert client.post(f"/api/v1/surveys/{SLUG}/close", headers=admin).status_code == 200
    client.app.state.csi.surveys.invalidate()
    before = draft_rows(engine)
    r = p.post("submit", full_answers())
    assert r.status_code == 410 and "This survey has closed" in r.text
    assert draft_rows(engine) == before and count(client, admin) == 0


def test_reposting_a_submitted_invitation_draft_stores_nothing(client: TestClient, engine: Engine, utility: str,
                                                                admin: dict[str, str]) -> None:
    p, url = _open_invitation(client, admin, pages=5)
    last = p.form("submit", full_answers())
    assert "Thank you" in p.send(last).text
    assert count(client, admin) == 1
    before = draft_rows(engine)
    # Back: the last page's address now says "already answered" (it is a GET, nothing is re-posted).
    r = p.back()
    assert r.status_code == 200 and "You have already answered" in r.text and 'name="draft"' not in r.text
    # A copy of the last page kept open (another tab, a restored page) submitted again: nothing new.
    for form in (last, {**last, "a:q_age": "65plus"}):
        r = p.send(form)
        assert r.status_code == 200 and "You have already answered" in r.text
    assert "You have already answered" in client.get(url + "&lang=en").text  # and the invitation link
    assert count(client, admin) == 1 and draft_rows(engine) == before
    rec = client.get(f"/api/v1/surveys/{SLUG}/export?format=json", headers=admin).json()["responses"][0]
    assert rec["answers"]["q_age"] == "35-49"


def test_two_tabs_opening_one_invitation_share_one_draft(client: TestClient, engine: Engine, utility: str,
                                                         admin: dict[str, str]) -> None:
    (inv,) = invite(client, admin, count=1)
    barrier = threading.Barrier(4)
    urls: list[str] = []

    def tab() -> None:
        barrier.wait()
        urls.append(str(client.get(inv["url"], follow_redirects=False).headers["location"]))

    threads = [threading.Thread(target=tab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(urls) == 4 and len(set(urls)) == 1 and draft_count(engine) == 1


def test_a_tab_losing_the_race_for_the_invitation_draft_keeps_its_answers(engine: Engine, utility: str) -> None:
    """drafts.save: several tabs insert a draft for one token at once; every tab's answers end up in it."""
    ref = load_ref(engine, SLUG)
    token = token_hash("one-invitation")
    now = time.time()
    answers = [("q_customer_type", "residential"), ("q_region", "rural"), ("q_usage", "gt1000"), ("q_age", "65plus")]
    rows = []
    for k, (item, value) in enumerate(answers):
        row = Draft(id=drafts.new_id(), survey_id=ref.id, version_id=ref.version_id, token_hash=token,
                    started_at=now + k, updated_at=now + k, page=k + 1)
        Answers({f"a:{item}": value}, ["xinda"] if k == 3 else []).to_row(row)
        rows.append(row)
    barrier = threading.Barrier(len(rows))
    got: list[Draft] = []

    def tab(row: Draft) -> None:
        barrier.wait()
        got.append(drafts.save(engine, row))

    threads = [threading.Thread(target=tab, args=(r,)) for r in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == len(rows) and len({g.id for g in got}) == 1
    (stored,) = [drafts.get(engine, got[0].id)]
    assert stored is not None and draft_count(engine) == 1
    assert Answers.of(stored).values == {f"a:{i}": v for i, v in answers}
    assert Answers.of(stored).chosen == ["xinda"]
    # A later loser's answer for an item wins (it is the newer input); its blanks erase nothing.
    late = Draft(id=drafts.new_id(), survey_id=ref.id, version_id=ref.version_id, token_hash=token,
                 started_at=now, updated_at=now, page=2)
    Answers({"a:q_region": "urban", "a:q_usage": ""}, []).to_row(late)
    merged = drafts.save(engine, late)
    assert merged.id == stored.id
    assert Answers.of(drafts.get(engine, stored.id)).values == {  # type: ignore[arg-type]
        "a:q_customer_type": "residential", "a:q_region": "urban", "a:q_usage": "gt1000", "a:q_age": "65plus"}
    assert merged.started_at == min(g.started_at for g in got)  # the winner's start time is kept
