"""The store settings that make an acknowledged response survive a crash (README, "Why an acknowledged response
survives a crash"), asserted on the connections the service really uses.

SQLite: ``journal_mode=WAL`` and ``synchronous=FULL`` (2) on every connection of ``make_engine``, on the raw
DB-API connections of ``RawConn`` (the group-commit writer and the bulk importer), and on the connection the
running app's writer thread commits a submission on. The engine is handed connections deliberately opened with
``synchronous=OFF`` in rollback-journal mode, so the assertions only hold if the engine itself sets both (this
build's compiled-in default is already FULL, which a plain connection would report anyway).

PostgreSQL: ``synchronous_commit`` and ``fsync`` are on for the same connections (a returned COMMIT is durable).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from service.app import create_app
from service.responses.writer import GroupCommitWriter
from service.settings import Settings
from service.store.engine import make_engine
from service.store.migrate import upgrade
from service.store.raw import RawConn
from service.surveys.service import publish
from survey_defs import template_path
from tests.service.payloads import good_submission

WAL_FULL = ("wal", 2)


def sqlite_pragmas(dbapi: Any) -> tuple[str, int]:
    return (str(dbapi.execute("PRAGMA journal_mode").fetchone()[0]).lower(),
            int(dbapi.execute("PRAGMA synchronous").fetchone()[0]))


def weak_connect(path: Path) -> sqlite3.Connection:
    """A connection as weak as SQLite allows: rollback journal, no fsync at all."""
    c = sqlite3.connect(path, check_same_thread=False)
    c.execute("PRAGMA journal_mode=DELETE")
    c.execute("PRAGMA synchronous=OFF")
    return c


def test_weak_connection_is_really_weak(tmp_path: Path) -> None:
    """The control: without the engine, the connection the tests below hand over is not durable."""
    assert sqlite_pragmas(weak_connect(tmp_path / "w.db")) == ("delete", 0)


def test_sqlite_engine_and_raw_connections_are_wal_and_full(tmp_path: Path) -> None:
    db = tmp_path / "csi.db"
    for engine in (make_engine(f"sqlite:///{db}"), make_engine(f"sqlite:///{db}", creator=lambda: weak_connect(db))):
        try:
            with engine.connect() as c:  # what the SQLAlchemy sessions (surveys, keys, drafts) use
                assert sqlite_pragmas(c.connection.driver_connection) == WAL_FULL
            raw = RawConn(engine)  # what the group-commit writer and the importer use
            try:
                assert sqlite_pragmas(raw.dbapi) == WAL_FULL
                with raw.transaction():  # inside the writer's BEGIN IMMEDIATE too
                    assert sqlite_pragmas(raw.dbapi) == WAL_FULL
            finally:
                raw.close()
        finally:
            engine.dispose()
    # WAL is a property of the file: a plain connection opened afterwards sees it (synchronous is per connection).
    assert sqlite_pragmas(sqlite3.connect(db))[0] == "wal"


class _Observed(GroupCommitWriter):
    """The real writer; records the pragmas of the connection each batch is committed on, then commits it."""

    seen: list[Any]

    def _commit(self, conn: RawConn, batch: list[Any]) -> list[Any]:
        self.seen.append(sqlite_pragmas(conn.dbapi) if conn.sqlite else show_durability(conn.dbapi))
        return super()._commit(conn, batch)


def show_durability(dbapi: Any) -> tuple[str, str]:
    cur = dbapi.cursor()
    out = tuple(str(cur.execute(f"SHOW {name}").fetchone()[0]) for name in ("synchronous_commit", "fsync"))
    cur.close()
    return out  # type: ignore[return-value]


def _commit_one_submission(url: str) -> list[Any]:
    """Start the app the way ``app_from_env`` does (it makes its own engine), submit once, and return what the
    writer thread's connection reported when it committed."""
    engine = make_engine(url)
    upgrade(engine)  # already migrated: a no-op, as `csi db upgrade` on a current store
    publish(engine, template_path("utility_csi").read_text(encoding="utf-8"), "utility_csi.yaml")
    engine.dispose()
    app = create_app(Settings(database_url=url, environment="test"))
    state = app.state.csi
    state.writer.close()
    writer = _Observed(state.engine, state.settings.batch_max)
    writer.seen = []
    state.writer = writer
    with TestClient(app) as client:
        r = client.post("/api/v1/surveys/utility_csi/responses", json=good_submission(),
                        headers={"Idempotency-Key": "durable-1"})
        assert r.status_code == 201, r.text
    state.engine.dispose()
    return writer.seen


def test_the_writer_commits_on_a_durable_connection(store_url: str) -> None:
    seen = _commit_one_submission(store_url)
    assert seen == ([WAL_FULL] if store_url.startswith("sqlite") else [("on", "on")])
