"""Every contract topic is written and read by someone, and exists wherever topics are set up.

Modelled on GOV.UK Notify's ``test_all_queues_used``: a topic added to ``shared/topics.py``
that no service writes or reads (or that the topic set-up, docker-compose or the Kubernetes
manifests forget) fails here, instead of being discovered as a silent gap in production.

Who writes and reads what comes from the generated AsyncAPI documents (their receive
operations are FastStream's subscribers; their send operations are the publishing calls
found in the code) - ``test_api_docs`` keeps those documents equal to the code.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared import topics
from shared.kafka import admin
from shared.ops import apidocs, apidocs_sources
from shared.topics import TOPIC_NAMES, TOPICS

REPO = Path(__file__).resolve().parents[2]

# Topics read outside our services, by whom (contract section 1, README).
# (The status and notifications topics are also read by partner systems, and since issue 17 by
# the monitoring read model too, so they are no longer exceptions.)
READ_OUTSIDE: Mapping[str, str] = {
    topics.CONSULTATION: "the council (consultation responses)",
    topics.DEADLETTER: "operators (python -m shared.cli deadletters list|replay)",
    **{name: "that GP practice only (coding suggestions)" for name in topics.PARTNER_OUTBOUND},
}
# Topics written outside our services, by whom.
WRITTEN_OUTSIDE: Mapping[str, str] = {
    topics.INBOUND: "partner systems, besides the registry's HTTP and FHIR ingest",
    **{
        name: "that partner organisation only (its own principal)"
        for name in topics.PARTNER_INBOUND
    },
}


def _operations(service: str, action: str) -> set[str]:
    document = apidocs.load_asyncapi(service)
    found = set()
    for operation in document["operations"].values():
        if operation["action"] == action:
            channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
            found.add(document["channels"][channel]["address"])
    return found


def writers() -> dict[str, set[str]]:
    """topic -> the services whose AsyncAPI document sends to it."""
    out: dict[str, set[str]] = {}
    for service in apidocs.SERVICES:
        for topic in _operations(service, "send"):
            out.setdefault(topic, set()).add(service)
    return out


def readers() -> dict[str, set[str]]:
    """topic -> the services whose AsyncAPI document receives from it."""
    out: dict[str, set[str]] = {}
    for service in apidocs.SERVICES:
        for topic in _operations(service, "receive"):
            out.setdefault(topic, set()).add(service)
    return out


def unused(
    names: Iterable[str], users: Mapping[str, set[str]], outside: Mapping[str, str]
) -> list[str]:
    """Topics nobody of ours uses and no documented outsider uses either."""
    return sorted(name for name in names if not users.get(name) and name not in outside)


def test_every_topic_has_a_producer() -> None:
    assert unused(TOPIC_NAMES, writers(), WRITTEN_OUTSIDE) == []


def test_every_topic_has_a_consumer() -> None:
    assert unused(TOPIC_NAMES, readers(), READ_OUTSIDE) == []


def test_a_new_topic_nobody_uses_is_reported() -> None:
    names = (*TOPIC_NAMES, "carers.forgotten.v1")
    assert unused(names, writers(), WRITTEN_OUTSIDE) == ["carers.forgotten.v1"]
    assert unused(names, readers(), READ_OUTSIDE) == ["carers.forgotten.v1"]


def test_the_documented_exceptions_name_real_topics() -> None:
    assert set(READ_OUTSIDE) <= set(TOPIC_NAMES)
    assert set(WRITTEN_OUTSIDE) <= set(TOPIC_NAMES)


def test_topics_read_outside_are_not_read_by_our_services() -> None:
    """An exception that became untrue (a service now reads it) should be looked at again."""
    ours = readers()
    assert {t: ours[t] for t in READ_OUTSIDE if t in ours} == {}


def test_services_use_only_contract_topics() -> None:
    used = set(writers()) | set(readers())
    assert used <= set(TOPIC_NAMES), used - set(TOPIC_NAMES)


def test_every_service_writes_dead_letters_when_it_consumes() -> None:
    for service in apidocs.SERVICES:
        if _operations(service, "receive"):
            assert topics.DEADLETTER in _operations(service, "send"), service


def test_the_documents_agree_with_the_code_scan() -> None:
    for service in apidocs.SERVICES:
        assert _operations(service, "send") == set(apidocs_sources.produced_topics(service)), (
            service
        )


def test_writers_match_contract_section_1() -> None:
    """Contract 1, "written by": the registry writes registry and status (and takes HTTP
    ingest onto inbound); each other service its own topic; any service dead letters."""
    expected = {
        topics.INBOUND: {"registry"},
        topics.REGISTRY: {"registry"},
        topics.STATUS: {"registry"},
        topics.REFERRALS: {"referrals"},
        topics.NOTIFICATIONS: {"notifications"},
        topics.CONSULTATION: {"consultation"},
    }
    found = writers()
    assert {t: found.get(t, set()) for t in expected} == expected
    assert found[topics.DEADLETTER] <= set(apidocs.SERVICES)


# -- the topic set-up, docker-compose and Kubernetes know every topic -----------------------


def test_ensure_topics_creates_every_contract_topic_by_default() -> None:
    default = inspect.signature(admin.ensure_topics).parameters["specs"].default
    assert default is TOPICS


def test_the_topics_command_sets_up_every_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[Any] = []
    monkeypatch.setenv("KAFKA_TOPIC_NAMESPACE", "")

    def fake_ensure(bootstrap: str, specs: Iterable[Any] = TOPICS, **_: Any) -> list[str]:
        created.extend(specs)
        return []

    monkeypatch.setattr(admin, "ensure_topics", fake_ensure)
    from shared import cli

    assert cli.main(["topics"]) == 0
    assert {(s.name, s.partitions) for s in created} == {(s.name, s.partitions) for s in TOPICS}
    wanted = {s.name: s.config for s in TOPICS}
    for spec in created:  # the contract's configs, plus the retention schedule
        assert wanted[spec.name].items() <= spec.config.items(), spec.name
        assert "retention.ms" in spec.config or spec.config.get("cleanup.policy") == "compact"


def test_docker_compose_runs_the_topic_set_up_before_the_services() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    setup = compose["services"]["kafka-setup"]
    assert setup["command"] == ["python", "-m", "shared.cli", "topics"]
    for service in apidocs.SERVICES:
        needs = compose["services"][service]["depends_on"]
        assert needs["kafka-setup"] == {"condition": "service_completed_successfully"}, service


def test_every_topic_has_a_strimzi_kafkatopic() -> None:
    declared = {}
    for path in sorted((REPO / "deploy" / "k8s" / "strimzi").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "KafkaTopic":
                spec = doc["spec"]
                declared[spec.get("topicName", doc["metadata"]["name"])] = spec["partitions"]
    assert declared == {spec.name: spec.partitions for spec in TOPICS}
