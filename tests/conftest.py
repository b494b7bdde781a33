"""Shared fixtures: a fresh store per test on SQLite and on PostgreSQL, schema from the migrations."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from service.store.engine import make_engine
from service.store.migrate import upgrade

PG_URL = os.environ.get("CSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CSI_REQUIRE_POSTGRES") == "1"
TABLES = ("job", "response", "import_batch", "draft", "invitation_send", "invitation_contact", "invitation",
          "screen_out", "survey_wave", "survey_version", "survey", "api_key", "staff_session", "login_failure",
          "audit_log", "staff_user")


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_URL)
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private PostgreSQL database for this test session, migrated once, dropped at the end."""
    if not _pg_available():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (CSI_REQUIRE_POSTGRES=1) but {PG_URL} does not answer")
        pytest.skip("PostgreSQL not running (set CSI_REQUIRE_POSTGRES=1 to make this an error)")
    name = f"csi_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    yield url
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated store: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        db = tmp_path / "csi.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), db)
        yield f"sqlite:///{db}"
        return
    url = request.getfixturevalue("pg_database")
    yield url
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = make_engine(store_url)
    yield eng
    eng.dispose()
