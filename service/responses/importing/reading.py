"""Files -> a frame of strings, plus where each data row sits in the file (its physical line or sheet row).

Why not just ``pd.read_csv``: response tables come from Chinese Excel (GBK "CSV"), from Excel's "Unicode text"
(UTF-16, tab-separated), from European Excel (semicolons) and from exports with multi-line comments, and a
problem must be reported at the line a person sees in an editor. The common case, a big UTF-8 comma file, keeps
pyarrow's multi-threaded reader; anything else is transcoded to UTF-8 first and goes the same way, and a file
pyarrow refuses (ragged rows, giant cells) is read by the standard csv module, which also gives line numbers.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Columns with one distinct value per respondent: read as plain strings, not dictionary-encoded.
HIGH_CARDINALITY = frozenset({"respondent", "started_at", "submitted_at", "weight"})
#: What we try on a file without a byte-order mark, in order (GB18030 is a superset of GBK and GB2312).
ENCODINGS_TRIED = "UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK"
DELIMITERS = (",", ";", "\t")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
BLANK_PREFIX = "(column "


class UnreadableFile(ValueError):
    """The file cannot be read as a response table at all; the message names the file (and line if known)."""


@dataclass
class Table:
    """A response table as strings. ``lines()`` maps data row i to its line in the file (header = line 1).

    ``row_problems`` are rows the reader had to repair (ragged rows): (data row index, message).
    """

    frame: pd.DataFrame
    name: str
    encoding: str = "utf-8"
    delimiter: str = ","
    header_columns: list[str] = field(default_factory=list)
    row_problems: list[tuple[int, str]] = field(default_factory=list)
    _lines: np.ndarray | None = None
    _compute_lines: Callable[[], np.ndarray] | None = None

    def lines(self) -> np.ndarray:
        """Physical line (CSV) or sheet row (XLSX) of each data row; computed on first use (errors only)."""
        if self._lines is None:
            lines = self._compute_lines() if self._compute_lines is not None else None
            if lines is None or len(lines) != len(self.frame):
                lines = np.arange(2, len(self.frame) + 2, dtype=np.int64)
            self._lines = lines
        return self._lines


def decode(data: bytes, name: str) -> tuple[str | None, str]:
    """(text or None when the bytes are already valid UTF-8 without BOM, encoding name).

    Returning None for plain UTF-8 spares a copy of a big file: pyarrow reads the bytes as they are.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        enc, body = "utf-8-sig", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise UnreadableFile(f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                                 f"(byte {e.start})") from None
    else:
        enc, body = "utf-8", data
    try:
        body.decode("utf-8")  # validation only: strict, C speed
    except UnicodeDecodeError as e:
        if enc == "utf-8-sig":
            line = data.count(b"\n", 0, e.start + 3) + 1
            raise UnreadableFile(
                f"{name}:{line}: starts with a UTF-8 byte-order mark but is not valid UTF-8") from None
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as e2:
            line = data.count(b"\n", 0, min(e.start, e2.start)) + 1
            raise UnreadableFile(f"{name}:{line}: cannot decode the file; tried {ENCODINGS_TRIED}") from None
    if enc == "utf-8-sig":
        return body.decode("utf-8"), enc
    return None, enc


def sniff_delimiter(first_line: str) -> str:
    """The separator of the header line: the most frequent of comma, semicolon and tab outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _physical_lines(text: str, delimiter: str) -> np.ndarray:
    """Start line of every non-blank record after the header, by the csv module's own record splitting."""
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    prev = 0
    for row in reader:
        if row:
            starts.append(prev + 1)
        prev = reader.line_num
    return np.asarray(starts[1:], dtype=np.int64)


def _open_quote_line(text: str, delimiter: str) -> int | None:
    """The line where a quoted cell that never closes begins, or None (the csv module in strict mode)."""
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    prev = 0
    try:
        for _ in reader:
            prev = reader.line_num
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            return prev + 1
    return None


def _header(text_head: str, delimiter: str, name: str) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    try:
        names = next(csv.reader(io.StringIO(text_head, newline=""), delimiter=delimiter))
    except (StopIteration, csv.Error) as e:
        raise UnreadableFile(f"{name}:1: cannot read the header line ({e or 'empty'})") from None
    return [n.strip() for n in names]


def _check_header(names: list[str], name: str) -> list[str]:
    """The header's names; a blank one becomes ``(column N)`` (Excel leaves trailing separators)."""
    if not any(names):
        raise UnreadableFile(f"{name}:1: the header line is empty")
    seen: dict[str, int] = {}
    for k, n in enumerate(names, 1):
        if n in seen and n:
            raise UnreadableFile(f"{name}:1: column {n!r} appears twice (columns {seen[n]} and {k})")
        seen.setdefault(n, k)
    return [n or f"{BLANK_PREFIX}{k})" for k, n in enumerate(names, 1)]


def _drop_blank_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns without a header name and without a value are an editor's artefact, not data."""
    blank = [c for c in frame.columns if c.startswith(BLANK_PREFIX)
             and not frame[c].astype("str").str.strip().ne("").any()]
    return frame.drop(columns=blank) if blank else frame


