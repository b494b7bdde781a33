"""Reliability soak: load without loss, crash without loss, two instances on one PostgreSQL, memory bounds.

Everything runs against the real service: uvicorn with 2 workers on 127.0.0.1 and a free port, started as its own
process group so a ``kill -9`` takes the supervisor and both workers at once (as a power cut or OOM kill would).
The load comes from ``bench/_loadgen.py`` in a separate process: 64 keep-alive clients, one unique body and
Idempotency-Key per submission, every 10th submission retried with the same key (half while the first attempt is
in flight, half later), dropped connections and 5xx re-sent with the same key until answered.

Afterwards every stored row is read back and checked against what was sent:

- lost: a key acknowledged with 2xx that is not stored (must be 0);
- duplicated: rows beyond one per key, or a key created twice (two 201s, or ids that differ between answers);
- mismatched: a stored answer that does not decode to exactly what was sent;
- stored must equal the number of distinct keys acknowledged, and 5xx must be 0.

    .venv/bin/python bench/soak.py            # full size: 50,000 submissions x 64 clients per scenario
    .venv/bin/python bench/soak.py --quick    # 3,000 submissions: a couple of minutes
    .venv/bin/python bench/soak.py --only crash-sqlite,two-instances --requests 20000

Scenarios: load-sqlite, load-postgres, crash-sqlite, crash-postgres, two-instances, tokens, memory (peak RSS of
the analysis and of the HTML and PDF reports; each must succeed and stay within the estimate and the bound).
The fast versions of the same checks run in tests/reliability (pytest) on every CI run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench import _stores  # noqa: E402
from bench._stores import count_responses  # noqa: E402
from bench._stores import drop_store as drop_store  # noqa: E402  (re-exported: tests/reliability imports it from here)

SLUG = "utility_csi"
SUBMIT_PATH = f"/api/v1/surveys/{SLUG}/responses"
#: The report formats the memory scenario measures, as the staff endpoint ``GET .../report.{fmt}`` serves them.
REPORT_FORMATS = ("html", "pdf")
#: Strings that must be stored and shown back verbatim, never interpreted (SQL, HTML, unicode, quoting).
NASTY = ["'; DROP TABLE response; --", "<script>alert(1)</script>", "\" OR 1=1 --", "停电通知要更及时",
         "emoji 😀 and \u202e rtl", "back\\slash %s %(x)s :name", "line\nbreak\ttab"]


# ----------------------------------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_pids(pgid: int) -> list[int]:
    """Processes still alive in a process group (Linux /proc), to be sure a kill -9 finished."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(d.name))
    return out


def _peak_rss_mib(pids: list[int]) -> float:
    """Largest VmHWM (peak resident set) among the processes, in MiB."""
    peak = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak / 1024


