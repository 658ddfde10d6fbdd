"""Test-wide fixtures: a real Kafka broker and real databases (SQLite and PostgreSQL)."""

pytest_plugins = ["tests.fixtures.kafka", "tests.fixtures.postgres"]
