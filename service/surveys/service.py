"""Publishing definitions as immutable versions, opening and closing surveys, and resolving slugs fast."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from service.errors import AppError, Conflict, NotFound
from service.store.tables import Response, Survey, SurveyVersion
from service.surveys import waves
from survey_defs import DefinitionError, load_definition_text
from survey_defs.codebook import definition_from_json
from survey_defs.schema import SurveyDefinition

SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class DefinitionRejected(AppError):
    """The definition did not validate; ``issues`` are the loader's line-numbered problems."""

    status_code = 422

    def __init__(self, err: DefinitionError):
        super().__init__(f"the definition has {len(err.issues)} error(s)")
        self.issues = err.issues

    def detail(self) -> list[dict[str, object]]:
        return [{"loc": ["definition", i.line], "msg": str(i), "type": "definition"} for i in self.issues]


@dataclass(frozen=True)
class SurveyRef:
    """What the hot path needs about a survey; cached briefly per process."""

    id: int
    slug: str
    status: str
    require_token: bool
    version_id: int
    version: int
    #: The current version's definition with the live wave calendar applied (service/surveys/waves.py): what the
    #: codebook, analytics and pages use. ``version_json`` is the version exactly as published.
    definition_json: str
    version_json: str = ""

    @property
    def definition(self) -> SurveyDefinition:
        return definition_from_json(self.definition_json)


def check_slug(slug: str) -> None:
    """Slugs come from URLs: refuse anything that is not a plain identifier (no traversal, no SQL)."""
    if not (1 <= len(slug) <= 64) or not set(slug) <= SLUG_CHARS:
        raise NotFound(f"unknown survey {slug[:64]!r}", loc=["path", "slug"])


class SurveyCache:
    """slug -> SurveyRef with a short TTL. Closing is re-checked inside the commit, so staleness is harmless."""

    def __init__(self, engine: Engine, ttl: float = 1.0):
        self.engine, self.ttl = engine, ttl
        self._d: dict[str, tuple[float, SurveyRef]] = {}
        self._lock = threading.Lock()

    def get(self, slug: str) -> SurveyRef:
        now = time.monotonic()
        hit = self._d.get(slug)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        check_slug(slug)  # only what passed this check was ever cached
        ref = load_ref(self.engine, slug)
        with self._lock:
            self._d[slug] = (now, ref)
        return ref

    def invalidate(self, slug: str | None = None) -> None:
        with self._lock:
            if slug is None:
                self._d.clear()
            else:
                self._d.pop(slug, None)


def load_ref(engine: Engine, slug: str) -> SurveyRef:
    with Session(engine) as s:
        row = s.exec(
            select(Survey, SurveyVersion)
            .join(SurveyVersion, SurveyVersion.id == Survey.current_version_id)  # type: ignore[arg-type]
            .where(Survey.slug == slug)
        ).first()
        if row is None:
            raise NotFound(f"unknown survey {slug!r}", loc=["path", "slug"])
        sv, ver = row
        assert sv.id is not None and ver.id is not None
        effective = waves.effective_definition_json(ver.definition_json, waves.rows(s, sv.id))
        return SurveyRef(sv.id, sv.slug, sv.status, sv.require_token, ver.id, ver.version, effective,
                         ver.definition_json)


