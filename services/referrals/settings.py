"""Referrals settings: ``REFERRALS_*`` variables beside the platform-wide ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, env


class ReferralsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "referrals"
    http_port: int = Field(8002, validation_alias=env("REFERRALS_HTTP_PORT"))
    http_host: str = Field("127.0.0.1", validation_alias=env("REFERRALS_HTTP_HOST", "HTTP_HOST"))
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/referrals.db", validation_alias=env("REFERRALS_DATABASE_URL")
    )
    overdue_working_days: int = Field(
        5,
        ge=1,
        le=60,
        validation_alias=env("REFERRALS_OVERDUE_DAYS"),
        description="working days (England and Wales) a team has to accept a referral",
    )
    overdue_sweep_seconds: float = Field(
        300,
        gt=0,
        validation_alias=env("REFERRALS_OVERDUE_SWEEP_SECONDS"),
        description="how often the service looks for referrals that have become overdue",
    )
