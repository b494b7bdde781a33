"""Storing answers in progress (table ``draft``): every page the respondent leaves is saved, valid or not."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from service.store.raw import RawConn
from service.store.tables import Draft

DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
log = logging.getLogger(__name__)


def new_id() -> str:
    """A resume code: 192 random bits, so holding the link is the only way into a draft."""
    return secrets.token_urlsafe(24)


def valid_id(draft_id: str | None) -> bool:
    return bool(draft_id) and DRAFT_ID.match(draft_id or "") is not None


@dataclass
class Answers:
    """A draft's raw form values: field name (``a:ITEM`` / ``b:BRAND:ITEM``) -> value, and the picked brands."""

    values: dict[str, str] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, row: Draft) -> Answers:
        brands = json.loads(row.brands or "{}")
        values = {f"a:{k}": v for k, v in json.loads(row.answers or "{}").items()}
        for b, items in (brands.get("answers") or {}).items():
            values.update({f"b:{b}:{k}": v for k, v in items.items()})
        return cls(values, list(brands.get("chosen") or []))

    def to_row(self, row: Draft) -> None:
        answers = {k[2:]: v for k, v in self.values.items() if k.startswith("a:")}
        per_brand: dict[str, dict[str, str]] = {}
        for k, v in self.values.items():
            if k.startswith("b:"):
                _, b, iid = k.split(":", 2)
                per_brand.setdefault(b, {})[iid] = v
        row.answers = json.dumps(answers, ensure_ascii=False)
        row.brands = json.dumps({"chosen": self.chosen, "answers": per_brand}, ensure_ascii=False)

    def submission(self, respondent_ids: set[str], brand_ids: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(answers, brands) in the collector API's shape: only picked brands, only items of this definition."""
        answers = {k[2:]: v for k, v in self.values.items()
                   if k.startswith("a:") and k[2:] in respondent_ids and v != ""}
        brands: dict[str, dict[str, Any]] = {b: {} for b in self.chosen}
        for k, v in self.values.items():
            if k.startswith("b:") and v != "":
                _, b, iid = k.split(":", 2)
                if b in brands and iid in brand_ids:
                    brands[b][iid] = v
        return answers, brands


def get(engine: Engine, draft_id: str) -> Draft | None:
    with Session(engine) as s:
        return s.get(Draft, draft_id)


def by_token(engine: Engine, token_hash: str) -> Draft | None:
    with Session(engine) as s:
        return s.exec(select(Draft).where(Draft.token_hash == token_hash)).first()


COLUMNS = ("id", "survey_id", "version_id", "token_hash", "answers", "brands", "page", "started_at", "updated_at")
ALL_COLUMNS = (*COLUMNS, "submitted_at", "response_id")


def revision(row: Draft) -> str:
    """A draft's version as the form carries it (hidden ``rev``): its last save time, exactly (``repr``).

    A POST whose ``rev`` differs was made on a page shown before the draft's last save (another tab, a page
    restored from the history, a replayed POST); `service.web.flow` then merges instead of overwriting.
    """
    return repr(float(row.updated_at))


def save(engine: Engine, row: Draft) -> Draft:
    """Insert or update, and return the stored draft.

    Raw SQL in one write transaction (BEGIN IMMEDIATE on SQLite: a read-then-write ORM session there fails at
    once with "database is locked" when another request wrote in between). Two tabs opening one invitation race
    for its single draft (UNIQUE token_hash): the loser's values are merged into the winner's draft (`merge`),
    under a row lock, and the merged draft is returned, so neither tab's answers are lost.
    """
    row.updated_at = time.time()
    params = {c: getattr(row, c) for c in COLUMNS}
    conn = RawConn(engine)
    merged: Draft | None = None
    try:
        with conn.transaction():
            cur = conn.execute(
                "UPDATE draft SET version_id = :version_id, answers = :answers, brands = :brands, page = :page,"
                " updated_at = :updated_at WHERE id = :id AND submitted_at IS NULL", params)
            if cur.rowcount == 0:
                cur = conn.execute(
                    f"INSERT INTO draft ({', '.join(COLUMNS)}) VALUES ({', '.join(':' + c for c in COLUMNS)})"
                    " ON CONFLICT DO NOTHING", params)
                inserted = cur.rowcount == 1
                if not inserted and row.token_hash is not None:
                    merged = _merge_into_token_draft(conn, row)
            else:
                inserted = True
    finally:
        conn.close()
    if inserted:
        return row
    if merged is not None:
        return merged
    existing = get(engine, row.id)
    if existing is None and row.token_hash is not None:
        existing = by_token(engine, row.token_hash)
    if existing is None:
        raise RuntimeError("a draft could not be saved")
    return existing


def merge(into: Answers, other: Answers) -> Answers:
    """``other``'s answers laid over ``into``'s: what ``other`` answered wins, what it left blank is kept.

    Used when a second tab lost the race for an invitation's draft: its page is the newer input, but a blank in
    it means "not answered on this page", not "erase".
    """
    values = {**into.values, **{k: v for k, v in other.values.items() if v != ""}}
    return Answers(values, list(other.chosen) if other.chosen else list(into.chosen))


def _merge_into_token_draft(conn: RawConn, row: Draft) -> Draft | None:
    """Merge ``row`` into the unsubmitted draft holding its token (inside the caller's transaction)."""
    lock = "" if conn.sqlite else " FOR UPDATE"
    cur = conn.execute(f"SELECT {', '.join(ALL_COLUMNS)} FROM draft WHERE token_hash = :h{lock}",
                       {"h": row.token_hash})
    found = cur.fetchone()
    if found is None:
        return None
    existing = Draft(**dict(zip(ALL_COLUMNS, found, strict=True)))
    if existing.submitted_at is not None or existing.id == row.id:
        return existing
    merge(Answers.of(existing), Answers.of(row)).to_row(existing)
    existing.page = row.page
    existing.version_id = row.version_id
    existing.updated_at = time.time()
    conn.execute("UPDATE draft SET version_id = :version_id, answers = :answers, brands = :brands, page = :page,"
                 " updated_at = :updated_at WHERE id = :id", {c: getattr(existing, c) for c in COLUMNS})
    return existing


def mark_submitted(engine: Engine, draft_id: str, response_id: int | None) -> None:
    conn = RawConn(engine)
    try:
        with conn.transaction():
            conn.execute("UPDATE draft SET submitted_at = :now, response_id = :rid"
                         " WHERE id = :id AND submitted_at IS NULL",
                         {"now": time.time(), "rid": response_id, "id": draft_id})
    finally:
        conn.close()


def purge(engine: Engine, older_than_s: float, now: float | None = None) -> int:
    """Delete the drafts not saved for ``older_than_s`` seconds (submitted or not); returns how many.

    One DELETE on the ``updated_at`` index, so it stays cheap however many drafts there are. A submitted
    response lives in ``response``; its draft only remembered the answers in progress. An invitation whose draft
    is purged is still recorded as used (``invitation``) or opens a fresh draft.
    """
    cutoff = (time.time() if now is None else now) - older_than_s
    conn = RawConn(engine)
    try:
        # Look first (an index probe, no lock): most runs find nothing, and then take no write lock at all. On
        # SQLite a write lock taken at the wrong moment fails another request's read-then-write transaction.
        cur = conn.execute("SELECT 1 FROM draft WHERE updated_at < :cutoff LIMIT 1", {"cutoff": cutoff})
        found = cur.fetchone() is not None
        cur.close()
        if not found:
            conn.dbapi.rollback()  # end PostgreSQL's implicit read transaction
            return 0
        with conn.transaction():
            return int(conn.execute("DELETE FROM draft WHERE updated_at < :cutoff", {"cutoff": cutoff}).rowcount)
    finally:
        conn.close()


#: Seconds between two purges run by the service itself.
PURGE_EVERY_S = 3600.0


async def purge_drafts_periodically(engine: Engine, older_than_s: float, every_s: float = PURGE_EVERY_S) -> None:
    """Run `purge` at start-up and then every ``every_s`` seconds, until cancelled (the app's lifespan).

    Why in the service: expiry that needs a cron job is expiry that is forgotten. With several workers each runs
    it; the DELETEs are idempotent and cheap, so that costs nothing worth coordinating. A failure (the database
    away for a moment) is logged and tried again next time, never taken down with the worker.
    """
    while True:
        try:
            n = await run_in_threadpool(purge, engine, older_than_s)
            if n:
                log.info("purged %d draft(s) not saved for %.1f days", n, older_than_s / 86400)
        except Exception:
            log.exception("purging expired drafts failed; trying again in %.0f s", every_s)
        await asyncio.sleep(every_s)
