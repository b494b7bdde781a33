"""analytics (outside analytics/pls) imports only numpy, scipy, statsmodels, pandas, survey_defs, itself and the
standard library."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "analytics"
ALLOWED = {"numpy", "scipy", "statsmodels", "pandas", "survey_defs", "analytics", "__future__"}


def test_analytics_imports_are_pure() -> None:
    bad = []
    for f in ROOT.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for m in names:
                top = m.split(".")[0]
                if top not in ALLOWED and top not in sys.stdlib_module_names:
                    bad.append(f"{f.name}: {m}")
    assert not bad, bad
