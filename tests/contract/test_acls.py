"""One table of Kafka principals (shared/kafka/principals.py) for the local cluster and Strimzi.

The local secured cluster applies ``principals.acl_table()``; production applies
``deploy/k8s/strimzi/users.yaml``. These tests keep the two the same, and pin the source
binding rule the registry applies to partners' inbound topics.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shared import topics
from shared.events import CloudEvent, InvalidEvent, parse_inbound
from shared.kafka import principals

REPO = Path(__file__).resolve().parents[2]
USERS = REPO / "deploy" / "k8s" / "strimzi" / "users.yaml"
EXAMPLE = REPO / "docs" / "examples" / "cloudevent-carer-identified.json"
GP_TOPIC = topics.partner_inbound("gp", "C82001")
HOSPITAL_TOPIC = topics.partner_inbound("hospital", "RWE")


def _declared() -> dict[str, set[principals.Grant]]:
    users = [d for d in yaml.safe_load_all(USERS.read_text()) if d]
    return principals.manifest_grants(users)


def test_the_strimzi_users_are_generated_from_the_table() -> None:
    assert USERS.read_text() == principals.users_manifest(), (
        "regenerate: .venv/bin/python -m shared.kafka.principals > deploy/k8s/strimzi/users.yaml"
    )


def test_the_strimzi_users_grant_what_the_local_cluster_grants() -> None:
    assert _declared() == principals.acl_table()


def test_a_hand_edit_of_the_manifest_is_caught() -> None:
    declared = _declared()
    declared["carers-partner-gp-c82001"].add(
        principals.Grant("topic", HOSPITAL_TOPIC, "literal", "Write")
    )
    assert declared != principals.acl_table()


def test_every_partner_writes_only_its_own_inbound_topic() -> None:
    table = principals.acl_table()
    for kind, org in topics.KAFKA_PARTNERS:
        grants = table[principals.partner_principal(kind, org)]
        writes = {g.name for g in grants if g.operation == "Write"}
        assert writes == {topics.partner_inbound(kind, org)}


def test_a_gp_practice_reads_only_its_own_outbound_topic() -> None:
    """Coding suggestions name a practice's patients (issue 17): each practice reads its own
    outbound topic and no other topic; the registry alone writes it."""
    table = principals.acl_table()
    for kind, org in topics.KAFKA_PARTNERS:
        grants = table[principals.partner_principal(kind, org)]
        reads = {g.name for g in grants if g.operation == "Read" and g.resource == "topic"}
        assert reads == ({topics.GP_OUTBOUND[org]} if kind == "gp" else set())
    for topic in topics.PARTNER_OUTBOUND:
        readers = {
            p
            for p, gs in table.items()
            if principals.Grant("topic", topic, "literal", "Read") in gs
        }
        writers = {
            p
            for p, gs in table.items()
            if principals.Grant("topic", topic, "literal", "Write") in gs
        }
        assert len(readers) == 1 and readers <= set(principals.PARTNER_ROWS)
        assert writers == {"carers-registry"}


def test_only_the_registry_and_the_operator_write_the_shared_inbound_topic() -> None:
    writers = {
        p
        for p, grants in principals.acl_table().items()
        if principals.Grant("topic", topics.INBOUND, "literal", "Write") in grants
    }
    assert writers == {"carers-registry", principals.OPERATOR}


def test_no_principal_may_create_topics_or_alter_the_cluster() -> None:
    for grants in principals.acl_table().values():
        assert {g.resource for g in grants} <= {"topic", "group"}
        assert {g.operation for g in grants} <= {"Read", "Write", "Describe"}


def test_a_namespace_prefixes_every_topic_and_group() -> None:
    for grants in principals.acl_table("t-1.").values():
        assert all(g.name.startswith("t-1.") for g in grants)


# -- source binding -------------------------------------------------------------------------


def _event(source: str = "ods:C82001", kind: str = "gp", org: str = "C82001") -> bytes:
    event = json.loads(EXAMPLE.read_text())
    event["source"] = source
    event["data"]["identified_by"].update(kind=kind, org_code=org)
    return json.dumps(event).encode()


def test_the_partners_own_events_pass_on_its_topic() -> None:
    parse = principals.source_bound_parser(GP_TOPIC, parse_inbound)
    envelope, _body = parse(_event())
    assert isinstance(envelope, CloudEvent)
    assert envelope.source == "ods:C82001"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (_event(source="ods:RWE"), "source"),
        (_event(kind="hospital"), "data.identified_by.kind"),
        (_event(org="C84001"), "data.identified_by.org_code"),
        (_event(source="urn:carers:selfservice", kind="self", org=""), "source"),
    ],
)
def test_another_organisations_claim_on_a_partner_topic_is_refused(raw: bytes, field: str) -> None:
    parse = principals.source_bound_parser(GP_TOPIC, parse_inbound)
    with pytest.raises(InvalidEvent) as refused:
        parse(raw)
    assert refused.value.reason.startswith(f"{field}: ")
    assert "RWE" not in refused.value.reason and "C84001" not in refused.value.reason
    assert refused.value.event is not None  # dead letter keeps the type and id


def test_the_rule_follows_the_namespace_and_leaves_other_topics_alone() -> None:
    assert principals.source_refusal("ns." + GP_TOPIC, "ods:RWE", "x", {}, "ns.") is not None
    assert principals.source_refusal(topics.INBOUND, "ods:RWE", "carer.identified", {}) is None
    assert principals.topic_partner(HOSPITAL_TOPIC) == ("hospital", "RWE")
