"""Number and date formatting per language, in one place so that every figure in a report reads the same way.

Scores keep one decimal (the precision the CIs support at typical n), proportions are shown as percentages
with one decimal, p-values follow the APA convention (``p < 0.001``), negative numbers use the typographic
minus sign. Missing values (``None`` or NaN) are an em dash, never ``nan``. The punctuation that joins figures and
clauses into sentences is here too, since Chinese and English differ in it (``、`` / ``；`` / ``，``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from reports.i18n import MONTHS_EN

DASH = "—"
MINUS = "−"


def _ok(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(float(x))


def num(x: object, digits: int = 1) -> str:
    """``74.2``; ``−8.9``; ``—`` for a missing value."""
    if not _ok(x):
        return DASH
    s = f"{float(x):,.{digits}f}"  # type: ignore[arg-type]
    if s.lstrip("-").strip("0.,") == "":
        s = s.lstrip("-")  # no "−0.0"
    return s.replace("-", MINUS)


def signed(x: object, digits: int = 1) -> str:
    """``+2.1`` / ``−2.1`` for changes and differences."""
    if not _ok(x):
        return DASH
    s = num(x, digits)
    return s if s.startswith(MINUS) or s.strip("0.,") == "" else "+" + s


def integer(x: object) -> str:
    """``2,227``: thousands grouped by commas (the usual practice in Chinese reports too)."""
    if not _ok(x):
        return DASH
    return f"{round(float(x)):,d}"  # type: ignore[arg-type]


def pct(x: object, digits: int = 1) -> str:
    """A value already on 0–100 as a percentage: ``63.3%``."""
    return DASH if not _ok(x) else num(x, digits) + "%"


def share(x: object, digits: int = 1) -> str:
    """A fraction on 0–1 as a percentage."""
    return DASH if not _ok(x) else pct(float(x) * 100, digits)  # type: ignore[arg-type]


def ci(bounds: Sequence[object] | None, digits: int = 1) -> str:
    """``73.6–74.7`` (``−12.2 ~ −5.7`` with a negative bound); ``—`` when either bound is missing."""
    if not bounds or len(bounds) != 2 or not (_ok(bounds[0]) and _ok(bounds[1])):
        return DASH
    lo, hi = num(bounds[0], digits), num(bounds[1], digits)
    # "−12.2–−5.7" misreads; with a negative bound use a spaced tilde, as Chinese and English tables both do
    return f"{lo} ~ {hi}" if lo.startswith(MINUS) or hi.startswith(MINUS) else f"{lo}–{hi}"


def pvalue(p: object) -> str:
    """``p < 0.001`` or ``p = 0.003`` (three decimals; two when p ≥ 0.1)."""
    if not _ok(p):
        return "p = " + DASH
    f = float(p)  # type: ignore[arg-type]
    if f < 0.001:
        return "p < 0.001"
    return f"p = {f:.3f}" if f < 0.1 else f"p = {f:.2f}"


def date(d: dt.date, lang: str) -> str:
    """``2026年11月22日`` / ``22 November 2026``."""
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def weight(x: object) -> str:
    """Weights with three decimals (AHP weights such as 0.483 need them)."""
    return num(x, 3)


def sentence(clause: str, lang: str) -> str:
    """A reason clause as a sentence: capitalised with a full stop (en), with 。 (zh); ``""`` for an empty one."""
    c = clause.strip().rstrip("。.")
    if not c:
        return ""
    return c + "。" if lang == "zh" else c[:1].upper() + c[1:] + "."


def list_sep(lang: str) -> str:
    """Between the names of a list (waves, bands): ``、`` / ``, ``."""
    return "、" if lang == "zh" else ", "


def clause_sep(lang: str) -> str:
    """Between clauses that each carry figures: ``；`` / ``; ``."""
    return "；" if lang == "zh" else "; "


def comma(lang: str) -> str:
    """Between a verdict and its p-value: ``，`` / ``, ``."""
    return "，" if lang == "zh" else ", "
