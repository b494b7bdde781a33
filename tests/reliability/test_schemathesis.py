"""Schemathesis against /openapi.json of the real app (in-process ASGI, real store): every operation, valid and
invalid inputs, with and without a staff admin key, passes every check schemathesis has: never a 5xx, and every
answer conforms to the document (status code, content type, headers, response schema), invalid data is refused,
valid data accepted (or refused only for lack of a key, an unknown id, ...), and so on.

Generated cases with a ``slug`` go half the time to the real survey (``utility_csi``), so the fuzzed bodies and
queries reach the code behind the 404. The admin key's own id is never revoked (the run would lose its key).
Needs ``schemathesis`` (a test extra): a missing install fails the run rather than skipping it.
"""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from sqlalchemy import Engine

from service.app import create_app
from service.settings import Settings
from service.staff.keys import create_key
from service.store.tables import ApiKey

EXAMPLES = 8  # per operation, mode and auth: 17 operations x 2 x 2 x 8 ~ 540 requests
load_all_checks()
#: Every check schemathesis registers (the class-based ones run too: validate_response adds them).
ALL_CHECKS = [c for c in CHECKS.get_all() if callable(c) and not isinstance(c, type)]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


#: Where schema-valid input may still be refused: what it must match is the survey's definition (its items,
#: options, waves, brands), which a schema shared by every survey cannot spell out; and the fuzzed close/open
#: calls may have closed the survey (410). positive_data_acceptance still requires these operations to accept
#: or refuse only with these statuses.
SEMANTIC = ["POST /api/v1/surveys", "POST /api/v1/surveys/{slug}/responses",
            "POST /api/v1/surveys/{slug}/responses/batch", "POST /api/v1/surveys/{slug}/invitations",
            "GET /api/v1/surveys/{slug}/analytics", "GET /api/v1/surveys/{slug}/report.{fmt}",
            "POST /api/v1/surveys/{slug}/reports",
            "PUT /api/v1/surveys/{slug}/waves/{wave_id}"]  # the calendar decides: overlaps, known wave ids, dates
CONFIG = SchemathesisConfig.from_dict({"operations": [
    {"include-name": name, "checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "401", "403", "404", "409", "410", "413", "422", "503"]}}}
    for name in SEMANTIC]})


def _steer(case: Any, admin_id: int) -> None:
    """Aim half the cases at the real survey; never revoke the key the run authenticates with."""
    params = case.path_parameters or {}
    if "slug" in params and zlib.crc32(repr(case.body).encode() + repr(case.query).encode()) % 2 == 0:
        params["slug"] = "utility_csi"
    if params.get("key_id") == admin_id:
        params["key_id"] = admin_id + 1000


@pytest.mark.timeout(240)
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_every_check_passes_everywhere(engine: Engine, store_url: str, utility: str) -> None:
    secret = create_key(engine, "admin")[1]
    from sqlmodel import Session, select

    with Session(engine) as s:
        admin_id = s.exec(select(ApiKey.id)).first()
    assert admin_id is not None
    app = create_app(Settings(database_url=store_url, environment="test", public_rate_limit_per_minute=0), engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 17
    failures: list[str] = []
    kinds: Counter[str] = Counter()
    calls = [0]

    def runner(op: Any, mode: Any, auth: str | None) -> Any:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            case = data.draw(op.as_strategy(generation_mode=mode))
            _steer(case, admin_id)
            headers = {"Authorization": auth} if auth else {}
            kw = case.as_transport_kwargs(headers=headers)
            cookies = kw.pop("cookies", None)
            if cookies:
                kw["headers"]["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            if isinstance(kw.get("data"), bytes | str):
                kw["content"] = kw.pop("data")
            r = http.request(**kw)
            calls[0] += 1
            try:
                case.validate_response(r, checks=ALL_CHECKS, headers=headers)
            except FailureGroup as e:
                for f in e.exceptions:
                    kinds[f"{op.label} [{'key' if auth else 'no key'}, {mode.value}] {r.status_code}: {f.title}"] += 1
                failures.append(f"{r.status_code} {case.as_curl_command(headers=headers)}\n{e}")

        return run

    with TestClient(app, raise_server_exceptions=False) as http:
        run_all(operations, runner, [None, f"Bearer {secret}"])
    assert calls[0] >= len(operations) * len(MODES) * 2, calls[0]
    print(f"schemathesis: {len(operations)} operations, {calls[0]} cases, {len(failures)} failures, "
          f"{len(ALL_CHECKS)} checks: {', '.join(c.__name__ for c in ALL_CHECKS)}")
    assert not failures, "\n".join([f"{n} x {k}" for k, n in kinds.most_common()] + failures[:5])


def run_all(operations: list[Any], runner: Any, auths: list[str | None]) -> None:
    """Every operation x generation mode x auth; a raised failure stops the run with its reproduction."""
    for op in operations:
        for mode in MODES:
            for auth in auths:
                try:
                    runner(op, mode, auth)()
                except Unsatisfiable:  # nothing to make invalid (e.g. GET /healthz has no parameters)
                    assert mode == GenerationMode.NEGATIVE, op.label
