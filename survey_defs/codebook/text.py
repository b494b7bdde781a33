"""Free text as we store it: the one rule for hostile characters in answers, keys and names."""

from __future__ import annotations

import re

#: Longest free-text answer accepted.
MAX_TEXT = 5000

#: What `clean_text` refuses: C0 controls except tab (U+0009) and newline (U+000A), plus DEL and the C1
#: controls. XLSX cannot hold them and NUL breaks PostgreSQL text columns.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """``value`` as stored: line ends made ``\\n`` (browsers send a textarea's lines as CRLF).

    Raises ValueError for NUL and every other control character except tab and newline, naming the character
    and its position: whatever is stored must be writable by every export format, XLSX included.
    """
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    m = CONTROL_CHARACTERS.search(value)
    if m is not None:
        raise ValueError(f"contains the control character U+{ord(m.group()):04X} at position {m.start() + 1}")
    return value
