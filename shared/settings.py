"""Typed settings shared by every service (pydantic-settings).

Each service extends :class:`ServiceSettings` with its own fields, read from environment
variables with the service's prefix (``REGISTRY_DATABASE_URL``); the platform-wide settings
(``KAFKA_BOOTSTRAP_SERVERS``, ``CARERS_ENV``, ``TOKEN_SECRET``...) are read unprefixed so one
environment file drives the whole stack. Outside development a default secret is refused at
start-up rather than discovered in production.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_SECRET = "development-only-token-secret-change-me"


def env(*names: str) -> AliasChoices:
    """Accept a setting under any of these environment variable names."""
    return AliasChoices(*names)


class ServiceSettings(BaseSettings):
    """Settings every service has; subclasses add a prefix for their own."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "carers"
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=env("CARERS_ENV")
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=env("KAFKA_BOOTSTRAP_SERVERS")
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=env("KAFKA_SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias=env("KAFKA_SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=env("KAFKA_SASL_USERNAME"))
    kafka_sasl_password: str | None = Field(None, validation_alias=env("KAFKA_SASL_PASSWORD"))
    kafka_ssl_cafile: str | None = Field(None, validation_alias=env("KAFKA_SSL_CAFILE"))
    kafka_topic_namespace: str = Field(
        "",
        pattern=r"^[a-z0-9._-]*$",
        validation_alias=env("KAFKA_TOPIC_NAMESPACE"),
        description="prefix for topic and group names: isolates test runs on one broker",
    )
    kafka_session_timeout_ms: int = Field(
        10_000, ge=1_000, validation_alias=env("KAFKA_SESSION_TIMEOUT_MS")
    )
    kafka_retention_days: int = Field(30, ge=1, validation_alias=env("KAFKA_RETENTION_DAYS"))
    kafka_deadletter_retention_days: int = Field(
        30, ge=1, validation_alias=env("KAFKA_DEADLETTER_RETENTION_DAYS")
    )
    database_ssl_mode: Literal["disable", "require", "verify-full"] = Field(
        "disable", validation_alias=env("DATABASE_SSL_MODE")
    )
    database_ssl_root_cert: str | None = Field(None, validation_alias=env("DATABASE_SSL_ROOT_CERT"))
    kafka_batch_size: int = Field(500, ge=1, validation_alias=env("KAFKA_BATCH_SIZE"))
    # FastStream's batch subscriber waits this long for records, and after an empty poll
    # sleeps as long again: at light load that sleep is added to every hop's latency.
    kafka_batch_timeout_ms: int = Field(
        10, ge=1, le=1000, validation_alias=env("KAFKA_BATCH_TIMEOUT_MS")
    )
    token_secret: str = Field(DEV_TOKEN_SECRET, validation_alias=env("TOKEN_SECRET"))
    # A stolen staff token is useful for at most this long, whatever its own ``exp`` says.
    token_max_hours: float = Field(12, gt=0, le=24 * 366, validation_alias=env("TOKEN_MAX_HOURS"))
    # Request bodies beyond this are answered 413 before anything parses them.
    http_max_body_bytes: int = Field(
        1_048_576, ge=1024, validation_alias=env("HTTP_MAX_BODY_BYTES")
    )
    # JSON nested deeper than this is answered 422: no parser recurses 50,000 levels.
    http_max_json_depth: int = Field(64, ge=8, le=1000, validation_alias=env("HTTP_MAX_JSON_DEPTH"))
    # ``Secure`` on the staff and CSRF cookies. Browsers accept Secure cookies from
    # http://127.0.0.1 and localhost; only plain-HTTP test clients with a cookie jar need false.
    cookie_secure: bool = Field(True, validation_alias=env("COOKIE_SECURE"))
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = "sqlite+aiosqlite:///.data/carers.db"
    outbox_poll_seconds: float = Field(0.5, gt=0, validation_alias=env("OUTBOX_POLL_SECONDS"))
    otel_exporter: Literal["none", "console", "file", "otlp"] = Field(
        "none", validation_alias=env("OTEL_EXPORTER")
    )
    otel_file: str = Field(".run/traces.jsonl", validation_alias=env("OTEL_FILE"))
    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias=env("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    log_level: str = Field("INFO", validation_alias=env("LOG_LEVEL"))

    @property
    def consumer_group(self) -> str:
        """One consumer group per service: each service sees every event once."""
        return f"{self.kafka_topic_namespace}carers-{self.service_name}"

    def topic_specs(self) -> tuple[Any, ...]:
        """The contract topics as this deployment creates them: namespace and retention."""
        from shared.topics import namespaced, with_retention

        return with_retention(
            namespaced(self.kafka_topic_namespace),
            self.kafka_retention_days,
            self.kafka_deadletter_retention_days,
        )

    def topic(self, name: str) -> str:
        """A contract topic's name on this deployment (the namespace is empty in production)."""
        return f"{self.kafka_topic_namespace}{name}"

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            if self.token_secret == DEV_TOKEN_SECRET or len(self.token_secret) < 32:
                raise ValueError(
                    "TOKEN_SECRET: set a secret of at least 32 characters in production"
                )
            if self.database_url.startswith("sqlite"):
                raise ValueError("database_url: production needs PostgreSQL, not SQLite")
            if self.kafka_security_protocol not in ("SSL", "SASL_SSL"):
                raise ValueError(
                    "KAFKA_SECURITY_PROTOCOL: production needs TLS to Kafka (SSL or SASL_SSL), "
                    f"not {self.kafka_security_protocol}"
                )
            if self.database_ssl_mode != "verify-full":
                raise ValueError(
                    "DATABASE_SSL_MODE: production needs TLS to the database with the server's "
                    f"certificate and name checked (verify-full), not {self.database_ssl_mode}"
                )
            if not self.cookie_secure:
                raise ValueError("COOKIE_SECURE: production cookies must be Secure")
        return self
