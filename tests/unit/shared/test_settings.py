"""Hardened settings: no default secrets in production, retention applied, database TLS."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from pydantic import ValidationError

from shared import topics
from shared.db import ssl_connect_args
from shared.settings import ServiceSettings


def test_production_refuses_the_development_token_secret_and_sqlite() -> None:
    with pytest.raises(ValidationError, match="TOKEN_SECRET"):
        ServiceSettings(environment="production", database_url="postgresql+asyncpg://h/db")
    with pytest.raises(ValidationError, match="PostgreSQL"):
        ServiceSettings(environment="production", token_secret="x" * 40)
    fine = ServiceSettings(
        environment="production",
        token_secret="x" * 40,
        database_url="postgresql+asyncpg://h/db",
        kafka_security_protocol="SASL_SSL",
        database_ssl_mode="verify-full",
    )
    assert fine.environment == "production"


def test_production_refuses_to_start_without_tls_to_kafka_and_the_database() -> None:
    base: dict[str, Any] = {
        "environment": "production",
        "token_secret": "x" * 40,
        "database_url": "postgresql+asyncpg://h/db",
    }
    for protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
        with pytest.raises(ValidationError, match="KAFKA_SECURITY_PROTOCOL"):
            ServiceSettings(
                **base, kafka_security_protocol=protocol, database_ssl_mode="verify-full"
            )
    for mode in ("disable", "require"):
        with pytest.raises(ValidationError, match="DATABASE_SSL_MODE"):
            ServiceSettings(**base, kafka_security_protocol="SSL", database_ssl_mode=mode)
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        ServiceSettings(
            **base,
            kafka_security_protocol="SSL",
            database_ssl_mode="verify-full",
            cookie_secure=False,
        )


def test_topics_are_created_with_the_retention_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_RETENTION_DAYS", "14")
    monkeypatch.setenv("KAFKA_DEADLETTER_RETENTION_DAYS", "7")
    specs = {s.name: s.config for s in ServiceSettings().topic_specs()}
    assert specs[topics.INBOUND]["retention.ms"] == str(14 * topics.DAY_MS)
    assert specs[topics.DEADLETTER]["retention.ms"] == str(7 * topics.DAY_MS)
    status = specs[topics.STATUS]
    assert status["cleanup.policy"] == "compact" and "retention.ms" not in status
    assert status["delete.retention.ms"] == str(topics.DAY_MS)  # tombstones do not linger


def test_database_tls_modes_become_asyncpg_ssl_contexts() -> None:
    assert ssl_connect_args("disable", None) == {}
    required = ssl_connect_args("require", None)["ssl"]
    assert isinstance(required, ssl.SSLContext) and required.verify_mode == ssl.CERT_NONE
    verified = ssl_connect_args("verify-full", None)["ssl"]
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
