"""Quota cells: how many completes each (segment item, option) has in a wave, and who was screened out.

A definition's ``quotas: {q_region: {urban: 400, rural: 200}}`` sets a target per cell, counted per wave. A cell
is full when its completes reach the target; a *new* respondent falling in a full cell is turned away ("screened
out", recorded in ``screen_out``), while responses stored before the cap filled stay stored.

Completes are counted from the response table itself (decoding each stored answer blob through its version's
codebook), so imports, undone imports and deleted responses are always reflected; there is no counter to drift.

No overshoot: the authoritative check runs in the group-commit writer's transaction (`admit`), which on
PostgreSQL first locks the survey row (``SELECT ... FOR UPDATE``) and on SQLite holds the write lock (``BEGIN
IMMEDIATE``), so two writers (threads, processes or instances) cannot both take a cell's last place. The cost,
paid only by surveys with quotas, is one read of the wave's answer blobs per commit batch. The early check of
the web form (`full_cell`, as soon as the segment question is answered) is a plain read and only saves the
respondent from answering the rest of a survey that cannot take them; the writer decides.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine

from service.store.raw import RawConn
from service.surveys import waves
from service.surveys.service import SurveyRef
from survey_defs.codebook import CODE_DTYPE, codebook_for_json, codebook_of
from survey_defs.schema import SurveyDefinition

#: (item, option code, target)
Cell = tuple[str, str, int]


@dataclass(frozen=True)
class QuotaCell:
    """Progress of one quota cell in one wave."""

    item: str
    option: str
    target: int
    completes: int
    remaining: int
    screened_out: int

    @property
    def full(self) -> bool:
        return self.completes >= self.target

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "full": self.full}


def cells_of(d: SurveyDefinition, codes: Mapping[str, str]) -> list[Cell]:
    """The quota cells a respondent with these option codes (item -> code) falls in."""
    out: list[Cell] = []
    for item, targets in (d.quotas or {}).items():
        code = codes.get(item)
        if code is not None and code in targets:
            out.append((item, code, targets[code]))
    return out


def option_codes(d: SurveyDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    """A respondent's answers to the quota items as option codes, read through the codebook (any accepted
    spelling: code or label); answers that do not parse are left out (the codebook refuses them elsewhere)."""
    if not d.quotas:
        return {}
    cb = codebook_of(d)
    out: dict[str, str] = {}
    for item in d.quotas:
        raw = answers.get(item)
        c = cb.codecs.get(item)
        if raw is None or c is None:
            continue
        try:
            idx = c.parse(raw)
        except ValueError:
            continue
        opts = c.item.options or []
        if 0 <= idx < len(opts):
            out[item] = opts[idx].code
    return out


# ------------------------------------------------------------------ counting
def completes(conn: RawConn, survey_id: int, wave: str | None, items: Iterable[str]) -> dict[tuple[str, str], int]:
    """Stored responses per (item, option code) in ``wave``, decoded per version through its codebook."""
    wanted = list(items)
    versions = {int(r[0]): r[1] for r in conn.execute(
        "SELECT id, definition_json FROM survey_version WHERE survey_id = :s", {"s": survey_id}).fetchall()}
    if wave is None:
        rows = conn.execute("SELECT version_id, answers FROM response WHERE survey_id = :s AND wave IS NULL",
                            {"s": survey_id}).fetchall()
    else:
        rows = conn.execute("SELECT version_id, answers FROM response WHERE survey_id = :s AND wave = :w",
                            {"s": survey_id, "w": wave}).fetchall()
    by_version: dict[int, list[bytes]] = {}
    for vid, blob in rows:
        by_version.setdefault(int(vid), []).append(bytes(blob))
    out: dict[tuple[str, str], int] = {}
    for vid, blobs in by_version.items():
        book = codebook_for_json(versions[vid])
        width = len(book.resp_ids)
        if width == 0:
            continue
        m = np.frombuffer(b"".join(blobs), dtype=CODE_DTYPE).reshape(len(blobs), width)
        for item in wanted:
            c = book.codecs.get(item)
            if c is None or c.per_brand:
                continue
            opts = c.item.options or []
            values, counts = np.unique(m[:, c.column], return_counts=True)
            for v, n in zip(values.tolist(), counts.tolist(), strict=True):
                if 0 <= v < len(opts):
                    key = (item, opts[v].code)
                    out[key] = out.get(key, 0) + int(n)
    return out


def _screened(conn: RawConn, survey_id: int, wave: str | None) -> dict[tuple[str, str], int]:
    q = "SELECT item, option, COUNT(*) FROM screen_out WHERE survey_id = :s AND "
    q += "wave IS NULL" if wave is None else "wave = :w"
    q += " GROUP BY item, option"
    return {(r[0], r[1]): int(r[2]) for r in conn.execute(q, {"s": survey_id, "w": wave}).fetchall()}


def _current_wave(ref: SurveyRef, wave: str | None) -> str | None:
    return wave if wave is not None else waves.default_wave(ref.definition, time.time())


def quota_progress(engine: Engine, ref: SurveyRef, wave: str | None = None) -> list[QuotaCell]:
    """Every quota cell's target, completes, remaining places and screen-outs in ``wave`` (default: the wave
    open now). Empty for a survey without quotas."""
    d = ref.definition
    if not d.quotas:
        return []
    w = _current_wave(ref, wave)
    conn = RawConn(engine)
    try:
        done = completes(conn, ref.id, w, d.quotas)
        screened = _screened(conn, ref.id, w)
    finally:
        conn.close()
    return [QuotaCell(item, code, target, done.get((item, code), 0), max(target - done.get((item, code), 0), 0),
                      screened.get((item, code), 0))
            for item, targets in d.quotas.items() for code, target in targets.items()]


def screened_out_count(engine: Engine, ref: SurveyRef, wave: str | None = None) -> int:
    """Respondents screened out by full quota cells in ``wave`` (default: the wave open now)."""
    conn = RawConn(engine)
    try:
        return sum(_screened(conn, ref.id, _current_wave(ref, wave)).values())
    finally:
        conn.close()


def full_cell(engine: Engine, ref: SurveyRef, wave: str | None, codes: Mapping[str, str]) -> Cell | None:
    """The first full cell among a respondent's (plain read; the web form's early check)."""
    cells = cells_of(ref.definition, codes)
    if not cells:
        return None
    conn = RawConn(engine)
    try:
        done = completes(conn, ref.id, wave, [c[0] for c in cells])
    finally:
        conn.close()
    return next((c for c in cells if done.get((c[0], c[1]), 0) >= c[2]), None)


def record_screen_out(conn: RawConn, survey_id: int, wave: str | None, cell: Cell, channel: str,
                      key: str | None) -> None:
    """Count one screened-out respondent; a second record with the same ``key`` is ignored (reload, retry)."""
    conn.execute(
        "INSERT INTO screen_out (survey_id, wave, item, option, channel, key, created_at)"
        " VALUES (:s, :w, :i, :o, :c, :k, :t) ON CONFLICT DO NOTHING",
        {"s": survey_id, "w": wave, "i": cell[0], "o": cell[1], "c": channel, "k": key, "t": time.time()},
    )


def screen_out(engine: Engine, ref: SurveyRef, wave: str | None, cell: Cell, channel: str, key: str | None) -> None:
    conn = RawConn(engine)
    try:
        with conn.transaction():
            record_screen_out(conn, ref.id, wave, cell, channel, key)
    finally:
        conn.close()


def is_screened_out(engine: Engine, survey_id: int, key: str) -> Cell | None:
    conn = RawConn(engine)
    try:
        row = conn.execute("SELECT item, option FROM screen_out WHERE survey_id = :s AND key = :k",
                           {"s": survey_id, "k": key}).fetchone()
    finally:
        conn.close()
    return None if row is None else (row[0], row[1], 0)


def full_message(cell: Cell) -> str:
    return (f"the quota for {cell[0]} = {cell[1]} is full (target {cell[2]}); this response was not stored and "
            "counts as screened out")
