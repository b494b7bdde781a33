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
    #: The address respondents reach the service at (``https://survey.example.com``), for the survey links that
    #: ``csi publish`` and ``csi serve`` print; unset: ``http://127.0.0.1:8000`` / where ``serve`` listens.
    public_base_url: str | None = None

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
