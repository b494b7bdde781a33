"""One base error for the service; domain errors subclass it next to the code that raises them."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error with an HTTP status and a message meant for the caller."""

    status_code = 400

    def __init__(self, message: str, *, status_code: int | None = None, loc: list[Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.loc = loc
        self.headers = headers

    def detail(self) -> list[dict[str, Any]]:
        """FastAPI's 422 shape, so clients parse one error format."""
        return [{"loc": self.loc or [], "msg": self.message, "type": type(self).__name__}]


class NotFound(AppError):
    status_code = 404


class Gone(AppError):
    status_code = 410


class Conflict(AppError):
    status_code = 409


class Invalid(AppError):
    """Input that names a field; ``errors`` may hold several (field, message) pairs."""

    status_code = 422

    def __init__(self, errors: list[tuple[list[Any], str]]):
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors

    def detail(self) -> list[dict[str, Any]]:
        return [{"loc": loc, "msg": msg, "type": "invalid"} for loc, msg in self.errors]
