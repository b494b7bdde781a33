"""Pydantic field types for the text the service takes in: the hostile-text rule applied at the schema.

Why at the schema: a NUL byte in a respondent key once reached the group-commit writer, where PostgreSQL refused
it and took every other response of that commit batch down with it (503s, throughput halved). Validating every
text field of every request body where the body is parsed means nothing that can fail a batch gets that far,
and the caller gets a 422 naming its field. The rule itself has one home, `survey_defs.codebook.clean_text`;
this module only adapts it to pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from survey_defs.codebook import clean_text

#: A ``str`` without NUL or other control characters (tab and newline allowed; CRLF stored as LF).
CleanStr = Annotated[str, AfterValidator(clean_text)]
