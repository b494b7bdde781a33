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
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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

#: Peak memory of `analyze_store`, measured by ``bench/soak.py --only memory`` (utility_csi, 53 code cells per
#: response): 2.3-2.4 GiB at 10^6 responses, 0.5 GiB at 10^5, over a ~285 MiB interpreter baseline, i.e. about
#: 2.2-2.6 KiB per response, on SQLite and PostgreSQL alike. Reading the store is a small part of it (int16 codes,
#: ~0.3 KiB per response); the rest is the float copies the analyses make per item and brand. The model charges a
#: fixed part per response (ids, wave, channel, times) and a part per code cell, with ~15% headroom; the soak fails
#: when a measurement exceeds the estimate, so a change in the analytics that costs more memory is noticed.
ANALYSIS_BASE_BYTES = 320 << 20
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


def load_data(engine: Engine, ref: SurveyRef, *, wave: str | Sequence[str] | None = None,
              max_bytes: int | None = None) -> ResponseData:
    """Every response of the survey (optionally of some waves) as ResponseData on the current definition.

    Raises `AnalysisTooLarge` before reading any row when the estimate exceeds ``max_bytes`` (default: the
    ``CSI_MAX_ANALYSIS_BYTES`` setting), so reports and analyses share one bound.
    """
    d = ref.definition
    if max_bytes is None:
        from service.settings import get_settings

        max_bytes = get_settings().max_analysis_bytes
    vers = versions(engine, ref.id)
    defs = {vid: SurveyDefinition.model_validate_json(v.definition_json) for vid, v in vers.items()}
    maps = {vid: column_map(dv, d) for vid, dv in defs.items()}
    waves = [wave] if isinstance(wave, str) else list(wave) if wave else []
    where = "survey_id = :s"
    params: dict[str, Any] = {"s": ref.id}
    if waves:
        where += " AND wave IN (" + ", ".join(f":w{i}" for i in range(len(waves))) + ")"
        params.update({f"w{i}": w for i, w in enumerate(waves)})
    conn = RawConn(engine)
    try:
        n = int(conn.execute(f"SELECT count(*) FROM response WHERE {where}", params).fetchone()[0])
        kr, nb, kb = len(d.respondent_item_ids), len(d.brand_ids), len(d.brand_item_ids)
        need = estimate_analysis_bytes(n, kr + nb * kb)
        if need > max_bytes:
            raise AnalysisTooLarge(
                f"analysing {n:,} responses would need about {need / 2**20:,.0f} MiB, over the configured bound of "
                f"{max_bytes / 2**20:,.0f} MiB (CSI_MAX_ANALYSIS_BYTES); filter by wave, or raise the bound on a "
                f"machine with more memory", loc=["query"])
        resp = np.full((n, kr), MISSING_CODE, dtype=np.int16)
        brand = np.full((n, nb, kb), MISSING_CODE, dtype=np.int16)
        rid = np.empty(n, dtype=object)
        wave_a = np.empty(n, dtype=object)
        channel = np.empty(n, dtype=object)
        started = np.full(n, np.nan)
        submitted = np.full(n, np.nan)
        weight = np.full(n, np.nan)
        texts: dict[str, list[str | None]] = {t: [None] * n for t in d.text_item_ids}
        q = (f"SELECT id, version_id, respondent_key, wave, channel, started_at, submitted_at, answers, brand_answers,"
             f" texts, weight FROM response WHERE {where} ORDER BY id")
        if conn.sqlite:
            cur = conn.execute(q, params)
        else:
            cur = conn.dbapi.cursor(name="csi_load")  # server-side: rows arrive in chunks
            cur.itersize = CHUNK
            cur.execute(conn.sql(q), params)
        pos = 0
        while rows := cur.fetchmany(CHUNK):
            m = len(rows)
            cols = list(zip(*rows, strict=True))
            vids = np.asarray(cols[1], dtype=np.int64)
            for vid in np.unique(vids):
                sel = np.flatnonzero(vids == vid)
                dv, cm = defs[int(vid)], maps[int(vid)]
                a = np.frombuffer(b"".join(cols[7][i] for i in sel), dtype="<i2").reshape(len(sel), -1)
                b = np.frombuffer(b"".join(cols[8][i] for i in sel), dtype="<i2").reshape(
                    len(sel), len(dv.brand_ids), len(dv.brand_item_ids))
                if cm.identity:
                    resp[pos + sel] = a
                    brand[pos + sel] = b
                else:
                    resp[pos + sel] = _remap(a, cm.resp_src, cm.resp_recode)
                    bb = np.full((len(sel), nb, len(dv.brand_item_ids)), MISSING_CODE, dtype=np.int16)
                    for j, s in enumerate(cm.brand_src):
                        if s >= 0:
                            bb[:, j] = b[:, s]
                    brand[pos + sel] = _remap(bb, cm.brand_item_src, cm.brand_recode)
            ids = cols[0]
            keys = cols[2]
            rid[pos:pos + m] = [k if k is not None else str(i) for i, k in zip(ids, keys, strict=True)]
            wave_a[pos:pos + m] = cols[3]
            channel[pos:pos + m] = cols[4]
            started[pos:pos + m] = np.asarray(cols[5], dtype=np.float64)
            submitted[pos:pos + m] = np.asarray(cols[6], dtype=np.float64)
            weight[pos:pos + m] = np.asarray(cols[10], dtype=np.float64)  # NULL -> NaN
            if texts:
                for i, t in enumerate(cols[9]):
                    if t:
                        for k, v in json.loads(t).items():
                            if k in texts:
                                texts[k][pos + i] = v
            pos += m
        cur.close()
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
    data = load_data(engine, ref, wave=wave, max_bytes=max_bytes)  # a wave filter also bounds what is read
    result = analyze(d, data, wave=wave, brand=brand, segment=segment, **kw)
    if wave is not None:  # only that wave was read; the total is the survey's, as from a file
        result["n"]["responses"] = _count(engine, ref.id)
    result.setdefault("source", {})
    result["source"].update({"store": engine.dialect.name, "survey": slug, "version": ref.version})
    return result
