"""Test-wide fixtures: a real Kafka broker, real databases (SQLite and PostgreSQL), services."""

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.postgres",
    "tests.fixtures.services",
    "tests.fixtures.mail",
]
