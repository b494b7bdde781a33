"""Fixtures for the reliability tests: the service fixtures (real app over a real store, staff keys) and a
PostgreSQL check for the tests that start servers on their own databases (bench/soak.py creates and drops them)."""

from __future__ import annotations

import pytest

from tests.conftest import PG_URL, REQUIRE_PG, _pg_available
from tests.service.conftest import admin, analyst, client, utility

__all__ = ["admin", "analyst", "client", "need_postgres", "utility"]


def need_postgres() -> None:
    """Skip (or fail, with CSI_REQUIRE_POSTGRES=1) when PostgreSQL does not answer."""
    if not _pg_available():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (CSI_REQUIRE_POSTGRES=1) but {PG_URL} does not answer")
        pytest.skip("PostgreSQL not running")
