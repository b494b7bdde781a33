"""Load a survey definition from YAML, reporting every problem with its file and line.

Three passes, all of whose findings are reported together: YAML syntax and duplicate keys; the pydantic
schema (each error's ``loc`` mapped back to its line through the composed node tree); and the cross-reference
checks in ``survey_defs.validate``. When the schema rejects some elements (an item, a tree node, a scale),
they are left out and the cross-reference checks still run on the rest, so one bad item does not hide a bad
weight elsewhere.
"""

from __future__ import annotations

import copy
from os import PathLike
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import ValidationError

from survey_defs.errors import DefinitionError, Issue
from survey_defs.schema import SurveyDefinition
from survey_defs.validate import cross_check
from survey_defs.yamlmap import LineMap, Path, parse_yaml

__all__ = ["DefinitionError", "Issue", "check_file", "check_text", "load_definition", "load_definition_text"]

#: List fields whose elements can be left out when the schema rejects them (see the module docstring).
_PRUNABLE = {"sections", "items", "options", "brands", "waves", "children", "constructs", "paths", "dimensions",
             "pairs", "features"}
#: Optional top-level blocks that can be left out as a last resort.
_OPTIONAL_TOP = {
    "intro",
    "organisation",
    "waves",
    "indicators",
    "model",
    "loyalty",
    "servqual",
    "kano",
    "weighting",
    "quotas",
    "brand_options",
    "require_token",
    "version",
}
#: Names of list elements in messages.
_KIND = {
    "sections": "section",
    "items": "item",
    "options": "option",
    "brands": "brand",
    "waves": "wave",
    "children": "indicator",
    "constructs": "model construct",
    "dimensions": "SERVQUAL dimension",
    "features": "Kano feature",
}
_MAX_PRUNE_ROUNDS = 5


def load_definition(path: str | PathLike[str]) -> SurveyDefinition:
    """Read and validate a definition file; raise ``DefinitionError`` listing every problem."""
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError([Issue(str(path), 1, f"not UTF-8 text: {exc.reason}")]) from None
    return load_definition_text(text, filename=str(path))


def load_definition_text(text: str, filename: str = "<string>") -> SurveyDefinition:
    """Validate definition YAML held in memory; raise ``DefinitionError`` listing every problem."""
    definition, issues = _load(text, filename)
    if issues or definition is None:
        raise DefinitionError(issues or [Issue(filename, 1, "invalid survey definition")])
    return definition


def check_text(text: str, filename: str = "<string>") -> list[Issue]:
    """Every problem of definition YAML held in memory; empty when valid. Never raises for bad content."""
    return _load(text, filename)[1]


def check_file(path: str | PathLike[str]) -> list[Issue]:
    """Every problem of a definition file (for ``csi validate``); empty when valid. Never raises."""
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [Issue(str(path), 1, f"not UTF-8 text: {exc.reason}")]
    except OSError as exc:
        return [Issue(str(path), 1, f"cannot read the file: {exc.strerror or exc}")]
    return check_text(text, filename=str(path))


# ---- the passes ----
def _load(text: str, filename: str) -> tuple[SurveyDefinition | None, list[Issue]]:
    found: list[tuple[int, str]] = []
    try:
        parsed = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        return None, [Issue(filename, line, f"YAML syntax error: {problem}")]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, [Issue(filename, 1, f"YAML error: {exc}")]
    if parsed.too_large:
        return None, [Issue(filename, 1, "the document is too large once its aliases (*name) are expanded")]
    if parsed.data is None:
        return None, [Issue(filename, 1, "the file is empty; a survey definition is a YAML mapping")]
    found.extend(parsed.duplicates)
    definition, schema_found, lines, suppressed = _validate_schema(parsed.data, parsed.lines)
    found.extend(schema_found)
    if definition is not None:
        for line, msg in cross_check(definition, lines):
            if not any(token in msg for token in suppressed):
                found.append((line, msg))
    issues = sorted({Issue(filename, line, msg) for line, msg in found})
    return (definition if not issues else None), issues


def _validate_schema(
    data: Any, lines: LineMap
) -> tuple[SurveyDefinition | None, list[tuple[int, str]], LineMap, set[str]]:
    """Schema errors as (line, message), and a definition to cross-check with the rejected parts left out.

    Also returns the line map of that (possibly pruned) definition, and message tokens (quoted ids of what was
    left out) whose cross-reference findings are mere consequences of the pruning and must be dropped.
    """
    try:
        return SurveyDefinition.model_validate(data), [], lines, set()
    except ValidationError as exc:
        errors = exc.errors()
    except (RecursionError, ValueError, TypeError) as exc:
        return None, [(1, f"cannot read the definition: {exc}")], lines, set()
    found = [(lines.line(tuple(e["loc"])), _message(data, e)) for e in errors]
    try:
        pruned = copy.deepcopy(data)
    except RecursionError:
        return None, found, lines, set()
    plines = LineMap(dict(lines.lines))
    suppressed: set[str] = set()
    for _ in range(_MAX_PRUNE_ROUNDS):
        targets = {_prune_target(tuple(e["loc"])) for e in errors}
        if None in targets:
            return None, found, lines, suppressed
        for target in sorted((t for t in targets if t is not None), key=_sort_key, reverse=True):
            _remove(pruned, plines, target, suppressed)
        try:
            return SurveyDefinition.model_validate(pruned), found, plines, suppressed
        except ValidationError as exc:
            errors = exc.errors()
        except (RecursionError, ValueError, TypeError):
            break
    return None, found, lines, suppressed


