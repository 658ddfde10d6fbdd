"""Envelope, ids and validator errors at the edges mutation testing found
(python -m bench.mutation): the error types partners can branch on, the traceparent's
message, and the envelope keeping what it was given."""

from __future__ import annotations

import uuid

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError

from shared.events.envelope import CloudEvent
from shared.events.ids import uuid4_str
from shared.events.validators import Email, NhsNumber, UkMobile, UkPostcode

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _error(kind: object, value: object) -> dict[str, object]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    error = caught.value.errors()[0]
    return {"type": error["type"], "msg": error["msg"]}


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (
            NhsNumber,
            9434765919,
            ("nhs_number", "an NHS number must be sent as a JSON string, not a number"),
        ),
        (
            NhsNumber,
            "94347659",
            (
                "nhs_number",
                "is not an NHS number: it must be 10 digits"
                " (or 3-3-4 separated by spaces or hyphens)",
            ),
        ),
        (NhsNumber, "9434765918", ("nhs_number", "fails the NHS number Modulus 11 check")),
        (
            UkPostcode,
            "QQ1 1QQ",
            (
                "uk_postcode",
                "is not a valid UK postcode"
                " (letters or digits in positions Royal Mail does not use)",
            ),
        ),
        (UkMobile, "01164960000", ("uk_mobile", "is not a valid UK mobile number")),
    ],
)
def test_each_rule_has_its_own_error_type_and_words(
    kind: object, value: object, expected: tuple[str, str]
) -> None:
    assert _error(kind, value) == {"type": expected[0], "msg": expected[1]}


def test_a_bad_traceparent_is_named_with_the_value_and_the_format() -> None:
    with pytest.raises(ValidationError) as caught:
        CloudEvent.model_validate(
            {
                "specversion": "1.0",
                "id": "1",
                "source": "s",
                "type": "t",
                "time": "2026-03-02T09:00:00Z",
                "data": {},
                "traceparent": "00-XY",
            }
        )
    assert caught.value.errors()[0]["msg"] == (
        "'00-XY' is not a W3C traceparent (version-traceid-parentid-flags, lower-case hex)"
    )


def test_a_new_event_keeps_its_subject_and_trace_context() -> None:
    event = CloudEvent.new("carer.registered", "urn:carers:registry", "c-1", {}, TRACEPARENT)
    sent = orjson.loads(event.to_bytes())
    assert (sent["subject"], sent["traceparent"]) == ("c-1", TRACEPARENT)


def test_null_data_is_sent_as_null_while_absent_attributes_are_left_out() -> None:
    event = CloudEvent.new("carer.erased", "urn:carers:registry", None, {})
    event = event.model_copy(update={"data": None})
    sent = orjson.loads(event.to_bytes())
    assert sent["data"] is None
    assert "subject" not in sent and "traceparent" not in sent


def test_ids_are_version_4_uuids_whose_random_bits_all_vary() -> None:
    ids = [uuid.UUID(uuid4_str()) for _ in range(256)]
    assert len(set(ids)) == len(ids)
    assert {u.version for u in ids} == {4}
    assert {u.variant for u in ids} == {uuid.RFC_4122}
    ones = 0
    zeros = 0
    for u in ids:
        ones |= u.int
        zeros |= ~u.int
    fixed = (0xF << 76) | (0x3 << 62)  # the version nibble and the variant's two bits
    every_bit = (1 << 128) - 1
    assert ones | fixed == every_bit
    assert zeros & every_bit | fixed == every_bit


def test_an_address_over_254_characters_is_refused_even_when_plain() -> None:
    domain = ".".join(["a" * 63, "b" * 63, "c" * 58]) + ".uk"  # 189 characters
    fits = "l" * 64 + "@" + domain  # 254 characters: the limit
    assert len(fits) == 254
    assert TypeAdapter(Email).validate_python(fits) == fits
    with pytest.raises(ValidationError):
        TypeAdapter(Email).validate_python("l" + fits)
