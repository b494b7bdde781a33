"""The canonical table as an Excel workbook a quality department can open and work in.

Sheet ``responses``: row 1 the column ids (what import reads), row 2 each column's text in the label language
(bold, frozen with the respondent column; its respondent cell is empty, which is how import recognises and
skips it), then one row per (respondent, brand).
Times are real Excel datetimes in the definition's time zone; brand and wave are names when ``labels`` is given
(import accepts names); likert/nps/yes-no answers stay numbers even with ``labels`` so they can be summed and
charted, only choice answers become option labels. Sheet ``codebook`` holds value labels and scores.

openpyxl's write-only mode keeps memory flat for 10^5+ rows: plain values go in as they are, only the cells
that need it (times, header, hostile text) become `WriteOnlyCell` objects.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import Engine

from service.responses.export.cells import needs_guard, xlsx_text
from service.responses.export.codebook_sheet import indicator_rows, item_rows
from service.responses.export.table import TIME_COLUMNS, Table, answer_label, local_time, table
from service.surveys.service import SurveyRef

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)


def text_cell(ws: WriteOnlyWorksheet, value: str, bold: bool = False) -> Any:
    """A text value for a write-only row: illegal characters replaced, and a formula-looking text as an explicit
    string cell (openpyxl would otherwise store ``=...`` as a live formula) marked quote-prefixed, as Excel
    itself marks a typed ``'=...``, so editing the cell does not turn it into a formula either."""
    value = xlsx_text(value)
    if not (bold or needs_guard(value)):
        return value
    cell = WriteOnlyCell(ws, value)
    cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    if needs_guard(value):
        cell.quotePrefix = True
    return cell


def _remember(seen: dict[str, Any], ws: WriteOnlyWorksheet, value: str) -> Any:
    out = text_cell(ws, value)
    if len(seen) < 100_000 and isinstance(out, str):  # cells are consumed on write; only plain texts are reused
        seen[value] = out
    return out


def _widths(t: Table, labels_row: list[str]) -> list[float]:
    out = []
    for col, text in zip(t.header, labels_row, strict=True):
        base = 20 if col in TIME_COLUMNS else max(len(col), min(len(text), 30) * (2 if not text.isascii() else 1))
        out.append(min(max(base + 2, 8), 40))
    return out


def write_responses(ws: WriteOnlyWorksheet, t: Table, labels: str | None) -> None:
    """The responses sheet (see the module docstring); column settings must precede the first row."""
    lang = t.language(labels)
    tz = t.definition.tz
    # The respondent cell of row 2 stays empty: that is how import tells this row from data (a data row always
    # has a respondent key).
    texts = ["" if c == "respondent" else t.column_text(c, lang) for c in t.header]
    for k, w in enumerate(_widths(t, texts), 1):
        ws.column_dimensions[get_column_letter(k)].width = w
    ws.freeze_panes = "B3"
    ws.append([text_cell(ws, c, bold=True) for c in t.header])
    ws.append([text_cell(ws, c, bold=True) for c in texts])
    times = [t.header.index(c) for c in TIME_COLUMNS]
    first = len(t.header) - len(t.items)
    choice = {k for k, iid in enumerate(t.items, first) if t.item_defs[iid].type == "choice"}
    seen: dict[str, Any] = {}  # names and labels repeat on every row: check each distinct text once
    for book, row in t.rows:
        if labels:
            row[1] = t.brand_name(row[1], labels)
            if row[2] is not None:
                row[2] = t.wave_name(row[2], labels)
            for k in choice:
                codec = book.codecs.get(t.header[k])
                if codec is not None and row[k] is not None:
                    row[k] = answer_label(codec, row[k], labels)
        for k in times:
            if row[k] is not None:
                cell = WriteOnlyCell(ws, local_time(row[k], tz))
                cell.number_format = DATETIME_FORMAT
                row[k] = cell
        ws.append([v if type(v) is not str else seen[v] if v in seen else _remember(seen, ws, v) for v in row])


def write_codebook(ws: WriteOnlyWorksheet, t: Table) -> None:
    rows = list(item_rows(t))
    tree = list(indicator_rows(t))
    for k, w in enumerate((16, 18, 10), 1):
        ws.column_dimensions[get_column_letter(k)].width = w
    for i, r in enumerate(rows):
        ws.append([text_cell(ws, v, bold=i == 0) if isinstance(v, str) else v for v in r])
    if tree:
        ws.append([])
        for i, r in enumerate(tree):
            ws.append([text_cell(ws, v, bold=i == 0) if isinstance(v, str) else v for v in r])


def to_xlsx(engine: Engine, ref: SurveyRef, labels: str | None = None) -> bytes:
    wb = Workbook(write_only=True)
    t = table(engine, ref)
    write_responses(wb.create_sheet("responses"), t, labels)
    write_codebook(wb.create_sheet("codebook"), t)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
