"""The error types of the definition loader: one ``Issue`` per problem, all raised together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in a definition file, located by line so an editor can jump to it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class DefinitionError(ValueError):
    """A definition was rejected; ``issues`` lists every problem found, sorted by line."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues: list[Issue] = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid survey definition")
