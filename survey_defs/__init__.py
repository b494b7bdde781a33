"""Survey definitions: the YAML format, its loader with line-numbered errors, AHP arithmetic and templates."""

from survey_defs.ahp import AhpResult, ahp_weights, is_reciprocal
from survey_defs.errors import DefinitionError, Issue
from survey_defs.loader import check_file, check_text, load_definition, load_definition_text
from survey_defs.schema import SurveyDefinition
from survey_defs.templates import list_templates, load_template, template_path

__all__ = [
    "AhpResult",
    "DefinitionError",
    "Issue",
    "SurveyDefinition",
    "ahp_weights",
    "check_file",
    "check_text",
    "is_reciprocal",
    "list_templates",
    "load_definition",
    "load_definition_text",
    "load_template",
    "template_path",
]
