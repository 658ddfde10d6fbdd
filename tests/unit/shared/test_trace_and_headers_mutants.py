"""The dead-letter reasons of a bad ``traceparent``, and Kafka headers as other clients write them.

Found by mutation testing (python -m bench.mutation): the traceparent checks were tested for
refusing, not for *what they say* (the reason a partner reads on the dead-letter topic), and
``kafka_value`` was never given the headers other Kafka clients may send: a header with no value
(Kafka allows ``null``), bytes that are not UTF-8, or ``content-type`` first in a binary-mode
record rather than a structured one.
"""

from __future__ import annotations

import orjson
import pytest
from pydantic_core import PydanticCustomError

from shared.events.binary import kafka_value
from shared.events.catalogue import InvalidEvent
from shared.events.envelope import check_traceparent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def refusal(value: str) -> PydanticCustomError:
    with pytest.raises(PydanticCustomError) as caught:
        check_traceparent(value)
    return caught.value


def test_a_valid_traceparent_is_kept_as_sent() -> None:
    value = f"00-{TRACE}-{PARENT}-01"
    assert check_traceparent(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "not-a-traceparent",
            "'not-a-traceparent' is not a W3C traceparent "
            "(version-traceid-parentid-flags, lower-case hex)",
        ),
        (f"ff-{TRACE}-{PARENT}-01", "traceparent version ff is not allowed"),
        (f"00-{'0' * 32}-{PARENT}-01", "traceparent trace id must not be all zeros"),
        (f"00-{TRACE}-{'0' * 16}-01", "traceparent parent id must not be all zeros"),
    ],
)
def test_each_traceparent_refusal_names_the_field_and_the_rule(value: str, message: str) -> None:
    error = refusal(value)
    assert error.type == "traceparent"
    assert error.message() == message


BINARY = [
    ("ce_specversion", b"1.0"),
    ("ce_id", b"e-1"),
    ("ce_source", b"urn:ods:A81001"),
    ("ce_type", b"carer.identified"),
]


def structured(headers: list[tuple[str, bytes | None]], body: bytes = b'{"n": 1}') -> dict:
    return orjson.loads(kafka_value(headers, body))


def test_content_type_first_in_a_binary_record_is_the_datas_type_not_structured_mode() -> None:
    event = structured([("content-type", b"application/json"), *BINARY])
    assert event["data"] == {"n": 1}
    assert event["datacontenttype"] == "application/json"
    assert event["specversion"] == "1.0"


def test_a_header_with_no_value_is_read_as_empty_not_a_crash() -> None:
    assert kafka_value([("content-type", None)], b"{}") == b"{}"
    event = structured([("ce_subject", None), *BINARY])
    assert event["subject"] == ""
    assert event["data"] == {"n": 1}


def test_a_content_type_header_with_no_value_means_json_data() -> None:
    event = structured([*BINARY, ("content-type", None)])
    assert event["data"] == {"n": 1}
    assert "datacontenttype" not in event


def test_attribute_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    event = structured([*BINARY, ("ce_subject", b"carer-\xff")])
    assert event["subject"] == "carer-\ufffd"


def test_a_content_type_that_is_not_utf8_is_refused_with_a_reason() -> None:
    with pytest.raises(
        InvalidEvent, match="datacontenttype: application/json\ufffd is not accepted"
    ):
        kafka_value([*BINARY, ("content-type", b"application/json\xff")], b"{}")