class Server:
    """``uvicorn --workers 2`` of the real app in its own process group; stops by itself (``with``)."""

    def __init__(self, url: str, port: int, log_dir: Path, workers: int = 2, env: dict[str, str] | None = None):
        self.url, self.port, self.workers, self.log_dir = url, port, workers, log_dir
        self.env = {"CSI_DATABASE_URL": url, "CSI_ENVIRONMENT": "test",
                    # The load comes from one address; the per-client limiter is tested on its own.
                    "CSI_PUBLIC_RATE_LIMIT_PER_MINUTE": "0", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.peak_rss_mib = 0.0

    def start(self, timeout: float = 90) -> Server:
        cmd = [PY, "-m", "uvicorn", "service.app:app_from_env", "--factory", "--host", "127.0.0.1", "--port",
               str(self.port), "--workers", str(self.workers), "--log-level", "warning", "--no-access-log"]
        self.starts += 1
        log = open(self.log_dir / f"server-{self.port}-{self.starts}.log", "wb")  # noqa: SIM115 - child owns it
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        t0 = time.time()
        ok = 0
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    ok += r.status == 200
            except OSError:
                ok = 0
            if ok >= 4 and len(_group_pids(self.proc.pid)) >= self.workers + 1:
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server on port {self.port} did not come up in {timeout} s")

    def sample_memory(self) -> None:
        if self.proc is not None:
            self.peak_rss_mib = max(self.peak_rss_mib, _peak_rss_mib(_group_pids(self.proc.pid)))

    def kill9(self) -> float:
        """SIGKILL to the whole group (supervisor and workers), then wait until every process is gone; returns
        the time of the kill (clients' acknowledgements before it must all survive)."""
        assert self.proc is not None
        self.sample_memory()
        killed_at = time.time()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        t0 = time.time()
        while _group_pids(self.proc.pid) and time.time() - t0 < 30:
            time.sleep(0.05)
        return killed_at

    def stop(self) -> None:
        if self.proc is None:
            return
        self.sample_memory()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # stragglers of the group, if any
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def __enter__(self) -> Server:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------------------ stores
def fresh_store(kind: str, tmp: Path) -> str:
    """An empty, migrated store with utility_csi published: a SQLite file, or a private PostgreSQL database."""
    return _stores.fresh_store(kind, tmp, prefix="soak")


def store(kind: str, tmp: Path) -> contextlib.AbstractContextManager[str]:
    """`fresh_store` for a ``with`` block, dropped afterwards."""
    return _stores.store(kind, tmp, prefix="soak")


# ------------------------------------------------------------------------------------------------------ bodies
def make_bodies(n: int, prefix: str, seed: int = 7) -> tuple[list[str], list[dict[str, Any]]]:
    """One unique, valid utility_csi submission per key: random answers, the key as respondent, a unique comment.

    Every value a respondent can give occurs (NA, optional items left out, several brands, both waves), and the
    comments carry SQL, HTML and unicode that must come back verbatim.
    """
    from survey_defs import load_template
    from survey_defs.codebook import codebook_of

    d = load_template(SLUG)
    book = codebook_of(d)
    rng = random.Random(seed)
    own = d.own_brand.id
    others = [b for b in d.brand_ids if b != own]
    waves = d.wave_ids()

    def answer(iid: str) -> Any:
        it = d.item(iid)
        if it.type in ("likert", "nps"):
            if it.allow_na and rng.random() < 0.05:
                return "NA"
            sc = d.scale_of(iid)
            return rng.randint(sc.min, sc.max)
        if it.type == "choice":
            return rng.choice([o.code for o in it.options or []])
        if it.type == "yes_no":
            return rng.random() < 0.5
        raise AssertionError(it.type)

    keys, bodies = [], []
    for k in range(n):
        key = f"{prefix}-{k:06d}"
        answers: dict[str, Any] = {iid: answer(iid) for iid in d.respondent_item_ids
                                   if d.item(iid).required or rng.random() < 0.8}
        if rng.random() < 0.7:
            answers["q_comment"] = f"#{k} {NASTY[k % len(NASTY)]} {rng.getrandbits(32):08x}"
        rated = [own, *[b for b in others if rng.random() < 0.5]]
        brands = {b: {iid: answer(iid) for iid in d.brand_item_ids} for b in rated}
        _drop_not_asked(book, answers, brands)
        start = datetime(2026, 1, 1, tzinfo=UTC).timestamp() + rng.randint(0, 90 * 86400)
        bodies.append({"answers": answers, "brands": brands, "wave": rng.choice(waves), "respondent": key,
                       "started_at": _iso(start), "submitted_at": _iso(start + rng.randint(60, 1800))})
        keys.append(key)
    return keys, bodies


def _drop_not_asked(book: Any, answers: dict[str, Any], brands: dict[str, dict[str, Any]]) -> None:
    """Leave out the answers the respondent's own answers hide (``show_if``): the codebook would refuse them."""
    from survey_defs.codebook import AnswerErrors

    try:
        book.encode(answers, brands)
    except AnswerErrors as e:
        for loc, msg in e.errors:
            if msg.startswith("not asked") and loc[0] == "answers":
                answers.pop(loc[1], None)
            elif msg.startswith("not asked") and loc[0] == "brands":
                brands[loc[1]].pop(loc[2], None)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _norm(v: Any) -> Any:
    """What a sent value decodes to: yes/no booleans come back as 1/0; everything else as sent."""
    return int(v) if isinstance(v, bool) else v


# ------------------------------------------------------------------------------------------------------- load
def start_load(ports: list[int], keys: list[str], bodies: list[dict[str, Any]], tmp: Path, *,
               concurrency: int = 64, retry_every: int = 10, deadline_s: float = 900) -> tuple[Any, Path]:
    """Start the load generator (separate process); returns (process, results file)."""
    results = tmp / f"attempts-{uuid.uuid4().hex[:6]}.json"
    cfg = {"host": "127.0.0.1", "ports": ports, "path": SUBMIT_PATH, "bodies": bodies, "keys": keys,
           "requests": len(keys), "concurrency": concurrency, "retry_every": retry_every,
           "tolerate_errors": True, "deadline_s": deadline_s, "results": str(results)}
    cfg_path = tmp / f"load-{uuid.uuid4().hex[:6]}.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.Popen([PY, str(ROOT / "bench" / "_loadgen.py"), str(cfg_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    return proc, results


def finish_load(proc: Any, timeout: float) -> dict[str, Any]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"the load generator did not finish in {timeout} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
    return dict(json.loads(out))


@dataclass
class Figures:
    """Everything one scenario measured; ``ok`` is the verdict on the invariants."""

    scenario: str
    requests: int = 0
    http_sent: int = 0
    acked: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    mismatched: int = 0
    unacked_stored: int = 0
    s5xx: int = 0
    other_non2xx: int = 0
    retries_sent: int = 0
    concurrent_retries: int = 0
    replayed_200: int = 0
    net_errors: int = 0
    acked_before_kill: int = 0
    kill_at_stored: int = 0
    wall_s: float = 0.0
    acked_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_peak_rss_mib: float = 0.0
    loadgen_peak_rss_mib: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.mismatched == 0 and self.s5xx == 0
                and self.other_non2xx == 0 and self.stored == self.acked == self.requests
                and self.unacked_stored == 0)


