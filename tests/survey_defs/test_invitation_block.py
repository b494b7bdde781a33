"""The definition's invitation templates are checked at validation time, each problem at its FILE:LINE."""

from __future__ import annotations

from survey_defs import check_text, load_definition_text
from tests.service.fieldwork.common import definition_text


def test_invitation_block_is_valid() -> None:
    d = load_definition_text(definition_text(), "u.yaml")
    assert d.invitation is not None and "organisation" in d.invitation.subject["zh"]


def test_bad_templates_are_located() -> None:
    text = definition_text().replace('    en: "{{ organisation }}: how did we do?"',
                                     '    en: "{{ organisaton }}: how did we do?"')
    text = text.replace("你的回答", "x").replace('zh: "江城电力满意度调查，约5分钟：{{ link }}"',
                                                 'zh: "江城电力满意度调查 {% if link %}"')
    lines = text.splitlines()
    issues = [str(i) for i in check_text(text, "u.yaml")]
    subj = next(n for n, ln in enumerate(lines, 1) if "organisaton" in ln)
    sms = next(n for n, ln in enumerate(lines, 1) if "{% if link %}" in ln)
    assert any(i.startswith(f"u.yaml:{subj}:") and "unknown variable 'organisaton'" in i for i in issues), issues
    assert any(i.startswith(f"u.yaml:{sms}:") and "template error" in i for i in issues), issues
