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
