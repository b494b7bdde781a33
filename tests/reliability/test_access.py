"""Access control: every non-public route needs a key, respondents never see each other's data, tokens and resume
codes cannot be guessed or enumerated (rate limit per client), and the analysis memory bound refuses in advance.

Staff routes answering 401/403 route by route: tests/service/test_staff_auth.py. Production refusing the default
secret: here, through the real entry points (``csi serve`` and ``uvicorn --factory service.app:app_from_env``),
each against a control run with a private secret that must come up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from service.api.ratelimit import RateLimit, is_public
from service.app import create_app
from service.settings import DEFAULT_SECRET, Settings
from tests.service.payloads import good_submission
from tests.service.web.respondent import Respondent, full_answers

SLUG = "utility_csi"
SUBMIT = f"/api/v1/surveys/{SLUG}/responses"
PUBLIC = {("GET", "/healthz"), ("GET", "/api/v1/surveys/{slug}/definition"),
          ("POST", "/api/v1/surveys/{slug}/responses")}


def _needs_role(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        d = stack.pop()
        if getattr(d.call, "__name__", "").startswith("require_"):
            return True
        stack.extend(d.dependencies)
    return False


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI wraps those in an object of its own)."""
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):
            out.extend(_api_routes(r.original_router.routes))
    return out


def test_every_api_route_is_public_by_design_or_guarded(client: TestClient) -> None:
    """A new route added without a role fails here unless it is deliberately on the public list."""
    seen = set()
    for r in _api_routes(client.app.routes):  # type: ignore[attr-defined]
        if not r.include_in_schema:
            continue
        for m in r.methods:
            seen.add((m, r.path))
            if (m, r.path) not in PUBLIC:
                assert _needs_role(r), f"{m} {r.path} is reachable without a staff key"
    assert seen >= PUBLIC
    assert {(m, p) for m, p in seen if is_public(m, p.replace("{slug}", "s"))} == PUBLIC - {("GET", "/healthz")}


def test_submit_returns_nothing_but_its_own_receipt(client: TestClient, utility: str) -> None:
    r = client.post(SUBMIT, json=good_submission(), headers={"Idempotency-Key": "a"})
    assert r.status_code == 201 and set(r.json()) == {"id", "survey", "version", "replayed"}
    replay = client.post(SUBMIT, json=good_submission(), headers={"Idempotency-Key": "a"})
    assert set(replay.json()) == {"id", "survey", "version", "replayed"}
    d = client.get(f"/api/v1/surveys/{SLUG}/definition").json()
    assert set(d) == {"slug", "version", "status", "definition"}  # the questionnaire only, no answers or counts
    # Nothing public lists responses: every read of answers is a staff route.
    assert client.get(f"/api/v1/surveys/{SLUG}/export").status_code == 401
    assert client.get(f"{SUBMIT}").status_code == 405


def test_pages_never_show_another_drafts_answers(client: TestClient, utility: str) -> None:
    secret = "my-private-comment-7f3a"
    a = Respondent(client)
    a.open(f"/s/{SLUG}?lang=en")
    answers = {**full_answers(comment=secret), "a:q_region": "rural"}
    for _ in range(5):  # to the last page, where the comment is
        a.post("next", answers)
    a.post("prev", answers)
    resume = re.search(r"/s/utility_csi\?r=([A-Za-z0-9_-]+)", a.html)
    assert resume is not None
    own = client.get(resume.group(0) + "&page=6")
    assert secret in own.text  # the owner gets their draft back
    b = TestClient(client.app)  # another browser: no cookies, no resume code
    fresh = b.get(f"/s/{SLUG}?lang=en")
    assert secret not in fresh.text and 'value="rural" checked' not in fresh.text
    assert re.search(r'name="draft" value="([^"]+)"', fresh.text).group(1) != resume.group(1)  # type: ignore[union-attr]
    for guess in (resume.group(1)[:-1] + ("A" if resume.group(1)[-1] != "A" else "B"), "a" * 32, "0" * 43):
        r = b.get(f"/s/{SLUG}?r={guess}&page=6")
        assert r.status_code == 404 and secret not in r.text


def test_tokens_and_resume_codes_are_unguessable(client: TestClient, utility: str, admin: dict[str, str]) -> None:
    """192 random bits each (secrets.token_urlsafe(24)), all distinct; only hashes of tokens are stored."""
    r = client.post(f"/api/v1/surveys/{SLUG}/invitations", json={"count": 200}, headers=admin)
    tokens = [i["token"] for i in r.json()["invitations"]]
    assert len(set(tokens)) == 200 and all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    drafts = {re.search(r'name="draft" value="([^"]+)"', client.get(f"/s/{SLUG}").text).group(1)  # type: ignore[union-attr]
              for _ in range(50)}
    assert len(drafts) == 50 and all(len(d) == 32 for d in drafts)
    # Bits of entropy per character position are spread (no counter, no timestamp prefix).
    assert len({t[:4] for t in tokens}) > 190


