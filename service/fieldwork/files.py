"""Reading customer and invitee files (CSV) the hostile way: every problem at its FILE:LINE, never a traceback.

Cells go through `survey_defs.codebook.clean_text` (control characters refused) and lose the ``'`` our own CSV
writers put before a formula-looking text (`spreadsheet_plain`), so a file we wrote reads back as it was.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from service.invitations.schemas import CONTACT_COLUMNS, InviteeIn
from service.responses.export.cells import spreadsheet_plain, spreadsheet_safe
from survey_defs.codebook import clean_text

MAX_ROWS = 1_000_000


class FileProblems(ValueError):
    """Every problem of one file, each ``FILE:LINE: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Table:
    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]  # the physical line each row starts on
    #: Problems of single cells (the cell is left out); `read_table` raises for them unless ``keep_going``.
    problems: list[tuple[int, str]]


def read_table(path: Path, keep_going: bool = False) -> Table:
    """A CSV with a header row; UTF-8 (with or without BOM). Raises FileProblems; with ``keep_going``, problems of
    single cells are returned in ``problems`` instead, so a later check can report its own in the same pass."""
    if not path.is_file():
        raise FileProblems([f"{path}: no such file"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise FileProblems([f"{path}:{line}: not UTF-8 (save the file as UTF-8 CSV)"]) from None
    reader = csv.reader(text.splitlines(keepends=True))
    problems: list[str] = []
    cell_problems: list[tuple[int, str]] = []
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblems([f"{path}:1: the file is empty (a header row is needed)"]) from None
    except csv.Error as e:
        raise FileProblems([f"{path}:1: {e}"]) from None
    columns = [h.strip() for h in header]
    for i, c in enumerate(columns):
        if not c:
            problems.append(f"{path}:1: column {i + 1} has no name")
        elif columns.index(c) != i:
            problems.append(f"{path}:1: column {c!r} appears twice")
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(f"{path}:{reader.line_num}: {e}")
            break
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            problems.append(f"{path}:{line}: {len(cells)} cells but the header has {len(columns)} columns")
            continue
        row: dict[str, str] = {}
        for col, raw in zip(columns, cells, strict=False):
            try:
                row[col] = spreadsheet_plain(clean_text(raw).strip())
            except ValueError as e:
                cell_problems.append((line, f"{path}:{line}: column {col}: {e}"))
        rows.append(row)
        lines.append(line)
        if len(rows) > MAX_ROWS:
            problems.append(f"{path}:{line}: more than {MAX_ROWS} rows")
            break
    if problems or (cell_problems and not keep_going):
        raise FileProblems(problems + [m for _, m in cell_problems])
    return Table(path, columns, rows, lines, cell_problems)


def invitees_from(table: Table) -> list[InviteeIn]:
    """Invitees from an invitee file: customer_ref, contact columns, stratum; every other column is a segment
    item (checked against the definition when the invitations are created)."""
    problems: list[tuple[int, str]] = list(table.problems)
    out: list[InviteeIn] = []
    reserved = {"customer_ref", "stratum", *CONTACT_COLUMNS}
    for row, line in zip(table.rows, table.lines, strict=True):
        fields = {k: v for k, v in row.items() if k in reserved and v}
        segments = {k: v for k, v in row.items() if k not in reserved and v}
        try:
            out.append(InviteeIn(**fields, segments=segments))
        except ValidationError as e:
            for err in e.errors():
                where = ".".join(str(x) for x in err["loc"])
                problems.append((line, f"{table.path}:{line}: column {where}: "
                                       f"{err['msg'].removeprefix('Value error, ')}"))
    if problems:
        raise FileProblems([m for _, m in sorted(problems, key=lambda p: p[0])])
    return out


def write_csv(path: Path, columns: list[str], rows: list[list[str]], *, bom: bool = True,
              raw: frozenset[str] = frozenset()) -> None:
    """UTF-8 (with a BOM by default: spreadsheets then read Chinese right); every cell formula-guarded except
    the ``raw`` columns (our own tokens and links: a token may start with ``-``, and must stay as it is)."""
    keep = [c in raw for c in columns]
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([c if k else spreadsheet_safe(c) for c, k in zip(r, keep, strict=True)])
