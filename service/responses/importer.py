"""Bulk import of the canonical response table (CSV or XLSX) for phone, paper and other channels.

An import never crashes and never doubles. Any file gives either a stored batch or a list of problems, each at
its file line and column (reading: `importing.reading`; the checks: `importing.checks`). The caller chooses
all-or-nothing (default) or storing the valid respondents only. A respondent already stored for the same survey
and wave is skipped, or replaced when asked; every import is recorded as a batch that can be listed and undone
(`importing.batches`). Rows are written in bulk (`importing.writing`).

A clean big file is parsed once by `ResponseData.from_frame` plus the few checks it does not make; only a file
with a problem pays for the full per-cell pass that words every problem.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analytics.data import ResponseData
from service.errors import AppError
from service.responses.export.cells import may_hold_guarded, unguard_frame
from service.responses.importing import batches
from service.responses.importing.checks import Checker, Findings
from service.responses.importing.reading import Table, UnreadableFile, read_file
from service.responses.importing.writing import (  # noqa: F401  (re-exported: bench and tests use them here)
    COLS,
    SHARED,
    VARYING,
    Rows,
    bulk_insert,
    to_rows,
    write_rows,
)
from service.store.raw import RawConn
from service.surveys.service import SurveyRef
from survey_defs.codebook import CHANNELS
from survey_defs.schema import MISSING_CODE, SurveyDefinition


class ImportRejected(AppError):
    """Problems were found and nothing was stored (all-or-nothing mode, or a file that cannot be read)."""

    status_code = 422

    def __init__(self, problems: list[str], count: int | None = None):
        n = len(problems) if count is None else count
        super().__init__(f"{n} problem(s); nothing was stored")
        self.problems = problems
        self.count = n


@dataclass
class ImportReport:
    """What an import did. ``stored``/``skipped``/``replaced``/``rejected`` count respondents: stored new,
    skipped as already stored, stored over an earlier copy, left out for a problem (``--partial``)."""

    stored: int
    skipped: int = 0
    replaced: int = 0
    rejected: int = 0
    rows_stored: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    read_seconds: float = 0.0
    batch_id: int | None = None
    same_file_batch: int | None = None


def resolve_tz(definition: SurveyDefinition, tz: str | None) -> str:
    """The zone naive times are read in: ``tz`` when given, else the definition's (unknown = a clear error)."""
    name = tz or definition.tz
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise AppError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai or Europe/Berlin)",
                       status_code=422, loc=["timezone"]) from None
    return name


def read_source(path: Path, name: str | None = None,
                definition: SurveyDefinition | None = None) -> tuple[Table, bytes]:
    """The one reader of response-table files (import and ``analyze --responses``); raises UnreadableFile.

    What our own exports add for people is taken off again: the leading ``'`` that guards a CSV text cell against
    formula injection, and, given the ``definition``, an XLSX export's second header row (the column texts).
    """
    table, raw = read_file(path, name)
    if table.encoding == "xlsx":
        if definition is not None and _is_label_row(table.frame, definition):
            lines = table.lines()[1:]
            table.frame = table.frame.iloc[1:].reset_index(drop=True)
            table.row_problems = [(k - 1, m) for k, m in table.row_problems if k > 0]
            table._lines, table._compute_lines = lines, None
    elif may_hold_guarded(raw, table.encoding):
        table.frame = unguard_frame(table.frame)
    return table, raw


def _is_label_row(df: pd.DataFrame, definition: SurveyDefinition) -> bool:
    """Whether the first data row is the column-text row an XLSX export puts under the ids
    (service/responses/export/xlsx.py): its ``respondent`` cell is empty and every non-empty item cell is that
    item's text in one of the definition's languages (at least one such cell)."""
    if df.empty or "respondent" not in df.columns or str(df["respondent"].iloc[0]).strip():
        return False
    matched = 0
    for c in df.columns:
        cell = str(df[c].iloc[0]).strip()
        if c not in definition.item_map or not cell:
            continue
        if cell not in definition.item(c).text.values():
            return False
        matched += 1
    return matched > 0


