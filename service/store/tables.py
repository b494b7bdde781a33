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
    #: Fieldwork (migration 0006): the invitation's first page view, the stratum it was drawn from, the wave it
    #: was sent for, and when the invitee unsubscribed (no reminders after that).
    opened_at: float | None = None
    stratum: str | None = Field(default=None, max_length=128)
    wave: str | None = Field(default=None, max_length=64)
    unsubscribed_at: float | None = None


class InvitationContact(SQLModel, table=True):
    """How to reach an invitee (email, phone, name, language): kept apart from the answers and never exported.

    ``seed`` lets the sender derive the invitation's token again (HMAC with ``CSI_SECRET_KEY``, see
    service/fieldwork/links.py), so a reminder or a resumed send can carry the same personal link while the
    database alone still holds no usable token.
    """

    __tablename__ = "invitation_contact"
    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    lang: str | None = Field(default=None, max_length=8)
    seed: str | None = Field(default=None, max_length=64)


class InvitationSend(SQLModel, table=True):
    """One attempt to deliver an invitation or a reminder over one channel, and how it went.

    ``status``: ``queued`` (committed before anything is sent), ``sending`` (committed right before the SMTP or
    webhook call: a row left here by a crash may or may not have gone out, and is not resent unless asked),
    ``sent``, ``bounced`` (the server refused the recipient) or ``failed`` (``reason`` says why).
    """

    __tablename__ = "invitation_send"
    __table_args__ = (Index("ix_invitation_send_survey_status", "survey_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id")
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    channel: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    queued_at: float
    attempted_at: float | None = None
    finished_at: float | None = None


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


class Job(SQLModel, table=True):
    """A background job (a report): its parameters, who asked, and how it went, kept after it finished.

    The queue (Huey, service/jobs/queue.py) carries only the id; the state lives here, so the console and the API
    can list past reports with their parameters whichever queue backend runs, and a worker that dies mid-job is
    noticed by its stale ``heartbeat_at`` and the job retried (at most ``CSI_JOB_MAX_ATTEMPTS`` starts).
    ``id`` is random and unguessable (it names the artifact file too).
    """

    __tablename__ = "job"
    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    requested_by: str = Field(max_length=128)
    status: str = Field(default="queued", max_length=16, index=True)
    stage: str | None = Field(default=None, max_length=16)
    percent: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 0
    worker_id: str | None = Field(default=None, max_length=128)
    heartbeat_at: float | None = None
    #: When the id was last put on the queue (a queued job never picked up is put there again: a Redis restart
    #: loses its list).
    enqueued_at: float
    artifact: str | None = Field(default=None, max_length=255)
    artifact_bytes: int | None = None
    created_at: float = Field(index=True)
    started_at: float | None = None
    finished_at: float | None = None
    #: When the artifact was deleted by the retention purge (CSI_ARTIFACTS_RETENTION_DAYS); the row stays.
    expired_at: float | None = None
class StaffUser(SQLModel, table=True):
    """A person who signs in to the staff console (machines use ``api_key`` instead).

    ``email`` is stored case-folded, so the unique index makes it unique case-insensitively on both stores.
    ``password_hash`` is an argon2id PHC string (service/accounts/passwords.py); a disabled user keeps the row
    (the audit log points at it) but cannot sign in.
    """

    __tablename__ = "staff_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=128)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    lang: str = Field(default="zh", max_length=8)
    created_at: float
    disabled_at: float | None = None


class StaffSession(SQLModel, table=True):
    """A signed-in browser. ``id`` is the SHA-256 of the cookie's random secret (a copy of the table signs
    no one in); ``csrf`` is the synchroniser token of the session's forms."""

    __tablename__ = "staff_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    csrf: str = Field(max_length=64)
    created_at: float
    last_seen: float
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, counted per email and per client address by the throttle (service/accounts/throttle.py).

    The email is recorded as typed (case-folded) whether or not an account has it, so a lock-out looks the same
    for unknown and known addresses.
    """

    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str = Field(max_length=64, index=True)
    at: float = Field(index=True)


class AuditLog(SQLModel, table=True):
    """Who did what to which thing, when and from where; rows are only ever added (service/audit)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=255)
    details: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ip: str | None = Field(default=None, max_length=64)
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
