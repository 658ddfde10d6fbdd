"""Bearer tokens name the services they are for and live at most 12 hours (shared/auth.py).

On the code before it, a token had no audience (one minted for any purpose worked at all
four services) and no maximum lifetime (a 100-year token worked).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth import ALGORITHM, ISSUER, SERVICES, mint_token, read_token, token_claims
from shared.cli import main as cli

SECRET = "unit-test-secret-of-at-least-32-characters"


def test_a_token_for_one_service_is_refused_by_the_others() -> None:
    token = mint_token(SECRET, "vasl", "VASL", services=["referrals"])
    assert read_token(SECRET, token, audience="referrals").role == "vasl"
    for other in ("registry", "notifications", "consultation"):
        with pytest.raises(jwt.InvalidAudienceError):
            read_token(SECRET, token, audience=other)


def test_a_default_token_names_all_four_services_and_has_an_id() -> None:
    token = mint_token(SECRET, "council", "LCC")
    claims = token_claims(SECRET, token, audience="consultation")
    assert sorted(claims["aud"]) == sorted(SERVICES)
    assert (
        claims["jti"]
        and claims["jti"]
        != token_claims(SECRET, mint_token(SECRET, "council", "LCC"), audience="registry")["jti"]
    )


def test_a_token_without_an_audience_is_refused() -> None:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "sub": "gp:X", "role": "gp", "iat": now, "exp": now + timedelta(1)}
    token = jwt.encode(claims, SECRET, algorithm=ALGORITHM)
    with pytest.raises(jwt.MissingRequiredClaimError):
        read_token(SECRET, token, audience="registry")


def test_a_hundred_year_token_is_refused_now_not_in_a_hundred_years() -> None:
    token = mint_token(SECRET, "admin", "LCC", ttl=timedelta(days=36_500))
    with pytest.raises(jwt.InvalidTokenError, match="longer than the 12 h"):
        read_token(SECRET, token, audience="registry")
    thirteen = mint_token(SECRET, "admin", "LCC", ttl=timedelta(hours=13))
    with pytest.raises(jwt.InvalidTokenError):
        read_token(SECRET, thirteen, audience="registry")
    assert read_token(SECRET, mint_token(SECRET, "admin", "LCC"), audience="registry")


def test_the_limit_is_a_setting() -> None:
    token = mint_token(SECRET, "admin", "LCC", ttl=timedelta(hours=2))
    with pytest.raises(jwt.InvalidTokenError, match="1 h"):
        read_token(SECRET, token, audience="registry", max_lifetime=timedelta(hours=1))


def test_a_token_without_iat_is_refused() -> None:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "sub": "gp:X", "role": "gp", "aud": ["registry"], "exp": now}
    claims["exp"] = now + timedelta(hours=1)
    with pytest.raises(jwt.MissingRequiredClaimError):
        read_token(SECRET, jwt.encode(claims, SECRET, algorithm=ALGORITHM), audience="registry")


def test_unknown_services_are_refused_when_minting() -> None:
    with pytest.raises(ValueError, match="services"):
        mint_token(SECRET, "gp", "X", services=["registry", "payroll"])


def test_the_cli_narrows_a_token_to_the_services_asked_for(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN_SECRET", SECRET)
    assert cli(["token", "--role", "gp", "--org", "C82001", "--service", "registry"]) == 0
    token = capsys.readouterr().out.strip()
    assert token_claims(SECRET, token, audience="registry")["aud"] == ["registry"]
    with pytest.raises(jwt.InvalidAudienceError):
        read_token(SECRET, token, audience="referrals")
    assert cli(["token", "--role", "gp", "--org", "C82001"]) == 0
    everywhere = capsys.readouterr().out.strip()
    assert sorted(token_claims(SECRET, everywhere, audience="referrals")["aud"]) == sorted(SERVICES)
