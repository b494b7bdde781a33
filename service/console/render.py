"""Jinja2 for the console: autoescaped (names, emails and audit details are staff- or attacker-typed), strict
about typos, and the same no-script security headers as the survey pages."""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from service.web.render import SECURITY_HEADERS, STATIC, TEMPLATES

CSS_NAME = "console.css"


@lru_cache(maxsize=1)
def css() -> tuple[bytes, str]:
    data = (STATIC / CSS_NAME).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def when(ts: float | None) -> str:
    """A stored epoch time as UTC text (the console's one clock; the audit log compares across staff)."""
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)) + " UTC"


def day(ts: float | None) -> str:
    """The UTC date only: lists of users and keys need the day; the audit log keeps the second."""
    return "" if ts is None else time.strftime("%Y-%m-%d", time.gmtime(ts))


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                    trim_blocks=True, lstrip_blocks=True)
    e.globals["console_css_url"] = f"/static/{CSS_NAME}?v={css()[1]}"
    e.filters["when"] = when
    e.filters["day"] = day
    return e


def page(template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = env().get_template(f"console/{template}").render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
