"""The survey's responses read from the store in chunks, decoded into `analytics.data.ResponseData`.

Built for 10^6 responses: blobs are fetched in chunks (a server-side cursor on PostgreSQL) and decoded with one
``numpy.frombuffer`` per version present in a chunk, straight into code arrays on the current definition's columns
(`service.store_reader.columns`), so memory stays near the size of the codes themselves. `iter_chunks` yields whole
respondents one chunk at a time (the streamed summary's input); `load_data` copies the chunks into arrays
preallocated from ``count(*)``, after checking the memory bound (`service.memory_bound`).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine

from analytics.data import ResponseData
from service.memory_bound import check_bound, resolve_bound
from service.responses import repository
from service.store.raw import RawConn
from service.store_reader.columns import remap
from service.store_reader.scope import Scope, any_weight, read_scope
from service.surveys.service import SurveyRef
from survey_defs.codebook import unpack_rows
from survey_defs.schema import MISSING_CODE, SurveyDefinition

CHUNK = 100_000



@dataclass(frozen=True)
class _Block:
    """One decoded chunk of rows, as arrays on the current definition's columns (weights NaN where none)."""

    resp: NDArray[np.int16]
    brand: NDArray[np.int16]
    rid: NDArray[np.object_]
    wave: NDArray[np.object_]
    channel: NDArray[np.object_]
    started: NDArray[np.float64]
    submitted: NDArray[np.float64]
    weight: NDArray[np.float64]
    texts: dict[str, list[str | None]]

    @property
    def n(self) -> int:
        return int(self.rid.shape[0])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector while one chunk is fetched and decoded.

    A chunk is 10^5 row tuples (containers the collector tracks) turned into columns; every 700 new containers
    start a young-generation pass and the older generations follow, re-walking the rows just made. None of them
    can form a cycle, so the passes find nothing: on 10^6 responses they were a third of `load_data`'s time
    (measured 11.7-12.0 s with the collector, 7.0-7.2 s without). The previous state is restored, so a caller
    that disabled the collector itself keeps it disabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _decode(rows: list[tuple[Any, ...]], d: SurveyDefinition, scope: Scope, texts: bool) -> _Block:
    """One chunk of fetched rows to arrays: one ``numpy.frombuffer`` per version present in the chunk.

    Rows come grouped by version (`_blocks` orders by version, then id), so a chunk almost always holds one
    version; stored on the current definition's columns, its blobs become the code arrays directly.
    """
    m = len(rows)
    kr, nb, kb = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
    cols = list(zip(*rows, strict=True))
    vids = np.fromiter(cols[1], dtype=np.int64, count=m)
    versions = np.unique(vids)
    first = scope.maps[int(versions[0])]
    if len(versions) == 1 and first.identity:
        resp = unpack_rows(cols[7], (m, kr)).copy()
        brand = unpack_rows(cols[8], (m, nb, kb)).copy()
    else:
        resp = np.full((m, kr), MISSING_CODE, dtype=np.int16)
        brand = np.full((m, nb, kb), MISSING_CODE, dtype=np.int16)
        for vid in versions:
            sel = np.flatnonzero(vids == vid)
            dv, cm = scope.defs[int(vid)], scope.maps[int(vid)]
            a = unpack_rows([cols[7][i] for i in sel], (len(sel), -1))
            b = unpack_rows([cols[8][i] for i in sel], (len(sel), len(dv.brand_ids), len(dv.brand_item_ids)))
            if cm.identity:
                resp[sel] = a
                brand[sel] = b
            else:
                resp[sel] = remap(a, cm.resp_src, cm.resp_recode)
                bb = np.full((len(sel), nb, len(dv.brand_item_ids)), MISSING_CODE, dtype=np.int16)
                for j, src in enumerate(cm.brand_src):
                    if src >= 0:
                        bb[:, j] = b[:, src]
                brand[sel] = remap(bb, cm.brand_item_src, cm.brand_recode)
    rid = np.empty(m, dtype=object)
    rid[:] = [k if k is not None else str(i) for i, k in zip(cols[0], cols[2], strict=True)]
    wave = np.empty(m, dtype=object)
    wave[:] = cols[3]
    channel = np.empty(m, dtype=object)
    channel[:] = cols[4]
    tx: dict[str, list[str | None]] = {}
    if texts and d.text_item_ids:
        tx = {t: [None] * m for t in d.text_item_ids}
        for i, t in enumerate(cols[9]):
            if t:
                for k, v in json.loads(t).items():
                    if k in tx:
                        tx[k][i] = v
    return _Block(resp, brand, rid, wave, channel, np.asarray(cols[5], dtype=np.float64),
                  np.asarray(cols[6], dtype=np.float64), np.asarray(cols[10], dtype=np.float64), tx)


def select_rows(scope: Scope) -> str:
    """The query `_blocks` reads the scope's rows with (see there for the order)."""
    return repository.select_rows(scope.where, order="version_id, id")