class ResponseFileError(ValueError):
    """A response file that cannot be parsed; the message is ``FILE:LINE: column C: message`` or ``FILE: ...``."""


def load_response_file(path: Path, definition: SurveyDefinition) -> ResponseData:
    """A response-table file (CSV or XLSX, as `csi import` reads it) parsed for an analysis or a report from files.

    Raises `ResponseFileError` naming the file and, for a bad cell, its line.
    """
    try:
        table, _ = read_source(path, str(path), definition)
        return ResponseData.from_frame(definition, table.frame)
    except UnreadableFile as e:
        raise ResponseFileError(str(e)) from None
    except ValueError as e:
        # from_frame names the 1-based data row; the reader knows that row's line in the file.
        row, sep, rest = str(e).partition(", ")
        if sep and row.startswith("row ") and row[4:].isdigit():
            raise ResponseFileError(f"{path}:{int(table.lines()[int(row[4:]) - 1])}: {rest}") from None
        raise ResponseFileError(f"{path}: {e}") from None


def read_table(path: Path, definition: SurveyDefinition | None = None) -> tuple[pd.DataFrame, int]:
    """The file as strings; returns (frame, 1) for callers that only want the frame."""
    table, _ = read_source(path, definition=definition)
    return table.frame, 1


def _missing_required(d: SurveyDefinition, data: ResponseData) -> bool:
    """Any required answer missing: respondent items always, brand items for every brand a respondent rated."""
    req_r = [j for j, i in enumerate(d.respondent_item_ids) if d.item(i).required]
    if req_r and (data.resp[:, req_r] == MISSING_CODE).any():
        return True
    req_b = [j for j, i in enumerate(d.brand_item_ids) if d.item(i).required]
    if req_b:
        rated = (data.brand != MISSING_CODE).any(axis=2)
        if ((data.brand[:, :, req_b] == MISSING_CODE).any(axis=2) & rated).any():
            return True
    return False


def _parse(d: SurveyDefinition, table: Table, tz: str) -> tuple[ResponseData | None, Checker, Findings]:
    """(parsed data or None, the checker used, what it found)."""
    data: ResponseData | None = None
    if not table.row_problems:
        try:
            data = ResponseData.from_frame(d, table.frame, tz=tz)
        except ValueError:
            data = None
    if data is not None:
        checker = Checker(d, table, tz, n_respondents=data.n)
        found = checker.extra()
        if not found and not _missing_required(d, data):
            return data, checker, found
    checker = Checker(d, table, tz)
    return None, checker, checker.all()


def import_table(
    engine: Engine,
    ref: SurveyRef,
    table: Table,
    *,
    all_or_nothing: bool = True,
    replace: bool = False,
    channel: str = "import",
    tz: str | None = None,
    who: str = "unknown",
    sha256: str = "",
    progress: bool = False,
) -> ImportReport:
    """Check, then store in one transaction: the batch record, the replaced rows' removal, the new rows."""
    t0 = time.perf_counter()
    d = ref.definition
    if ref.status != "open":
        raise AppError("this survey is closed", status_code=410)
    if channel not in CHANNELS:
        raise AppError(f"unknown channel {channel!r}; channels are {sorted(CHANNELS)}", status_code=422,
                       loc=["channel"])
    zone = resolve_tz(d, tz)
    data, checker, found = _parse(d, table, zone)
    problems = found.messages(table) if found else []
    rejected = 0
    keep: np.ndarray | None = None
    if found:
        if all_or_nothing:
            raise ImportRejected(problems, found.count)
        keys = checker.keys()
        bad_keys = keys[found.bad]
        keep = ~found.bad & ~keys.isin(bad_keys[bad_keys != ""]).to_numpy(dtype=bool)
        left_out = keys[~keep]
        rejected = int(left_out[left_out != ""].nunique()) + int((left_out == "").sum())
        problems.append(f"{table.name}: left out {rejected} respondent(s) ({int((~keep).sum())} row(s)) with a "
                        "problem; their lines are listed above")
        if keep.any():
            try:
                data = ResponseData.from_frame(d, table.frame.loc[keep], tz=zone)
            except ValueError as e:  # the checks missed what the parser refuses: say what it said
                raise ImportRejected([f"{table.name}: {e}"]) from e
    if data is None and not found:  # pragma: no cover - _parse returns data or findings
        raise ImportRejected([f"{table.name}: nothing to import"])
    return _store(engine, ref, table, data, keep, problems, rejected=rejected, replace=replace, channel=channel,
                  who=who, sha256=sha256, progress=progress, t0=t0)