def _frame_arrow(buf: bytes, names: list[str], delimiter: str, quoted_newlines: bool) -> pd.DataFrame:
    """pyarrow's reader: answer columns dictionary-encoded (few distinct values: pandas gets categoricals whose
    codes the reader already computed), high-cardinality ones plain strings."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        pa.BufferReader(buf),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted_newlines),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() if c in HIGH_CARDINALITY else pa.dictionary(pa.int32(), pa.string())
                          for c in names},
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return pd.DataFrame({n: col.to_pandas() for n, col in zip(names, table.columns, strict=True)})


def _frame_python(text: str, names: list[str], delimiter: str) -> tuple[pd.DataFrame, np.ndarray,
                                                                           list[tuple[int, str]]]:
    """The csv module's reader, for files pyarrow refuses: ragged rows are padded or cut and reported."""
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    width = len(names)
    rows: list[list[str]] = []
    starts: list[int] = []
    ragged: list[tuple[int, str]] = []
    prev = 0
    first = True
    for row in reader:
        start, prev = prev + 1, reader.line_num
        if not row:
            continue
        if first:
            first = False
            continue
        if len(row) != width:
            ragged.append((len(rows), f"the row has {len(row)} cells; the header has {width}"))
            row = (row + [""] * width)[:width]
        rows.append(row)
        starts.append(start)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame({n: pd.Series(list(c), dtype="str") for n, c in zip(names, cols, strict=True)})
    return frame, np.asarray(starts, dtype=np.int64), ragged


def read_csv_bytes(data: bytes, name: str) -> Table:
    """A delimited text file as a Table (see the module docstring for what is detected)."""
    if not data.strip(b"\r\n\t \x00"):
        raise UnreadableFile(f"{name}: the file is empty")
    text, encoding = decode(data, name)
    buf = data if text is None else text.encode("utf-8")  # transcoded once: the fast reader wants UTF-8 bytes
    nl = buf.find(b"\n")
    head = buf[: nl if nl >= 0 else len(buf)].decode("utf-8", "replace").rstrip("\r")
    delimiter = sniff_delimiter(head)
    names = _check_header(_header(head, delimiter, name), name)
    quoted = b'"' in buf

    def full_text() -> str:
        return text if text is not None else buf.decode("utf-8")

    if quoted and buf.count(b'"') % 2:
        line = _open_quote_line(full_text(), delimiter)
        if line is not None:
            raise UnreadableFile(f"{name}:{line}: a quoted cell opened on this line is never closed")
    ragged: list[tuple[int, str]] = []
    lines: np.ndarray | None = None
    try:
        frame = _frame_arrow(buf, names, delimiter, quoted)
    except Exception:  # any pyarrow refusal: the csv module reads it and says where the problem is
        frame, lines, ragged = _frame_python(full_text(), names, delimiter)
    if not quoted and lines is None:
        # No quotes, so no cell spans lines: a data row's line is its index plus the header and blank lines.
        def compute() -> np.ndarray:
            blank = _blank_line_shift(buf)
            return blank if blank is not None else _physical_lines(full_text(), delimiter)
    else:
        def compute() -> np.ndarray:
            return _physical_lines(full_text(), delimiter)
    if len(frame) == 0:
        raise UnreadableFile(f"{name}: no data rows (only the header)")
    return Table(_drop_blank_columns(frame), name, encoding, delimiter, names, ragged, lines, compute)


def _blank_line_shift(buf: bytes) -> np.ndarray | None:
    """Lines of the data rows of a file without quotes and without blank lines (else None: count properly)."""
    if b"\n\n" in buf or b"\n\r\n" in buf or b"\r" in buf.replace(b"\r\n", b""):
        return None
    n = buf.count(b"\n") + (0 if buf.endswith(b"\n") else 1)
    return np.arange(2, n + 1, dtype=np.int64)


def _cell(v: Any) -> str:
    """An XLSX cell as the text a CSV of it would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date | time):
        return v.isoformat()
    return str(v)


def read_xlsx(path: Path, name: str) -> Table:
    """The first sheet; blank rows are skipped and every row keeps its sheet row number."""
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise UnreadableFile(f"{name}: not a readable XLSX workbook ({type(e).__name__}: {e})") from None
    except Exception as e:  # openpyxl raises many kinds on a damaged workbook
        raise UnreadableFile(f"{name}: not a readable XLSX workbook ({type(e).__name__}: {e})") from None
    try:
        if not wb.worksheets:
            raise UnreadableFile(f"{name}: the workbook has no sheet")
        rows: list[list[str]] = []
        starts: list[int] = []
        names: list[str] | None = None
        for r, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), 1):
            cells = [_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if names is None:
                names = [c.strip() for c in cells]
                while names and not names[-1]:
                    names.pop()
                names = _check_header(names, name)
                continue
            rows.append(cells)
            starts.append(r)
    except UnreadableFile:
        raise
    except Exception as e:
        raise UnreadableFile(f"{name}: cannot read the first sheet ({type(e).__name__}: {e})") from None
    finally:
        wb.close()
    if names is None:
        raise UnreadableFile(f"{name}: the first sheet is empty")
    if not rows:
        raise UnreadableFile(f"{name}: no data rows (only the header)")
    width = len(names)
    ragged = [(k, f"the row has {len(_trim(row))} cells; the header has {width}")
              for k, row in enumerate(rows) if len(_trim(row)) > width]
    cols = [[(row[j] if j < len(row) else "") for row in rows] for j in range(width)]
    frame = pd.DataFrame({n: pd.Series(c, dtype="str") for n, c in zip(names, cols, strict=True)})
    return Table(_drop_blank_columns(frame), name, "xlsx", "", names, ragged, np.asarray(starts, dtype=np.int64))


def _trim(row: list[str]) -> list[str]:
    out = list(row)
    while out and not out[-1].strip():
        out.pop()
    return out


def read_file(path: Path, name: str | None = None) -> tuple[Table, bytes]:
    """The file as a Table, and its bytes (for the batch's SHA-256). Raises UnreadableFile with one message."""
    name = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableFile(f"{name}: cannot read the file ({e.strerror or e})") from None
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(path, name), data
    return read_csv_bytes(data, name), data