# --------------------------------------------------------------------------------------------------- rate limit
def test_token_bucket_unit() -> None:
    now = [0.0]
    rl = RateLimit(None, per_minute=60, max_clients=3, clock=lambda: now[0])
    assert all(rl.take("a") == 0 for _ in range(60))
    wait = rl.take("a")
    assert 0 < wait <= 1.0  # one token per second
    assert rl.take("b") == 0  # other clients are not affected
    now[0] += 1.0
    assert rl.take("a") == 0 and rl.take("a") > 0
    for who in ("c", "d", "e"):
        rl.take(who)
    assert len(rl.buckets) <= 3  # bounded memory under many addresses
    assert RateLimit(None, per_minute=0).capacity == 0  # 0 = off


def test_public_routes_are_rate_limited_per_client(engine: Engine, store_url: str, utility: str,
                                                   admin: dict[str, str]) -> None:
    app = create_app(Settings(database_url=store_url, environment="test", public_rate_limit_per_minute=5), engine)

    async def run() -> dict[str, Any]:
        out: dict[str, Any] = {}
        t1 = httpx.ASGITransport(app=app, client=("10.0.0.1", 1234))
        t2 = httpx.ASGITransport(app=app, client=("10.0.0.2", 1234))
        async with httpx.AsyncClient(transport=t1, base_url="http://t") as c1, \
                httpx.AsyncClient(transport=t2, base_url="http://t") as c2:
            st = [(await c1.get(f"/s/{SLUG}?t=guess{k}")).status_code for k in range(5)]
            out["pages"] = st
            limited = await c1.post(SUBMIT, json={})
            out["limited"] = (limited.status_code, limited.headers.get("retry-after"), limited.text)
            out["page_limited"] = (await c1.get(f"/s/{SLUG}")).status_code
            out["definition_limited"] = (await c1.get(f"/api/v1/surveys/{SLUG}/definition")).status_code
            out["other_client"] = (await c2.get(f"/api/v1/surveys/{SLUG}/definition")).status_code
            out["staff"] = [(await c1.get("/api/v1/surveys", headers=admin)).status_code for _ in range(10)]
            out["health"] = (await c1.get("/healthz")).status_code
        return out

    out = asyncio.run(run())
    assert out["pages"] == [404] * 5  # guessing tokens: each try costs a token of the bucket
    status, retry_after, body = out["limited"]
    assert status == 429 and retry_after is not None and int(retry_after) >= 1 and "too many requests" in body
    assert out["page_limited"] == 429 and out["definition_limited"] == 429
    assert out["other_client"] == 200
    assert out["staff"] == [200] * 10 and out["health"] == 200  # staff and ops routes are not limited
    with engine.connect() as c:
        assert int(c.execute(text("SELECT count(*) FROM response")).scalar_one()) == 0


