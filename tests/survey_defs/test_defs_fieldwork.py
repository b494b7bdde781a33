"""Wave dates, quotas and the brand block: valid forms load, every problem is reported at its line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from defs_helpers import MINI, edit, expect, issues, line_of  # type: ignore[import-not-found]

from survey_defs import load_definition_text
from survey_defs.waves import default_wave, open_at

DATED = edit("""    label: {zh: 第一期, en: Wave 1}
  - id: w2
    label: {zh: 第二期, en: Wave 2}
""", """    label: {zh: 第一期, en: Wave 1}
    opens: 2026-01-01
    closes: 2026-06-30
  - id: w2
    label: {zh: 第二期, en: Wave 2}
    opens: 2026-07-01
    closes: 2026-12-31 18:00
""")

QUOTAS = DATED + """\
quotas:
  region: {urban: 400, rural: 200}
brand_options:
  own_required: false
  question: {zh: 您用过哪些售电公司？, en: "Which retailers have you used?"}
  own_badge: {zh: 本公司, en: sponsor}
"""


def _t(s: str) -> float:
    """A Shanghai wall-clock time (MINI's default language is zh) as epoch seconds."""
    return datetime.fromisoformat(s + "+08:00").timestamp()


def test_dates_load_as_days_or_instants_and_pick_the_open_wave() -> None:
    d = load_definition_text(QUOTAS)
    w1, w2 = d.waves
    assert w1.opens == date(2026, 1, 1) and w1.closes == date(2026, 6, 30)
    assert w2.closes == datetime(2026, 12, 31, 18, 0)
    assert d.tz == "Asia/Shanghai"
    # a date closes at the end of that day in the definition's zone; a datetime at that instant
    assert open_at(d.waves, d.tz, _t("2026-06-30T23:59:59")) == "w1"
    assert open_at(d.waves, d.tz, _t("2026-07-01T00:00:00")) == "w2"
    assert open_at(d.waves, d.tz, _t("2026-12-31T18:00:00")) == "w2"
    assert open_at(d.waves, d.tz, _t("2026-12-31T18:00:01")) is None
    assert open_at(d.waves, d.tz, _t("2025-12-31T23:59:59")) is None
    # 2026-06-30T16:30Z is already 07-01 00:30 in Shanghai
    assert open_at(d.waves, d.tz, datetime(2026, 6, 30, 16, 30, tzinfo=UTC).timestamp()) == "w2"
    assert default_wave(d.waves, d.tz, _t("2027-01-05T10:00:00")) is None


def test_without_dates_the_last_wave_is_the_default() -> None:
    d = load_definition_text(MINI)
    assert default_wave(d.waves, d.tz, 0.0) == "w2"


def test_quotas_and_brand_options_load() -> None:
    assert issues(QUOTAS) == []
    d = load_definition_text(QUOTAS)
    assert d.quotas == {"region": {"urban": 400, "rural": 200}}
    assert d.brand_options.own_required is False
    assert d.text(d.brand_options.question, "en") == "Which retailers have you used?"
    plain = load_definition_text(MINI)
    assert plain.quotas is None and plain.brand_options.own_required is True
    assert plain.brand_options.question is None


@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("closes: 2026-06-30", "closes: 2025-12-31", "closes: 2025-12-31",
         "wave 'w1' closes (2025-12-31) before it opens (2026-01-01)"),
        ("opens: 2026-07-01", "opens: 2026-06-30", "opens: 2026-06-30",
         "wave 'w2' (2026-06-30 to 2026-12-31 18:00:00) overlaps wave 'w1'"),
        ("opens: 2026-07-01", "opens: 2026-07-32", "opens: 2026-07-32", "wave 'w2': opens"),
    ],
    ids=["closes-before-opens", "overlap", "bad-date"],
)
def test_wave_date_errors(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new, QUOTAS)
    expect(t, line_of(t, needle), fragment)


def test_an_open_ended_wave_overlaps_a_later_one() -> None:
    t = edit("    closes: 2026-06-30\n", "", QUOTAS)
    expect(t, line_of(t, "opens: 2026-07-01"), "overlaps wave 'w1'")


@pytest.mark.parametrize(
    ("old", "new", "needle", "fragment"),
    [
        ("region: {urban: 400, rural: 200}", "regio: {urban: 400}", "regio:", "unknown item 'regio' in the quotas"),
        ("region: {urban: 400, rural: 200}", "sat: {'1': 5}", "sat: {",
         "quota variable 'sat' must be a choice item, not likert"),
        ("region: {urban: 400, rural: 200}", "region: {urban: 400, rurall: 200}", "rurall",
         "unknown option code 'rurall' in the quotas of 'region' (options: urban, rural)"),
        ("region: {urban: 400, rural: 200}", "region: {urban: -1}", "urban: -1", "quotas.region.urban"),
        ('question: {zh: 您用过哪些售电公司？, en: "Which retailers have you used?"}',
         "question: {zh: 您用过哪些售电公司？}", "question:", "brand_options.question missing in language 'en'"),
        ("own_required: false", "own_required: maybe", "own_required",
         "brand_options.own_required: Input should be a valid boolean"),
    ],
    ids=["unknown", "not-choice", "code", "negative", "badge-language", "own-required-type"],
)
def test_quota_and_brand_option_errors(old: str, new: str, needle: str, fragment: str) -> None:
    t = edit(old, new, QUOTAS)
    expect(t, line_of(t, needle), fragment)
