"""``GET /fhir/metadata``: a CapabilityStatement a partner's FHIR client can read, declaring
the messaging endpoint, the MessageDefinition and the profiles the registry accepts."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.messagedefinition import MessageDefinition

from services.registry.adapters.fhir import ACCEPTED_EVENTS
from services.registry.entrypoints import fhir_metadata


def client() -> TestClient:
    app = FastAPI()
    app.include_router(fhir_metadata.router)
    return TestClient(app, base_url="https://registry.example")


def test_metadata_is_a_fhir_capability_statement_declaring_the_messaging_endpoint() -> None:
    response = client().get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    [messaging] = statement.messaging or []
    endpoints = [e.address for e in messaging.endpoint or []]
    assert endpoints == ["https://registry.example/fhir/$process-message"]
    [supported] = messaging.supportedMessage or []
    assert supported.mode == "receiver"
    assert supported.definition == fhir_metadata.MESSAGE_DEFINITION
    [rest] = statement.rest or []
    profiled = {r.type: r.supportedProfile for r in rest.resource or []}
    assert profiled["Patient"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert {"MessageHeader", "Consent", "Observation", "Flag"} <= set(profiled)


def test_the_message_definition_carries_the_one_event_code_the_adapter_accepts() -> None:
    response = client().get("/fhir/MessageDefinition/carer-identified")
    definition = MessageDefinition.model_validate(response.json())
    assert definition.url == fhir_metadata.MESSAGE_DEFINITION
    coding = definition.eventCoding
    assert coding is not None
    assert {(coding.system, coding.code)} == ACCEPTED_EVENTS
