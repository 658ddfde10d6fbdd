"""A missing browser or PostgreSQL is a skip on a laptop and a failure in CI."""

from __future__ import annotations

import pytest

from tests.fixtures.required import unavailable


def test_a_missing_prerequisite_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        unavailable("Chromium not found")


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_a_missing_prerequisite_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL server binaries not found"):
        unavailable("PostgreSQL server binaries not found")
