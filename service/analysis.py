"""Reading a survey's responses from the store into `analytics.data.ResponseData`, and running the analyses.

The read path is built for 10^6 responses: blobs are fetched in chunks (a server-side cursor on PostgreSQL) and
decoded with one ``numpy.frombuffer`` per chunk straight into preallocated code arrays, so memory stays near the
size of the codes themselves. Responses to older versions are mapped onto the current version's columns by item
id (and by option code for choice items); an item whose scale changed between versions is left missing for the
older responses rather than mixing scales.

Memory is bounded before anything is read: ``count(*)`` times a measured cost per response (`estimate_analysis_bytes`)
is compared with ``CSI_MAX_ANALYSIS_BYTES``, and a survey over the bound is refused with a 413 and a message that
says how to get under it, instead of being killed by the OOM killer half-way. The counts endpoint
(`service.surveys.service.counts`) needs no such bound: its counts by version, wave and channel are SQL aggregates.

The streamed summary (`summarize_store`) needs none either: SQL gives the counts, the filters (`_scope`: the wave
column, and the brand and segment answers as bytes of the blobs) and the median completion time
(`median_duration_sql`), and `iter_chunks` feeds whole respondents, one chunk at a time, to
`analytics.streaming.StreamingSummary`, which keeps only sufficient statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine

from analytics.analyze import analyze
from analytics.data import ResponseData
from service.errors import AppError
from service.store.raw import RawConn
from service.surveys.service import SurveyRef, load_ref, versions
from survey_defs.schema import MISSING_CODE, SurveyDefinition

CHUNK = 100_000

#: Peak memory of `analyze_store`, measured by ``bench/soak.py --only memory`` and
#: ``tests/reliability/test_memory_bound.py`` (utility_csi, 55 code cells per response): 2.36-2.42 GiB at 10^6
#: responses, 0.49 GiB at 10^5, 0.35-0.43 GiB at 10^4-2x10^4, over a ~280 MiB interpreter baseline, on SQLite and
#: PostgreSQL alike. Reading the store is a small part of it (int16 codes, ~0.3 KiB per response); the rest is the
#: float copies the analyses make per item and brand, plus a fixed working set of the bootstraps (below 10,000-
#: 20,000 respondents they resample respondents exactly, with count matrices of up to 4 million cells per block;
#: above, random groups of respondents), which is why the fixed part is 400 MiB. The model charges that fixed
#: part, a part per response (ids, wave, channel, times) and a part per code cell, with >= 6% headroom at every
#: measured size; the soak and the test fail when a measurement exceeds the estimate, so a change in the analytics
#: that costs more memory is noticed.
ANALYSIS_BASE_BYTES = 400 << 20
ANALYSIS_BYTES_PER_RESPONSE = 512
ANALYSIS_BYTES_PER_CELL = 40


def estimate_analysis_bytes(n: int, cells: int) -> int:
    """Peak memory an analysis of ``n`` responses with ``cells`` codes each is expected to need."""
    return ANALYSIS_BASE_BYTES + n * (ANALYSIS_BYTES_PER_RESPONSE + ANALYSIS_BYTES_PER_CELL * cells)


class AnalysisTooLarge(AppError):
    """The analysis would exceed the configured memory bound; refused before loading anything."""

    status_code = 413


@dataclass(frozen=True)
class _ColumnMap:
    """Where each current column comes from in an older version (-1 = not asked then)."""

    resp_src: NDArray[np.intp]
    resp_recode: list[NDArray[np.int16] | None]
    brand_src: NDArray[np.intp]
    brand_item_src: NDArray[np.intp]
    brand_recode: list[NDArray[np.int16] | None]
    identity: bool


def _compatible(old: SurveyDefinition, new: SurveyDefinition, item_id: str) -> tuple[bool, NDArray[np.int16] | None]:
    a, b = old.item_map.get(item_id), new.item(item_id)
    if a is None or a.type != b.type:
        return False, None
    if b.type in ("likert", "nps"):
        sa, sb = old.scale_of(item_id), new.scale_of(item_id)
        return (sa.min, sa.points, a.reverse) == (sb.min, sb.points, b.reverse), None
    if b.type == "choice":
        new_codes = [o.code for o in b.options or []]
        recode = np.array([new_codes.index(o.code) if o.code in new_codes else MISSING_CODE
                           for o in a.options or []], dtype=np.int16)
        return True, None if list(recode) == list(range(len(new_codes))) else recode
    return True, None


def column_map(old: SurveyDefinition, new: SurveyDefinition) -> _ColumnMap:
    def src(ids_old: list[str], ids_new: list[str]) -> tuple[NDArray[np.intp], list[NDArray[np.int16] | None]]:
        idx, rec = [], []
        for iid in ids_new:
            ok, recode = _compatible(old, new, iid)
            idx.append(ids_old.index(iid) if ok and iid in ids_old else -1)
            rec.append(recode)
        return np.asarray(idx, dtype=np.intp), rec

    r_src, r_rec = src(old.respondent_item_ids, new.respondent_item_ids)
    b_src = np.asarray([old.brand_ids.index(b) if b in old.brand_ids else -1 for b in new.brand_ids], dtype=np.intp)
    bi_src, b_rec = src(old.brand_item_ids, new.brand_item_ids)
    identity = (old.respondent_item_ids == new.respondent_item_ids and old.brand_item_ids == new.brand_item_ids
                and old.brand_ids == new.brand_ids and (r_src >= 0).all() and (bi_src >= 0).all()
                and all(r is None for r in r_rec + b_rec))
    return _ColumnMap(r_src, r_rec, b_src, bi_src, b_rec, identity)


def _remap(
    codes: NDArray[np.int16], src: NDArray[np.intp], recode: list[NDArray[np.int16] | None]
) -> NDArray[np.int16]:
    out = np.full((*codes.shape[:-1], len(src)), MISSING_CODE, dtype=np.int16)
    for j, s in enumerate(src):
        if s < 0:
            continue
        col = codes[..., s]
        rc = recode[j]
        if rc is not None:
            col = np.where(col >= 0, rc[np.clip(col, 0, len(rc) - 1)], col)
        out[..., j] = col
    return out


#: Rows per chunk of the streamed summary: its memory is a few of these chunks' worth (~2 KiB per response
#: while a chunk is decoded and summed), whatever the survey's size.
SUMMARY_CHUNK = 20_000

_COLUMNS = ("id, version_id, respondent_key, wave, channel, started_at, submitted_at, answers, brand_answers, texts,"
            " weight")
_TIMED = "started_at IS NOT NULL AND submitted_at - started_at >= 0"


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


@dataclass(frozen=True)
class _Scope:
    """Which rows a read covers: a WHERE clause on the response table and its parameters."""

    where: str
    params: dict[str, Any]
    defs: dict[int, SurveyDefinition]
    maps: dict[int, _ColumnMap]


def _le(code: int) -> bytes:
    return int(code).to_bytes(2, "little", signed=True)


def _answered_codes(recode: NDArray[np.int16] | None) -> list[bytes] | None:
    """Stored codes of an old column that are not missing once mapped (None: every code but -1 is)."""
    if recode is None:
        return None
    return [_le(-2)] + [_le(c) for c, r in enumerate(recode.tolist()) if r != MISSING_CODE]


def _scope(engine: Engine, ref: SurveyRef, *, wave: str | Sequence[str] | None = None, brand: str | None = None,
           segment: Mapping[str, object] | None = None) -> _Scope:
    """The rows of the survey in ``wave`` (ids), who rated ``brand`` and whose segment answers match ``segment``
    ({item: option code, label or index, or a list}), as SQL: the brand and segment filters compare bytes of the
    answer blobs (``substr`` on BLOB/bytea, 1-based, the same on SQLite and PostgreSQL) at each version's offset
    of the column, with the version's option codes recoded to the current ones, so they select exactly the
    respondents `analytics.data.ResponseData.filter` keeps."""
    d = ref.definition
    vers = versions(engine, ref.id)
    defs = {vid: SurveyDefinition.model_validate_json(v.definition_json) for vid, v in vers.items()}
    maps = {vid: column_map(dv, d) for vid, dv in defs.items()}
    where = ["survey_id = :s"]
    params: dict[str, Any] = {"s": ref.id}
    counter = iter(range(1 << 30))

    def param(v: Any) -> str:
        name = f"p{next(counter)}"
        params[name] = v
        return f":{name}"

    waves = [wave] if isinstance(wave, str) else list(wave) if wave else []
    if waves:
        where.append("wave IN (" + ", ".join(param(w) for w in waves) + ")")

    def per_version(pred: Any) -> str:
        """OR over the versions of (version_id = v AND pred(v)); pred returns SQL or None for 'no row'."""
        parts = []
        for vid in sorted(defs):
            p = pred(vid)
            if p is not None:
                parts.append(f"(version_id = {param(vid)} AND ({p}))")
        return " OR ".join(parts) if parts else "1 = 0"

    if brand is not None and d.brand_item_ids:
        b = d.brand_ids.index(brand)

        def rated(vid: int) -> str | None:
            dv, cm = defs[vid], maps[vid]
            s = int(cm.brand_src[b])
            kb_old = len(dv.brand_item_ids)
            if s < 0 or kb_old == 0:
                return None
            if cm.identity:  # the brand's whole block: rated unless every code is -1
                none = param(_le(MISSING_CODE) * kb_old)
                return f"substr(brand_answers, {s * kb_old * 2 + 1}, {kb_old * 2}) <> {none}"
            ors = []
            for j, t in enumerate(cm.brand_item_src.tolist()):
                if t < 0:
                    continue
                col = f"substr(brand_answers, {(s * kb_old + t) * 2 + 1}, 2)"
                ok = _answered_codes(cm.brand_recode[j])
                ors.append(f"{col} <> {param(_le(MISSING_CODE))}" if ok is None else
                           f"{col} IN ({', '.join(param(v) for v in ok)})")
            return " OR ".join(ors) if ors else None

        where.append(f"({per_version(rated)})")
    elif brand is not None and brand != d.own_brand.id:  # no per-brand items: everyone rated the own brand only
        where.append("1 = 0")

    probe = ResponseData.from_arrays(d, np.zeros((0, len(d.respondent_item_ids))),
                                     np.zeros((0, len(d.brand_ids), len(d.brand_item_ids))))
    for item_id, want in (segment or {}).items():
        wants = want if isinstance(want, list | tuple | set) else [want]
        new = {probe.option_index(item_id, w) for w in wants}
        per = d.is_per_brand(item_id)
        j = (d.brand_item_ids if per else d.respondent_item_ids).index(item_id)

        def matches(vid: int, j: int = j, per: bool = per, new: set[int] = new) -> str | None:
            dv, cm = defs[vid], maps[vid]
            if per:
                s, t = int(cm.brand_src[d.brand_ids.index(d.own_brand.id)]), int(cm.brand_item_src[j])
                if s < 0 or t < 0:
                    return None
                col = f"substr(brand_answers, {(s * len(dv.brand_item_ids) + t) * 2 + 1}, 2)"
                rc = cm.brand_recode[j]
            else:
                t = int(cm.resp_src[j])
                if t < 0:
                    return None
                col = f"substr(answers, {t * 2 + 1}, 2)"
                rc = cm.resp_recode[j]
            old = sorted(new) if rc is None else [c for c, r in enumerate(rc.tolist()) if r in new]
            return f"{col} IN ({', '.join(param(_le(c)) for c in old)})" if old else None

        where.append(f"({per_version(matches)})")
    return _Scope(" AND ".join(where), params, defs, maps)


def _decode(rows: list[tuple[Any, ...]], d: SurveyDefinition, scope: _Scope, texts: bool) -> _Block:
    """One chunk of fetched rows to arrays: one ``numpy.frombuffer`` per version present in the chunk."""
    m = len(rows)
    kr, nb, kb = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
    resp = np.full((m, kr), MISSING_CODE, dtype=np.int16)
    brand = np.full((m, nb, kb), MISSING_CODE, dtype=np.int16)
    cols = list(zip(*rows, strict=True))
    vids = np.asarray(cols[1], dtype=np.int64)
    for vid in np.unique(vids):
        sel = np.flatnonzero(vids == vid)
        dv, cm = scope.defs[int(vid)], scope.maps[int(vid)]
        a = np.frombuffer(b"".join(cols[7][i] for i in sel), dtype="<i2").reshape(len(sel), -1)
        b = np.frombuffer(b"".join(cols[8][i] for i in sel), dtype="<i2").reshape(
            len(sel), len(dv.brand_ids), len(dv.brand_item_ids))
        if cm.identity:
            resp[sel] = a
            brand[sel] = b
        else:
            resp[sel] = _remap(a, cm.resp_src, cm.resp_recode)
            bb = np.full((len(sel), nb, len(dv.brand_item_ids)), MISSING_CODE, dtype=np.int16)
            for j, s in enumerate(cm.brand_src):
                if s >= 0:
                    bb[:, j] = b[:, s]
            brand[sel] = _remap(bb, cm.brand_item_src, cm.brand_recode)
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


def _blocks(conn: RawConn, d: SurveyDefinition, scope: _Scope, chunk_rows: int, texts: bool) -> Iterator[_Block]:
    """The scope's rows in id order, ``chunk_rows`` at a time (a server-side cursor on PostgreSQL)."""
    q = f"SELECT {_COLUMNS} FROM response WHERE {scope.where} ORDER BY id"
    if conn.sqlite:
        cur = conn.execute(q, scope.params)
    else:
        cur = conn.dbapi.cursor(name="csi_load")  # server-side: rows arrive in chunks
        cur.itersize = chunk_rows
        cur.execute(conn.sql(q), scope.params)
    try:
        while rows := cur.fetchmany(chunk_rows):
            yield _decode(rows, d, scope, texts)
    finally:
        with suppress(Exception):  # a cursor of a connection that broke must not mask the original error
            cur.close()


