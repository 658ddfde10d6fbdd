"""Consultation settings: ``CONSULTATION_*`` variables beside the platform-wide ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, env


class ConsultationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "consultation"
    http_port: int = Field(8004, validation_alias=env("CONSULTATION_HTTP_PORT"))
    http_host: str = Field("127.0.0.1", validation_alias=env("CONSULTATION_HTTP_HOST", "HTTP_HOST"))
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/consultation.db",
        validation_alias=env("CONSULTATION_DATABASE_URL"),
    )
    rate_limit_per_minute: float = Field(
        10,
        ge=0,
        validation_alias=env("CONSULTATION_RATE_LIMIT_PER_MINUTE"),
        description="submissions (and saves) per client IP per minute; 0 turns the limit off",
    )
    rate_limit_burst: int = Field(
        5,
        ge=1,
        validation_alias=env("CONSULTATION_RATE_LIMIT_BURST"),
        description="how many a client may send at once before the per-minute rate applies",
    )
    definitions_dir: str | None = Field(
        None,
        validation_alias=env("CONSULTATION_DEFINITIONS_DIR"),
        description="another folder of consultation definitions (YAML), besides the shipped ones",
    )
    schedule: dict[str, tuple[str, str]] = Field(
        default_factory=dict,
        validation_alias=env("CONSULTATION_SCHEDULE"),
        description='JSON {"slug": ["opens", "closes"]} (ISO, Europe/London): the real dates',
    )
    trust_forwarded_for: bool = Field(
        False,
        validation_alias=env("CONSULTATION_TRUST_FORWARDED_FOR"),
        description="rate limit by X-Forwarded-For (only behind a proxy that sets it)",
    )
