"""The store reader's bulk path: no sort before the first row, the collector paused only while a chunk is built.

`service.store_reader.chunks` reads a survey in the order of its ``(survey_id, version_id)`` index and suspends
the cyclic garbage collector per chunk; together that halved `load_data` on 10^6 responses (bench/analytics.py).
These tests pin what the speed rests on and what it must not break: the query plan, the collector's state as the
caller left it, and the decoded codes.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest
from sqlalchemy import Engine

from analytics.simulate import simulate
from service.analysis import iter_chunks, load_data
from service.responses.importer import bulk_insert, to_rows
from service.store.raw import RawConn
from service.store_reader.chunks import select_rows
from service.store_reader.scope import read_scope
from service.surveys.service import load_ref
from survey_defs import load_template


def _fill(engine: Engine, n: int, seed: int) -> None:
    data = simulate(load_template("utility_csi"), n, random_state=seed, rate_probability=0.5, na=0.05)
    bulk_insert(engine, to_rows(load_ref(engine, "utility_csi"), data, "import", time.time()))


def test_sqlite_reads_in_index_order_without_sorting(engine: Engine, utility: str) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan checked is SQLite's; PostgreSQL plans by its statistics")
    ref = load_ref(engine, utility)
    scope = read_scope(engine, ref)
    conn = RawConn(engine)
    try:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {select_rows(scope)}", scope.params).fetchall()
    finally:
        conn.close()
    text = " ".join(str(r[-1]) for r in plan)
    assert "ix_response_survey_version" in text, text
    assert "TEMP B-TREE" not in text, text


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_the_caller_had_it(engine: Engine, utility: str, enabled: bool) -> None:
    _fill(engine, 120, 5)
    ref = load_ref(engine, utility)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        seen = []
        for chunk in iter_chunks(engine, ref, chunk_rows=50):
            seen.append(gc.isenabled())  # between chunks, the caller's code runs with the caller's setting
            assert chunk.n <= 50
        assert seen == [enabled] * 3
        assert load_data(engine, ref).n == 120
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_chunks_concatenate_to_the_loaded_codes(engine: Engine, utility: str) -> None:
    """Chunk boundaries anywhere (7 rows: most chunks one-version fast path) give the same arrays as one read."""
    _fill(engine, 90, 6)
    ref = load_ref(engine, utility)
    whole = load_data(engine, ref)
    chunks = list(iter_chunks(engine, ref, chunk_rows=7))
    assert [c.n for c in chunks] == [7] * 12 + [6]
    assert (np.concatenate([c.resp for c in chunks]) == whole.resp).all()
    assert (np.concatenate([c.brand for c in chunks]) == whole.brand).all()
    assert [r for c in chunks for r in c.respondent_id] == list(whole.respondent_id)
    assert chunks[0].resp.flags.writeable and chunks[0].brand.flags.writeable
