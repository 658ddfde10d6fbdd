"""``POST /fhir/$process-message``: GP and hospital systems identify a carer in FHIR.

Thin: ``adapters.fhir`` turns the Bundle into a ``carer.identified`` event, which is then
published exactly as ``POST /identifications`` publishes (acks=all, answer only once the
broker has it), so both routes lead to the same registry behaviour. Every answer, errors
included, is an OperationOutcome (``application/fhir+json``), because FHIR clients read
outcomes, not FastAPI's ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from services.registry.adapters.fhir import (
    FhirRejected,
    Issue,
    operation_outcome,
    translate,
)
from services.registry.domain.provenance import provenance_refusal
from services.registry.entrypoints.deps import Clock, Sender
from services.registry.service_layer.trust import attest, future_consent_reason
from shared import topics
from shared.events import CarerIdentified, CloudEvent, InvalidEvent, parse_event
from shared.ingest import publish_inbound
from shared.telemetry import current_traceparent

FHIR_JSON = "application/fhir+json"
EVENT_ID = "https://carers-connect.example/Id/event"
_AUTH_ISSUES = {401: "login", 403: "forbidden"}


class FhirResponse(JSONResponse):
    """JSON with FHIR's media type; non-ASCII kept as is (names such as "Siân")."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fhir_error(status_code: int, issues: list[Issue], **kwargs: Any) -> FhirResponse:
    return FhirResponse(operation_outcome(issues), status_code=status_code, **kwargs)


class FhirRoute(APIRoute):
    """Turns the HTTP errors raised before our code runs (401 and 403 from ``shared.auth``)
    into OperationOutcomes, keeping their status and ``WWW-Authenticate`` header."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def outcome_on_error(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as error:
                issue = Issue(_AUTH_ISSUES.get(error.status_code, "processing"), str(error.detail))
                return fhir_error(error.status_code, [issue], headers=error.headers)

        return outcome_on_error


router = APIRouter(route_class=FhirRoute, tags=["fhir"])
_EXAMPLE = "docs/examples/fhir-carer-identified.json"


@router.post(
    "/fhir/$process-message",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=FhirResponse,
    summary="Identify a carer with a FHIR R4 message Bundle",
    description=(
        "MessageHeader (sender: your ODS code), Patient with NHS number, Observation or Flag "
        "coded SNOMED CT 224484003, optional RelatedPerson and Consent. 202 with an "
        "informational OperationOutcome naming the event id; 400 when the body is not a valid "
        f"FHIR Bundle, 422 when it breaks our rules. Example: {_EXAMPLE}; docs/partners.md."
    ),
    responses={
        400: {"description": "not a FHIR Bundle (OperationOutcome)"},
        401: {"description": "missing or invalid token (OperationOutcome)"},
        403: {"description": "not a gp or hospital token, or not the sender's (OperationOutcome)"},
        422: {"description": "a valid Bundle that breaks our rules (OperationOutcome)"},
        503: {"description": "Kafka did not take the event; send again (OperationOutcome)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": {"type": "object"}}, "application/json": {}},
        }
    },
)
async def process_message(request: Request, principal: Sender, clock: Clock) -> Response:
    content_type = request.headers.get("content-type", FHIR_JSON).split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        text = f"send the Bundle as {FHIR_JSON} (or application/json), not {content_type}"
        return fhir_error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, [Issue("not-supported", text)])
    try:
        payload = json.loads(await request.body())
    except (ValueError, RecursionError) as error:  # bad JSON, bad UTF-8, hostile nesting
        issue = Issue("structure", f"the body is not JSON: {error}")
        return fhir_error(status.HTTP_400_BAD_REQUEST, [issue])
    try:
        translation = translate(payload, kind=principal.role, org=principal.org)
    except FhirRejected as rejected:
        return fhir_error(rejected.status, rejected.issues)

    # Through the same envelope parser as every consumer, so what we publish is what the
    # registry will accept.
    raw = translation.to_event(current_traceparent()).to_bytes()
    try:
        envelope, body = parse_event(raw, {"carer.identified": CarerIdentified})
    except InvalidEvent as invalid:
        issue = Issue("invalid", invalid.reason)
        return fhir_error(status.HTTP_422_UNPROCESSABLE_CONTENT, [issue])
    # Contract 6.1, the same rule as POST /identifications: the token is the source.
    by = body.identified_by  # type: ignore[attr-defined]
    refused = provenance_refusal(envelope.source, by, principal.role, principal.org, enveloped=True)
    if refused is not None:
        return fhir_error(status.HTTP_403_FORBIDDEN, [Issue("forbidden", str(refused))])
    future = future_consent_reason(envelope, body, clock.now())
    if future is not None:
        return fhir_error(status.HTTP_422_UNPROCESSABLE_CONTENT, [Issue("invalid", future)])
    envelope = attest(envelope, request.app.state.attestor)

    runtime = request.app.state.runtime
    if runtime.producer is None:
        return _unavailable("the registry is starting: send the message again shortly")
    try:
        topic = runtime.settings.topic(topics.INBOUND)
        await publish_inbound(runtime.producer, envelope, translation.nhs_number, topic)
    except KafkaError as error:
        return _unavailable(f"the event could not be stored ({type(error).__name__}); send again")
    return FhirResponse(accepted(envelope), status_code=status.HTTP_202_ACCEPTED)


def accepted(event: CloudEvent) -> dict[str, Any]:
    """Severity information, the event id in words and, machine-readable, in ``details``."""
    text = (
        f"Accepted as carer.identified event {event.id} from {event.source}. "
        "Sending the same message again has no further effect."
    )
    details = {"coding": [{"system": EVENT_ID, "code": event.id}], "text": event.id}
    return operation_outcome([Issue("informational", text, details=details)], "information")


def _unavailable(text: str) -> FhirResponse:
    return fhir_error(status.HTTP_503_SERVICE_UNAVAILABLE, [Issue("transient", text)])