def verify(url: str, keys: list[str], bodies: list[dict[str, Any]], attempts: dict[str, list[list[Any]]],
           fig: Figures, kill_time: float | None = None) -> Figures:
    """Read every stored row back and compare it with what was sent and what the clients were told."""
    from service.store.engine import make_engine
    from service.store.raw import RawConn
    from survey_defs.codebook import codebook_for_json

    sent = dict(zip(keys, bodies, strict=True))
    eng = make_engine(url)
    conn = RawConn(eng)
    try:
        rows = conn.execute(
            "SELECT r.id, r.idempotency_key, r.respondent_key, r.wave, r.started_at, r.submitted_at, r.answers,"
            " r.brand_answers, r.texts, v.id, v.definition_json FROM response r"
            " JOIN survey_version v ON v.id = r.version_id ORDER BY r.id").fetchall()
    finally:
        conn.close()
        eng.dispose()
    fig.stored = len(rows)
    stored_ids: dict[str, int] = {}
    for rid, key, resp_key, wave, started, submitted, ans, bans, texts, _vid, djson in rows:
        if key in stored_ids or key not in sent:
            fig.duplicated += 1
            continue
        stored_ids[key] = int(rid)
        body = sent[key]
        answers, brands = codebook_for_json(djson).decode(bytes(ans), bytes(bans), texts)
        want_a = {k: _norm(v) for k, v in body["answers"].items()}
        want_b = {b: {k: _norm(v) for k, v in items.items()} for b, items in body["brands"].items()}
        same = (answers == want_a and brands == want_b and resp_key == body["respondent"] and wave == body["wave"]
                and _iso(started) == body["started_at"] and _iso(submitted) == body["submitted_at"])
        if not same:
            fig.mismatched += 1
            if len(fig.notes) < 5:
                fig.notes.append(f"mismatch {key}: stored {answers} {brands}")
    if len({r[2] for r in rows}) != len(rows):  # each body has its own respondent key: a copy under another key
        fig.duplicated += len(rows) - len({r[2] for r in rows})
    acked_keys = set()
    for key, atts in attempts.items():
        twoxx = [(st, rid, t) for st, rid, t in atts if 200 <= st < 300]
        fig.s5xx += sum(1 for st, _, _ in atts if st >= 500)
        fig.other_non2xx += sum(1 for st, _, _ in atts if 300 <= st < 500 and st != 429)
        fig.replayed_200 += sum(1 for st, _, _ in twoxx if st == 200)
        if not twoxx:
            continue
        acked_keys.add(key)
        if sum(1 for st, _, _ in twoxx if st == 201) > 1 or len({rid for _, rid, _ in twoxx}) != 1:
            fig.duplicated += 1  # the key was created twice, or answered with different ids
            fig.notes.append(f"{key} answered {twoxx}")
        if kill_time is not None and min(t for _, _, t in twoxx) < kill_time:
            fig.acked_before_kill += 1
        if key not in stored_ids:
            fig.lost += 1
        elif stored_ids[key] != twoxx[0][1]:
            fig.mismatched += 1
            fig.notes.append(f"{key}: acknowledged id {twoxx[0][1]}, stored id {stored_ids[key]}")
    fig.acked = len(acked_keys)
    fig.unacked_stored = len(set(stored_ids) - acked_keys)
    return fig


