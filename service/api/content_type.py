"""The JSON API takes JSON bodies only: anything else is answered 415 and never parsed.

Why: a web page can make its visitors' browsers POST ``text/plain`` (or a form encoding) to any address without
asking anyone (no CORS preflight), and FastAPI would still try the body as JSON. Requiring a JSON media type,
which a page can only send after a preflight this service never grants, shuts that door for the public submit
route; the staff routes keep the same rule so every JSON route behaves alike. The survey's HTML form routes
(``/s/...``) are not JSON routes and keep taking form posts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from service.errors import AppError

JSON = "application/json"
UNSUPPORTED: dict[int | str, dict[str, Any]] = {
    415: {"description": "the body is not JSON (send Content-Type: application/json)"}}


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header value, lower case (parameters such as charset dropped)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """``application/json`` or a structured ``application/*+json`` type, any parameters."""
    mt = media_type(content_type)
    return mt == JSON or (mt.startswith("application/") and mt.endswith("+json"))


class UnsupportedMediaType(AppError):
    status_code = 415


YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


def check_json(content_type: str | None, expected: str = JSON, also: frozenset[str] = frozenset()) -> None:
    """Raise 415 naming the expected type unless ``content_type`` is JSON (or one of ``also``)."""
    if not is_json(content_type) and media_type(content_type) not in also:
        got = media_type(content_type) or "no Content-Type"
        raise UnsupportedMediaType(f"expected Content-Type: {expected}, got {got[:100]}",
                                   loc=["header", "Content-Type"])


async def json_body(request: Request) -> None:
    """Route dependency of every JSON body route (async: no trip through the thread pool)."""
    check_json(request.headers.get("content-type"))


#: A parameter of every route that takes a JSON body, declared after the key check (an unauthenticated caller
#: learns nothing but 401).
JsonBody = Annotated[None, Depends(json_body)]
