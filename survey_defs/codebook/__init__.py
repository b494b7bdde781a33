"""The one home of everything about answers (the codebook).

Every door an answer comes through (the web form, the JSON API, the batch endpoint, CSV/XLSX import) and every
way it leaves (export, the store reader, `analytics.data`) asks this package: which spellings an item accepts,
the one N/A policy, packing to and from the stored codes, the key of a per-brand text answer, the table's
column names, and the rule for hostile text. Three validators that had each grown their own rules accepted
different answers on different paths; this package is why there is now one.
"""

from survey_defs.codebook.book import (
    OWN_REQUIRED,
    AnswerErrors,
    Codebook,
    Encoded,
    codebook_for_json,
    codebook_of,
    definition_from_json,
)
from survey_defs.codebook.items import NA_REFUSED, NA_WORDS, NO_WORDS, YES_NO_LABELS, YES_WORDS, ItemCodec
from survey_defs.codebook.table import (
    CHANNELS,
    CODE_DTYPE,
    META_COLUMNS,
    WEIGHT_COLUMN,
    pack_codes,
    pack_rows,
    split_text_key,
    table_columns,
    text_key,
    unpack_rows,
)
from survey_defs.codebook.text import CONTROL_CHARACTERS, MAX_TEXT, clean_text

__all__ = [
    "CHANNELS",
    "CODE_DTYPE",
    "CONTROL_CHARACTERS",
    "MAX_TEXT",
    "META_COLUMNS",
    "NA_REFUSED",
    "NA_WORDS",
    "NO_WORDS",
    "OWN_REQUIRED",
    "WEIGHT_COLUMN",
    "YES_NO_LABELS",
    "YES_WORDS",
    "AnswerErrors",
    "Codebook",
    "Encoded",
    "ItemCodec",
    "clean_text",
    "codebook_for_json",
    "codebook_of",
    "definition_from_json",
    "pack_codes",
    "pack_rows",
    "split_text_key",
    "table_columns",
    "text_key",
    "unpack_rows",
]
