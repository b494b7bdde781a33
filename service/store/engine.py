"""Engine creation for SQLite (embedded default) and PostgreSQL (production), with durable settings.

SQLite runs in WAL mode with ``synchronous=FULL``: a transaction acknowledged after COMMIT has been fsynced to
the WAL, so it survives ``kill -9`` of the server and a power cut. ``busy_timeout`` lets several worker
processes queue for the write lock instead of failing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kw: Any) -> Engine:
    url = normalise_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Autocommit at the driver level: transactions are begun explicitly below (SQLAlchemy sessions) or
            # with BEGIN IMMEDIATE (the group-commit writer), never implicitly by sqlite3.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for p in SQLITE_PRAGMAS:
                cur.execute(p)
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    kw.setdefault("pool_size", 8)
    kw.setdefault("max_overflow", 8)
    kw.setdefault("pool_pre_ping", True)
    return create_engine(url, **kw)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
