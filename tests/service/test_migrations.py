"""The migrations are the schema: they match the SQLModel tables on both stores, upgrade an old store in place
without losing rows, and the service refuses a store that is behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import service.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from service.app import create_app
from service.settings import Settings
from service.store.engine import make_engine
from service.store.migrate import SchemaOutdated, alembic_config, current_revision, head_revision, upgrade


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, SQLModel.metadata))


def test_migrations_match_the_models(engine: Engine) -> None:
    """A column or index added to service/store/tables.py without a migration (or the reverse) fails here."""
    assert current_revision(engine) == head_revision()
    assert _diffs(engine) == []


def _at_revision(url: str, rev: str) -> Engine:
    eng = make_engine(url)
    cfg = alembic_config()
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, rev)
    return eng


def test_an_old_store_is_refused_then_upgraded_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = _at_revision(url, "0002")
    with eng.begin() as c:
        c.execute(text("INSERT INTO survey (slug, status, require_token, created_at) VALUES ('s', 'open', 0, 0)"))
    with pytest.raises(SchemaOutdated, match=r"revision 0002.*csi db upgrade"):
        create_app(Settings(database_url=url, environment="test"), eng)
    env = {**os.environ, "CSI_DATABASE_URL": url}
    serve = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--port", "1"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert serve.returncode != 0 and "csi db upgrade" in serve.stderr
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    with eng.connect() as c:
        assert c.execute(text("SELECT slug FROM survey")).scalar_one() == "s"
        assert "weight" in {r[1] for r in c.execute(text("PRAGMA table_info(response)"))}
    create_app(Settings(database_url=url, environment="test"), eng)
    eng.dispose()
