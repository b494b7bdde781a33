"""Import batches: every import is recorded, so the same file is never stored twice and any import can be undone.

Re-importing is safe because a respondent is identified by (survey, wave, respondent key): one already stored is
skipped (or, asked to, replaced), and a panel customer answering again in a later wave is a new response. The
stored keys are fetched with one query per import, inside the import's transaction, instead of an index on
(survey_id, wave, respondent_key): an index would slow every bulk insert, and one scan of a survey's keys costs
well under a second at 10^6 responses.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from service.errors import AppError, Conflict, NotFound
from service.responses import repository
from service.store.raw import RawConn

_LOCK_SPACE = 7151  # pg_advisory_xact_lock(space, survey_id): one import per survey at a time on PostgreSQL
_NO_WAVE = "\x1d"  # NULL wave: one wave of its own when matching keys (pandas strings drop NUL)


def cli_user() -> str:
    """``cli:<os user>`` for the batch record (a container without a passwd entry gets its uid)."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return f"cli:uid{os.getuid()}"


def lock_survey(conn: RawConn, survey_id: int) -> None:
    """Serialise imports into one survey (SQLite's BEGIN IMMEDIATE already holds the write lock)."""
    if not conn.sqlite:
        conn.execute("SELECT pg_advisory_xact_lock(:a, :b)", {"a": _LOCK_SPACE, "b": survey_id}).close()


def _joined(waves: Any, keys: Any) -> pa.Array:
    """``wave \x1f key`` per respondent (NULL wave as its own value), as one Arrow string array."""
    w = pc.fill_null(pa.array(waves, type=pa.string()), _NO_WAVE)
    return pc.binary_join_element_wise(w, pa.array(keys, type=pa.string()), "\x1f")


def match_keys(waves: np.ndarray, keys: np.ndarray, stored: StoredKeys) -> tuple[np.ndarray, list[int]]:
    """(mask of incoming respondents already stored, ids of the stored rows they match).

    Arrow's hash join: pandas' ``isin`` on string columns converted every value to Python (~15 s at 10^6).
    """
    if not len(stored.ids) or len(keys) == 0:
        return np.zeros(len(keys), dtype=bool), []
    incoming = _joined(waves, keys)
    have = _joined(stored.waves, stored.keys)
    hit = pc.is_in(incoming, value_set=have).to_numpy(zero_copy_only=False).astype(bool)
    if not hit.any():
        return hit, []
    matched = pc.is_in(have, value_set=incoming.filter(pa.array(hit))).to_numpy(zero_copy_only=False)
    return hit, stored.ids[matched.astype(bool)].tolist()


@dataclass
class StoredKeys:
    ids: np.ndarray
    waves: list[str | None]
    keys: list[str]


def stored_keys(conn: RawConn, survey_id: int) -> StoredKeys:
    """Every stored (id, wave, respondent_key) of the survey that has a key: one query."""
    rows = repository.keyed_rows(conn, survey_id)
    if not rows:
        return StoredKeys(np.zeros(0, dtype=np.int64), [], [])
    ids, waves, keys = zip(*rows, strict=True)
    return StoredKeys(np.asarray(ids, dtype=np.int64), list(waves), list(keys))


def delete_ids(conn: RawConn, ids: list[int]) -> None:
    repository.delete_ids(conn, ids)


def live_batch_with_file(conn: RawConn, survey_id: int, sha256: str) -> int | None:
    """The first batch of this survey that imported the same bytes and was not undone."""
    cur = conn.execute("SELECT min(id) FROM import_batch WHERE survey_id = :s AND sha256 = :h "
                       "AND undone_at IS NULL", {"s": survey_id, "h": sha256})
    row = cur.fetchone()
    cur.close()
    return None if row is None or row[0] is None else int(row[0])


@dataclass
class BatchCounts:
    rows_stored: int = 0
    stored: int = 0
    skipped: int = 0
    replaced: int = 0
    rejected: int = 0


def record_batch(conn: RawConn, survey_id: int, file_name: str, sha256: str, who: str, c: BatchCounts) -> int:
    cur = conn.execute(
        "INSERT INTO import_batch (survey_id, file_name, sha256, rows_stored, stored, skipped, replaced, "
        "rejected, who, created_at) VALUES (:s, :f, :h, :rs, :st, :sk, :rp, :rj, :w, :t) RETURNING id",
        {"s": survey_id, "f": file_name[-255:], "h": sha256, "rs": c.rows_stored, "st": c.stored,
         "sk": c.skipped, "rp": c.replaced, "rj": c.rejected, "w": who[:128], "t": time.time()})
    batch_id = int(cur.fetchone()[0])
    cur.close()
    return batch_id


BATCH_COLUMNS = ("id", "file_name", "sha256", "rows_stored", "stored", "skipped", "replaced", "rejected", "who",
                 "created_at", "undone_at")


def list_batches(engine: Engine, survey_id: int) -> list[dict[str, Any]]:
    conn = RawConn(engine)
    try:
        cur = conn.execute(f"SELECT {', '.join(BATCH_COLUMNS)} FROM import_batch WHERE survey_id = :s "
                           "ORDER BY id", {"s": survey_id})
        out = [dict(zip(BATCH_COLUMNS, r, strict=True)) for r in cur.fetchall()]
        cur.close()
        return out
    finally:
        conn.close()


class UndoRefused(Conflict):
    """The batch replaced responses: removing it cannot bring the replaced ones back."""


def undo_batch(engine: Engine, batch_id: int, *, force: bool = False) -> tuple[dict[str, Any], int]:
    """Remove the batch's responses and mark it undone, in one transaction; returns (batch, rows removed)."""
    conn = RawConn(engine)
    try:
        with conn.transaction():
            cur = conn.execute(f"SELECT {', '.join(BATCH_COLUMNS)}, survey_id FROM import_batch WHERE id = :b",
                               {"b": batch_id})
            row = cur.fetchone()
            cur.close()
            if row is None:
                raise NotFound(f"no import batch {batch_id}")
            batch = dict(zip((*BATCH_COLUMNS, "survey_id"), row, strict=True))
            if batch["undone_at"] is not None:
                raise AppError(f"batch {batch_id} was already undone", status_code=409)
            if batch["replaced"] and not force:
                raise UndoRefused(
                    f"batch {batch_id} replaced {batch['replaced']} response(s) that were stored before it; undoing "
                    "it removes its responses but cannot bring the replaced ones back (use --force to undo anyway)")
            lock_survey(conn, int(batch["survey_id"]))
            removed = repository.delete_batch(conn, batch_id)
            conn.execute("UPDATE import_batch SET undone_at = :t WHERE id = :b",
                         {"t": time.time(), "b": batch_id}).close()
        return batch, removed
    finally:
        conn.close()