def _any_weight(conn: RawConn, scope: _Scope) -> bool:
    return conn.execute(f"SELECT 1 FROM response WHERE {scope.where} AND weight IS NOT NULL LIMIT 1",
                        scope.params).fetchone() is not None


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
    scope = _scope(engine, ref, wave=wave, brand=brand, segment=segment)
    own = conn is None
    c = RawConn(engine) if conn is None else conn
    try:
        if weighted is None:
            weighted = _any_weight(c, scope)
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
    if max_bytes is None:
        from service.settings import get_settings

        max_bytes = get_settings().max_analysis_bytes
    scope = _scope(engine, ref, wave=wave)
    conn = RawConn(engine)
    try:
        n = int(conn.execute(f"SELECT count(*) FROM response WHERE {scope.where}", scope.params).fetchone()[0])
        kr, nb, kb = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
        need = estimate_analysis_bytes(n, kr + nb * kb)
        if need > max_bytes:
            raise AnalysisTooLarge(
                f"analysing {n:,} responses would need about {need / 2**20:,.0f} MiB, over the configured bound of "
                f"{max_bytes / 2**20:,.0f} MiB (CSI_MAX_ANALYSIS_BYTES); filter by wave, ask for the streamed "
                f"summary, whose memory does not grow with the responses (mode=summary in the API, csi analyze "
                f"--summary), or raise the bound on a machine with more memory", loc=["query"])
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


