"""Thin helpers over raw DB-API connections, for the two hot paths (group commit and bulk import).

SQL is written once with ``:name`` parameters; psycopg gets them rewritten to ``%(name)s``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class RawConn:
    """One DB-API connection with dialect-neutral ``execute`` and explicit transactions."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._fairy = engine.raw_connection()
        self.dbapi: Any = self._fairy.driver_connection
        self._sql_cache: dict[str, str] = {}

    def sql(self, q: str) -> str:
        if self.sqlite:
            return q
        out = self._sql_cache.get(q)
        if out is None:
            out = self._sql_cache[q] = _NAMED.sub(r"%(\1)s", q.replace("%", "%%"))
        return out

    def execute(self, q: str, params: dict[str, Any] | None = None) -> Any:
        cur = self.dbapi.cursor()
        cur.execute(self.sql(q), params or {})
        return cur

    def executemany(self, q: str, rows: list[dict[str, Any]]) -> None:
        cur = self.dbapi.cursor()
        cur.executemany(self.sql(q), rows)
        cur.close()

    @contextmanager
    def transaction(self, immediate: bool = True) -> Iterator[RawConn]:
        """BEGIN IMMEDIATE on SQLite takes the write lock up front, so a batch never fails half-way on it."""
        if self.sqlite:
            self.dbapi.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield self
        except BaseException:
            self.dbapi.rollback()
            raise
        else:
            self.dbapi.commit()

    def close(self) -> None:
        with suppress(Exception):  # closing a broken connection must not mask the original error
            self._fairy.close()
