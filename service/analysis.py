"""The analyses of a survey's stored responses: the full analysis (`analyze_store`) and the streamed summary
(`summarize_store`), with the filters of ``csi analyze`` and the staff API checked before the store is read.

The full analysis reads every response into memory (`service.store_reader.chunks.load_data`), under the memory
bound of `service.memory_bound`. The streamed summary needs no bound: SQL gives the counts, the filters
(`service.store_reader.scope.read_scope`: the wave column, and the brand and segment answers as bytes of the blobs)
and the median completion time (`median_duration_sql`), and `iter_chunks` feeds whole respondents, one chunk at a
time, to `analytics.streaming.StreamingSummary`, which keeps only sufficient statistics.

This module is also where the rest of the service, the tests and the benchmarks import the store reader and the
memory bound from (the names in ``__all__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing, suppress
from typing import Any

from sqlalchemy import Engine

from analytics.analyze import analyze
from service.errors import AppError
from service.memory_bound import (
    ANALYSIS_BASE_BYTES,
    ANALYSIS_BYTES_PER_CELL,
    ANALYSIS_BYTES_PER_RESPONSE,
    AnalysisTooLarge,
    estimate_analysis_bytes,
)
from service.responses import repository
from service.store.raw import RawConn
from service.store_reader.chunks import CHUNK, iter_chunks, load_data
from service.store_reader.columns import column_map
from service.store_reader.scope import any_weight, median_duration_sql, read_scope
from service.surveys.service import load_ref
from survey_defs.schema import SurveyDefinition

__all__ = [
    "ANALYSIS_BASE_BYTES",
    "ANALYSIS_BYTES_PER_CELL",
    "ANALYSIS_BYTES_PER_RESPONSE",
    "CHUNK",
    "SUMMARY_CHUNK",
    "AnalysisTooLarge",
    "NoResponses",
    "_scope",
    "analyze_store",
    "column_map",
    "estimate_analysis_bytes",
    "iter_chunks",
    "load_data",
    "median_duration_sql",
    "summarize_store",
]

#: The scope of a read under its former name (tests build one to compare SQL filters with in-memory ones).
_scope = read_scope

#: Rows per chunk of the streamed summary: its memory is a few of these chunks' worth (~2 KiB per response
#: while a chunk is decoded and summed), whatever the survey's size.
SUMMARY_CHUNK = 20_000


def _count(engine: Engine, survey_id: int) -> int:
    conn = RawConn(engine)
    try:
        return repository.count_survey(conn, survey_id)
    finally:
        conn.close()


class NoResponses(AppError):
    status_code = 404


def _check_filters(d: SurveyDefinition, wave: str | None, brand: str | None,
                   segment: Mapping[str, str] | None) -> None:
    if wave is not None and wave not in d.wave_ids():
        raise AppError(f"unknown wave {wave!r}; waves are {d.wave_ids()}", status_code=422, loc=["query", "wave"])
    if brand is not None and brand not in d.brand_ids:
        raise AppError(f"unknown brand {brand!r}; brands are {d.brand_ids}", status_code=422, loc=["query", "brand"])
    for item_id, code in (segment or {}).items():
        if item_id not in d.segment_item_ids:
            raise AppError(f"{item_id!r} is not a segment question; segments are {d.segment_item_ids}",
                           status_code=422, loc=["query", "segment"])
        if code not in [o.code for o in d.item(item_id).options or []]:
            raise AppError(f"{code!r} is not an option of {item_id!r}", status_code=422, loc=["query", "segment"])


def analyze_store(
    engine: Engine,
    slug: str,
    *,
    wave: str | None = None,
    brand: str | None = None,
    segment: dict[str, str] | None = None,
    max_bytes: int | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """`analytics.analyze` over the store's responses; filters as in ``csi analyze`` and the staff API.

    The filters are checked before the store is read, and the memory bound (``max_bytes``, see `load_data`)
    before any row is loaded.
    """
    ref = load_ref(engine, slug)
    d = ref.definition
    _check_filters(d, wave, brand, segment)
    data = load_data(engine, ref, wave=wave, max_bytes=max_bytes)  # a wave filter also bounds what is read
    # only the filtered wave is read, so the per-wave trend could not see the others: not asked for
    result = analyze(d, data, wave=wave, brand=brand, segment=segment, trend=wave is None, **kw)
    if wave is not None:  # only that wave was read; the total is the survey's, as from a file
        result["n"]["responses"] = _count(engine, ref.id)
    result.setdefault("source", {})
    result["source"].update({"store": engine.dialect.name, "survey": slug, "version": ref.version})
    return result


def summarize_store(
    engine: Engine,
    slug: str,
    *,
    wave: str | None = None,
    brand: str | None = None,
    segment: dict[str, str] | None = None,
    chunk_rows: int = SUMMARY_CHUNK,
    **kw: Any,
) -> dict[str, Any]:
    """The streamed summary (`analytics.streaming.StreamingSummary`, docs/analytics-json.md ``mode: summary``)
    of the store's responses, never holding more than one chunk of them.

    SQL does what it can: the total count, the filters (wave; brand and segment on the answer blobs, see
    `read_scope`), whether any weight is stored and the median completion time of the filtered respondents (the
    speeder rule needs it before the first chunk). Every query runs in one read transaction (REPEATABLE READ on
    PostgreSQL, a deferred transaction on SQLite), so the median and the counts describe the rows streamed.
    Not subject to the memory bound of `load_data`: memory does not grow with the number of responses.
    ``kw`` passes settings to the accumulator (conf, exclude_flags, speeder_fraction, min_grid, min_segment_n).
    """
    from analytics.streaming import StreamingSummary

    ref = load_ref(engine, slug)
    d = ref.definition
    _check_filters(d, wave, brand, segment)
    scope = read_scope(engine, ref, wave=wave, brand=brand, segment=segment)
    conn = RawConn(engine)
    try:
        if conn.sqlite:
            conn.dbapi.execute("BEGIN")
        else:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").close()
        total = repository.count_survey(conn, ref.id)
        median, _ = median_duration_sql(conn, scope)
        # weights as `load_data` decides them: any weight stored in the rows it would read (the wave's)
        weighted = any_weight(conn, read_scope(engine, ref, wave=wave))
        acc = StreamingSummary(d, wave=wave, brand=brand, segment=segment, median_duration_s=median, **kw)
        with closing(iter_chunks(engine, ref, wave=wave, brand=brand, segment=segment, chunk_rows=chunk_rows,
                                 texts=False, weighted=weighted, conn=conn)) as chunks:
            for chunk in chunks:
                acc.add(chunk)
    finally:
        with suppress(Exception):  # read-only: nothing to commit
            if conn.sqlite:
                conn.dbapi.execute("ROLLBACK")
            else:
                conn.dbapi.rollback()
        conn.close()
    result = acc.result(n_responses=total)
    result["source"] = {"store": engine.dialect.name, "survey": slug, "version": ref.version}
    return result
