"""The one home of everything about answers: what each item accepts, how it is stored, what the table looks like.

Every door an answer comes through (the web form, the JSON API, the batch endpoint, CSV/XLSX import) and every
way it leaves (export, the store reader, `analytics.data`) asks this module. Keeping the rules in one place is
the point: three validators that had drifted apart accepted different answers on different paths.

This first part holds the table's column names and the rule for hostile text; the per-item codecs follow.
"""

from __future__ import annotations

import re

#: Metadata columns of the canonical response table, in output order (docs/DESIGN.md).
META_COLUMNS: tuple[str, ...] = ("respondent", "brand", "wave", "channel", "started_at", "submitted_at")
#: The optional survey-weight column (same value on all of one respondent's rows).
WEIGHT_COLUMN = "weight"
#: How a response may have reached us.
CHANNELS: frozenset[str] = frozenset({"web", "api", "phone", "paper", "import"})
#: Longest free-text answer accepted.
MAX_TEXT = 5000

# C0 controls except tab (U+0009) and newline (U+000A), plus DEL and the C1 controls: none can be written to
# XLSX (the format forbids them) and NUL breaks PostgreSQL text columns.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """``value`` as stored: line ends made ``\\n`` (browsers send a textarea's lines as CRLF).

    Raises ValueError for NUL and every other control character except tab and newline, naming the character
    and its position: whatever is stored must be writable by every export format, XLSX included.
    """
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    m = _CONTROL.search(value)
    if m is not None:
        raise ValueError(f"contains the control character U+{ord(m.group()):04X} at position {m.start() + 1}")
    return value
