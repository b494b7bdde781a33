"""Throw-away stores for the benchmarks (and the reliability tests that reuse them): create, count, drop.

One place for the set-up every store benchmark needs, so they all measure a store made the way the service makes
one: an empty SQLite file or a private PostgreSQL database, the real migrations (`service.store.migrate.upgrade`)
and a survey published through `service.surveys.service.publish`. A PostgreSQL database is named
``csi_<prefix>_<hex>`` so one left behind by a crashed run is easy to recognise and drop.

The service modules are imported inside the functions: the benchmarks' measuring children import this module too,
and their baseline memory must not include alembic and the publish path they never use.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

#: The PostgreSQL server the benchmarks create their databases on (the tests' server by default).
PG_ADMIN = os.environ.get("CSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: The survey published unless a benchmark brings its own definition.
DEFAULT_SLUG = "utility_csi"


def _on_server(sql: str) -> None:
    """One statement on `PG_ADMIN`'s server outside a transaction (CREATE/DROP DATABASE cannot run in one)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(sql))
    finally:
        admin.dispose()


def empty_database(kind: str, tmp: Path, prefix: str = "bench") -> str:
    """The URL of a new, empty database: a SQLite file in ``tmp``, or a PostgreSQL database on `PG_ADMIN`'s
    server (``kind`` "postgres")."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{prefix}-{uuid.uuid4().hex[:8]}.db'}"
    name = f"csi_{prefix}_{uuid.uuid4().hex[:10]}"
    _on_server(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def fresh_store(kind: str, tmp: Path, *, prefix: str = "bench", definition: str | None = None,
                filename: str = f"{DEFAULT_SLUG}.yaml") -> str:
    """An empty, migrated store with one survey published (``definition``, YAML text, under ``filename``;
    default: the utility_csi template); returns its URL."""
    from service.store.engine import make_engine
    from service.store.migrate import upgrade
    from service.surveys.service import publish
    from survey_defs import template_path

    if definition is None:
        definition = template_path(DEFAULT_SLUG).read_text(encoding="utf-8")
    url = empty_database(kind, tmp, prefix)
    eng = make_engine(url)
    try:
        upgrade(eng)
        publish(eng, definition, filename)
    finally:
        eng.dispose()
    return url


def drop_store(url: str) -> None:
    """Drop a PostgreSQL store (forcing its connections closed); a SQLite file goes with its temporary folder."""
    if url.startswith("postgresql"):
        _on_server(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@contextlib.contextmanager
def store(kind: str, tmp: Path, prefix: str = "bench") -> Iterator[str]:
    """`fresh_store` for the duration of a ``with`` block, dropped afterwards even when the block fails."""
    url = fresh_store(kind, tmp, prefix=prefix)
    try:
        yield url
    finally:
        drop_store(url)


def count_responses(url: str) -> int:
    """Rows in the store's response table (every survey), on a connection of its own."""
    from service.store.engine import make_engine
    from service.store.raw import RawConn

    eng = make_engine(url)
    try:
        conn = RawConn(eng)
        try:
            return int(conn.execute("SELECT count(*) FROM response").fetchone()[0])
        finally:
            conn.close()
    finally:
        eng.dispose()
