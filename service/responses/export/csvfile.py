"""The canonical table as CSV text, streamed in chunks (a million rows never sit in memory).

Codes by default; ``labels`` writes choice, scale and yes/no answers as labels in that language (import accepts
both). Text cells pass through `spreadsheet_safe`; numbers are never touched. A UTF-8 byte order mark leads the
text when the labels are Chinese (``labels="zh"``, or no ``labels`` and a zh definition): without it Excel on a
Chinese Windows reads the file as GBK and shows mojibake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from service.responses.export.cells import spreadsheet_safe
from service.responses.export.table import TIME_COLUMNS, answer_label, iso, table
from service.surveys.service import SurveyRef

BOM = "\ufeff"


def wants_bom(ref: SurveyRef, labels: str | None) -> bool:
    """Whether the CSV starts with a BOM: its labels (or the definition's default language) are Chinese."""
    return (labels or ref.definition.default_language).lower().startswith("zh")


def _text(v: Any) -> Any:
    if v is None:
        return ""
    return spreadsheet_safe(v) if isinstance(v, str) else v


def to_csv(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[str]:
    t = table(engine, ref)
    times = [t.header.index(c) for c in TIME_COLUMNS]
    first = len(t.header) - len(t.items)
    buf = io.StringIO()
    if wants_bom(ref, labels):
        buf.write(BOM)
    w = csv.writer(buf)
    w.writerow(t.header)
    for i, (book, row) in enumerate(t.rows):
        for k in times:
            row[k] = iso(row[k])
        if labels:
            for k, iid in enumerate(t.items, first):
                codec = book.codecs.get(iid)
                if codec is not None and row[k] is not None:
                    row[k] = answer_label(codec, row[k], labels)
        w.writerow([_text(v) for v in row])
        if i % 2000 == 1999:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
