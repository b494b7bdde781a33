"""Exporting responses as the canonical table (docs/DESIGN.md): CSV, XLSX or JSON, codes or labels.

Each response is decoded with the codebook of the version it answered, so old responses keep their meaning.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from service.store.raw import RawConn
from service.surveys.service import SurveyRef, versions
from survey_defs.codebook import Codebook, codebook_for_json

META = ["respondent", "brand", "wave", "channel", "started_at", "submitted_at"]
WEIGHT = "weight"


def _iso(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")


def columns(ref: SurveyRef, books: dict[int, Codebook]) -> list[str]:
    """Current version's items first, then items only older versions asked."""
    cols = [it.id for it in ref.definition.items]
    for b in books.values():
        for it in b.definition.items:
            if it.id not in cols:
                cols.append(it.id)
    return cols


def iter_responses(engine: Engine, ref: SurveyRef, chunk: int = 5000) -> Iterator[tuple[Any, ...]]:
    conn = RawConn(engine)
    try:
        cur = conn.execute(
            "SELECT id, version_id, respondent_key, wave, channel, started_at, submitted_at, answers,"
            " brand_answers, texts, weight FROM response WHERE survey_id = :s ORDER BY id",
            {"s": ref.id},
        )
        while rows := cur.fetchmany(chunk):
            yield from rows
    finally:
        conn.close()


def iter_records(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per response, in the submission shape (answers + brands)."""
    vers = versions(engine, ref.id)
    books = {vid: codebook_for_json(v.definition_json) for vid, v in vers.items()}
    for rid, vid, key, wave, channel, started, submitted, ans, bans, texts, weight in iter_responses(engine, ref):
        answers, brands = books[vid].decode(bytes(ans), bytes(bans), texts, labels)
        yield {
            "id": rid,
            "version": vers[vid].version,
            "respondent": key or str(rid),
            "wave": wave,
            "channel": channel,
            "started_at": _iso(started) or None,
            "submitted_at": _iso(submitted),
            "answers": answers,
            "brands": brands,
            "weight": weight,
        }


def iter_table(engine: Engine, ref: SurveyRef, labels: str | None = None) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows of the canonical table: one row per (respondent, brand rated)."""
    vers = versions(engine, ref.id)
    books = {vid: codebook_for_json(v.definition_json) for vid, v in vers.items()}
    cols = columns(ref, books)
    weighted = has_weights(engine, ref)
    header = META + ([WEIGHT] if weighted else []) + cols
    own = ref.definition.own_brand.id

    def rows() -> Iterator[list[Any]]:
        for rec in iter_records(engine, ref, labels):
            base = [rec["respondent"], "", rec["wave"] or "", rec["channel"], rec["started_at"] or "",
                    rec["submitted_at"]]
            if weighted:
                base.append(1.0 if rec["weight"] is None else rec["weight"])
            brands = rec["brands"] or {own: {}}
            for b, bans in brands.items():
                vals = {**rec["answers"], **bans}
                row = list(base)
                row[1] = b
                row.extend(_cell(vals.get(c)) for c in cols)
                yield row

    return header, rows()


def has_weights(engine: Engine, ref: SurveyRef) -> bool:
    """Whether any stored response carries a survey weight (then the table gets a ``weight`` column)."""
    conn = RawConn(engine)
    try:
        q = "SELECT 1 FROM response WHERE survey_id = :s AND weight IS NOT NULL LIMIT 1"
        return conn.execute(q, {"s": ref.id}).fetchone() is not None
    finally:
        conn.close()


def _cell(v: Any) -> Any:
    return "" if v is None else v


def to_csv(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[str]:
    header, rows = iter_table(engine, ref, labels)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for i, row in enumerate(rows):
        w.writerow(row)
        if i % 2000 == 1999:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def to_xlsx(engine: Engine, ref: SurveyRef, labels: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    header, rows = iter_table(engine, ref, labels)
    ws.append(header)
    for row in rows:
        ws.append(row)
    lang = labels or ref.definition.default_language
    items = wb.create_sheet("items")
    items.append(["item", "type", "text"])
    for it in ref.definition.items:
        items.append([it.id, it.type, ref.definition.text(it.text, lang)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_json(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[str]:
    lang = labels or ref.definition.default_language
    meta = {
        "survey": ref.slug,
        "version": ref.version,
        "items": {it.id: {"type": it.type, "text": ref.definition.text(it.text, lang)} for it in ref.definition.items},
    }
    yield json.dumps(meta, ensure_ascii=False)[:-1] + ', "responses": ['
    first = True
    for rec in iter_records(engine, ref, labels):
        yield ("" if first else ",") + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "]}"
