"""The OpenAPI document says every answer a route can give, so clients (and schemathesis) can rely on it.

Why a pass over the finished document instead of a ``responses=`` entry per route: the generic answers follow
from what a route takes, not from what it does. Every route with a JSON body can answer 400 (unreadable body),
413 (``CSI_MAX_BODY_BYTES``), 415 (not JSON) and 422; every route with a path parameter 404; every public route
429 (the rate limit). Adding them here means a new route cannot forget them. Route-specific answers (409, 410,
503, ...) and their wording stay with the routes; this pass only fills in what is missing and gives every error
answer the one error body the service sends.
"""

from __future__ import annotations

from typing import Any

from service.api.ratelimit import is_public

#: The error body: FastAPI's validation shape, which `service.errors.AppError` uses too; a few framework errors
#: (an unreadable body) carry a plain string instead.
ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"anyOf": [
        {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg", "type"],
            "properties": {"loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                           "msg": {"type": "string"}, "type": {"type": "string"}}}},
        {"type": "string"},
    ]}},
}
GENERIC: dict[int, str] = {
    400: "the request body could not be read",
    404: "unknown survey or id",
    413: "request body larger than CSI_MAX_BODY_BYTES",
    415: "the body's Content-Type is not one this route takes (application/json)",
    422: "invalid parameters or body; each error names its field",
    429: "too many requests from this address (CSI_PUBLIC_RATE_LIMIT_PER_MINUTE); see Retry-After",
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the generic error answers to every operation of ``schema`` (in place; idempotent) and return it."""
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            codes: set[int] = set()
            if "requestBody" in op:
                codes |= {400, 413, 415, 422}
            if "{" in path:
                codes.add(404)
            if op.get("parameters"):
                codes.add(422)
            if is_public(method.upper(), path):
                codes.add(429)
            for code in sorted(codes):
                responses.setdefault(str(code), {"description": GENERIC[code]})
            for code, answer in responses.items():
                if code[:1] in ("4", "5"):
                    answer["content"] = {"application/json": {"schema": ERROR_BODY}}
    return schema
