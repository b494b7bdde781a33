"""The one rule for text cells that leave us in a spreadsheet (CSV or XLSX), and its inverse for re-import.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
versions, tab or CR) as a formula: a respondent key or a comment such as ``=HYPERLINK(...)`` would become a live
link or a DDE call on the quality department's desk (OWASP "CSV injection"). In CSV the only defence is a leading
``'``; XLSX cells carry their type, so there the text is written as an explicit string cell instead (see xlsx.py).

A text that already starts with ``'`` followed by such a character gets one more ``'``, so that stripping one
``'`` on re-import gives back exactly what was stored.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: First characters a spreadsheet may treat as the start of a formula.
TRIGGERS = frozenset("=+-@\t\r")
#: What replaces a character XLSX cannot hold (U+FFFD REPLACEMENT CHARACTER: visible, never silently dropped).
REPLACEMENT = "\ufffd"


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (or it is a guarded text's own prefix)."""
    if not text:
        return False
    if text[0] in TRIGGERS:
        return True
    return text[0] == "'" and text.lstrip("'")[:1] in TRIGGERS


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell: a leading ``'`` when a spreadsheet could run it as a formula."""
    return "'" + text if needs_guard(text) else text


def may_hold_guarded(raw: bytes, encoding: str) -> bool:
    """Whether a file's bytes may hold a cell `spreadsheet_safe` guarded (a ``'`` before a trigger character).

    One C-speed scan of the bytes, so a big file without any (the usual case) skips `unguard_frame`'s pass over
    every text column. Only for encodings where ASCII is itself (UTF-8, GB18030); otherwise the answer is yes.
    """
    if encoding not in ("utf-8", "utf-8-sig", "gb18030"):
        return True
    triggers = b"=+-@\t\r"
    i = raw.find(b"'")  # bytes.find is a C scan (a regex over 150 MB took 0.9 s, find 0.02 s)
    while i != -1:
        j = i
        while j < len(raw) and raw[j] == 0x27:
            j += 1
        if j < len(raw) and raw[j] in triggers:
            return True
        i = raw.find(b"'", j)
    return False


def spreadsheet_plain(text: str) -> str:
    """The inverse of `spreadsheet_safe`: drop the ``'`` it added (a ``'`` right before a trigger character)."""
    if len(text) > 1 and text[0] == "'" and text.lstrip("'")[:1] in TRIGGERS:
        return text[1:]
    return text


def xlsx_text(text: str) -> str:
    """``text`` with the characters XLSX cannot hold replaced: the last line of defence against a 500.

    New answers are refused at the door (`survey_defs.codebook.clean_text`); this covers what was stored
    before that rule.
    """
    return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, text)


def unguard_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of a table read from a CSV with `spreadsheet_plain` applied (re-import of our exports).

    Only cells starting with ``'`` are looked at, so a clean million-row file costs one vectorised
    ``startswith`` per column (dictionary-encoded columns: per distinct value).
    """
    for name in df.columns:
        s = df[name]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if pd.Series(s.cat.categories).astype(str).str.startswith("'").any():
                df[name] = s.astype(object).map(lambda v: spreadsheet_plain(v) if isinstance(v, str) else v)
            continue
        if not pd.api.types.is_string_dtype(s):
            continue
        mask = s.str.startswith("'", na=False)
        if mask.any():
            df.loc[mask, name] = s[mask].map(spreadsheet_plain)
    return df
