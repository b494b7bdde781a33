"""utility_csi with dated waves (around today), quotas and brand options, for the fieldwork tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from survey_defs import template_path

UTILITY = template_path("utility_csi").read_text(encoding="utf-8")
WAVES = """waves:
  - id: 2025H2
    label: {zh: 2025年下半年, en: "2nd half of 2025"}
  - id: 2026H1
    label: {zh: 2026年上半年, en: "1st half of 2026"}
"""
assert WAVES in UTILITY


def today() -> date:
    """Today where utility_csi's naive dates are read (Asia/Shanghai, its default language being zh)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def dated(extra: str = "", past: tuple[int, int] = (-60, -31), current: tuple[int, int] = (-30, 30)) -> str:
    """utility_csi whose 2025H2 lies in the past and 2026H1 is open now (offsets in days from today)."""
    text = UTILITY.replace(WAVES, f"""waves:
  - id: 2025H2
    label: {{zh: 2025年下半年, en: "2nd half of 2025"}}
    opens: {days(past[0])}
    closes: {days(past[1])}
  - id: 2026H1
    label: {{zh: 2026年上半年, en: "1st half of 2026"}}
    opens: {days(current[0])}
    closes: {days(current[1])}
""")
    return text + extra


QUOTAS = """
quotas:
  q_region: {urban: 1, rural: 5}
"""

BRAND_OPTIONS = """
brand_options:
  own_required: false
  question: {zh: 您用过哪些售电公司？, en: "Which electricity retailers have you used?"}
  own_badge: {zh: 本次调查发起方, en: "runs this survey"}
"""
