"""Notifications settings: ``NOTIFICATIONS_*`` variables beside the platform-wide ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, env


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "notifications"
    http_port: int = Field(8003, validation_alias=env("NOTIFICATIONS_HTTP_PORT"))
    http_host: str = Field(
        "127.0.0.1", validation_alias=env("NOTIFICATIONS_HTTP_HOST", "HTTP_HOST")
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/notifications.db",
        validation_alias=env("NOTIFICATIONS_DATABASE_URL"),
    )
