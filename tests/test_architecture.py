"""Dependencies point one way: survey_defs <- analytics <- reports <- service.

Walks every module's imports (static, including function-level ones) and fails on an edge against the direction,
and on analytics importing a web framework, a database driver or settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["survey_defs", "analytics", "reports", "service"]
FORBIDDEN_IN_PURE = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "psycopg", "pydantic_settings", "uvicorn",
                     "alembic")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_lower_layers(layer: str) -> None:
    higher = LAYERS[LAYERS.index(layer) + 1:]
    files = list((ROOT / layer).rglob("*.py"))
    assert files
    bad = []
    for f in files:
        for mod in imports_of(f):
            top = mod.split(".")[0]
            if top in higher:
                bad.append(f"{f.relative_to(ROOT)} imports {mod}")
            if layer in ("survey_defs", "analytics") and top in FORBIDDEN_IN_PURE:
                bad.append(f"{f.relative_to(ROOT)} imports {mod} (must stay pure)")
    assert not bad, "\n".join(bad)


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("def f():\n    from service.app import create_app\n", encoding="utf-8")
    assert "service.app" in imports_of(f)
