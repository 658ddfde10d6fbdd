"""The contract's examples, kept in docs/examples/, still match the contract's own copies and
still validate: the docs and tests use them, so they must not drift from the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.events import parse_inbound

REPO = Path(__file__).resolve().parents[2]
OURS = REPO / "docs" / "examples"
CONTRACT = REPO.parent / "shared" / "contracts" / "examples"


@pytest.mark.parametrize("name", sorted(p.name for p in OURS.glob("*.json")))
def test_our_copy_of_each_contract_example_is_identical(name: str) -> None:
    if not CONTRACT.exists():
        pytest.skip("the contract folder ../shared is not beside this checkout")
    assert json.loads((OURS / name).read_text()) == json.loads((CONTRACT / name).read_text())


def test_the_cloudevent_example_is_a_valid_identification() -> None:
    envelope, body = parse_inbound((OURS / "cloudevent-carer-identified.json").read_bytes())
    assert envelope.type == "carer.identified"
    assert body.person.given_name == "Siân"  # type: ignore[attr-defined]
    assert body.person.family_name == "O'Connor-Smith"  # type: ignore[attr-defined]