# ------------------------------------------------------------------------------------------------ memory bound
def test_analysis_over_the_memory_bound_is_refused_before_loading(engine: Engine, store_url: str, utility: str,
                                                                  analyst: dict[str, str]) -> None:
    from service.analysis import estimate_analysis_bytes
    from survey_defs import load_template

    d = load_template(SLUG)
    cells = len(d.respondent_item_ids) + len(d.brand_ids) * len(d.brand_item_ids)  # codes per response
    tight = Settings(database_url=store_url, environment="test", max_analysis_bytes=estimate_analysis_bytes(3, cells))
    with TestClient(create_app(tight, engine)) as c:
        for k in range(3):
            assert c.post(SUBMIT, json=good_submission(respondent=f"r{k}")).status_code == 201
        assert c.get(f"/api/v1/surveys/{SLUG}/analytics", headers=analyst).status_code == 200
        assert c.post(SUBMIT, json=good_submission(respondent="r3")).status_code == 201
        r = c.get(f"/api/v1/surveys/{SLUG}/analytics", headers=analyst)
        assert r.status_code == 413, r.text
        msg = r.json()["detail"][0]["msg"]
        assert "4 responses" in msg and "CSI_MAX_ANALYSIS_BYTES" in msg
    # The CLI refuses the same way, with the message and exit status 1.
    env = {**os.environ, "CSI_DATABASE_URL": store_url, "CSI_MAX_ANALYSIS_BYTES": "1000"}
    out = subprocess.run([sys.executable, "-m", "service.cli", "analyze", SLUG], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 1 and "CSI_MAX_ANALYSIS_BYTES" in out.stderr + out.stdout


def test_report_shares_the_bound(engine: Engine, utility: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.analysis import AnalysisTooLarge, load_data
    from service.settings import get_settings
    from service.surveys.service import load_ref

    monkeypatch.setenv("CSI_MAX_ANALYSIS_BYTES", "1000")
    get_settings.cache_clear()
    try:
        with pytest.raises(AnalysisTooLarge, match="CSI_MAX_ANALYSIS_BYTES"):
            load_data(engine, load_ref(engine, SLUG))  # what service.reporting.build_report calls first
    finally:
        get_settings.cache_clear()


# ----------------------------------------------------------------------------------- production and secrets
ROOT = Path(__file__).resolve().parents[2]
CSI = str(Path(sys.executable).with_name("csi"))
ENTRY_POINTS = {
    "csi serve": [CSI, "serve", "--host", "127.0.0.1", "--port", "{port}"],
    "uvicorn app_from_env": [sys.executable, "-m", "uvicorn", "--factory", "service.app:app_from_env", "--host",
                             "127.0.0.1", "--port", "{port}"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Run:
    status: int | None  # exit status, or None while it was still running (serving)
    healthy: bool  # /healthz answered 200
    output: str


def _run_entry_point(cmd: list[str], env: dict[str, str], deadline_s: float = 60) -> Run:
    """Start the server in its own process group and wait until it answers /healthz or exits (or the deadline);
    then kill the whole group and collect its output."""
    port = _free_port()
    argv = [a.replace("{port}", str(port)) for a in cmd]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    healthy, status = False, None
    try:
        t_end = time.monotonic() + deadline_s
        while time.monotonic() < t_end and proc.poll() is None and not healthy:
            with contextlib.suppress(httpx.TransportError):
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            time.sleep(0.2)
        status = proc.poll()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            out = proc.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            out = "(no output: the process group did not exit)"
    return Run(status, healthy, out)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_production_refuses_the_default_secret_at_the_entry_point(entry: str, tmp_path: Path,
                                                                  sqlite_template: Path) -> None:
    """CSI_ENVIRONMENT=production without CSI_SECRET_KEY (or with the published default, or under 32 bytes): it exits
    non-zero naming CSI_SECRET_KEY and never answers; the same command with a private secret serves."""
    db = tmp_path / "csi.db"
    shutil.copy(sqlite_template, db)  # a migrated store, so only the secret can stop it
    base = {k: v for k, v in os.environ.items() if not k.startswith("CSI_")}
    base.update({"CSI_DATABASE_URL": f"sqlite:///{db}", "CSI_ENVIRONMENT": "production"})
    cmd = ENTRY_POINTS[entry]
    for secret in (None, DEFAULT_SECRET):
        env = dict(base) if secret is None else {**base, "CSI_SECRET_KEY": secret}
        run = _run_entry_point(cmd, env)
        assert not run.healthy, f"{entry} served in production with secret {secret!r}:\n{run.output}"
        assert run.status not in (None, 0), f"{entry} did not fail (status {run.status}):\n{run.output}"
        assert "CSI_SECRET_KEY must be set to a private value in production" in run.output, run.output
    for secret in ("", "x" * 31):  # set, but short enough to find by trying
        run = _run_entry_point(cmd, {**base, "CSI_SECRET_KEY": secret})
        assert not run.healthy and run.status not in (None, 0), f"{entry} served with {secret!r}:\n{run.output}"
        assert "CSI_SECRET_KEY must be at least 32 bytes" in run.output, run.output
    run = _run_entry_point(cmd, {**base, "CSI_SECRET_KEY": secrets.token_urlsafe(32)})
    assert run.healthy and run.status is None, f"{entry} with a private secret did not come up:\n{run.output}"


# ------------------------------------------------------------------------------------------- proxies and the limiter
@contextlib.contextmanager
def _serving(cmd: list[str], env: dict[str, str], deadline_s: float = 60) -> Any:
    """A server started like `_run_entry_point` does, kept up while the block runs; yields its base URL."""
    port = _free_port()
    argv = [a.replace("{port}", str(port)) for a in cmd]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        t_end = time.monotonic() + deadline_s
        healthy = False
        while time.monotonic() < t_end and proc.poll() is None and not healthy:
            with contextlib.suppress(httpx.TransportError):
                healthy = httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            time.sleep(0.2)
        assert healthy, f"the server did not come up (status {proc.poll()})"
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=20)


@pytest.mark.timeout(120)
def test_rotating_x_forwarded_for_does_not_get_around_the_rate_limit(tmp_path: Path, sqlite_template: Path) -> None:
    """`csi serve` trusts no proxy by default: one client sending a new X-Forwarded-For on every request still
    spends one bucket. Named with --forwarded-allow-ips, the proxy's report is believed (one bucket per client)."""
    db = tmp_path / "csi.db"
    shutil.copy(sqlite_template, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSI_") and k != "FORWARDED_ALLOW_IPS"}
    env.update({"CSI_DATABASE_URL": f"sqlite:///{db}", "CSI_PUBLIC_RATE_LIMIT_PER_MINUTE": "3"})
    cmd = ENTRY_POINTS["csi serve"]
    path = "/api/v1/surveys/nosuch/definition"  # a public route: limited before the 404

    def rotating(base: str, n: int) -> list[int]:
        with httpx.Client(base_url=base, timeout=10) as c:
            return [c.get(path, headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}).status_code for i in range(n)]

    with _serving(cmd, env) as base:
        codes = rotating(base, 6)
    assert codes[:3] == [404] * 3 and codes[3:] == [429] * 3, codes
    with _serving([*cmd, "--forwarded-allow-ips", "127.0.0.1"], env) as base:
        codes = rotating(base, 6)
    assert codes == [404] * 6, codes
