"""Postcodes and NHS numbers judged against cases other people wrote (tests/data/third-party,
origins and licences in its README): UkPostcodeParser's strict test suite, the nhs-number
package's test vectors, and the nhs-number package itself run beside our validator."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import nhs_number
import pytest

from shared.events.validators import (
    _nhs_check_digit,
    is_valid_nhs_number,
    is_valid_uk_postcode,
    normalise_nhs_number,
    normalise_postcode,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "third-party"
POSTCODES: list[dict[str, Any]] = json.loads((DATA / "ukpostcodeparser_cases.json").read_text())[
    "cases"
]
NHS = json.loads((DATA / "nhs_number_cases.json").read_text())


@pytest.mark.parametrize("case", POSTCODES, ids=[c["postcode"] for c in POSTCODES])
def test_ukpostcodeparser_strict_cases(case: dict[str, Any]) -> None:
    assert is_valid_uk_postcode(case["postcode"]) is case["valid"]
    if case["valid"]:
        assert normalise_postcode(case["postcode"]) == case["canonical"]


@pytest.mark.parametrize("case", NHS["is_valid"], ids=[c["input"] for c in NHS["is_valid"]])
def test_nhs_number_package_validity_vectors(case: dict[str, Any]) -> None:
    assert is_valid_nhs_number(case["input"]) is case["valid"]


@pytest.mark.parametrize("case", NHS["standardise"], ids=[c["input"] for c in NHS["standardise"]])
def test_nhs_number_package_standardise_vectors(case: dict[str, Any]) -> None:
    # The package standardises to "" what cannot be a number; we leave it unchanged (and
    # invalid) rather than repairing it, so only the numbers it reads must agree.
    if case["output"]:
        assert normalise_nhs_number(case["input"]) == case["output"]
    else:
        assert not is_valid_nhs_number(case["input"])


@pytest.mark.parametrize("case", NHS["calculate_checksum"], ids=lambda c: c["identifier"])
def test_nhs_number_package_checksum_vectors(case: dict[str, Any]) -> None:
    expected = None if case["checksum"] == 10 else case["checksum"]
    assert _nhs_check_digit(case["identifier"]) == expected


@pytest.mark.parametrize("case", NHS["region_of"], ids=lambda c: c["number"])
def test_every_region_of_the_vectors_is_a_valid_number(case: dict[str, Any]) -> None:
    assert is_valid_nhs_number(case["number"])


def test_our_modulus_11_agrees_with_the_nhs_number_package_on_ten_thousand_numbers() -> None:
    rng = random.Random(15)
    # Outside Scotland's CHI range, where the package also checks a date of birth (DDMMYY)
    # that the contract does not ask for.
    drawn = (f"{rng.randrange(10**10):010d}" for _ in range(20_000))
    numbers = [n for n in drawn if not nhs_number.REGION_SCOTLAND.contains_number(n)][:10_000]
    numbers += [n[:3] + " " + n[3:6] + " " + n[6:] for n in numbers[:500]]
    disagreements = [n for n in numbers if is_valid_nhs_number(n) != nhs_number.is_valid(n)]
    assert disagreements == []
    assert sum(map(is_valid_nhs_number, numbers)) > 500  # some valid ones were compared
