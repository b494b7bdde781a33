"""Load without loss and crash without loss (SQLite and PostgreSQL), two instances on one PostgreSQL (the load split
across both; the same tokens and keys sent to both at once): the fast versions of bench/soak.py, on every CI run.

Each test starts the real service (uvicorn, 2 workers, 127.0.0.1, a free port) in its own process group and a
separate load-generator process; both are bounded in count and time and killed in ``finally`` blocks. The full
sizes (50,000 submissions x 64 clients) run with ``python bench/soak.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import Figures, load_scenario, token_scenario
from tests.reliability.conftest import need_postgres

N = 3000


def check(f: Figures) -> None:
    detail = f"{f}"
    assert f.lost == 0, detail
    assert f.duplicated == 0, detail
    assert f.mismatched == 0, detail
    assert f.s5xx == 0, detail
    assert f.other_non2xx == 0, detail
    assert f.unacked_stored == 0, detail
    assert f.stored == f.acked == f.requests == N, detail  # exactly one row per distinct key
    assert f.retries_sent >= N // 10 and f.concurrent_retries >= N // 20, detail
    assert f.ok, detail


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_crash_without_loss(kind: str, tmp_path: Path) -> None:
    """kill -9 of the server's process group under load, restart on the same port, clients retry the same keys:
    everything acknowledged before the kill is there and intact, nothing is duplicated, nothing is lost."""
    if kind == "postgres":
        need_postgres()
    f = load_scenario(f"crash-{kind}", kind, N, tmp_path, kill=True, deadline_s=180, quiet=True)
    check(f)
    assert f.kill_at_stored > 0 and f.acked_before_kill > 0, f
    assert f.net_errors > 0, f"the kill did not interrupt any request: {f}"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_load_without_loss(kind: str, tmp_path: Path) -> None:
    """64 clients, every 10th submission retried with the same key (half of them while the first is in flight):
    one stored row per distinct key, each equal to what was sent, no 5xx."""
    if kind == "postgres":
        need_postgres()
    f = load_scenario(f"load-{kind}", kind, N, tmp_path, deadline_s=180, quiet=True)
    check(f)
    assert f.net_errors == 0, f"connections failed without a kill: {f}"


@pytest.mark.timeout(240)
def test_two_instances_one_postgres(tmp_path: Path) -> None:
    """The load split over two instances on one database; concurrent retries go to the other instance."""
    need_postgres()
    check(load_scenario("two-instances", "postgres", N, tmp_path, instances=2, deadline_s=180, quiet=True))


@pytest.mark.timeout(240)
def test_tokens_and_keys_hold_across_instances(tmp_path: Path) -> None:
    """Each invitation token sent to both instances at once stores one response (one 201, one 409); each
    Idempotency-Key sent to both at once stores one (one 201, one replayed 200). The database enforces both."""
    need_postgres()
    t = token_scenario(100, tmp_path)
    assert t.created_201 == t.refused_409 == t.tokens == 100 and not t.other, t
    assert t.tokens_used_twice == 0 and t.key_created == t.key_replayed == t.key_stored == t.key_pairs, t
    assert t.stored == t.tokens + t.key_pairs and t.requests == 4 * 100, t
    assert t.ok, t
