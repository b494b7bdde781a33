"""Service configuration, read once from ``CSI_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"
#: Shortest secret production accepts.
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    """Everything the service can be told; the defaults run a development instance on SQLite."""

    model_config = SettingsConfigDict(env_prefix="CSI_", extra="ignore")

    database_url: str = "sqlite:///./csi.db"
    environment: Literal["development", "test", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    max_body_bytes: int = 1_000_000
    batch_max: int = 512
    #: Requests per minute and client address on the public routes (``/s/...``, submit, definition), per worker
    #: process; 0 turns the limiter off. See service/api/ratelimit.py.
    public_rate_limit_per_minute: int = 600
    #: Memory one analysis or report may take; a survey whose estimate (count(*) x bytes per response, see
    #: service/analysis.py) exceeds it is refused with 413 before anything is loaded. 4 GiB admits the design
    #: point, 10^6 responses of a utility_csi-sized survey (estimate 2.8 GiB, measured peak 2.4 GiB,
    #: bench/soak.py); size it to the machine (each worker may run one analysis or report at a time).
    max_analysis_bytes: int = 4 << 30
    #: Analyses and reports one worker process runs at once; more get 503 + Retry-After (service/api/heavy.py),
    #: so a worker's memory stays within this many times ``max_analysis_bytes``.
    max_concurrent_analyses: int = Field(default=1, ge=1)
    #: Days an unfinished web draft is kept after its last save; the service purges older ones itself (hourly,
    #: service/web/drafts.py). A resume link of a purged draft shows the polite "unknown link" page.
    draft_ttl_days: float = Field(default=7, gt=0)
    #: Fieldwork (service/fieldwork): where invitation mails go out, ``smtp://user:pass@host:port`` (STARTTLS
    #: when the server offers it; ``?starttls=1`` requires it) or ``smtps://`` (TLS from the start).
    smtp_url: str | None = None
    #: The From address of invitation mails.
    mail_from: str = "survey@localhost"
    #: An SMS gateway's HTTP endpoint: ``--send`` POSTs ``{"phone": ..., "text": ...}`` per invitee with a phone.
    sms_webhook_url: str | None = None
    #: The address respondents reach the service at (``https://survey.example.com``): the prefix of the links in
    #: invitations and QR codes, and of the survey links ``csi publish`` and ``csi serve`` print. Unset:
    #: ``http://127.0.0.1:8000`` (``csi serve``: where it listens).
    public_url: str | None = None

    @property
    def public_base(self) -> str:
        """`public_url`, or the local default, without a trailing slash."""
        return (self.public_url or "http://127.0.0.1:8000").rstrip("/")
    #: The background-job queue (service/jobs): ``sqlite:///PATH`` is the embedded queue, a file next to the
    #: store (default: ``<store>-queue.db`` beside a SQLite store, ``./csi-queue.db`` otherwise); ``redis://HOST:
    #: PORT/DB`` is the shared queue for several workers on several machines (production, with PostgreSQL).
    queue_url: str | None = None
    #: The queue's name: Redis keys and the SQLite queue's rows are kept apart by it (one Redis, several services).
    queue_name: str = Field(default="csi", min_length=1, max_length=64)
    #: Where finished reports are written, one file per job named by the job id.
    artifacts_dir: str = "./artifacts"
    #: Days a finished report's file is kept; the workers delete older ones (the job row stays, marked expired).
    artifacts_retention_days: float = Field(default=30, gt=0)
    #: Times a job is started before a worker that died running it fails the job instead of retrying it.
    job_max_attempts: int = Field(default=3, ge=1)
    #: A running job's worker touches its row this often; workers look for dead workers' jobs this often too.
    job_heartbeat_s: float = Field(default=5, gt=0)
    #: A running job whose heartbeat is older than this is taken to have lost its worker (kill -9, OOM, power).
    job_stale_after_s: float = Field(default=60, gt=0)

    @property
    def queue(self) -> str:
        """`queue_url` or its default: the embedded SQLite queue next to a SQLite store."""
        if self.queue_url:
            return self.queue_url
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url[len(prefix):] not in ("", ":memory:"):
            db = self.database_url[len(prefix):]
            stem = db[:-3] if db.endswith(".db") else db
            return f"{prefix}{stem}-queue.db"
        return f"{prefix}./csi-queue.db"
    #: Minutes a staff console session may sit unused before it is ended (server-side; the cookie alone is
    #: worthless once its row is gone). See service/accounts/sessions.py.
    session_idle_minutes: float = Field(default=30, gt=0)
    #: Hours after sign-in a console session ends however busy it is: a stolen cookie does not live forever.
    session_max_hours: float = Field(default=12, gt=0)
    #: Failed sign-ins per email within ``login_lock_minutes`` before that email is locked for as long.
    login_max_failures: int = Field(default=5, ge=1)
    #: Failed sign-ins per client address in the same window; higher than per email because an office shares
    #: one address, and one colleague's typos must not lock everybody out.
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_lock_minutes: float = Field(default=15, gt=0)

    @property
    def draft_ttl_s(self) -> float:
        return self.draft_ttl_days * 86400.0

    def check_production(self) -> None:
        """Refuse to run production with the published default secret or one short enough to guess.

        The secret signs the survey forms (CSRF tokens, start times); an HMAC key of a few bytes can be found by
        trying, and then forms can be forged. 32 bytes is the SHA-256 block of randomness the HMAC can use.
        """
        if self.environment != "production":
            return
        if self.secret_key == DEFAULT_SECRET:
            raise RuntimeError("CSI_SECRET_KEY must be set to a private value in production")
        if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise RuntimeError(f"CSI_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes in production (it is "
                               f"{len(self.secret_key.encode())}); generate one with "
                               "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")


@lru_cache
def get_settings() -> Settings:
    return Settings()
