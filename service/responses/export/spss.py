"""The canonical table as an SPSS ``.sav`` or Stata ``.dta`` file (pyreadstat), one row per (respondent, brand).

Both come from one data frame: variable labels are item texts in the label language (metadata columns get
short descriptions); likert/nps values, yes/no 1/0 and choice options (numbered 1..k in option order, the codes
are in the value labels' order and in the XLSX codebook) carry value labels; unanswered is system missing;
times are datetimes in the definition's time zone (neither format stores a zone).

Not applicable differs: SPSS declares ``-2`` a user-missing value of each item that allows N/A
(``missing_ranges``), so SPSS excludes it from statistics but still shows it. Stata has no user-missing values;
its nearest equivalent is an extended missing value, so N/A is written as ``.a`` (pyreadstat's
``missing_user_values``), which Stata treats as missing and keeps distinct from ``.`` (unanswered).
Variable names are the column ids, made valid where needed (letters, digits, ``_``; at most 32 characters for
Stata, 64 for SPSS; a ``v_`` prefix when an id does not start with a letter).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyreadstat
from sqlalchemy import Engine

from service.responses.export.table import TIME_COLUMNS, Table, local_time, table
from service.surveys.service import SurveyRef
from survey_defs.schema import NA_CODE

Kind = Literal["sav", "dta"]
MEDIA_TYPES: dict[str, str] = {"sav": "application/x-spss-sav", "dta": "application/x-stata-dta"}
#: The Stata extended missing value that stands for "not applicable".
STATA_NA = "a"
#: Longest labels each format holds (variable label, value label): SPSS counts UTF-8 bytes, Stata (as written by
#: ReadStat) characters. Longer texts are cut at a character boundary; the XLSX codebook has them whole.
LABEL_LIMITS: dict[str, tuple[int, int]] = {"sav": (256, 120), "dta": (80, 80)}


def fit(label: str, limit: int, kind: Kind) -> str:
    """``label`` cut to the format's limit (bytes for SPSS, characters for Stata)."""
    if kind == "dta":
        return label[:limit]
    return label.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def variable_names(columns: list[str], kind: Kind) -> dict[str, str]:
    """Column id -> a valid, unique SPSS/Stata variable name (the id itself whenever it is valid)."""
    limit = 32 if kind == "dta" else 64
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", c)
        if not name[:1].isalpha():
            name = "v_" + name
        name = name[:limit]
        base, k = name, 1
        while name.lower() in used:
            suffix = f"_{k}"
            name, k = base[: limit - len(suffix)] + suffix, k + 1
        used.add(name.lower())
        out[c] = name
    return out


def _choice_number(t: Table, iid: str) -> dict[str, int]:
    return {o.code: k for k, o in enumerate(t.options.get(iid, []), 1)}


def value_labels(t: Table, iid: str, lang: str) -> dict[float, str]:
    """Value -> label of one coded item column (empty for text items)."""
    it, codec, d = t.item_defs[iid], t.codecs.get(iid), t.definitions[iid]
    if codec is None:
        return {}
    if it.type == "choice":
        return {float(k): d.text(o.label, lang) for k, o in enumerate(t.options.get(iid, []), 1)}
    out: dict[float, str] = {float(v): str(codec.render(v, lang)) for v in range(codec.lo, codec.hi + 1)}
    if it.allow_na:
        na = d.scales[it.scale].na_label if it.scale else None
        out[float(NA_CODE)] = d.text(na, lang) if na else "NA"
    return out


def frame(t: Table, labels: str | None, kind: Kind) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table as a data frame ready for pyreadstat, and the keyword arguments describing its variables."""
    lang = t.language(labels)
    tz = t.definition.tz
    names = variable_names(t.header, kind)
    rows = [row for _, row in t.rows]
    cols: dict[str, Any] = {}
    for k, c in enumerate(t.header):
        vals = [r[k] for r in rows]
        it = t.item_defs.get(c)
        if c in TIME_COLUMNS:
            cols[c] = pd.to_datetime(pd.Series([local_time(v, tz) for v in vals], dtype=object))
        elif c == "weight":
            cols[c] = pd.Series(vals, dtype=np.float64)
        elif it is None or it.type == "text":
            cols[c] = pd.Series(["" if v is None else str(v) for v in vals], dtype=object)
        else:
            number = _choice_number(t, c) if it.type == "choice" else None
            na: Any = STATA_NA if kind == "dta" else float(NA_CODE)
            conv = [np.nan if v is None else na if v == "NA" else float(number[v] if number else v) for v in vals]
            cols[c] = pd.Series(conv, dtype=object if kind == "dta" and it.allow_na else np.float64)
    df = pd.DataFrame(cols, columns=t.header).rename(columns=names)
    coded = [c for c in t.items if t.item_defs[c].type != "text"]
    vlabels = {names[c]: value_labels(t, c, lang) for c in coded}
    if kind == "dta":  # Stata value labels are integer-keyed and cannot label .a
        vlabels = {n: {int(v): s for v, s in m.items() if v >= 0} for n, m in vlabels.items()}
    var_max, value_max = LABEL_LIMITS[kind]
    kw: dict[str, Any] = {
        "column_labels": {names[c]: fit(t.column_text(c, lang), var_max, kind) for c in t.header},
        "variable_value_labels": {n: {v: fit(s, value_max, kind) for v, s in m.items()}
                                  for n, m in vlabels.items() if m},
    }
    with_na = [names[c] for c in coded if t.item_defs[c].allow_na]
    if kind == "sav":
        kw["missing_ranges"] = {n: [float(NA_CODE)] for n in with_na}
        kw["variable_measure"] = {names[c]: "nominal" if t.item_defs[c].type == "choice" else "ordinal"
                                  for c in coded}
    else:
        kw["missing_user_values"] = {n: [STATA_NA] for n in with_na}
    return df, kw


def write(engine: Engine, ref: SurveyRef, out: Path, kind: Kind, labels: str | None = None) -> None:
    """Write the survey's responses to ``out`` as ``.sav`` or ``.dta``."""
    df, kw = frame(table(engine, ref), labels, kind)
    label = ref.definition.text(ref.definition.title, labels)
    if kind == "sav":
        pyreadstat.write_sav(df, out, file_label=fit(label, 64, kind), **kw)
    else:
        pyreadstat.write_dta(df, out, file_label=fit(label, 80, kind), **kw)


def to_bytes(engine: Engine, ref: SurveyRef, kind: Kind, labels: str | None = None) -> bytes:
    """The file's bytes (pyreadstat writes to a path only, so through a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="csi-export-") as tmp:
        path = Path(tmp) / f"export.{kind}"
        write(engine, ref, path, kind, labels)
        return path.read_bytes()
