"""Responses to older versions of a survey, mapped onto the current version's columns.

A response is stored as the codes of the version it was given to. To read it on the current definition, each
current column is taken from the older version's column of the same item id (and, for a choice item, recoded by
option code); an item whose type or scale changed between versions (points, minimum, reverse coding) is left
missing for the older responses rather than mixing scales. Negative codes (-1 missing, -2 N/A, -3 not asked)
are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from survey_defs.schema import MISSING_CODE, SurveyDefinition


@dataclass(frozen=True)
class ColumnMap:
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


def column_map(old: SurveyDefinition, new: SurveyDefinition) -> ColumnMap:
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
    return ColumnMap(r_src, r_rec, b_src, bi_src, b_rec, identity)


def remap(
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