def load_scenario(name: str, kind: str, n: int, tmp: Path, *, concurrency: int = 64, instances: int = 1,
                  kill: bool = False, kill_at: float = 0.4, deadline_s: float = 900, quiet: bool = False
                  ) -> Figures:
    """Submissions with retries against 1 or 2 instances of the service, optionally kill -9 once during the load."""
    fig = Figures(name, requests=n)
    keys, bodies = make_bodies(n, f"{name}-{uuid.uuid4().hex[:6]}")
    with store(kind, tmp) as url:
        servers = [Server(url, free_port(), tmp) for _ in range(instances)]
        proc = None
        try:
            for s in servers:
                s.start()
            proc, results = start_load([s.port for s in servers], keys, bodies, tmp, concurrency=concurrency,
                                       deadline_s=deadline_s)
            kill_time = None
            if kill:
                # Kill when a good part of the load is committed, so requests are in flight and more follow.
                t0 = time.time()
                while count_responses(url) < kill_at * n and proc.poll() is None and time.time() - t0 < deadline_s:
                    servers[0].sample_memory()
                    time.sleep(0.05)
                fig.kill_at_stored = count_responses(url)
                kill_time = servers[0].kill9()
                servers[0].start()
                if not quiet:
                    print(f"  [{name}] kill -9 at ~{fig.kill_at_stored} stored; restarted in "
                          f"{time.time() - kill_time:.1f} s", flush=True)
            while proc.poll() is None:
                for s in servers:
                    s.sample_memory()
                time.sleep(0.5)
            out = finish_load(proc, timeout=deadline_s + 60)
            proc = None
        finally:
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for s in servers:
                s.stop()
        fig.server_peak_rss_mib = max(s.peak_rss_mib for s in servers)
        attempts = json.loads(results.read_text(encoding="utf-8"))
        verify(url, keys, bodies, attempts, fig, kill_time)
    fig.http_sent = int(out["sent"])
    fig.retries_sent, fig.concurrent_retries = int(out["retries_sent"]), int(out["concurrent_retries"])
    fig.net_errors = int(out["net_errors"])
    fig.wall_s, fig.acked_per_s = float(out["wall_s"]), float(out["per_s"])
    fig.p50_ms, fig.p99_ms = float(out["p50_ms"]), float(out["p99_ms"])
    fig.loadgen_peak_rss_mib = float(out.get("peak_rss_mib", 0.0))
    if out.get("gave_up"):
        fig.notes.append(f"{out['gave_up']} request(s) gave up at the deadline")
    return fig


