"""Binary-mode CloudEvents, as the official SDK writes them, read into the structured form.

Found by mutation testing (python -m bench.mutation): ``shared/events/binary.py`` was tested
only through the broker (tests/interop), so no fast test noticed any change to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent as SdkEvent

from shared.events.binary import STRUCTURED_HEADERS, http_event, is_binary_http, kafka_value
from shared.events.catalogue import InvalidEvent

DATA = {"person": {"nhs_number": "9434765919"}, "n": 1}
ATTRIBUTES = {
    "id": "e-1",
    "source": "urn:ods:A81001",
    "type": "carer.identified",
    "time": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    "subject": "9434765919",
    "datacontenttype": "application/json",
}


def _sdk_kafka() -> tuple[list[tuple[str, bytes | None]], bytes]:
    message = ce_kafka.to_binary_event(SdkEvent(dict(ATTRIBUTES), DATA))
    return list(message.headers.items()), message.value


def test_a_binary_kafka_record_from_the_sdk_becomes_the_structured_event() -> None:
    headers, value = _sdk_kafka()
    event = orjson.loads(kafka_value(headers, value))
    assert event["id"] == "e-1"
    assert event["source"] == "urn:ods:A81001"
    assert event["type"] == "carer.identified"
    assert event["subject"] == "9434765919"
    assert event["specversion"] == "1.0"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == DATA


def test_header_names_are_read_whatever_their_case_and_a_missing_value_is_empty() -> None:
    headers = [
        ("CE_SpecVersion", b"1.0"),
        ("ce_id", None),
        ("Content-Type", b"application/vnd.carers+json; charset=utf-8"),
    ]
    event = orjson.loads(kafka_value(headers, b"[1]"))
    assert event == {
        "specversion": "1.0",
        "id": "",
        "datacontenttype": "application/vnd.carers+json; charset=utf-8",
        "data": [1],
    }


def test_without_a_content_type_binary_data_is_json_and_an_empty_body_is_no_data() -> None:
    event = orjson.loads(kafka_value([("ce_specversion", b"1.0"), ("ce_id", b"x")], b""))
    assert event == {"specversion": "1.0", "id": "x", "data": None}
    assert "datacontenttype" not in event


@pytest.mark.parametrize(
    "headers",
    [
        list(STRUCTURED_HEADERS),
        [("content-type", b"application/cloudevents+json; charset=utf-8")],
        [("ce_specversion", b"1.0"), ("Content-Type", b"Application/CloudEvents+json")],
        [("traceparent", b"00-x"), ("other", None)],
        [],
    ],
)
def test_structured_or_plain_records_pass_through_untouched(
    headers: list[tuple[str, bytes | None]],
) -> None:
    value = b'{"not": "parsed"'
    assert kafka_value(headers, value) is value


def test_binary_data_that_is_not_json_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidEvent) as caught:
        kafka_value([("ce_specversion", b"1.0"), ("content-type", b"text/plain")], b"hi")
    assert caught.value.reason == (
        "datacontenttype: text/plain is not accepted: binary-mode data must be application/json"
    )
    with pytest.raises(InvalidEvent) as caught:
        kafka_value([("ce_specversion", b"1.0"), ("content-type", b"application/json")], b"{")
    assert caught.value.reason.startswith("data: binary-mode data is not valid JSON: ")


def test_a_binary_http_request_from_the_sdk_becomes_the_structured_event() -> None:
    message = ce_http.to_binary_event(SdkEvent(dict(ATTRIBUTES), DATA))
    headers = {name.lower(): value for name, value in message.headers.items()}
    assert is_binary_http(headers)
    event = http_event(headers, DATA)
    assert event["id"] == "e-1"
    assert event["type"] == "carer.identified"
    assert event["specversion"] == "1.0"
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == DATA


def test_http_headers_are_percent_decoded_and_a_bare_prefix_is_ignored() -> None:
    headers: dict[str, Any] = {
        "CE-Subject": "caf%C3%A9%20carer",
        "ce-": "nothing",
        "Content-Type": "ignored: only the lower-case key is looked up",
    }
    assert http_event(headers, None) == {"subject": "café carer", "data": None}
    assert not is_binary_http({"content-type": "application/cloudevents+json"})
