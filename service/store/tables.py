"""SQLModel tables.

Answers are stored one row per respondent, as packed int16 code arrays (see docs/DESIGN.md): reading 10^6
responses for analytics is then a scan of two blob columns, decoded with one ``numpy.frombuffer``. Times are UTC
epoch seconds in float columns for the same reason (no per-row datetime parsing).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Survey(SQLModel, table=True):
    """A survey by slug; its definitions are the immutable versions in ``survey_version``."""

    __tablename__ = "survey"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=64)
    status: str = Field(default="open", max_length=16)
    require_token: bool = False
    current_version_id: int | None = None
    created_at: float


class SurveyVersion(SQLModel, table=True):
    """One published definition. Responses point here, so old answers keep their meaning after edits."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "version", name="uq_survey_version"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version: int
    checksum: str = Field(max_length=64)
    definition_json: str = Field(sa_column=Column(Text, nullable=False))
    source_yaml: str = Field(sa_column=Column(Text, nullable=False))
    published_at: float


class Response(SQLModel, table=True):
    """One respondent's submission, covering every brand they rated."""

    __tablename__ = "response"
    # Partial unique indexes: imported rows carry neither key nor token, so they cost no index entries there.
    __table_args__ = (
        Index("uq_response_idempotency", "survey_id", "idempotency_key", unique=True,
              sqlite_where=text("idempotency_key IS NOT NULL"), postgresql_where=text("idempotency_key IS NOT NULL")),
        Index("uq_response_token", "token_hash", unique=True,
              sqlite_where=text("token_hash IS NOT NULL"), postgresql_where=text("token_hash IS NOT NULL")),
        Index("ix_response_survey_version", "survey_id", "version_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    version_id: int = Field(foreign_key="survey_version.id")
    channel: str = Field(max_length=16)
    wave: str | None = Field(default=None, max_length=64)
    respondent_key: str | None = Field(default=None, max_length=128)
    started_at: float | None = None
    submitted_at: float
    received_at: float
    token_hash: str | None = Field(default=None, max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str | None = Field(default=None, max_length=64)
    answers: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    brand_answers: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    texts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: Survey weight from an import or a staff batch (an external weighting); NULL counts as 1. Raking to the
    #: definition's margins happens in the analysis, on top of it.
    weight: float | None = None
    #: The import batch that stored this response (NULL for web/API submissions), so an import can be undone.
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")


class ImportBatch(SQLModel, table=True):
    """One run of `csi import`: what file (and its SHA-256), who, and what it stored, skipped and replaced.

    Kept after an undo (``undone_at`` set): the record of what happened to the data outlives the data.
    """

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    rows_stored: int = 0
    stored: int = 0
    skipped: int = 0
    replaced: int = 0
    rejected: int = 0
    who: str = Field(max_length=128)
    created_at: float
    undone_at: float | None = None


class Invitation(SQLModel, table=True):
    """A single-use invitation token (only its SHA-256 is stored), with what we already know of the customer."""

    __tablename__ = "invitation"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    customer_ref: str | None = Field(default=None, max_length=128)
    segments_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: float
    expires_at: float | None = None
    used_at: float | None = None


class ApiKey(SQLModel, table=True):
    """A staff API key; only the SHA-256 of the secret is kept."""

    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: float
    revoked_at: float | None = None


class Draft(SQLModel, table=True):
    """A web respondent's answers in progress, so leaving, going back or a validation error loses nothing.

    ``id`` is the resume code (random, unguessable): whoever holds it may continue the draft. A draft opened
    with an invitation carries the token's hash (at most one draft per token). Raw form values are kept as JSON
    and only validated and encoded, by the same codebook as the API, when submitted.
    """

    __tablename__ = "draft"
    id: str = Field(primary_key=True, max_length=64)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version_id: int = Field(foreign_key="survey_version.id")
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    answers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    brands: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    page: int = 1
    started_at: float
    updated_at: float = Field(index=True)  # the expiry purge deletes by it (CSI_DRAFT_TTL_DAYS)
    submitted_at: float | None = None
    response_id: int | None = None


class SurveyWave(SQLModel, table=True):
    """The live wave calendar of a survey: its waves and their dates, changeable without a new version.

    Wave dates do not change what answers mean, so they live here rather than in the immutable definition. Seeded
    from the definition at each publish (service/surveys/waves.py); ``opens``/``closes`` are ISO dates (whole
    days) or datetimes, read in the definition's time zone when naive, exactly as in the YAML.
    """

    __tablename__ = "survey_wave"
    __table_args__ = (UniqueConstraint("survey_id", "wave_id", name="uq_survey_wave"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    wave_id: str = Field(max_length=64)
    label_json: str = Field(sa_column=Column(Text, nullable=False))
    opens: str | None = Field(default=None, max_length=40)
    closes: str | None = Field(default=None, max_length=40)
    position: int = 0
    updated_at: float


class ScreenOut(SQLModel, table=True):
    """A respondent turned away because their quota cell was full (counted as "screened out" in fieldwork).

    ``key`` identifies the attempt (``web:<draft id>``, an invitation's token hash, an API Idempotency-Key) so a
    reload or a retry is counted once; NULL when the attempt carried nothing to recognise it by.
    """

    __tablename__ = "screen_out"
    __table_args__ = (
        Index("uq_screen_out_key", "survey_id", "key", unique=True,
              sqlite_where=text("key IS NOT NULL"), postgresql_where=text("key IS NOT NULL")),
        Index("ix_screen_out_survey_wave", "survey_id", "wave"),
    )
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    wave: str | None = Field(default=None, max_length=64)
    item: str = Field(max_length=64)
    option: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    key: str | None = Field(default=None, max_length=128)
    created_at: float
