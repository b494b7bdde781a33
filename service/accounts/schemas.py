"""What the account forms accept: emails, names, roles, languages and the password policy.

Every check raises ``Invalid`` naming the form field, so a page can show the message next to it and the
status is 422. Text goes through the one hostile-text rule (``survey_defs.codebook.clean_text``) first.
"""

from __future__ import annotations

import re
from typing import Literal

from service.errors import Invalid
from survey_defs.codebook import clean_text

Role = Literal["viewer", "analyst", "admin"]
#: Lowest to highest; each role may do everything the roles before it may.
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
RANK: dict[str, int] = {r: i for i, r in enumerate(ROLES)}
LANGS = ("zh", "en")
MIN_PASSWORD = 10
#: argon2 would hash a megabyte happily; the bound keeps one request's work small.
MAX_PASSWORD = 256
EMAIL_MAX = 254
NAME_MAX = 128
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _field(field: str, message: str) -> Invalid:
    return Invalid([(["form", field], message)])


def _clean(value: str | None, field: str) -> str:
    try:
        return clean_text(value or "")
    except ValueError as e:
        raise _field(field, str(e)) from None


def normalize_email(value: str) -> str:
    """The stored form: trimmed and case-folded, so ``Ann@X.org`` and ``ann@x.org`` are one account."""
    return value.strip().casefold()


def clean_email(value: str | None, field: str = "email") -> str:
    email = normalize_email(_clean(value, field))
    if not email:
        raise _field(field, "an email address is required")
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        raise _field(field, "not an email address (name@example.org)")
    return email


def clean_name(value: str | None, field: str = "name") -> str:
    name = _clean(value, field).strip()
    if "\n" in name or "\t" in name:
        raise _field(field, "must be one line")
    if len(name) > NAME_MAX:
        raise _field(field, f"at most {NAME_MAX} characters")
    return name


def check_password(password: str | None, email: str, field: str = "password") -> str:
    """The policy: at least 10 characters, at most 256, not the email (or its local part), no control chars."""
    pw = _clean(password, field)
    if len(pw) < MIN_PASSWORD:
        raise _field(field, f"at least {MIN_PASSWORD} characters")
    if len(pw) > MAX_PASSWORD:
        raise _field(field, f"at most {MAX_PASSWORD} characters")
    low = pw.strip().casefold()
    if low in (email.casefold(), email.casefold().split("@")[0]):
        raise _field(field, "must not be the email address")
    return pw


def check_role(value: str | None, field: str = "role") -> Role:
    if value not in ROLES:
        raise _field(field, f"one of {', '.join(ROLES)}")
    return value  # type: ignore[return-value]


def check_lang(value: str | None, field: str = "lang") -> str:
    if value not in LANGS:
        raise _field(field, f"one of {', '.join(LANGS)}")
    return value
