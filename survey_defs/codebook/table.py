"""The response table's layout: its column names, the stored code arrays and the keys of per-brand text.

The canonical table (CSV, XLSX, SPSS, `analytics.data.ResponseData.from_frame`) has one row per (respondent,
brand rated): the metadata columns below, an optional weight, then one column per item. The store keeps one row
per respondent with two little-endian int16 arrays (docs/DESIGN.md, "Store layout").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from survey_defs.schema import SurveyDefinition

#: Metadata columns of the canonical response table, in output order.
META_COLUMNS: tuple[str, ...] = ("respondent", "brand", "wave", "channel", "started_at", "submitted_at")
#: The optional survey-weight column (the same value on all of one respondent's rows).
WEIGHT_COLUMN = "weight"
#: How a response may have reached us.
CHANNELS: frozenset[str] = frozenset({"web", "api", "phone", "paper", "import"})
#: The stored code type: little-endian int16.
CODE_DTYPE = np.dtype("<i2")


def table_columns(definition: SurveyDefinition, *, weight: bool = False) -> list[str]:
    """The canonical table's header for one definition: metadata, [weight], every item in definition order."""
    return [*META_COLUMNS, *([WEIGHT_COLUMN] if weight else []), *(it.id for it in definition.items)]


def text_key(item_id: str, brand_id: str | None) -> str:
    """Key of a text answer in the stored texts object: the item id, or ``item@brand`` for a per-brand item."""
    return item_id if brand_id is None else f"{item_id}@{brand_id}"


def split_text_key(key: str) -> tuple[str, str | None]:
    """Inverse of `text_key`: (item id, brand id or None)."""
    item, sep, brand = key.rpartition("@")
    return (item, brand) if sep else (key, None)


def pack_codes(codes: Sequence[int] | NDArray[np.integer]) -> bytes:
    """One respondent's codes as the stored blob."""
    return np.asarray(codes, dtype=CODE_DTYPE).tobytes()


def pack_rows(codes: NDArray[np.integer]) -> list[bytes]:
    """(n, ...) codes as n stored blobs (one ``tobytes`` and n slices, no per-value work)."""
    a = np.ascontiguousarray(codes, dtype=CODE_DTYPE).reshape(codes.shape[0], -1)
    width = a.shape[1] * CODE_DTYPE.itemsize
    buf = a.tobytes()
    return [buf[i:i + width] for i in range(0, len(buf), width)] if width else [b""] * a.shape[0]


def unpack_rows(blobs: Sequence[bytes], shape: tuple[int, ...]) -> NDArray[np.int16]:
    """Fixed-length stored blobs, one per row, as one array of ``shape`` (one copy, no per-row work)."""
    return np.frombuffer(b"".join(blobs), dtype=CODE_DTYPE).reshape(shape)
