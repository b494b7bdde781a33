"""Fixtures for the service: the real app over a real store, with staff keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings
from service.staff.keys import create_key
from service.surveys.service import publish
from survey_defs import template_path


@pytest.fixture
def client(engine: Engine, store_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, environment="test")
    with TestClient(create_app(settings, engine)) as c:
        yield c


@pytest.fixture
def admin(engine: Engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(engine, 'admin')[1]}"}


@pytest.fixture
def analyst(engine: Engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(engine, 'analyst')[1]}"}


@pytest.fixture
def utility(engine: Engine) -> str:
    publish(engine, template_path("utility_csi").read_text(encoding="utf-8"), "utility_csi.yaml")
    return "utility_csi"
