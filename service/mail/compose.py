"""The invitation and reminder, as a multipart (text + HTML) mail and as an SMS text, in the invitee's language.

The subject, body and SMS text come from the definition's ``invitation`` block (a default below when it has
none), rendered as Jinja2 templates in a sandbox: the plain part without escaping, the HTML part with autoescape,
so a name such as ``<b>x</b>`` from an invitee file shows as text. The template text itself is the definition's
(published by an admin and checked by `csi validate`). The personal link and the unsubscribe link are always
added below the body, and the unsubscribe address is also given in ``List-Unsubscribe`` (RFC 2369, one-click
per RFC 8058).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from survey_defs.schema import SurveyDefinition

Kind = Literal["invite", "reminder"]
TEMPLATES = Path(__file__).resolve().parent / "templates"

DEFAULTS: dict[str, dict[str, str]] = {
    "zh": {
        "subject": "{{ organisation }}邀请您参加「{{ survey_title }}」",
        "body": "{% if name %}{{ name }}，您好：{% else %}您好：{% endif %}\n\n"
                "{{ organisation }}诚邀您参加「{{ survey_title }}」。问卷约需 5 至 10 分钟，您的回答只用于改进我们的"
                "服务。\n\n感谢您的支持！",
        "sms": "{{ organisation }}诚邀您参加满意度调查，约需5分钟：{{ link }} 退订请回复TD",
        "button": "开始答卷",
        "link_intro": "请点击下面的链接答卷（此链接仅供您本人使用）：",
        "unsubscribe": "不想再收到本调查的邮件？",
        "unsubscribe_link": "退订",
        "reminder": "提醒：",
    },
    "en": {
        "subject": "{{ organisation }} invites you: {{ survey_title }}",
        "body": "{% if name %}Dear {{ name }},{% else %}Hello,{% endif %}\n\n"
                "{{ organisation }} invites you to take part in \u201c{{ survey_title }}\u201d. It takes 5 to 10 "
                "minutes, and your answers are used only to improve our service.\n\nThank you!",
        "sms": "{{ organisation }} invites you to a 5-minute satisfaction survey: {{ link }}",
        "button": "Start the survey",
        "link_intro": "Please answer at this link (it is personal to you):",
        "unsubscribe": "Don't want more mails about this survey?",
        "unsubscribe_link": "Unsubscribe",
        "reminder": "Reminder: ",
    },
}


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to and the links it carries."""

    link: str
    unsubscribe_link: str
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    lang: str | None = None


@lru_cache(maxsize=2)
def _sandbox(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=autoescape, keep_trailing_newline=False)


@lru_cache(maxsize=1)
def _layout() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)


def language(d: SurveyDefinition, wanted: str | None) -> str:
    return wanted if wanted in d.languages else d.default_language


def _strings(lang: str) -> dict[str, str]:
    return DEFAULTS.get(lang, DEFAULTS["en"])


def _source(d: SurveyDefinition, part: str, lang: str) -> str:
    block = d.invitation
    texts = getattr(block, part) if block is not None else None
    if texts:
        return d.text(texts, lang)
    return _strings(lang)[part]


def _variables(d: SurveyDefinition, r: Recipient, lang: str) -> dict[str, str]:
    return {"name": r.name or "", "link": r.link, "unsubscribe_link": r.unsubscribe_link,
            "organisation": d.text(d.organisation, lang), "survey_title": d.text(d.title, lang), "expires": ""}


def render_text(d: SurveyDefinition, part: str, r: Recipient, lang: str) -> str:
    return _sandbox(False).from_string(_source(d, part, lang)).render(_variables(d, r, lang)).strip()


def subject(d: SurveyDefinition, r: Recipient, kind: Kind = "invite") -> str:
    lang = language(d, r.lang)
    s = " ".join(render_text(d, "subject", r, lang).split())
    return (_strings(lang)["reminder"] + s) if kind == "reminder" else s


def sms_text(d: SurveyDefinition, r: Recipient) -> str:
    """The SMS: the definition's ``invitation.sms`` (or a default); the link is appended if the text lacks it."""
    lang = language(d, r.lang)
    text = " ".join(render_text(d, "sms", r, lang).split())
    return text if r.link in text else f"{text} {r.link}"


def html_body(d: SurveyDefinition, r: Recipient, kind: Kind = "invite") -> str:
    lang = language(d, r.lang)
    body = _sandbox(True).from_string(_source(d, "body", lang)).render(_variables(d, r, lang)).strip()
    paragraphs = [Markup(p.strip().replace("\n", "<br>\n")) for p in body.split("\n\n") if p.strip()]
    return _layout().get_template("invitation.html").render(
        lang=lang, subject=subject(d, r, kind), paragraphs=paragraphs, link=r.link,
        unsubscribe_link=r.unsubscribe_link, organisation=d.text(d.organisation, lang),
        survey_title=d.text(d.title, lang), t=_strings(lang),
    )


def text_body(d: SurveyDefinition, r: Recipient) -> str:
    lang = language(d, r.lang)
    t = _strings(lang)
    return (f"{render_text(d, 'body', r, lang)}\n\n{t['link_intro']}\n{r.link}\n\n-- \n"
            f"{t['unsubscribe']} {t['unsubscribe_link']}: {r.unsubscribe_link}\n")


def email_message(d: SurveyDefinition, r: Recipient, sender: str, kind: Kind = "invite") -> EmailMessage:
    """The whole mail: text part first, HTML alternative second (clients show the last one they can)."""
    assert r.email
    msg = EmailMessage()
    msg["Subject"] = subject(d, r, kind)
    msg["From"] = sender
    msg["To"] = formataddr((r.name or "", r.email))
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["List-Unsubscribe"] = f"<{r.unsubscribe_link}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Content-Language"] = language(d, r.lang)
    msg.set_content(text_body(d, r))
    msg.add_alternative(html_body(d, r, kind), subtype="html")
    return msg
