"""Who may do what on Kafka: the one table of principals and their ACLs (contract sections 1, 6).

Why one table: the local secured cluster (``shared/kafka/cluster.py``) applies these ACLs and
the Strimzi ``KafkaUser`` manifests (``deploy/k8s/strimzi/users.yaml``) are generated from them
(``python -m shared.kafka.principals``, checked by ``tests/contract/test_acls.py``), so the
brokers we test on and the brokers in production cannot drift apart.

Principals:

- one per service (``carers-<service>``): read what it subscribes to, write what it publishes
  (and dead letters), its own consumer groups by prefix;
- one per partner organisation that sends over Kafka (``carers-partner-<kind>-<ods>``): write
  its own inbound topic; a GP practice also reads its own outbound topic (coding
  suggestions, issue 17) with a consumer group of its own name; nothing else. Per
  organisation, not per kind, because the contract binds the *organisation* (``source``
  ``ods:<code>``): with one principal per kind, one GP practice could still speak for
  another, or read another's patients;
- ``carers-operator`` for operators' commands (dead letters: read them, replay the originals to
  the topics the services consume);
- ``admin``, the super user, only for set-up (topics, ACLs); no service runs with it.

Also here, pure: :func:`source_refusal`, the registry's rule that an event on a partner's
inbound topic speaks only for that partner.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared import topics
from shared.events import CloudEvent, InvalidEvent

Parser = Callable[[bytes | str], tuple[CloudEvent, BaseModel]]

ADMIN = "admin"
OPERATOR = "carers-operator"
SERVICES = ("registry", "referrals", "notifications", "consultation", "monitoring")


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW ACL: (resource type, name, pattern type, operation), as Strimzi spells them."""

    resource: str  # "topic" | "group"
    name: str
    pattern: str  # "literal" | "prefix"
    operation: str  # "Read" | "Write" | "Describe"


@dataclass(frozen=True)
class Row:
    """What one principal reads and writes (contract section 1, "written by" / "read by")."""

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    group: str | None = None  # consumer group prefix, when it reads


_CONSUMED_BY_REGISTRY = (topics.INBOUND, *topics.PARTNER_INBOUND, topics.REFERRALS)

SERVICE_ROWS: dict[str, Row] = {
    "carers-registry": Row(
        reads=_CONSUMED_BY_REGISTRY,
        writes=(
            topics.DEADLETTER,
            topics.INBOUND,
            topics.REGISTRY,
            topics.STATUS,
            topics.SELFSERVICE,
            *topics.PARTNER_OUTBOUND,
        ),
        group="carers-registry",
    ),
    "carers-referrals": Row(
        reads=(topics.REGISTRY,),
        writes=(topics.DEADLETTER, topics.REFERRALS),
        group="carers-referrals",
    ),
    "carers-notifications": Row(
        reads=(topics.REFERRALS, topics.REGISTRY, topics.SELFSERVICE),
        writes=(topics.DEADLETTER, topics.NOTIFICATIONS),
        group="carers-notifications",
    ),
    "carers-consultation": Row(writes=(topics.CONSULTATION,)),
    # The council's read model: reads the published topics, writes nothing but the dead
    # letters every consumer must be able to write (docs/monitoring.md).
    "carers-monitoring": Row(
        reads=(topics.REGISTRY, topics.STATUS, topics.REFERRALS, topics.NOTIFICATIONS),
        writes=(topics.DEADLETTER,),
        group="carers-monitoring",
    ),
}


def partner_principal(kind: str, org_code: str) -> str:
    """The Kafka user of one partner organisation, e.g. ``carers-partner-gp-c82001``."""
    return f"carers-partner-{kind}-{org_code.lower()}"


PARTNER_ROWS: dict[str, Row] = {
    partner_principal(kind, org): Row(
        # Its own outbound topic, if it has one (GP practices: coding suggestions), with a
        # consumer group of its own name; nobody else's.
        reads=(topics.GP_OUTBOUND[org],) if kind == "gp" and org in topics.GP_OUTBOUND else (),
        writes=(topics.partner_inbound(kind, org),),
        group=partner_principal(kind, org) if kind == "gp" else None,
    )
    for kind, org in topics.KAFKA_PARTNERS
}

# Replay puts a dead letter's original bytes back on the topic a service consumes; the
# registry checks a replayed partner event against its topic again, so replay cannot forge.
_REPLAYED = tuple(sorted({t for row in SERVICE_ROWS.values() for t in row.reads}))
OPERATOR_ROW = Row(reads=(topics.DEADLETTER,), writes=_REPLAYED)

ROWS: dict[str, Row] = {**SERVICE_ROWS, **PARTNER_ROWS, OPERATOR: OPERATOR_ROW}
"""Every principal but the set-up super user, with what it may do."""


def grants(row: Row, namespace: str = "") -> set[Grant]:
    """The ACLs of one row; ``namespace`` prefixes topic and group names (test runs)."""
    out = {
        Grant("topic", namespace + t, "literal", op)
        for t in row.reads
        for op in ("Read", "Describe")
    }
    out |= {
        Grant("topic", namespace + t, "literal", op)
        for t in row.writes
        for op in ("Write", "Describe")
    }
    if row.group:
        out.add(Grant("group", namespace + row.group, "prefix", "Read"))
    return out


