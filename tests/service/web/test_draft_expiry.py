"""Drafts expire: the service purges drafts not saved for ``CSI_DRAFT_TTL_DAYS`` by itself (at start-up, then
hourly), ``csi drafts purge`` does it on demand, and a purged draft's resume link shows the polite "unknown
link" page. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.app import create_app
from service.settings import Settings
from service.web import drafts
from tests.service.web.respondent import Respondent

SLUG = "utility_csi"
PAGE1 = {"a:q_customer_type": "residential", "a:q_region": "urban", "a:q_usage": "100-300"}
DAY = 86400.0


def ids(engine: Engine) -> set[str]:
    with engine.connect() as c:
        return {r[0] for r in c.execute(text("SELECT id FROM draft"))}


def age(engine: Engine, draft_id: str, days: float) -> None:
    """Make a draft look last saved ``days`` ago."""
    with engine.begin() as c:
        c.execute(text("UPDATE draft SET updated_at = :t, started_at = :t WHERE id = :id"),
                  {"t": time.time() - days * DAY, "id": draft_id})


def started(client: TestClient) -> Respondent:
    p = Respondent(client)
    p.open(f"/s/{SLUG}?lang=en")
    p.post("next", PAGE1)
    assert p.status == 200 and p.progress == "Page 2 of 4"
    return p


def test_the_service_purges_expired_drafts_itself(client: TestClient, engine: Engine, store_url: str,
                                                  utility: str) -> None:
    old, fresh = started(client), started(client)
    age(engine, old.hidden["draft"], 7.5)
    age(engine, fresh.hidden["draft"], 6.5)
    resume = f"/s/{SLUG}?r={old.hidden['draft']}&lang=en"
    assert client.get(resume).status_code == 200  # still there: only the service's own purge removes it
    # A worker starting up purges at once (then every hour).
    with TestClient(create_app(Settings(database_url=store_url, environment="test"), engine)) as c2:
        t_end = time.monotonic() + 10
        while old.hidden["draft"] in ids(engine) and time.monotonic() < t_end:
            time.sleep(0.05)
        assert ids(engine) == {fresh.hidden["draft"]}
        r = c2.get(resume)
        assert r.status_code == 404 and "This link to continue is not valid" in r.text and 'name="draft"' not in r.text
        # The purged draft's open page can no longer save either: the same polite page, nothing stored.
        r = c2.post(f"/s/{SLUG}", data=old.form("next", {"brands": ["jiangcheng"]}),
                    cookies=dict(client.cookies))
        assert r.status_code == 404 and "This link to continue is not valid" in r.text
    assert ids(engine) == {fresh.hidden["draft"]}


def test_the_time_to_live_is_configuration(engine: Engine, store_url: str, utility: str) -> None:
    settings = Settings(database_url=store_url, environment="test", draft_ttl_days=1)
    with TestClient(create_app(settings, engine)) as c:
        p = started(c)
        age(engine, p.hidden["draft"], 1.5)
    with TestClient(create_app(settings, engine)):
        t_end = time.monotonic() + 10
        while ids(engine) and time.monotonic() < t_end:
            time.sleep(0.05)
    assert ids(engine) == set()


def test_purge_deletes_only_what_is_older_than_the_limit(client: TestClient, engine: Engine, utility: str) -> None:
    ps = [started(client) for _ in range(3)]
    age(engine, ps[0].hidden["draft"], 10)
    age(engine, ps[1].hidden["draft"], 3)
    assert drafts.purge(engine, 7 * DAY) == 1
    assert ids(engine) == {ps[1].hidden["draft"], ps[2].hidden["draft"]}
    assert drafts.purge(engine, 7 * DAY) == 0
    assert drafts.purge(engine, 2 * DAY) == 1 and ids(engine) == {ps[2].hidden["draft"]}


def test_a_fresh_start_signed_before_the_limit_no_longer_opens(engine: Engine, store_url: str,
                                                               utility: str) -> None:
    """The signed start time of a never-stored draft expires like a stored draft would."""
    with TestClient(create_app(Settings(database_url=store_url, environment="test", draft_ttl_days=1e-5),
                               engine)) as c:
        p = Respondent(c)
        p.open(f"/s/{SLUG}?lang=en")
        assert p.status == 200
        time.sleep(1.0)  # 1e-5 days = 0.864 s
        assert c.get(p.url).status_code == 404
        r = c.post(f"/s/{SLUG}", data=p.form("next", PAGE1))
        assert r.status_code == 404 and "This link to continue is not valid" in r.text
    assert ids(engine) == set()


def test_csi_drafts_purge(client: TestClient, engine: Engine, store_url: str, utility: str) -> None:
    old, fresh = started(client), started(client)
    age(engine, old.hidden["draft"], 8)
    env = {**os.environ, "CSI_DATABASE_URL": store_url}
    r = subprocess.run([sys.executable, "-m", "service.cli", "drafts", "purge"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and "purged 1 draft(s)" in r.stdout, r.stderr
    assert ids(engine) == {fresh.hidden["draft"]}
    r = subprocess.run([sys.executable, "-m", "service.cli", "drafts", "purge", "--older-than-days", "0"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and "purged 1 draft(s)" in r.stdout and ids(engine) == set()
