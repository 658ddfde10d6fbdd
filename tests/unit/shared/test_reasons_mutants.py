"""Dead-letter reasons at their edges: paths without a prefix, errors at the root, missing
contact fields, pydantic's prefixes and the longest rejected value shown.

Found by mutation testing (python -m bench.mutation): only reasons with a "data" prefix and a
field were tested, so these could change with every unit test green.
"""

from __future__ import annotations

from typing import Literal, Self

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from shared.events.catalogue import describe_validation_error


class _Contact(BaseModel):
    email: str | None = None
    mobile: str
    relation: str = ""


class _Body(BaseModel):
    kind: Literal["a", "b"] = "a"
    contacts: list[_Contact] = []
    note: str = ""

    @field_validator("note")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 3:
            raise ValueError("must be 3 characters or fewer")
        return value

    @model_validator(mode="after")
    def _not_b_with_contacts(self) -> Self:
        if self.kind == "b" and self.contacts:
            raise ValueError("b takes no contacts")
        return self


def _reason(body: object, prefix: str = "") -> str:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate(body)
    return describe_validation_error(caught.value, prefix)


def test_without_a_prefix_the_path_starts_at_the_field() -> None:
    assert _reason({"contacts": [{"mobile": "x", "relation": 7}]}) == (
        "contacts[0].relation: Input should be a valid string"
    )


def test_an_error_of_the_whole_body_has_no_path_and_no_value_error_prefix() -> None:
    assert _reason({"kind": "b", "contacts": [{"mobile": "x"}]}) == "b takes no contacts"
    assert _reason({"kind": "b", "contacts": [{"mobile": "x"}]}, "data") == (
        "data: b takes no contacts"
    )


def test_pydantics_value_error_prefix_is_removed_from_the_front_only() -> None:
    assert _reason({"note": "long"}, "data") == "data.note: must be 3 characters or fewer"


def test_a_missing_contact_field_says_it_is_missing_not_that_it_is_invalid() -> None:
    assert (
        _reason({"contacts": [{"email": "x"}]}, "data") == "data.contacts[0].mobile: Field required"
    )
    masked = _reason({"contacts": [{"mobile": ["07700900000"]}]}, "data")
    assert masked == "data.contacts[0].mobile: is not a valid UK mobile number"


def test_a_rejected_choice_is_shown_up_to_sixty_characters() -> None:
    sixty = "x" * 60
    assert _reason({"kind": sixty}) == (
        f"kind: {sixty!r} is not accepted: input should be 'a' or 'b'"
    )
    assert _reason({"kind": sixty + "x"}) == "kind: Input should be 'a' or 'b'"
