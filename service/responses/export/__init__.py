"""Exporting responses: the canonical table (docs/DESIGN.md) as CSV, XLSX, SPSS, Stata, or JSON records.

`table` builds the typed rows once per export; each format module writes them. `FORMATS` is the one list of
formats with their file extensions and media types, shared by ``csi export`` and the staff API.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Engine

from service.responses.export import spss
from service.responses.export.csvfile import to_csv
from service.responses.export.jsonfile import iter_records, to_json
from service.responses.export.table import META, WEIGHT, has_weights, table
from service.responses.export.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE
from service.responses.export.xlsx import to_xlsx
from service.surveys.service import SurveyRef

__all__ = ["FORMATS", "META", "WEIGHT", "ExportFormat", "format_for", "has_weights", "iter_records", "stream",
           "table", "to_bytes", "to_csv", "to_json", "to_xlsx", "write_file"]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    #: Text formats stream in chunks; binary ones are built whole.
    text: bool


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", True),
    "xlsx": ExportFormat("xlsx", XLSX_MEDIA_TYPE, False),
    "json": ExportFormat("json", "application/json", True),
    "sav": ExportFormat("sav", spss.MEDIA_TYPES["sav"], False),
    "dta": ExportFormat("dta", spss.MEDIA_TYPES["dta"], False),
}


def format_for(out: Path, override: str | None = None) -> str:
    """The format of an export file: ``override`` when given, else the file's extension.

    Raises ValueError naming the file (or the format) when neither says a known format.
    """
    known = ", ".join(f".{f}" for f in FORMATS)
    if override is not None:
        if override.lower() not in FORMATS:
            raise ValueError(f"unknown format {override!r}; formats are {', '.join(FORMATS)}")
        return override.lower()
    ext = out.suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"{out}: cannot tell the format from the extension {out.suffix or '(none)'!r}; "
                         f"use {known} or --format")
    return ext


def stream(engine: Engine, ref: SurveyRef, fmt: str, labels: str | None = None) -> Iterator[str]:
    """A text format's chunks."""
    return to_csv(engine, ref, labels) if fmt == "csv" else to_json(engine, ref, labels)


def to_bytes(engine: Engine, ref: SurveyRef, fmt: str, labels: str | None = None) -> bytes:
    """A binary format's whole file."""
    if fmt == "xlsx":
        return to_xlsx(engine, ref, labels)
    return spss.to_bytes(engine, ref, cast(spss.Kind, fmt), labels)


def write_file(engine: Engine, ref: SurveyRef, fmt: str, out: Path, labels: str | None = None) -> None:
    """Write the export to ``out`` (text formats chunk by chunk, so a million rows never sit in memory)."""
    if FORMATS[fmt].text:
        with out.open("w", encoding="utf-8", newline="") as f:
            for chunk in stream(engine, ref, fmt, labels):
                f.write(chunk)
    elif fmt == "xlsx":
        out.write_bytes(to_xlsx(engine, ref, labels))
    else:
        spss.write(engine, ref, out, cast(spss.Kind, fmt), labels)