def acl_table(namespace: str = "") -> dict[str, set[Grant]]:
    """Principal -> its ACLs, as the local cluster applies them."""
    return {principal: grants(row, namespace) for principal, row in ROWS.items()}


# -- Strimzi KafkaUser manifests, generated ------------------------------------------------


def kafka_user(principal: str, row: Row) -> dict[str, Any]:
    """A Strimzi ``KafkaUser`` (SCRAM-SHA-512, simple authorisation) for one row."""
    acls: list[dict[str, Any]] = []
    for topic in row.reads:
        acls.append(_acl("topic", topic, "literal", ["Read", "Describe"]))
    for topic in row.writes:
        acls.append(_acl("topic", topic, "literal", ["Write", "Describe"]))
    if row.group:
        acls.append(_acl("group", row.group, "prefix", ["Read"]))
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": principal, "labels": {"strimzi.io/cluster": "carers"}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def _acl(kind: str, name: str, pattern: str, operations: list[str]) -> dict[str, Any]:
    return {
        "resource": {"type": kind, "name": name, "patternType": pattern},
        "operations": operations,
        "host": "*",
    }


USERS_HEADER = """\
# GENERATED by `python -m shared.kafka.principals > deploy/k8s/strimzi/users.yaml` from the
# one table of principals in shared/kafka/principals.py (the local secured cluster applies the
# same ACLs; tests/contract/test_acls.py fails when the two differ). Do not edit by hand.
# One SCRAM-SHA-512 user per service (read what it subscribes to, write what it publishes, its
# own consumer groups "carers-<service>..." by prefix); one per partner organisation sending over
# Kafka (write its own inbound topic carers.inbound.partner.<kind>.<ods>.v1; a GP practice also
# reads its own carers.outbound.partner.gp.<ods>.v1); an operator
# user for `python -m shared.cli deadletters list|replay`. Strimzi keeps each password in the
# Secret named after the user.
"""


def users_manifest() -> str:
    """deploy/k8s/strimzi/users.yaml, as generated from :data:`ROWS`."""
    import yaml

    documents = [kafka_user(p, row) for p, row in ROWS.items()]
    body = yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)
    return USERS_HEADER + body


def manifest_grants(users: Iterable[Mapping[str, Any]]) -> dict[str, set[Grant]]:
    """Principal -> ACLs read back from KafkaUser manifests (for comparing with the table)."""
    out: dict[str, set[Grant]] = {}
    for user in users:
        found = out.setdefault(user["metadata"]["name"], set())
        for rule in user["spec"]["authorization"]["acls"]:
            resource = rule["resource"]
            for operation in rule["operations"]:
                found.add(
                    Grant(resource["type"], resource["name"], resource["patternType"], operation)
                )
    return out


# -- Source binding: who may speak on a partner's inbound topic ------------------------------


def topic_partner(topic: str, namespace: str = "") -> tuple[str, str] | None:
    """(kind, ODS code) whose inbound topic this is, or None for any other topic."""
    for kind, org in topics.KAFKA_PARTNERS:
        if topic == namespace + topics.partner_inbound(kind, org):
            return kind, org
    return None


def source_refusal(
    topic: str, source: str, event_type: str, data: Any, namespace: str = ""
) -> str | None:
    """Why an event on a partner's inbound topic is refused, or None when it may stand.

    Only that partner's principal can write the topic (its ACL), so the topic names the
    writer: the envelope's ``source`` must be ``ods:<its code>`` and a ``carer.identified``
    body's ``identified_by`` must be its kind and code. Reasons name the field and the rule,
    never the value. Events on other topics are not this rule's to judge (None).
    """
    owner = topic_partner(topic, namespace)
    if owner is None:
        return None
    kind, org = owner
    if source.strip().upper() != f"ODS:{org}":
        return "source: must be the ODS code of the partner whose inbound topic carried the event"
    if event_type == "carer.identified" and isinstance(data, Mapping):
        by = data.get("identified_by")
        by = by if isinstance(by, Mapping) else {}
        if str(by.get("kind") or "") != kind:
            return "data.identified_by.kind: must be the kind of the partner whose topic carried it"
        if str(by.get("org_code") or "").strip().upper() != org:
            return "data.identified_by.org_code: must be the organisation whose topic carried it"
    if event_type == "gp.carer_coded" and isinstance(data, Mapping):
        if kind != "gp":
            return "type: gp.carer_coded comes from a GP practice's topic only"
        if str(data.get("practice_ods_code") or "").strip().upper() != org:
            return "data.practice_ods_code: must be the practice whose topic carried it"
    return None


if __name__ == "__main__":  # python -m shared.kafka.principals > deploy/k8s/strimzi/users.yaml
    sys.stdout.write(users_manifest())


def source_bound_parser(topic: str, parse: Parser, namespace: str = "") -> Parser:
    """``parse`` for one partner's inbound topic: an event whose source is not that partner's
    is refused (``InvalidEvent``: the processor dead-letters it with the reason)."""

    def parse_bound(raw: bytes | str) -> tuple[CloudEvent, BaseModel]:
        envelope, body = parse(raw)
        reason = source_refusal(topic, envelope.source, envelope.type, envelope.data, namespace)
        if reason is not None:
            raise InvalidEvent(reason, envelope)
        return envelope, body

    return parse_bound
