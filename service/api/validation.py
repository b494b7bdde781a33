"""Turning a body's pydantic errors into FastAPI's 422, for the routes that validate their body themselves."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError


def body_error(e: ValidationError) -> RequestValidationError:
    """The errors as FastAPI reports a body it validated: each under ``body`` and naming its field."""
    return RequestValidationError([_error(err) for err in e.errors(include_url=False)], body=None)


def _error(err: Any) -> dict[str, Any]:
    """A pydantic error as FastAPI reports it, under ``body``. A body that is not JSON comes back as the raw bytes
    in ``input``; FastAPI's encoder decodes bytes as UTF-8 and would fail with a 500 on anything else, so the echo
    is decoded leniently (and shortened: a client needs the start of its mistake, not its megabyte back)."""
    out = {**err, "loc": ("body", *err["loc"])}
    if isinstance(out.get("input"), bytes | bytearray):
        out["input"] = bytes(out["input"][:200]).decode("utf-8", "replace")
    return out