def publish(engine: Engine, yaml_text: str, filename: str = "<upload>") -> tuple[SurveyRef, bool]:
    """Validate and publish; returns (ref, created). Publishing an unchanged definition is a no-op."""
    try:
        definition = load_definition_text(yaml_text, filename)
    except DefinitionError as e:
        raise DefinitionRejected(e) from e
    djson = definition.model_dump_json()
    checksum = hashlib.sha256(djson.encode()).hexdigest()
    now = time.time()
    with Session(engine) as s:
        survey = s.exec(select(Survey).where(Survey.slug == definition.slug)).first()
        if survey is None:
            survey = Survey(slug=definition.slug, require_token=definition.require_token, created_at=now)
            s.add(survey)
            s.flush()
        else:
            cur = s.get(SurveyVersion, survey.current_version_id) if survey.current_version_id else None
            if cur is not None and cur.checksum == checksum:
                assert survey.id is not None
                waves.seed(s, survey.id, definition)  # a survey published before the calendar existed
                s.commit()
                return load_ref(engine, definition.slug), False
        assert survey.id is not None
        last = s.exec(select(func.max(SurveyVersion.version)).where(SurveyVersion.survey_id == survey.id)).one()
        ver = SurveyVersion(
            survey_id=survey.id,
            version=(last or 0) + 1,
            checksum=checksum,
            definition_json=djson,
            source_yaml=yaml_text,
            published_at=now,
        )
        s.add(ver)
        s.flush()
        previous = (definition_from_json(cur.definition_json).require_token
                    if (cur := s.get(SurveyVersion, survey.current_version_id or -1)) else None)
        survey.current_version_id = ver.id
        waves.seed(s, survey.id, definition)
        # The definition's require_token applies when it changes; otherwise a staff toggle stays in force.
        if previous is None or previous != definition.require_token:
            survey.require_token = definition.require_token
        s.add(survey)
        s.commit()
    return load_ref(engine, definition.slug), True


def _update(engine: Engine, slug: str, **fields: object) -> SurveyRef:
    """Change columns of one survey row (status, require_token) and return the fresh ref."""
    check_slug(slug)
    with Session(engine) as s:
        survey = s.exec(select(Survey).where(Survey.slug == slug)).first()
        if survey is None:
            raise NotFound(f"unknown survey {slug!r}", loc=["path", "slug"])
        for k, v in fields.items():
            setattr(survey, k, v)
        s.add(survey)
        s.commit()
    return load_ref(engine, slug)


def set_status(engine: Engine, slug: str, status: str) -> SurveyRef:
    return _update(engine, slug, status=status)


def set_require_token(engine: Engine, slug: str, required: bool) -> SurveyRef:
    return _update(engine, slug, require_token=required)


def list_surveys(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as s:
        counts = dict(
            s.exec(select(Response.survey_id, func.count()).group_by(Response.survey_id)).all()  # type: ignore[arg-type]
        )
        out = []
        for sv in s.exec(select(Survey).order_by(Survey.slug)).all():
            ver = s.get(SurveyVersion, sv.current_version_id) if sv.current_version_id else None
            out.append(
                {
                    "slug": sv.slug,
                    "status": sv.status,
                    "require_token": sv.require_token,
                    "version": ver.version if ver else None,
                    "responses": counts.get(sv.id, 0),
                }
            )
        return out


def versions(engine: Engine, survey_id: int) -> dict[int, SurveyVersion]:
    with Session(engine) as s:
        rows = s.exec(select(SurveyVersion).where(SurveyVersion.survey_id == survey_id)).all()
        return {v.id: v for v in rows if v.id is not None}


def counts(engine: Engine, slug: str) -> dict[str, object]:
    """Response counts by version, wave and channel."""
    ref = load_ref(engine, slug)
    with Session(engine) as s:
        def by(col: object) -> dict[str, int]:
            q = select(col, func.count()).where(Response.survey_id == ref.id).group_by(col)  # type: ignore[call-overload]
            return {str(k): int(v) for k, v in s.exec(q).all()}

        total = s.exec(select(func.count()).where(Response.survey_id == ref.id)).one()
        vmap = {v.id: v.version for v in s.exec(select(SurveyVersion).where(SurveyVersion.survey_id == ref.id))}
        by_version = {str(vmap.get(int(k), k)): n for k, n in by(Response.version_id).items()}
        return {
            "slug": slug,
            "status": ref.status,
            "total": int(total),
            "by_version": by_version,
            "by_wave": by(Response.wave),
            "by_channel": by(Response.channel),
        }


def ensure_open(ref: SurveyRef) -> None:
    if ref.status != "open":
        from service.errors import Gone

        raise Gone("this survey is closed", loc=["path", "slug"])


__all__ = ["Conflict", "SurveyCache", "SurveyRef", "publish", "set_status"]