def _rows_per_respondent(table: Table, keep: np.ndarray | None, ids: np.ndarray) -> int:
    """File rows of the respondents ``ids`` (for the batch record)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = table.frame if keep is None else table.frame.loc[keep]
    keys = pc.utf8_trim_whitespace(pa.array(frame["respondent"].astype("str")).cast(pa.string()))
    return int(pc.sum(pc.is_in(keys, value_set=pa.array(ids, type=pa.string()))).as_py() or 0)


def _store(engine: Engine, ref: SurveyRef, table: Table, data: ResponseData | None, keep: np.ndarray | None,
           problems: list[str], *, rejected: int, replace: bool, channel: str, who: str, sha256: str,
           progress: bool, t0: float) -> ImportReport:
    report = ImportReport(0, rejected=rejected, problems=problems)
    conn = RawConn(engine)
    try:
        with conn.transaction():
            batches.lock_survey(conn, int(ref.id))
            report.same_file_batch = batches.live_batch_with_file(conn, int(ref.id), sha256) if sha256 else None
            counts = batches.BatchCounts(rejected=rejected)
            if data is not None and data.n:
                stored = batches.stored_keys(conn, int(ref.id))
                hit, ids = batches.match_keys(data.wave, data.respondent_id, stored)
                if replace:
                    batches.delete_ids(conn, ids)
                    counts.replaced = int(hit.sum())
                elif hit.any():
                    counts.skipped = int(hit.sum())
                    data = data.take(~hit)
                counts.stored = data.n
                if counts.skipped or counts.rejected:
                    counts.rows_stored = _rows_per_respondent(table, keep, data.respondent_id)
                else:
                    counts.rows_stored = len(table.frame) if keep is None else int(keep.sum())
            report.batch_id = batches.record_batch(conn, int(ref.id), Path(table.name).name, sha256, who, counts)
            if data is not None and data.n:
                rows = to_rows(ref, data, channel, time.time())
                rows.batch_id = report.batch_id
                if progress:
                    from rich.progress import Progress

                    with Progress(transient=True) as bar:
                        task = bar.add_task("storing", total=len(rows))
                        write_rows(conn, rows, lambda k: bar.advance(task, k))
                else:
                    write_rows(conn, rows)
    finally:
        conn.close()
    report.stored, report.skipped, report.replaced = counts.stored, counts.skipped, counts.replaced
    report.rows_stored = counts.rows_stored
    report.seconds = time.perf_counter() - t0
    return report


def import_frame(engine: Engine, ref: SurveyRef, df: pd.DataFrame, *, name: str = "<frame>", offset: int = 1,
                 **kw: Any) -> ImportReport:
    """A frame already in memory (data row i is reported as line i + 1 + offset)."""
    lines = np.arange(len(df), dtype=np.int64) + 1 + offset
    return import_table(engine, ref, Table(df.reset_index(drop=True), name, _lines=lines), **kw)


def import_file(engine: Engine, ref: SurveyRef, path: Path, *, name: str | None = None, **kw: Any) -> ImportReport:
    """Read, check and store one file; a file that cannot be read raises ImportRejected with one message."""
    t0 = time.perf_counter()
    try:
        table, raw = read_source(path, name, ref.definition)
    except UnreadableFile as e:
        raise ImportRejected([str(e)]) from None
    sha = hashlib.sha256(raw).hexdigest()
    del raw
    read_s = time.perf_counter() - t0
    report = import_table(engine, ref, table, sha256=sha, **kw)
    report.read_seconds = read_s
    report.seconds += read_s
    return report
