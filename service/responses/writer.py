"""Group commit: many concurrent submissions share one transaction, and each is acknowledged after its commit.

A commit per request cannot reach thousands of durable submissions per second (PostgreSQL's fsync manages about
2.5k/s here, and every commit pays one). Requests therefore hand their encoded row to one writer thread per
process. While a commit is in flight the next requests queue up; the writer takes all of them as the next batch.
The HTTP handler awaits its own outcome, which is set only after COMMIT returned, so every 2xx is durable.

Idempotency and single-use tokens are enforced by unique constraints in the database (not process memory), so
they hold across workers and instances: ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine

from service.quotas.gate import admit, full_message
from service.responses import repository
from service.store.raw import RawConn

log = logging.getLogger(__name__)

Status = Literal["created", "replayed", "key_conflict", "token_used", "closed", "quota_full", "error"]


@dataclass
class NewResponse:
    """An encoded, validated response waiting for its commit."""

    survey_id: int
    version_id: int
    channel: str
    submitted_at: float
    answers: bytes
    brand_answers: bytes
    texts: str | None = None
    wave: str | None = None
    respondent_key: str | None = None
    started_at: float | None = None
    token_hash: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    weight: float | None = None
    #: The quota cells (item, option, target) this respondent falls in; checked in the writer's transaction.
    quota: list[tuple[str, str, int]] | None = None

    def params(self, received_at: float) -> dict[str, Any]:
        d = dict(self.__dict__)
        del d["quota"]
        d["received_at"] = received_at
        return d


@dataclass
class Outcome:
    status: Status
    response_id: int | None = None
    version_id: int | None = None
    message: str = ""
    loc: list[Any] | None = None


@dataclass
class _Job:
    item: NewResponse
    loop: asyncio.AbstractEventLoop | None
    future: Any
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome | None = None


def write_batch(conn: RawConn, items: list[NewResponse]) -> list[Outcome]:
    """Write several responses in ONE transaction; each gets its own outcome. Caller commits/rolls back."""
    now = time.time()
    surveys = {it.survey_id for it in items}
    status: dict[int, str] = {}
    for sid in surveys:
        row = conn.execute("SELECT status FROM survey WHERE id = :id", {"id": sid}).fetchone()
        status[sid] = row[0] if row else "missing"
    full = admit(conn, [it for it in items if status[it.survey_id] == "open"])
    open_items = [it for it in items if status[it.survey_id] == "open" and id(it) not in full]
    ids = _insert_all(conn, open_items, now)
    out: list[Outcome] = []
    for it in items:
        if status[it.survey_id] != "open":
            prior = _existing(conn, it) if it.idempotency_key else None
            out.append(prior or Outcome("closed", message="this survey is closed"))
            continue
        if id(it) in full:
            cell = full[id(it)]
            out.append(Outcome("quota_full", message=full_message(cell), loc=["body", "answers", cell[0]]))
            continue
        rid = ids.pop(0)
        if rid is not None:
            if it.token_hash is not None:
                cur = conn.execute(
                    "UPDATE invitation SET used_at = :now WHERE token_hash = :h AND used_at IS NULL",
                    {"now": now, "h": it.token_hash},
                )
                if cur.rowcount != 1:
                    repository.delete_one(conn, rid)
                    out.append(Outcome("token_used", message="this invitation has already been answered"))
                    continue
            out.append(Outcome("created", rid, it.version_id))
            continue
        prior = _existing(conn, it) if it.idempotency_key else None
        out.append(prior or Outcome("token_used", message="this invitation has already been answered"))
    return out


def _insert_all(conn: RawConn, items: list[NewResponse], now: float) -> list[int | None]:
    """Insert each item unless a unique key (idempotency key, token) already exists; the new ids, or None.

    PostgreSQL gets all inserts in one pipelined round trip; SQLite runs in-process, so a loop is as fast.
    """
    sql = repository.INSERT_ONE
    if not items:
        return []
    if conn.sqlite:
        out: list[int | None] = []
        for it in items:
            row = conn.execute(sql, it.params(now)).fetchone()
            out.append(None if row is None else int(row[0]))
        return out
    cur = conn.dbapi.cursor()
    cur.executemany(conn.sql(sql), [it.params(now) for it in items], returning=True)
    ids: list[int | None] = []
    while True:
        row = cur.fetchone()
        ids.append(None if row is None else int(row[0]))
        if not cur.nextset():
            break
    cur.close()
    return ids


def _existing(conn: RawConn, it: NewResponse) -> Outcome | None:
    assert it.idempotency_key is not None
    return existing_outcome(conn, it.survey_id, it.idempotency_key, it.request_hash)


def existing_outcome(conn: RawConn, survey_id: int, key: str, request_hash: str | None) -> Outcome | None:
    """What a retry with this Idempotency-Key gets: the original response, a key conflict, or None (new key)."""
    row = repository.by_idempotency_key(conn, survey_id, key)
    if row is None:
        return None
    if row[1] != request_hash:
        return Outcome(
            "key_conflict", int(row[0]), message="Idempotency-Key was already used with a different request body"
        )
    return Outcome("replayed", int(row[0]), int(row[2]))


class GroupCommitWriter:
    """One writer thread per process; ``await write(item)`` returns after the item's transaction committed."""

    def __init__(self, engine: Engine, batch_max: int = 512):
        self.engine = engine
        self.batch_max = batch_max
        self._q: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.items = 0

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="csi-group-commit", daemon=True)
                    self._thread.start()

    async def write(self, item: NewResponse) -> Outcome:
        self._ensure_started()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._q.put(_Job(item, loop, fut))
        return await fut

    def write_blocking(self, item: NewResponse) -> Outcome:
        """For synchronous callers (web form handlers run in the threadpool)."""
        self._ensure_started()
        job = _Job(item, None, None)
        self._q.put(job)
        job.done.wait()
        assert job.outcome is not None
        return job.outcome

    def close(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        conn: RawConn | None = None
        while True:
            job = self._q.get()
            if job is None:
                break
            batch = [job]
            stop = False
            while len(batch) < self.batch_max:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                if conn is None:
                    conn = RawConn(self.engine)
                outcomes = self._commit(conn, batch)
            except Exception:
                log.exception("group commit failed; retrying items one by one")
                if conn is not None:
                    conn.close()
                conn = None
                outcomes = self._one_by_one(batch)
            self.batches += 1
            self.items += len(batch)
            for j, o in zip(batch, outcomes, strict=True):
                _resolve(j, o)
            if stop:
                break
        if conn is not None:
            conn.close()

    def _commit(self, conn: RawConn, batch: list[_Job]) -> list[Outcome]:
        with conn.transaction():
            return write_batch(conn, [j.item for j in batch])

    def _one_by_one(self, batch: list[_Job]) -> list[Outcome]:
        out = []
        for j in batch:
            conn = None
            try:
                conn = RawConn(self.engine)
                with conn.transaction():
                    out.append(write_batch(conn, [j.item])[0])
            except Exception as e:
                log.exception("storing a response failed")
                out.append(Outcome("error", message=f"the response store is unavailable: {type(e).__name__}"))
            finally:
                if conn is not None:
                    conn.close()
        return out


def _resolve(job: _Job, outcome: Outcome) -> None:
    job.outcome = outcome
    if job.loop is not None:
        def _set() -> None:
            if not job.future.done():
                job.future.set_result(outcome)

        job.loop.call_soon_threadsafe(_set)
    job.done.set()
