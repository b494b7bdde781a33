"""Storing answers in progress (table ``draft``): every page the respondent leaves is saved, valid or not."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.store.raw import RawConn
from service.store.tables import Draft

DRAFT_ID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


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


def save(engine: Engine, row: Draft) -> Draft:
    """Insert or update, and return the stored draft.

    Raw SQL in one write transaction (BEGIN IMMEDIATE on SQLite: a read-then-write ORM session there fails at
    once with "database is locked" when another request wrote in between). Two tabs opening one invitation race
    for its single draft (UNIQUE token_hash): the loser gets the winner's draft back.
    """
    row.updated_at = time.time()
    params = {c: getattr(row, c) for c in COLUMNS}
    conn = RawConn(engine)
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
            else:
                inserted = True
    finally:
        conn.close()
    if inserted:
        return row
    existing = get(engine, row.id)
    if existing is None and row.token_hash is not None:
        existing = by_token(engine, row.token_hash)
    if existing is None:
        raise RuntimeError("a draft could not be saved")
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
