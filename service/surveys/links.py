"""The public address respondents open, as printed by ``csi serve`` and ``csi publish``."""

from __future__ import annotations

from sqlalchemy import Engine

from service.surveys.service import list_surveys

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def public_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/s/{slug}"


def base_for(host: str, port: int, configured: str | None) -> str:
    """``CSI_PUBLIC_URL`` when set (the address behind a proxy), else where the server listens; a wildcard
    host is shown as 127.0.0.1, which at least works on the machine itself."""
    if configured:
        return configured.rstrip("/")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def open_survey_urls(engine: Engine, base_url: str) -> list[tuple[str, str]]:
    """(slug, public URL) of every open survey."""
    return [(str(s["slug"]), public_url(base_url, str(s["slug"]))) for s in list_surveys(engine)
            if s["status"] == "open"]
