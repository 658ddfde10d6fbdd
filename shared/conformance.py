"""``python -m shared.cli conformance FILE``: a partner's messages checked offline, before go-live.

A GP system supplier cannot see our dead-letter topic, so this command runs the checks the
registry itself runs, on a file, with no broker or database, and prints every problem the
registry would report, in the registry's own words (the field named, then the rule):

- a CloudEvent (structured JSON, as written to ``carers.inbound.v1`` or POSTed): the envelope
  and body rules of ``shared.events.parse_event`` and the Kafka source rules of contract 6.1;
- a FHIR message Bundle (as POSTed to ``/fhir/$process-message``): the FHIR adapter's rules,
  then the ``carer.identified`` it becomes, as the endpoint checks it;
- a bare ``carer.identified`` body (as POSTed to ``/identifications``);
- a batch of any of those: a JSON array, or JSON lines (one message a line).

Exit status 0 when every message would be accepted, 1 when any would not (2: unreadable file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from shared.events import INBOUND_BODIES, CarerIdentified, InvalidEvent, parse_event
from shared.events.catalogue import describe_validation_error


@dataclass
class Verdict:
    """One message: where it is in the file, what it is, and every problem found."""

    where: str
    kind: str
    problems: list[str] = field(default_factory=list)


def messages(text: str) -> Iterator[tuple[str, Any]]:
    """``(where, decoded)`` for each message: a whole-file JSON value (an array is a batch),
    else JSON lines; a line that is not JSON is yielded as the error text."""
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        whole = None
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        for number, line in lines:
            try:
                yield f"line {number}", orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield f"line {number}", NotJson(str(exc))
        if not lines:
            yield "file", NotJson("empty: no JSON value and no JSON lines")
        return
    if isinstance(whole, list):
        for index, item in enumerate(whole):
            yield f"item {index}", item
    else:
        yield "file", whole


@dataclass(frozen=True)
class NotJson:
    reason: str


def check(where: str, message: Any, *, role: str | None = None, org: str | None = None) -> Verdict:
    """Every problem the registry would report about one decoded message."""
    if isinstance(message, NotJson):
        return Verdict(where, "unreadable", [f"not valid JSON: {message.reason}"])
    if isinstance(message, dict) and message.get("resourceType") is not None:
        return Verdict(where, "FHIR Bundle", _fhir_problems(message, role, org))
    if isinstance(message, dict) and "specversion" in message:
        return Verdict(where, "CloudEvent", _cloudevent_problems(message))
    if isinstance(message, dict):
        try:
            CarerIdentified.model_validate(message)
        except ValidationError as exc:
            return Verdict(
                where, "carer.identified body", describe_validation_error(exc).split("; ")
            )
        return Verdict(where, "carer.identified body")
    kind = type(message).__name__
    return Verdict(where, kind, [f"expected a JSON object (CloudEvent or FHIR Bundle), got {kind}"])


def _cloudevent_problems(event: dict[str, Any]) -> list[str]:
    raw = orjson.dumps(event)
    try:
        envelope, _body = parse_event(raw, INBOUND_BODIES)
    except InvalidEvent as invalid:
        problems = invalid.reason.split("; ")
        body_model = INBOUND_BODIES.get(str(event.get("type")))
        if invalid.event is None and body_model is not None and isinstance(event.get("data"), dict):
            # The registry stops at a bad envelope; a supplier wants the body's problems too.
            try:
                body_model.model_validate(event["data"])
            except ValidationError as exc:
                problems += describe_validation_error(exc, "data").split("; ")
        return problems
    from services.registry.domain.provenance import kafka_refusal  # the registry's own rule

    refused = kafka_refusal(envelope.source, envelope.type, envelope.data, attested=False)
    return [refused] if refused else []


def _fhir_problems(bundle: dict[str, Any], role: str | None, org: str | None) -> list[str]:
    from services.registry.adapters.fhir import FhirRejected, translate

    sender = org or _sender_code(bundle) or "UNKNOWN"
    try:
        translation = translate(bundle, kind=role or "gp", org=sender)
    except FhirRejected as rejected:
        return [
            f"HTTP {rejected.status} {issue.expression or 'Bundle'}: {issue.diagnostics}"
            for issue in rejected.issues
        ]
    try:
        parse_event(translation.to_event().to_bytes(), {"carer.identified": CarerIdentified})
    except InvalidEvent as invalid:
        return [f"HTTP 422 {part}" for part in invalid.reason.split("; ")]
    return []


def _sender_code(bundle: dict[str, Any]) -> str | None:
    """The ODS code the Bundle's MessageHeader names, so an offline check is not refused only
    for lacking the caller's token (give ``--org`` to check it against yours)."""
    entries = bundle.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else {}
    header = first.get("resource") if isinstance(first, dict) else None
    sender = header.get("sender") if isinstance(header, dict) else None
    if not isinstance(sender, dict):
        return None
    identifier = sender.get("identifier")
    if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
        return str(identifier["value"])
    reference = sender.get("reference")
    if isinstance(reference, str) and "/Organization/" in reference:
        return reference.rsplit("/", 1)[-1]
    return None


def run(path: str, *, role: str | None = None, org: str | None = None) -> int:
    """Print each message's problems (or "ok") and a summary; the exit status."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}: cannot read: {error}")
        return 2
    verdicts = [check(where, m, role=role, org=org) for where, m in messages(text)]
    for verdict in verdicts:
        if not verdict.problems:
            print(f"{verdict.where} ({verdict.kind}): ok")
        for problem in verdict.problems:
            print(f"{verdict.where} ({verdict.kind}): {problem}")
    failing = sum(1 for v in verdicts if v.problems)
    print(json.dumps({"messages": len(verdicts), "with_problems": failing}))
    return 1 if failing else 0
