"""``GET /fhir/metadata``: what the registry's FHIR endpoint accepts, as FHIR says it.

BaRS receivers publish a CapabilityStatement and partners' systems read it before sending:
the messaging endpoint, the MessageDefinition of each message accepted (here one,
``carer.identified``), the event code it carries and the profiles of the resources in it.
Public, like every FHIR server's ``metadata``: it holds nothing about anyone. Both resources
are built and checked by fhir.resources (R4B models, unchanged from R4 for these resources),
and they are made from the adapter's own constants so they cannot drift from what it reads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.messagedefinition import MessageDefinition

from services.registry.adapters.fhir import EVENT_CODES, ODS_CODE, PARTNER
from services.registry.entrypoints.fhir import FhirResponse

MESSAGE_DEFINITION = "https://carers-connect.example/MessageDefinition/carer-identified"
RELEASED = "2026-12-05"
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"
PROFILES = {
    "MessageHeader": ("1..1", "first entry; eventCoding and sender (ODS code)"),
    "Patient": ("1..1", "the carer, with an NHS number"),
    "Observation": ("0..*", "coded SNOMED CT 224484003 (or another carer code); or a Flag"),
    "Flag": ("0..*", "coded SNOMED CT 224484003, status active"),
    "RelatedPerson": ("0..*", "the person cared for"),
    "Consent": ("0..1", f"permit/deny provisions naming partners by {PARTNER}"),
    "Organization": ("0..*", f"the sender, by identifier {ODS_CODE}"),
}

router = APIRouter(tags=["fhir"])


def capability_statement(base: str) -> dict[str, Any]:
    """The CapabilityStatement for a registry reachable at ``base`` (no trailing slash)."""
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Carers Connect",
        "kind": "instance",
        "software": {"name": "Carers Connect registry"},
        "implementation": {"description": "Carers Connect carers' registry", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "A bearer token for role gp or hospital: docs/partners.md.",
                "resource": [
                    {
                        "type": kind,
                        "supportedProfile": [f"{UK_CORE}{kind}"],
                        "documentation": f"{cardinality} in a carer.identified message: {note}",
                    }
                    for kind, (cardinality, note) in PROFILES.items()
                ],
                "operation": [
                    {
                        "name": "process-message",
                        "definition": (
                            "http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message"
                        ),
                    }
                ],
            }
        ],
        "messaging": [
            {
                "endpoint": [
                    {
                        "protocol": {
                            "system": "http://terminology.hl7.org/CodeSystem/message-transport",
                            "code": "http",
                        },
                        "address": f"{base}/fhir/$process-message",
                    }
                ],
                "documentation": (
                    f"eventCoding system {EVENT_CODES} code carer.identified; the sender's ODS "
                    "code must be the organisation of the caller's token."
                ),
                "supportedMessage": [{"mode": "receiver", "definition": MESSAGE_DEFINITION}],
            }
        ],
    }
    return _checked(CapabilityStatement, statement)


def message_definition() -> dict[str, Any]:
    """The MessageDefinition of ``carer.identified``: its event code and focus resources."""
    definition = {
        "resourceType": "MessageDefinition",
        "url": MESSAGE_DEFINITION,
        "name": "CarerIdentified",
        "title": "A carer identified by a GP practice or hospital",
        "status": "active",
        "date": RELEASED,
        "publisher": "Carers Connect",
        "eventCoding": {"system": EVENT_CODES, "code": "carer.identified"},
        "category": "notification",
        "focus": [
            {"code": kind, "profile": f"{UK_CORE}{kind}", "min": int(card[0]), "max": card[-1]}
            for kind, (card, _note) in PROFILES.items()
            if kind != "MessageHeader"
        ],
        "responseRequired": "on-error",
    }
    return _checked(MessageDefinition, definition)


def _checked(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
    built: dict[str, Any] = model.model_validate(resource).model_dump(
        mode="json", exclude_none=True
    )
    return built


@router.get(
    "/fhir/metadata",
    response_class=FhirResponse,
    summary="FHIR CapabilityStatement: the messaging endpoint, messages and profiles accepted",
)
async def metadata(request: Request) -> FhirResponse:
    base = str(request.base_url).rstrip("/")
    return FhirResponse(capability_statement(base))


@router.get(
    "/fhir/MessageDefinition/carer-identified",
    response_class=FhirResponse,
    summary="FHIR MessageDefinition of the carer.identified message",
)
async def carer_identified_definition() -> FhirResponse:
    return FhirResponse(message_definition())
