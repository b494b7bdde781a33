"""The Jinja2 environment of the survey pages: autoescaped (answers are shown back) and strict about typos."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

SERVICE = Path(__file__).resolve().parents[1]
TEMPLATES = SERVICE / "templates"
STATIC = SERVICE / "static"
CSS_NAME = "survey.css"

#: Pages carry no script at all; the policy makes any injected one inert as a second line of defence.
#: Referrer-Policy is ``same-origin``, not ``no-referrer``: under ``no-referrer`` browsers send ``Origin: null``
#: on our own form POSTs, and the CSRF check (csrf.py) needs the real origin there.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                    trim_blocks=True, lstrip_blocks=True)
    e.globals["css_url"] = f"/static/{CSS_NAME}?v={css()[1]}"
    return e


@lru_cache(maxsize=1)
def css() -> tuple[bytes, str]:
    """The stylesheet and a short content hash, so it can be cached for a long time and still change."""
    data = (STATIC / CSS_NAME).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def render(template: str, context: dict[str, Any]) -> str:
    return env().get_template(template).render(**context)
