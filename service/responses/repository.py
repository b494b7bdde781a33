"""All SQL on the ``response`` table, and its row layouts, in one place (Polar's ``repository.py``).

The writer (group commit), the bulk importer (multi-row INSERT / binary COPY), batch undo, the store reader and the
export each need the table's columns in some order. Those orders used to be typed out in each module; a column
added in one place and forgotten in another is how stored data goes wrong silently. Every module now asks here.

Statements take a ``where`` fragment built by the caller from its own parameters (``survey_id = :s``, a read
scope): the fragment is SQL we generate, never user text.
"""

from __future__ import annotations

from typing import Any

from service.store.raw import RawConn

TABLE = "response"

#: Columns a submission (API, web form, staff batch) writes, in the order of `INSERT_ONE`'s parameters.
SUBMISSION_COLUMNS: tuple[str, ...] = (
    "survey_id", "version_id", "channel", "wave", "respondent_key", "started_at", "submitted_at", "received_at",
    "token_hash", "idempotency_key", "request_hash", "answers", "brand_answers", "texts", "weight",
)
#: Bulk import: the columns every row of one import shares (written once per statement / COPY), then the varying
#: ones, in the order of `service.responses.importing.writing.Rows` tuples.
IMPORT_SHARED: tuple[str, ...] = ("survey_id", "version_id", "received_at", "batch_id")
IMPORT_VARYING: tuple[str, ...] = (
    "channel", "wave", "respondent_key", "started_at", "submitted_at", "answers", "brand_answers", "texts", "weight",
)
IMPORT_COLUMNS: tuple[str, ...] = IMPORT_SHARED + IMPORT_VARYING
#: What the readers (store reader, export) fetch per response, in this order.
READ_COLUMNS: tuple[str, ...] = (
    "id", "version_id", "respondent_key", "wave", "channel", "started_at", "submitted_at", "answers", "brand_answers",
    "texts", "weight",
)

#: One submission; ``ON CONFLICT DO NOTHING`` leaves idempotency-key and token clashes to the caller.
INSERT_ONE = (
    f"INSERT INTO {TABLE} ({', '.join(SUBMISSION_COLUMNS)}) VALUES ({', '.join(':' + c for c in SUBMISSION_COLUMNS)})"
    " ON CONFLICT DO NOTHING RETURNING id"
)


def insert_head(columns: tuple[str, ...] = IMPORT_COLUMNS) -> str:
    """``INSERT INTO response (...) VALUES `` for a multi-row insert of ``columns``."""
    return f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES "


def copy_sql(columns: tuple[str, ...] = IMPORT_COLUMNS) -> str:
    """PostgreSQL binary COPY of ``columns``."""
    return f"COPY {TABLE} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"


def select_rows(where: str, order: str = "id") -> str:
    """The readers' query: `READ_COLUMNS` of the rows matching ``where``, in ``order``."""
    return f"SELECT {', '.join(READ_COLUMNS)} FROM {TABLE} WHERE {where} ORDER BY {order}"


def count(conn: RawConn, where: str, params: dict[str, Any]) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params).fetchone()[0])


def count_survey(conn: RawConn, survey_id: int) -> int:
    return count(conn, "survey_id = :s", {"s": survey_id})


def any_weight(conn: RawConn, where: str, params: dict[str, Any]) -> bool:
    """Whether any matching row carries a survey weight."""
    q = f"SELECT 1 FROM {TABLE} WHERE {where} AND weight IS NOT NULL LIMIT 1"
    return conn.execute(q, params).fetchone() is not None


def durations(where: str) -> str:
    """Completion times (seconds) of the matching timed rows, ascending (the speeder rule's median, SQLite)."""
    return f"SELECT submitted_at - started_at AS dur FROM {TABLE} WHERE {where} ORDER BY dur LIMIT :lim OFFSET :off"


def median_duration(where: str) -> str:
    """Count and median completion time of the matching rows (PostgreSQL's ``percentile_cont``)."""
    return (f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY submitted_at - started_at) "
            f"FROM {TABLE} WHERE {where}")


def by_idempotency_key(conn: RawConn, survey_id: int, key: str) -> tuple[Any, ...] | None:
    """(id, request_hash, version_id) of the response stored under this Idempotency-Key, if any."""
    return conn.execute(
        f"SELECT id, request_hash, version_id FROM {TABLE} WHERE survey_id = :s AND idempotency_key = :k",
        {"s": survey_id, "k": key},
    ).fetchone()


def keyed_rows(conn: RawConn, survey_id: int) -> list[tuple[Any, ...]]:
    """(id, wave, respondent_key) of every stored response of the survey that has a respondent key."""
    cur = conn.execute(f"SELECT id, wave, respondent_key FROM {TABLE} WHERE survey_id = :s "
                       "AND respondent_key IS NOT NULL", {"s": survey_id})
    rows = cur.fetchall()
    cur.close()
    return rows


def delete_one(conn: RawConn, response_id: int) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE id = :id", {"id": response_id}).close()


def delete_ids(conn: RawConn, ids: list[int]) -> None:
    for k in range(0, len(ids), 10_000):
        # Integer ids read from our own table: inlined, so no driver has a parameter-count limit to hit.
        part = ",".join(str(int(i)) for i in ids[k:k + 10_000])
        conn.execute(f"DELETE FROM {TABLE} WHERE id IN ({part})").close()


def delete_batch(conn: RawConn, batch_id: int) -> int:
    """Remove one import batch's responses; how many."""
    cur = conn.execute(f"DELETE FROM {TABLE} WHERE batch_id = :b", {"b": batch_id})
    removed = int(cur.rowcount)
    cur.close()
    return removed
