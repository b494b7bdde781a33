"""Reading the analysis JSON (docs/analytics-json.md): a section's result or why it has none, a figure's value and
CI, a comparison's test and its ▲/▼/= mark.

A figure is either a plain number or ``{"value", "ci", "n", ...}``; a section without a result has ``status``
insufficient_data / error / unavailable and a ``reason``. Every section module reads the analysis through these,
so that the two shapes and the three statuses are handled the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports.i18n import t

__all__ = ["bounds", "family_of", "mark", "p_of", "section_reason", "status", "test_of", "val", "verdict"]


def section_reason(sec: object) -> str | None:
    """Why an analysis section has no result (``status`` insufficient_data / error / unavailable), else None."""
    if sec is None:
        return "not computed"
    if isinstance(sec, Mapping) and sec.get("status") in ("insufficient_data", "error", "unavailable"):
        return str(sec.get("reason") or sec.get("status"))
    return None


def status(sec: object) -> str:
    """The section's ``status``, insufficient_data when it has none (the generic reason `reports.reasons` gives)."""
    return str(sec.get("status") or "insufficient_data") if isinstance(sec, Mapping) else "insufficient_data"


def val(est: object) -> float | None:
    """The figure's value: a plain number, or ``value`` of a figure dict; None when missing."""
    if isinstance(est, Mapping):
        v = est.get("value")
        return float(v) if isinstance(v, int | float) else None
    return float(est) if isinstance(est, int | float) else None


def bounds(est: object) -> list[float] | None:
    """The figure's confidence interval ``[lo, hi]``, None unless it has two numeric bounds."""
    if isinstance(est, Mapping):
        c = est.get("ci")
        if isinstance(c, Sequence) and len(c) == 2 and all(isinstance(x, int | float) for x in c):
            return [float(c[0]), float(c[1])]
    return None


def test_of(cmp: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The comparison's ``test`` dict; ``{}`` when it was not tested."""
    if not isinstance(cmp, Mapping):
        return {}
    test = cmp.get("test")
    return test if isinstance(test, Mapping) else {}


def p_of(test: Mapping[str, Any]) -> object:
    """The p-value behind the verdict: the raw p of a primary comparison, the Holm-adjusted p of a secondary one
    (analytics.benchmark: primary comparisons are tested alone, secondary ones Holm-corrected within their family)."""
    if test.get("family") == "secondary":
        return test.get("p_holm")
    return test.get("p_value")


def family_of(test: Mapping[str, Any], lang: str) -> str:
    """Which family the test belongs to, in ``lang`` ("primary comparison" / "secondary, Holm-corrected"); '' when
    untested."""
    fam = test.get("family")
    return t(f"fam_{fam}", lang) if fam in ("primary", "secondary") else ""


def mark(cmp: Mapping[str, Any] | None) -> str:
    """▲ own brand significantly higher, ▼ lower, = not significant, '' when untested."""
    test = test_of(cmp)
    if "significant" not in test:
        return ""
    if not test.get("significant"):
        return "="
    diff = val(test.get("diff", (cmp or {}).get("diff")))
    return "▲" if diff is not None and diff > 0 else "▼"


def verdict(significant: object, lang: str, test: Mapping[str, Any] | None = None) -> str:
    """"Significant" / "not significant" in ``lang``, with the test's family when ``test`` is given
    ("significant (primary comparison)")."""
    word = t("sig" if significant else "nsig", lang)
    fam = family_of(test, lang) if test is not None else ""
    return t("with_family", lang, verdict=word, family=fam) if fam else word
