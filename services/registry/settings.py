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

    # -- carer self-service (issue 7): help without the internet, and the security rules ------
    help_phone: str = Field(
        "0116 496 0000",
        validation_alias=env("REGISTRY_HELP_PHONE"),
        description="the carers team's phone line shown on self-service pages",
    )
    help_hours: str = Field(
        "Monday to Friday, 8:30am to 5pm (not bank holidays)",
        validation_alias=env("REGISTRY_HELP_HOURS"),
    )
    help_post: str = Field(
        "Carers Team, Customer Service Centre, Leicestershire County Council, County Hall, "
        "Glenfield, Leicester LE3 8RA",
        validation_alias=env("REGISTRY_HELP_POST"),
    )
    help_vasl: str = Field(
        "Voluntary Action South Leicestershire (VASL), the carers support service",
        validation_alias=env("REGISTRY_HELP_VASL"),
    )
    selfservice_code_minutes: int = Field(
        10, gt=0, le=60, validation_alias=env("REGISTRY_SELFSERVICE_CODE_MINUTES")
    )
    selfservice_max_wrong_codes: int = Field(
        5, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_MAX_WRONG_CODES")
    )
    selfservice_lock_minutes: int = Field(
        60, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_LOCK_MINUTES")
    )
    selfservice_session_minutes: int = Field(
        30, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_SESSION_MINUTES")
    )
    selfservice_signin_limit: int = Field(
        10, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_SIGNIN_LIMIT")
    )
    selfservice_form_limit: int = Field(
        20, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_FORM_LIMIT")
    )
    selfservice_limit_seconds: float = Field(
        600, gt=0, validation_alias=env("REGISTRY_SELFSERVICE_LIMIT_SECONDS")
    )
    selfservice_secure_cookies: bool = Field(
        True, validation_alias=env("REGISTRY_SELFSERVICE_SECURE_COOKIES")
    )
    selfservice_trust_forwarded_for: bool = Field(
        False, validation_alias=env("REGISTRY_SELFSERVICE_TRUST_FORWARDED_FOR")
    )
