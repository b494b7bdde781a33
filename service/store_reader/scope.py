"""Which stored rows a read covers, as SQL: the survey, the waves, the brand rated and the segment answers.

The brand and segment filters compare bytes of the answer blobs (``substr`` on BLOB/bytea, 1-based, the same on
SQLite and PostgreSQL) at each version's offset of the column, so the database selects exactly the respondents
`analytics.data.ResponseData.filter` keeps, and the streamed summary never reads the others. The median completion
time (`median_duration_sql`) is computed by the database over the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine

from analytics.data import ResponseData
from service.responses import repository
from service.store.raw import RawConn
from service.store_reader.columns import ColumnMap, column_map
from service.surveys.service import SurveyRef, versions
from survey_defs.codebook import definition_from_json
from survey_defs.schema import HIDDEN_CODE, MISSING_CODE, NA_CODE, SurveyDefinition

_TIMED = "started_at IS NOT NULL AND submitted_at - started_at >= 0"


@dataclass(frozen=True)
class Scope:
    """Which rows a read covers: a WHERE clause on the response table and its parameters."""

    where: str
    params: dict[str, Any]
    defs: dict[int, SurveyDefinition]
    maps: dict[int, ColumnMap]


def _le(code: int) -> bytes:
    return int(code).to_bytes(2, "little", signed=True)


def _answered_codes(recode: NDArray[np.int16] | None) -> list[bytes] | None:
    """Stored codes of an old column that are not missing once mapped (None: every code but -1 is): N/A (-2) and
    not asked (-3, a rated brand's hidden item) map to themselves."""
    if recode is None:
        return None
    return [_le(HIDDEN_CODE), _le(NA_CODE)] + [_le(c) for c, r in enumerate(recode.tolist()) if r != MISSING_CODE]


def read_scope(engine: Engine, ref: SurveyRef, *, wave: str | Sequence[str] | None = None,
               brand: str | None = None, segment: Mapping[str, object] | None = None) -> Scope:
    """The rows of the survey in ``wave`` (ids), who rated ``brand`` and whose segment answers match ``segment``
    ({item: option code, label or index, or a list}), as SQL: the brand and segment filters compare bytes of the
    answer blobs (``substr`` on BLOB/bytea, 1-based, the same on SQLite and PostgreSQL) at each version's offset
    of the column, with the version's option codes recoded to the current ones, so they select exactly the
    respondents `analytics.data.ResponseData.filter` keeps."""
    d = ref.definition
    vers = versions(engine, ref.id)
    defs = {vid: definition_from_json(v.definition_json) for vid, v in vers.items()}
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
    return Scope(" AND ".join(where), params, defs, maps)



def any_weight(conn: RawConn, scope: Scope) -> bool:
    return repository.any_weight(conn, scope.where, scope.params)



def median_duration_sql(conn: RawConn, scope: Scope) -> tuple[float | None, int]:
    """The median completion time (submitted_at - started_at) over the scope's timed rows, computed by the
    database, and the number of timed rows; None below `analytics.quality.MIN_TIMED` (the speeder rule).

    PostgreSQL: ``percentile_cont(0.5) WITHIN GROUP (ORDER BY ...)``. SQLite has no percentile function: the
    middle one or two values come from ``ORDER BY ... LIMIT 2 OFFSET (n - 1) / 2`` and are averaged as
    ``numpy.median`` does.
    """
    from analytics.quality import MIN_TIMED

    where = f"{scope.where} AND {_TIMED}"
    if conn.sqlite:
        n = repository.count(conn, where, scope.params)
        if n < MIN_TIMED:
            return None, n
        vals = [float(r[0]) for r in conn.execute(
            repository.durations(where), {**scope.params, "lim": 2 - n % 2, "off": (n - 1) // 2}).fetchall()]
        return (vals[0] if len(vals) == 1 else (vals[0] + vals[1]) / 2), n
    row = conn.execute(repository.median_duration(where), scope.params).fetchone()
    n = int(row[0])
    return (float(row[1]) if n >= MIN_TIMED else None), n