def _blocks(conn: RawConn, d: SurveyDefinition, scope: Scope, chunk_rows: int, texts: bool) -> Iterator[_Block]:
    """The scope's rows by version, then id, ``chunk_rows`` at a time (a server-side cursor on PostgreSQL).

    That is the order of the ``(survey_id, version_id)`` index, so SQLite reads it without sorting the survey's
    rows first (ordering by id alone sorted them in a temporary B-tree: ~1 s at 10^6), and a chunk holds one
    version but at the boundaries. Within a version, rows stay in the order they were stored.
    """
    q = select_rows(scope)
    if conn.sqlite:
        cur = conn.execute(q, scope.params)
    else:
        cur = conn.dbapi.cursor(name="csi_load")  # server-side: rows arrive in chunks
        cur.itersize = chunk_rows
        cur.execute(conn.sql(q), scope.params)
    try:
        while True:
            with _gc_paused():
                rows = cur.fetchmany(chunk_rows)
                block = _decode(rows, d, scope, texts) if rows else None
            if block is None:
                return
            del rows
            yield block
    finally:
        with suppress(Exception):  # a cursor of a connection that broke must not mask the original error
            cur.close()



def iter_chunks(
    engine: Engine,
    ref: SurveyRef,
    *,
    wave: str | Sequence[str] | None = None,
    brand: str | None = None,
    segment: Mapping[str, object] | None = None,
    chunk_rows: int = CHUNK,
    texts: bool = True,
    weighted: bool | None = None,
    conn: RawConn | None = None,
) -> Iterator[ResponseData]:
    """The survey's responses as `ResponseData` chunks of at most ``chunk_rows`` whole respondents, in store
    order, on the current definition; the filters (as in `analytics.data.ResponseData.filter`) are applied in SQL.

    ``weighted`` says whether the chunks carry weights (a response without a stored weight then counts 1); by
    default, whether any response in scope has one, as `load_data` decides for the whole read. ``conn`` reads
    inside the caller's transaction (a consistent snapshot with the caller's other queries). Memory is one
    chunk at a time.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    d = ref.definition
    scope = read_scope(engine, ref, wave=wave, brand=brand, segment=segment)
    own = conn is None
    c = RawConn(engine) if conn is None else conn
    try:
        if weighted is None:
            weighted = any_weight(c, scope)
        with closing(_blocks(c, d, scope, chunk_rows, texts)) as blocks:
            for blk in blocks:
                w = np.where(np.isnan(blk.weight), 1.0, blk.weight) if weighted else None
                yield ResponseData(definition=d, respondent_id=blk.rid, resp=blk.resp, brand=blk.brand,
                                   wave=blk.wave, channel=blk.channel, started_at=blk.started,
                                   submitted_at=blk.submitted, texts=blk.texts, weight=w)
    finally:
        if own:
            c.close()


def load_data(engine: Engine, ref: SurveyRef, *, wave: str | Sequence[str] | None = None,
              max_bytes: int | None = None) -> ResponseData:
    """Every response of the survey (optionally of some waves) as ResponseData on the current definition.

    The chunks of the streamed reader (`iter_chunks`'s decoding) are copied into arrays preallocated from
    ``count(*)``, so the peak is the arrays plus one chunk. Raises `AnalysisTooLarge` before reading any row when
    the estimate exceeds ``max_bytes`` (default: the ``CSI_MAX_ANALYSIS_BYTES`` setting), so reports and analyses
    share one bound.
    """
    d = ref.definition
    max_bytes = resolve_bound(max_bytes)
    scope = read_scope(engine, ref, wave=wave)
    conn = RawConn(engine)
    try:
        n = repository.count(conn, scope.where, scope.params)
        kr, nb, kb = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
        check_bound(n, kr + nb * kb, max_bytes)
        resp = np.full((n, kr), MISSING_CODE, dtype=np.int16)
        brand = np.full((n, nb, kb), MISSING_CODE, dtype=np.int16)
        rid = np.empty(n, dtype=object)
        wave_a = np.empty(n, dtype=object)
        channel = np.empty(n, dtype=object)
        started = np.full(n, np.nan)
        submitted = np.full(n, np.nan)
        weight = np.full(n, np.nan)
        texts: dict[str, list[str | None]] = {t: [None] * n for t in d.text_item_ids}
        pos = 0
        with closing(_blocks(conn, d, scope, CHUNK, texts=bool(texts))) as blocks:
            for blk in blocks:
                if pos >= n:  # rows inserted after the count are left for the next read
                    break
                m = min(blk.n, n - pos)
                sl = slice(pos, pos + m)
                resp[sl], brand[sl], rid[sl] = blk.resp[:m], blk.brand[:m], blk.rid[:m]
                wave_a[sl], channel[sl] = blk.wave[:m], blk.channel[:m]
                started[sl], submitted[sl], weight[sl] = blk.started[:m], blk.submitted[:m], blk.weight[:m]
                for k, v in blk.texts.items():
                    texts[k][sl] = v[:m]
                pos += m
    finally:
        conn.close()
    weight = weight[:pos]
    unweighted = np.isnan(weight)
    data = ResponseData.from_arrays(d, resp[:pos], brand[:pos], respondent_id=rid[:pos], wave=wave_a[:pos],
                                    channel=channel[:pos], started_at=started[:pos], submitted_at=submitted[:pos],
                                    # no stored weight at all = unweighted; a response without one counts as 1
                                    weight=None if unweighted.all() else np.where(unweighted, 1.0, weight))
    if texts:
        import dataclasses

        data = dataclasses.replace(data, texts={k: v[:pos] for k, v in texts.items()})
    return data