def _count(engine: Engine, survey_id: int) -> int:
    conn = RawConn(engine)
    try:
        return int(conn.execute("SELECT count(*) FROM response WHERE survey_id = :s", {"s": survey_id}).fetchone()[0])
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
    result = analyze(d, data, wave=wave, brand=brand, segment=segment, **kw)
    if wave is not None:  # only that wave was read; the total is the survey's, as from a file
        result["n"]["responses"] = _count(engine, ref.id)
    result.setdefault("source", {})
    result["source"].update({"store": engine.dialect.name, "survey": slug, "version": ref.version})
    return result


def median_duration_sql(conn: RawConn, scope: _Scope) -> tuple[float | None, int]:
    """The median completion time (submitted_at - started_at) over the scope's timed rows, computed by the
    database, and the number of timed rows; None below `analytics.quality.MIN_TIMED` (the speeder rule).

    PostgreSQL: ``percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)``. SQLite has no percentile function: the
    middle one or two values come from ``ORDER BY ... LIMIT 2 OFFSET (n - 1) / 2`` and are averaged as
    ``numpy.median`` does.
    """
    from analytics.quality import MIN_TIMED

    where = f"{scope.where} AND {_TIMED}"
    if conn.sqlite:
        n = int(conn.execute(f"SELECT count(*) FROM response WHERE {where}", scope.params).fetchone()[0])
        if n < MIN_TIMED:
            return None, n
        vals = [float(r[0]) for r in conn.execute(
            f"SELECT submitted_at - started_at AS dur FROM response WHERE {where} ORDER BY dur LIMIT :lim OFFSET :off",
            {**scope.params, "lim": 2 - n % 2, "off": (n - 1) // 2}).fetchall()]
        return (vals[0] if len(vals) == 1 else (vals[0] + vals[1]) / 2), n
    row = conn.execute(f"SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY submitted_at - started_at) "
                       f"FROM response WHERE {where}", scope.params).fetchone()
    n = int(row[0])
    return (float(row[1]) if n >= MIN_TIMED else None), n


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
    `_scope`), whether any weight is stored and the median completion time of the filtered respondents (the
    speeder rule needs it before the first chunk). Every query runs in one read transaction (REPEATABLE READ on
    PostgreSQL, a deferred transaction on SQLite), so the median and the counts describe the rows streamed.
    Not subject to the memory bound of `load_data`: memory does not grow with the number of responses.
    ``kw`` passes settings to the accumulator (conf, exclude_flags, speeder_fraction, min_grid, min_segment_n).
    """
    from analytics.streaming import StreamingSummary

    ref = load_ref(engine, slug)
    d = ref.definition
    _check_filters(d, wave, brand, segment)
    scope = _scope(engine, ref, wave=wave, brand=brand, segment=segment)
    conn = RawConn(engine)
    try:
        if conn.sqlite:
            conn.dbapi.execute("BEGIN")
        else:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").close()
        total = int(conn.execute("SELECT count(*) FROM response WHERE survey_id = :s", {"s": ref.id}).fetchone()[0])
        median, _ = median_duration_sql(conn, scope)
        # weights as `load_data` decides them: any weight stored in the rows it would read (the wave's)
        weighted = _any_weight(conn, _scope(engine, ref, wave=wave))
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
