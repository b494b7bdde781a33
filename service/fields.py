"""Pydantic field types for the text the service takes in: the hostile-text rule applied at the schema.

Why at the schema: a NUL byte in a respondent key once reached the group-commit writer, where PostgreSQL refused
it and took every other response of that commit batch down with it (503s, throughput halved). Validating every
text field of every request body where the body is parsed means nothing that can fail a batch gets that far,
and the caller gets a 422 naming its field. The rule itself has one home, `survey_defs.codebook.clean_text`;
this module only adapts it to pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from survey_defs.codebook import clean_text


class _Documented:
    """Adds `CLEAN_PATTERN` to the field's JSON Schema (and validates nothing)."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = CLEAN_PATTERN
        return schema


#: What `clean_text` accepts, as a JSON Schema pattern for the OpenAPI document (clients and schemathesis read
#: it; validation is `clean_text`'s). CR is accepted (it is stored as LF). tests/reliability/test_write_guards.py
#: checks the two agree on every character up to U+00FF.
CLEAN_PATTERN = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"

#: A ``str`` without NUL or other control characters (tab and newline allowed; CRLF stored as LF).
CleanStr = Annotated[str, AfterValidator(clean_text), _Documented()]
