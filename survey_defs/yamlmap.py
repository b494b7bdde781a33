"""Parse YAML keeping the line of every node, and find duplicate keys (which PyYAML silently accepts).

Errors are reported against paths such as ``("sections", 1, "items", 3, "scale")`` (pydantic's ``loc``);
``LineMap`` turns a path into the line of that node, falling back to the nearest parent that exists.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[Any, ...]

#: More nodes than this (counting each use of an alias) is refused as an alias bomb.
_MAX_NODES = 200_000


@dataclass
class LineMap:
    """Path -> 1-based line of the node (for a mapping entry: the line of its key)."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int:
        """The line of ``path`` or of its nearest parent that exists in the file."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


@dataclass
class Parsed:
    """The plain data of a YAML document, its line map, and duplicate keys as (line, message)."""

    data: Any
    lines: LineMap
    duplicates: list[tuple[int, str]]
    too_large: bool = False


def _key_value(node: Node) -> Hashable:
    """The constructed value of a mapping key (``1`` is an int, ``sat5`` a str), as the data will have it."""
    if isinstance(node, ScalarNode):
        try:
            value: object = SafeConstructor().construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            return str(node.value)
        return value if isinstance(value, Hashable) else str(node.value)
    return f"<{type(node).__name__} at line {node.start_mark.line + 1}>"


def _index(root: Node) -> tuple[LineMap, list[tuple[int, str]], bool]:
    """Walk the node tree once: record each path's line and report repeated keys."""
    lm = LineMap({(): root.start_mark.line + 1})
    dups: list[tuple[int, str]] = []
    seen_nodes = 0
    stack: list[tuple[Node, Path, frozenset[int]]] = [(root, (), frozenset())]
    while stack:
        node, path, active = stack.pop()
        seen_nodes += 1
        if seen_nodes > _MAX_NODES:
            return lm, dups, True
        if id(node) in active:
            continue
        inner = active | {id(node)}
        children: list[tuple[Node, Path, frozenset[int]]] = []
        if isinstance(node, MappingNode):
            first: dict[Hashable, int] = {}
            for k_node, v_node in node.value:
                if k_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = _key_value(k_node)
                line = k_node.start_mark.line + 1
                if key in first:
                    where = "/".join(str(p) for p in path) or "the top level"
                    dups.append((line, f"duplicate key '{key}' in {where} (first at line {first[key]})"))
                else:
                    first[key] = line
                lm.lines[(*path, key)] = line
                children.append((v_node, (*path, key), inner))
        elif isinstance(node, SequenceNode):
            for i, v_node in enumerate(node.value):
                lm.lines[(*path, i)] = v_node.start_mark.line + 1
                children.append((v_node, (*path, i), inner))
        stack.extend(reversed(children))  # document order, so a later duplicate's lines win, as in the data
    return lm, dups, False


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a date-like scalar that is no date (``2026-02-30``) stays a string, so
    the schema reports it at its line instead of the whole file failing at line 1."""


def _timestamp(loader: SafeConstructor, node: Node) -> object:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError:
        return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def parse_yaml(text: str) -> Parsed:
    """Compose, index, then construct; raises ``yaml.YAMLError`` (with a mark) for malformed YAML.

    Indexing happens before construction because construction rewrites merge keys (``<<``) in place.
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return Parsed(None, LineMap(), [])
        lm, dups, too_large = _index(root)
        if too_large:  # an alias bomb: refuse before anything expands it
            return Parsed(None, lm, dups, too_large=True)
        data = loader.construct_document(root)
    finally:
        loader.dispose()
    return Parsed(data, lm, dups)
