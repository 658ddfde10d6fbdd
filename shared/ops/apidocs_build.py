"""Building a service to document it: fixed settings, and no network while it is built.

Split from :mod:`shared.ops.apidocs` (which re-exports these names) to keep each module short.
Every service is built through its own ``bootstrap()`` (the composition root), so the documents
describe what really runs; :func:`build` proves nothing connects by refusing every network
connection while ``bootstrap()`` runs, and the settings are built from fixed values with every
environment variable the settings read hidden, so the output is deterministic.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from pydantic import AliasChoices, AliasPath

from shared.settings import ServiceSettings

# What the documents say the brokers are: the production cluster (deploy/k8s/strimzi), whose
# TLS listener takes SCRAM-SHA-512 credentials of one KafkaUser per service.
DOC_BOOTSTRAP = "carers-kafka-bootstrap:9093"


# -- settings -------------------------------------------------------------------------------


def settings_class(service: str) -> type[ServiceSettings]:
    """The service's ``<Name>Settings`` class, found in ``services/<name>/settings.py``."""
    module = importlib.import_module(f"services.{service}.settings")
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
        and value.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise LookupError(f"services/{service}/settings.py: expected one settings class")
    return found[0]


def env_names(cls: type[ServiceSettings]) -> frozenset[str]:
    """Every environment variable a settings class reads (upper case).

    A field with a ``validation_alias`` is read under its alias(es) only; a field without
    one under its own name (pydantic-settings ignores case by default).
    """
    names: set[str] = set()
    for field_name, info in cls.model_fields.items():
        alias = info.validation_alias
        if alias is None:
            names.add(field_name.upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(c.upper() for c in alias.choices if isinstance(c, str))
        elif isinstance(alias, AliasPath) and isinstance(alias.path[0], str):
            names.add(alias.path[0].upper())
    return frozenset(names)


@contextlib.contextmanager
def hidden_environment(names: frozenset[str]) -> Iterator[None]:
    """Hide these variables (any case) while the block runs, then put them back."""
    saved = {key: value for key, value in os.environ.items() if key.upper() in names}
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


def documentation_settings(service: str) -> ServiceSettings:
    """Fixed settings for building a service to document: the environment cannot leak in."""
    cls = settings_class(service)
    with hidden_environment(env_names(cls)):
        return cls(  # type: ignore[call-arg]
            _env_file=None,
            database_url="sqlite+aiosqlite:///:memory:",
            kafka_bootstrap_servers=DOC_BOOTSTRAP,
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=f"carers-{service}",
            kafka_sasl_password="documentation-only",
            kafka_topic_namespace="",
            otel_exporter="none",
        )


# -- building a service without touching the network ---------------------------------------


class ConnectionAttempted(RuntimeError):
    """A service tried to connect while it was being built (it must not)."""


@contextlib.contextmanager
def no_network() -> Iterator[list[str]]:
    """Refuse (and record) every socket connection and DNS lookup in the block."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(*args: Any, **_kwargs: Any) -> Any:
        attempts.append(repr(args[1:] or args))
        raise ConnectionAttempted(f"connection attempted while building: {args[1:]!r}")

    socket.socket.connect = refuse  # type: ignore[assignment,method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[assignment,method-assign]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo


def build(service: str, settings: ServiceSettings | None = None) -> Any:
    """The service as its ``bootstrap()`` builds it (``.runtime.broker``, ``.app``).

    Raises :class:`ConnectionAttempted` if building it opened a connection: a composition
    root that connects would make documentation, tests and ``--help`` need a live broker.
    """
    module = importlib.import_module(f"services.{service}.bootstrap")
    settings = settings or documentation_settings(service)
    with no_network() as attempts:
        built = module.bootstrap(settings)
    if attempts:
        raise ConnectionAttempted(f"{service}: bootstrap() connected: {attempts}")
    return built
