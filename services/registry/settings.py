"""Registry settings: ``REGISTRY_*`` variables beside the platform-wide ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, env


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "registry"
    http_port: int = Field(8001, validation_alias=env("REGISTRY_HTTP_PORT"))
    http_host: str = Field("127.0.0.1", validation_alias=env("REGISTRY_HTTP_HOST", "HTTP_HOST"))
    database_url: str = Field(
        "sqlite+aiosqlite:///.data/registry.db", validation_alias=env("REGISTRY_DATABASE_URL")
    )
    recategorise_seconds: float = Field(
        86_400, gt=0, validation_alias=env("REGISTRY_RECATEGORISE_SECONDS")
    )
