"""The built-in survey templates: YAML files shipped in ``survey_defs/templates/``."""

from __future__ import annotations

from pathlib import Path

from survey_defs.loader import load_definition
from survey_defs.schema import SurveyDefinition

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def list_templates() -> list[str]:
    """Names of the built-in templates, sorted (``utility_csi``, ``acsi_standard``, ...)."""
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml"))


def template_path(name: str) -> Path:
    """The YAML file of a built-in template; ``KeyError`` naming the choices for an unknown name."""
    path = TEMPLATE_DIR / f"{name}.yaml"
    if "/" in name or "\\" in name or not path.is_file():
        raise KeyError(f"unknown template {name!r}; built-in templates: {', '.join(list_templates())}")
    return path


def load_template(name: str) -> SurveyDefinition:
    """Load and validate a built-in template."""
    return load_definition(template_path(name))