# ------------------------------------------------------------------------------------------------------ tokens
@dataclass
class TokenFigures:
    scenario: str
    tokens: int = 0
    requests: int = 0
    created_201: int = 0
    refused_409: int = 0
    other: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    tokens_used_twice: int = 0
    key_pairs: int = 0
    key_created: int = 0
    key_replayed: int = 0
    key_stored: int = 0

    @property
    def ok(self) -> bool:
        return (self.created_201 == self.tokens and self.refused_409 == self.tokens and not self.other
                and self.stored == self.tokens + self.key_pairs and self.tokens_used_twice == 0
                and self.key_created == self.key_pairs and self.key_replayed == self.key_pairs)


def token_scenario(n_tokens: int, tmp: Path, kind: str = "postgres") -> TokenFigures:
    """Two instances, one database: each invitation token is sent to both at once (different Idempotency-Keys),
    and each of ``n_tokens`` Idempotency-Keys is sent to both at once. One response per token, one per key."""
    import httpx

    from service.invitations.service import create_invitations
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    fig = TokenFigures("tokens-two-instances", tokens=n_tokens, key_pairs=n_tokens)
    with store(kind, tmp) as url:
        eng = make_engine(url)
        issued, _ = create_invitations(eng, load_ref(eng, SLUG), n_tokens)
        eng.dispose()
        keys, bodies = make_bodies(n_tokens, f"tok-{uuid.uuid4().hex[:6]}")
        kkeys, kbodies = make_bodies(n_tokens, f"idem-{uuid.uuid4().hex[:6]}", seed=11)
        servers = [Server(url, free_port(), tmp) for _ in range(2)]
        try:
            for s in servers:
                s.start()

            async def race() -> None:
                limits = httpx.Limits(max_connections=64)
                async with httpx.AsyncClient(limits=limits, timeout=60) as c:
                    sem = asyncio.Semaphore(32)

                    async def post(port: int, body: dict[str, Any], key: str) -> int:
                        async with sem:
                            r = await c.post(f"http://127.0.0.1:{port}{SUBMIT_PATH}", json=body,
                                             headers={"Idempotency-Key": key})
                            return r.status_code

                    async def one_token(i: int) -> list[int]:
                        body = {**bodies[i], "token": issued[i].token}
                        return list(await asyncio.gather(post(servers[0].port, body, keys[i] + "-a"),
                                                         post(servers[1].port, body, keys[i] + "-b")))

                    async def one_key(i: int) -> list[int]:
                        return list(await asyncio.gather(post(servers[0].port, kbodies[i], kkeys[i]),
                                                         post(servers[1].port, kbodies[i], kkeys[i])))

                    for sts in await asyncio.gather(*(one_token(i) for i in range(n_tokens))):
                        fig.requests += 2
                        for st in sts:
                            if st == 201:
                                fig.created_201 += 1
                            elif st == 409:
                                fig.refused_409 += 1
                            else:
                                fig.other[str(st)] = fig.other.get(str(st), 0) + 1
                    for sts in await asyncio.gather(*(one_key(i) for i in range(n_tokens))):
                        fig.requests += 2
                        fig.key_created += sts.count(201)
                        fig.key_replayed += sts.count(200)
                        if sorted(sts) != [200, 201]:
                            fig.other["key:" + "/".join(map(str, sts))] = fig.other.get("key", 0) + 1

            asyncio.run(race())
        finally:
            for s in servers:
                s.stop()
        from service.store.raw import RawConn

        eng = make_engine(url)
        conn = RawConn(eng)
        try:
            fig.stored = int(conn.execute("SELECT count(*) FROM response").fetchone()[0])
            fig.tokens_used_twice = int(conn.execute(
                "SELECT count(*) FROM (SELECT token_hash FROM response WHERE token_hash IS NOT NULL"
                " GROUP BY token_hash HAVING count(*) > 1) t").fetchone()[0])
            fig.key_stored = int(conn.execute(
                "SELECT count(*) FROM response WHERE idempotency_key LIKE 'idem-%'").fetchone()[0])
        finally:
            conn.close()
            eng.dispose()
    return fig


