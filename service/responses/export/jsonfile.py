"""Every response as JSON in the submission shape (answers + brands), streamed: the API client's export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine

from service.responses.export.table import iso, iter_decoded
from service.surveys.service import SurveyRef


def iter_records(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-ready record per response, in the submission shape (answers + brands)."""
    for rec in iter_decoded(engine, ref, labels):
        yield {
            "id": rec.id,
            "version": rec.version,
            "respondent": rec.respondent,
            "wave": rec.wave,
            "channel": rec.channel,
            "started_at": iso(rec.started_at) or None,
            "submitted_at": iso(rec.submitted_at),
            "answers": rec.answers,
            "brands": rec.brands,
            "weight": rec.weight,
        }


def to_json(engine: Engine, ref: SurveyRef, labels: str | None = None) -> Iterator[str]:
    lang = labels or ref.definition.default_language
    meta = {
        "survey": ref.slug,
        "version": ref.version,
        "items": {it.id: {"type": it.type, "text": ref.definition.text(it.text, lang)} for it in ref.definition.items},
    }
    yield json.dumps(meta, ensure_ascii=False)[:-1] + ', "responses": ['
    first = True
    for rec in iter_records(engine, ref, labels):
        yield ("" if first else ",") + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "]}"
