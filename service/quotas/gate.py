"""The quota check inside the group-commit writer's transaction: who may still be stored (no overshoot).

Kept apart from `service.quotas.service` so the writer imports only this and the raw connection; the reasoning
(why locking the survey row makes the count exact) is in that module's docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.quotas.service import Cell, completes, full_message, record_screen_out
from service.store.raw import RawConn

if TYPE_CHECKING:
    from service.responses.writer import NewResponse

__all__ = ["admit", "full_message"]


def admit(conn: RawConn, items: list[NewResponse]) -> dict[int, Cell]:
    """``id(item)`` -> the full cell refusing it, for the items of this batch that quotas turn away.

    Per (survey, wave): lock the survey row (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises
    writers), count the stored completes, then take the batch's items in order, each counted as it is admitted.
    A refused item is recorded as screened out in the same transaction. A retry of an already stored response
    (same Idempotency-Key) is let through, so it gets its original outcome. An admitted item whose insert then
    fails (its token already used) was counted anyway: that can only refuse a later item of the same batch.
    """
    quota_items = [it for it in items if it.quota]
    if not quota_items:
        return {}
    groups: dict[tuple[int, str | None], list[NewResponse]] = {}
    for it in quota_items:
        groups.setdefault((it.survey_id, it.wave), []).append(it)
    if not conn.sqlite:
        for sid in sorted({sid for sid, _ in groups}):  # one order everywhere: no deadlock between writers
            conn.execute("SELECT id FROM survey WHERE id = :s FOR UPDATE", {"s": sid})
    refused: dict[int, Cell] = {}
    for (sid, wave), group in groups.items():
        done = completes(conn, sid, wave, {c[0] for it in group for c in it.quota or []})
        for it in group:
            if it.idempotency_key is not None and conn.execute(
                    "SELECT 1 FROM response WHERE survey_id = :s AND idempotency_key = :k",
                    {"s": sid, "k": it.idempotency_key}).fetchone() is not None:
                continue
            cells = it.quota or []
            cell = next((c for c in cells if done.get((c[0], c[1]), 0) >= c[2]), None)
            if cell is not None:
                refused[id(it)] = cell
                record_screen_out(conn, sid, wave, cell, it.channel, it.idempotency_key or it.token_hash)
                continue
            for c in cells:
                done[(c[0], c[1])] = done.get((c[0], c[1]), 0) + 1
    return refused