# ------------------------------------------------------------------------------------------------------ memory
def fill_store(url: str, n: int, seed: int = 1) -> float:
    """``n`` simulated respondents straight into the store (importer.to_rows + bulk_insert); seconds taken."""
    from analytics.simulate import simulate
    from service.responses.importer import VARYING, bulk_insert, to_rows
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    t0 = time.perf_counter()
    eng = make_engine(url)
    ref = load_ref(eng, SLUG)
    step = 250_000
    for k in range(0, n, step):
        data = simulate(ref.definition, min(step, n - k), random_state=seed + k, rate_probability=0.5)
        rows = to_rows(ref, data, "import", time.time())
        key = VARYING.index("respondent_key")  # unique respondent keys across the chunks
        rows.tuples = [(*t[:key], f"m{k + i}", *t[key + 1:]) for i, t in enumerate(rows.tuples)]
        bulk_insert(eng, rows)
        del data, rows
    eng.dispose()
    return time.perf_counter() - t0


def measure_child(args: list[str], timeout: float = 3600) -> tuple[float, str]:
    """Run ``python bench/soak.py <args>`` as a child; its peak RSS (RUSAGE_CHILDREN.ru_maxrss, MiB) and output.

    A tiny wrapper process runs it, so the figure is that child's alone (RUSAGE_CHILDREN is a maximum over every
    child ever waited for, and this process already had others).
    """
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stderr.write(p.stderr)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
               "print(p.stdout, end='')\n")
    proc = subprocess.Popen([PY, "-c", wrapper, PY, str(Path(__file__).resolve()), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # the wrapper and the measured child with it
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    first, _, rest = stdout.partition("\n")
    if proc.returncode != 0 or len(first.split()) != 2:
        raise RuntimeError(f"child {args} failed: {stderr[-3000:]}")
    kib, rc = first.split()
    if int(rc) != 0:
        raise RuntimeError(f"child {args} failed: {stderr[-3000:]}")
    return int(kib) / 1024, rest


def memory_scenario(n: int, tmp: Path, kinds: tuple[str, ...] = ("sqlite", "postgres")) -> list[dict[str, Any]]:
    """Peak RSS of ``analyze_store`` on ``n`` responses, against a near-empty store as the baseline."""
    from service.analysis import estimate_analysis_bytes
    from service.settings import Settings

    out = []
    bound = Settings().max_analysis_bytes
    for kind in kinds:
        with store(kind, tmp) as url:
            measure_child(["--_fill", url, "2000"])
            base_mib, _ = measure_child(["--_analyze", url])
            fill_peak_mib, text = measure_child(["--_fill", url, str(n - 2000)])
            fill_s = float(text.strip() or 0)
            peak_mib, text = measure_child(["--_analyze", url])
            info = json.loads(text)
            reports: dict[str, dict[str, Any]] = {}
            for fmt in REPORT_FORMATS:
                # A report that fails is a failure of the memory scenario, reported with its error, never a NaN.
                try:
                    rep_mib, rep_text = measure_child(["--_report", url, fmt], timeout=1800)
                    reports[fmt] = {"peak_mib": rep_mib, **json.loads(rep_text), "error": ""}
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                    reports[fmt] = {"peak_mib": float("nan"), "seconds": float("nan"), "bytes": 0,
                                    "error": f"{type(e).__name__}: {str(e)[-1500:]}"}
            out.append({"store": kind, "responses": info["n"], "fill_s": fill_s, "fill_peak_mib": fill_peak_mib,
                        "analysis_s": info["seconds"], "baseline_peak_mib": base_mib, "peak_mib": peak_mib,
                        "per_response_bytes": (peak_mib - base_mib) * 2**20 / max(info["n"] - 2000, 1),
                        "estimate_mib": estimate_analysis_bytes(info["n"], info["cells"]) / 2**20,
                        "bound_mib": bound / 2**20, "reports": reports})
    return out


def memory_verdict(r: dict[str, Any]) -> list[str]:
    """Why a memory result fails (empty: it passes). The analysis and each report must have run, and each peak
    must stay within the estimate the service refuses by and within the bound: otherwise a request the bound
    admits could still run out of memory."""
    limit = min(r["bound_mib"], r["estimate_mib"])
    why = []
    if not r["peak_mib"] <= limit:
        why.append(f"analysis peak {r['peak_mib']:.0f} MiB > min(estimate, bound) {limit:.0f} MiB")
    for fmt, rep in r["reports"].items():
        if rep["error"]:
            why.append(f"{fmt.upper()} report failed: {rep['error']}")
        elif not rep["bytes"] > 0:
            why.append(f"{fmt.upper()} report is empty")
        elif not rep["peak_mib"] <= limit:
            why.append(f"{fmt.upper()} report peak {rep['peak_mib']:.0f} MiB > min(estimate, bound) {limit:.0f} MiB")
    return why


def _child_analyze(url: str) -> None:
    from service.analysis import analyze_store
    from service.store.engine import make_engine
    from service.surveys.service import load_ref

    eng = make_engine(url)
    ref = load_ref(eng, SLUG)
    t0 = time.perf_counter()
    result = analyze_store(eng, SLUG, max_bytes=2**62)
    d = ref.definition
    print(json.dumps({"n": count_responses(url), "seconds": time.perf_counter() - t0, "keys": len(result),
                      "cells": len(d.respondent_item_ids) + len(d.brand_ids) * len(d.brand_item_ids)}))


def _child_report(url: str, fmt: str) -> None:
    """One report, the way the staff endpoint builds it, with the bound lifted so the peak is what it costs."""
    from service.reporting import build_report
    from service.store.engine import make_engine

    t0 = time.perf_counter()
    body = build_report(make_engine(url), SLUG, fmt=fmt, lang="en", max_bytes=2**62)
    print(json.dumps({"bytes": len(body), "seconds": time.perf_counter() - t0}))


# -------------------------------------------------------------------------------------------------------- main
def print_figures(f: Figures, command: str) -> None:
    print(f"\n== {f.scenario}: {'PASS' if f.ok else 'FAIL'}   ({command})")
    print(f"  submissions (distinct keys) {f.requests:,}; HTTP answers {f.http_sent:,} "
          f"(retries with the same key {f.retries_sent:,}, of them concurrent {f.concurrent_retries:,}; "
          f"replayed 200s {f.replayed_200:,}); connection errors re-sent {f.net_errors:,}")
    print(f"  acknowledged {f.acked:,}; stored {f.stored:,}; lost {f.lost}; duplicated {f.duplicated}; "
          f"mismatched {f.mismatched}; stored-but-unacknowledged {f.unacked_stored}; 5xx {f.s5xx}; "
          f"other non-2xx {f.other_non2xx}")
    if f.kill_at_stored:
        print(f"  kill -9 when {f.kill_at_stored:,} were stored; acknowledged before the kill "
              f"{f.acked_before_kill:,}, all present and intact: {f.lost == 0 and f.mismatched == 0}")
    print(f"  wall {f.wall_s:.1f} s; {f.acked_per_s:,.0f} 2xx/s; p50 {f.p50_ms:.1f} ms, p99 {f.p99_ms:.1f} ms; "
          f"peak RSS: server process {f.server_peak_rss_mib:.0f} MiB, load generator {f.loadgen_peak_rss_mib:.0f} MiB")
    for note in f.notes[:10]:
        print("  note:", note)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3,000 submissions per scenario, 10^5 for memory")
    ap.add_argument("--requests", type=int, default=None)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--memory-responses", type=int, default=None)
    ap.add_argument("--tokens", type=int, default=None)
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--_fill", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--_analyze", help=argparse.SUPPRESS)
    ap.add_argument("--_report", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._fill:
        print(fill_store(a._fill[0], int(a._fill[1])))
        return 0
    if a._analyze:
        _child_analyze(a._analyze)
        return 0
    if a._report:
        _child_report(*a._report)
        return 0
    n = a.requests or (3000 if a.quick else 50_000)
    n_mem = a.memory_responses or (100_000 if a.quick else 1_000_000)
    n_tok = a.tokens or (200 if a.quick else 1000)
    only = {s for s in a.only.split(",") if s}
    cmd = "python bench/soak.py" + (" --quick" if a.quick else "") + (f" --requests {a.requests}" if a.requests
                                                                        else "")
    want = lambda name: not only or name in only  # noqa: E731
    ok = True
    print(f"soak: {n:,} submissions per load scenario, {a.concurrency} clients, every 10th retried; "
          f"memory on {n_mem:,} responses", flush=True)
    with tempfile.TemporaryDirectory(prefix="csi-soak-") as d:
        tmp = Path(d)
        for name, kind, kw in (("load-sqlite", "sqlite", {}), ("load-postgres", "postgres", {}),
                               ("crash-sqlite", "sqlite", {"kill": True}),
                               ("crash-postgres", "postgres", {"kill": True}),
                               ("two-instances", "postgres", {"instances": 2})):
            if want(name):
                f = load_scenario(name, kind, n, tmp, concurrency=a.concurrency, **kw)
                print_figures(f, f"{cmd} --only {name}")
                ok &= f.ok
        if want("tokens"):
            t = token_scenario(n_tok, tmp)
            print(f"\n== {t.scenario}: {'PASS' if t.ok else 'FAIL'}   ({cmd} --only tokens)")
            print(f"  {t.tokens} tokens, each sent to both instances at once: 201 {t.created_201}, 409 "
                  f"{t.refused_409}, other {t.other}; tokens stored twice {t.tokens_used_twice}")
            print(f"  {t.key_pairs} Idempotency-Keys, each sent to both instances at once: 201 {t.key_created}, "
                  f"200 replayed {t.key_replayed}; stored {t.key_stored}; rows in all {t.stored}")
            ok &= t.ok
        if want("memory"):
            for r in memory_scenario(n_mem, tmp):
                # The estimate must stay above what was measured, or the bound does not protect anything.
                why = memory_verdict(r)
                print(f"\n== memory ({r['store']}): {'FAIL' if why else 'PASS'}   ({cmd} --only memory)")
                print(f"  analyze_store on {r['responses']:,} responses: peak RSS {r['peak_mib']:.0f} MiB "
                      f"(baseline on 2,000 responses {r['baseline_peak_mib']:.0f} MiB; "
                      f"{r['per_response_bytes']:.0f} bytes/response), {r['analysis_s']:.1f} s; "
                      f"estimate {r['estimate_mib']:.0f} MiB; bound {r['bound_mib']:.0f} MiB")
                for fmt, rep in r["reports"].items():
                    print(f"  {fmt.upper()} report (build_report, lang=en): peak RSS {rep['peak_mib']:.0f} MiB, "
                          f"{rep['seconds']:.1f} s, {rep['bytes']:,} bytes" + ("; FAILED" if rep["error"] else ""))
                print(f"  filling the store: {r['fill_s']:.1f} s, peak RSS {r['fill_peak_mib']:.0f} MiB")
                for reason in why:
                    print("  FAIL:", reason)
                ok &= not why
    print("\nsoak:", "ALL PASS" if ok else "FAILURES")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