def _prune_target(loc: Path) -> Path | None:
    """The element to leave out for an error at ``loc``: its list element, scale, or optional block."""
    for i in range(len(loc) - 1, 0, -1):
        if isinstance(loc[i], int) and loc[i - 1] in _PRUNABLE:
            return loc[: i + 1]
    if len(loc) >= 2 and loc[0] == "scales":
        return loc[:2]
    if loc and loc[0] in _OPTIONAL_TOP:
        return loc[:1]
    return None


def _sort_key(path: Path) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path)


def _remove(data: Any, lines: LineMap, target: Path, suppressed: set[str]) -> None:
    """Delete ``target`` from ``data`` and shift the line map's later list indices down by one."""
    container: Any = data
    try:
        for part in target[:-1]:
            container = container[part]
        removed = container[target[-1]]
        del container[target[-1]]
    except (KeyError, IndexError, TypeError):
        return
    suppressed.update(f"'{i}'" for i in _ids(removed))
    if isinstance(target[-1], str) and target[:-1] == ("scales",):
        suppressed.add(f"'{target[-1]}'")
    if len(target) >= 2 and target[-2] == "brands":
        suppressed.add("exactly one brand must be our own")
    if len(target) >= 2 and target[-2] == "children":
        parent: Any = data
        for part in target[:-2]:
            parent = parent[part]
        if isinstance(parent, dict) and isinstance(parent.get("id"), str):
            suppressed.add(f"'{parent['id']}'")
    if not isinstance(target[-1], int):
        return
    head, k, n = target[:-1], target[-1], len(target) - 1
    remapped: dict[Path, int] = {}
    for path, line in lines.lines.items():
        if len(path) > n and path[:n] == head and isinstance(path[n], int):
            j = path[n]
            if j == k:
                continue
            if j > k:
                path = (*head, j - 1, *path[n + 1 :])
        remapped[path] = line
    lines.lines = remapped


def _ids(node: Any) -> list[str]:
    """Every ``id`` inside a removed element (a section's items, a node's descendants)."""
    out: list[str] = []
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if isinstance(x.get("id"), str | int):
                out.append(str(x["id"]))
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return out


def _message(data: Any, err: Any) -> str:
    """A pydantic error as a sentence naming the item, node or scale it is about."""
    loc: Path = tuple(err["loc"])
    owner, rest = _owner(data, loc)
    field = _dotted(rest)
    kind = err["type"]
    if kind == "missing":
        msg = f"missing required key '{rest[-1]}'" if rest else "missing required value"
        if len(rest) > 1:
            msg += f" in {_dotted(rest[:-1])}"
    elif kind == "extra_forbidden":
        msg = f"unknown key '{rest[-1]}'" if rest else "unknown key"
        if len(rest) > 1:
            msg += f" in {_dotted(rest[:-1])}"
    else:
        msg = f"{field}: {err['msg']}" if field else err["msg"]
        value = err.get("input")
        if isinstance(value, str | int | float | bool) and len(repr(value)) <= 40 and "input_value" not in msg:
            msg += f" (got {value!r})"
    return f"{owner}: {msg}" if owner else msg


def _owner(data: Any, loc: Path) -> tuple[str, Path]:
    """The deepest element of ``loc`` that has an id (item 'q1', scale 'sat5', ...), and the rest of loc."""
    owner, cut = "", 0
    node: Any = data
    for i, part in enumerate(loc):
        parent_key = loc[i - 1] if i else None
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and parent_key in _KIND and isinstance(node, dict):
            ident = node.get("code" if parent_key == "options" else "id")
            name = repr(str(ident)) if isinstance(ident, str | int) else f"#{part + 1}"
            owner, cut = f"{_KIND[str(parent_key)]} {name}", i + 1
        elif parent_key == "scales" and i == 1:
            owner, cut = f"scale '{part}'", i + 1
        elif i == 0 and part in ("indicators", "model", "loyalty", "servqual", "kano", "weighting"):
            ident = node.get("id") if isinstance(node, dict) else None
            owner = f"indicator '{ident}'" if part == "indicators" and isinstance(ident, str) else str(part)
            cut = 1
    return owner, loc[cut:]


def _dotted(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
