"""The generated API documents (docs/asyncapi, docs/openapi) match the code, so CI fails when a
subscriber, publisher, route or event schema changes without the documents being regenerated
(``.venv/bin/python -m shared.ops.apidocs generate``)."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
import yaml

from shared import topics
from shared.messaging.deadletter import RawRecord, dead_letter_value
from shared.ops import apidocs, apidocs_build, apidocs_schemas, apidocs_sources

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "cloudevent-carer-identified.json"


@pytest.fixture(scope="module")
def expected() -> dict[Path, str]:
    """What the code gives each document now (each service built in its own process)."""
    return apidocs.expected_documents()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    """The node a local reference points to, following references to references."""
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return _resolve(document, node["$ref"])
    return node


def test_every_generated_document_matches_the_code(expected: dict[Path, str]) -> None:
    stale = apidocs.drifted(expected)
    assert not stale, (
        "API documents drifted from the code: "
        + ", ".join(str(p.relative_to(REPO)) for p in stale)
        + "; run .venv/bin/python -m shared.ops.apidocs generate"
    )


def test_there_is_an_asyncapi_and_an_openapi_document_for_each_service(
    expected: dict[Path, str],
) -> None:
    services = {p.name for p in (REPO / "services").iterdir() if (p / "bootstrap.py").exists()}
    assert set(apidocs.SERVICES) == services
    for service in services:
        assert apidocs.asyncapi_path(service) in expected
        assert apidocs.openapi_path(service) in expected


def test_check_fails_naming_the_drifted_file(
    expected: dict[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(apidocs, "REPO", tmp_path)
    relocated = {tmp_path / path.relative_to(REPO): text for path, text in expected.items()}
    for path, text in relocated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(apidocs, "expected_documents", lambda: relocated)
    assert apidocs.main(["check"]) == 0

    changed = tmp_path / "docs" / "openapi" / "referrals.json"
    changed.write_text(changed.read_text().replace('"/health"', '"/healthz"'))
    assert apidocs.main(["check"]) == 1
    assert "drifted: docs/openapi/referrals.json" in capsys.readouterr().err

    assert apidocs.main(["generate"]) == 0
    assert apidocs.main(["check"]) == 0


def test_every_reference_in_every_document_resolves(expected: dict[Path, str]) -> None:
    for path, text in expected.items():
        document = yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
        for ref in _refs(document):
            assert ref.startswith("#/"), f"{path.name}: external reference {ref}"
            try:
                _resolve(document, ref)
            except (KeyError, IndexError, TypeError):
                pytest.fail(f"{path.name}: {ref} does not resolve")


def test_asyncapi_documents_are_version_3_with_the_secure_production_server() -> None:
    for service in apidocs.SERVICES:
        document = apidocs.load_asyncapi(service)
        assert document["asyncapi"] == "3.0.0"
        server = document["servers"]["production"]
        assert server["host"] == apidocs_build.DOC_BOOTSTRAP
        assert server["protocol"] == "kafka-secure"
        assert document["operations"], f"{service}: no operations documented"


def test_the_contract_example_validates_against_the_documented_inbound_payload() -> None:
    document = apidocs.load_asyncapi("registry")
    receive = [
        op
        for op in document["operations"].values()
        if op["action"] == "receive"
        and _resolve(document, op["channel"]["$ref"])["address"] == topics.INBOUND
    ]
    assert len(receive) == 1
    message = _resolve(document, receive[0]["messages"][0]["$ref"])
    schema = {**_resolve(document, message["payload"]["$ref"]), **document}
    payload = json.loads(EXAMPLE.read_text())
    jsonschema.validate(payload, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**payload, "type": "referral.created"}, schema)


def test_the_documented_dead_letter_has_exactly_the_fields_services_write() -> None:
    record = RawRecord(topics.INBOUND, 0, 7, b"key", b"not json")
    written = json.loads(dead_letter_value(record, "registry", "not JSON"))
    assert set(written["data"]) == set(apidocs_schemas.DeadLetterData.model_fields)
    assert set(written) <= set(apidocs_schemas.DeadLetter.model_fields)
    apidocs_schemas.DeadLetter.model_validate(written)


def test_publishing_topics_are_found_in_the_code() -> None:
    assert apidocs_sources.produced_topics("registry") == tuple(
        sorted(
            {
                topics.INBOUND,
                topics.REGISTRY,
                topics.STATUS,
                topics.DEADLETTER,
                topics.SELFSERVICE,
                *topics.PARTNER_OUTBOUND,  # each GP practice's coding suggestions (issue 17)
            }
        )
    )
    assert topics.CONSULTATION in apidocs_sources.produced_topics("consultation")


def test_the_code_scan_sees_a_new_publishing_call(tmp_path: Path) -> None:
    source = (
        "from shared import topics\n"
        "def handler(uow):\n"
        "    uow.publish(topics.NOTIFICATIONS, 'k', None)\n"
        "def reader(broker):\n"
        "    broker.subscriber(topics.REGISTRY)\n"
    )
    import ast

    found = apidocs_sources._topics_published_in(
        ast.parse(source), apidocs_sources._topic_constants()
    )
    assert found == {topics.NOTIFICATIONS}


def test_the_network_guard_refuses_connections() -> None:
    with apidocs_build.no_network() as attempts, pytest.raises(apidocs_build.ConnectionAttempted):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert attempts


def test_a_bootstrap_that_connects_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def connecting_bootstrap(_settings: object) -> object:
        with socket.socket() as probe:
            probe.connect(("127.0.0.1", 9))
        return object()

    fake = SimpleNamespace(bootstrap=connecting_bootstrap)
    monkeypatch.setattr(apidocs_build.importlib, "import_module", lambda _name: fake)
    with pytest.raises(apidocs_build.ConnectionAttempted):
        apidocs_build.build("registry", settings=object())  # type: ignore[arg-type]


def test_documentation_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:1")
    monkeypatch.setenv("CARERS_ENV", "production")
    monkeypatch.setenv("KAFKA_TOPIC_NAMESPACE", "test-")
    settings = apidocs_build.documentation_settings("referrals")
    assert settings.kafka_bootstrap_servers == apidocs_build.DOC_BOOTSTRAP
    assert settings.environment == "development"
    assert settings.kafka_topic_namespace == ""


def test_generate_writes_into_an_empty_docs_folder(
    expected: dict[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apidocs, "REPO", tmp_path)
    relocated = {tmp_path / path.relative_to(REPO): text for path, text in expected.items()}
    monkeypatch.setattr(apidocs, "expected_documents", lambda: relocated)
    assert apidocs.main(["generate"]) == 0
    assert sorted(p.relative_to(tmp_path) for p in relocated) == sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()
    )
    shutil.rmtree(tmp_path / "docs")
