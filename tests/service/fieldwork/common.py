"""A utility_csi definition with an invitation block, and helpers shared by the fieldwork tests."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from service.surveys.service import SurveyRef, load_ref, publish
from survey_defs import template_path

INVITATION_BLOCK = """
invitation:
  subject:
    zh: "{{ organisation }}：请为我们的供电服务打分"
    en: "{{ organisation }}: how did we do?"
  body:
    zh: |-
      {{ name or "尊敬的客户" }}，您好：

      感谢您使用我们的供电服务。为了做得更好，请花 5 分钟完成「{{ survey_title }}」。
      您的回答只用于改进服务。
    en: |-
      Dear {{ name or "customer" }},

      Thank you for being our customer. Please take 5 minutes to answer "{{ survey_title }}".
      Your answers are used only to improve our service.
  sms:
    zh: "江城电力满意度调查，约5分钟：{{ link }}"
    en: "Jiangcheng Power survey, 5 minutes: {{ link }}"
"""


def definition_text() -> str:
    return template_path("utility_csi").read_text(encoding="utf-8").rstrip() + "\n" + INVITATION_BLOCK


def publish_with_invitation(engine: Engine) -> SurveyRef:
    publish(engine, definition_text(), "utility_csi.yaml")
    return load_ref(engine, "utility_csi")


LINK = re.compile(r"https?://[^\s\"<>]+/s/utility_csi\?t=[A-Za-z0-9_\-]+(?:&amp;|&)lang=\w+")


def links(text: str) -> tuple[str, str]:
    """(survey link, unsubscribe link) found in a mail part."""
    survey = re.search(r"https?://[^\s\"<>]+/s/utility_csi\?t=[^\s\"<>]+", text)
    unsub = re.search(r"https?://[^\s\"<>]+/s/utility_csi/unsubscribe\?t=[^\s\"<>]+", text)
    assert survey and unsub, text
    return survey.group(0).replace("&amp;", "&"), unsub.group(0).replace("&amp;", "&")


def path_of(url: str) -> str:
    u = urlsplit(url)
    return f"{u.path}?{u.query}"


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def subject(msg: EmailMessage) -> str:
    return str(msg["Subject"])
