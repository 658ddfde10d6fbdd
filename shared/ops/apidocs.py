"""Generated API documents: AsyncAPI from each service's FastStream broker, OpenAPI from its
FastAPI app, kept in ``docs/asyncapi/<service>.yaml`` and ``docs/openapi/<service>.json``.

``python -m shared.ops.apidocs generate`` rewrites them; ``python -m shared.ops.apidocs check``
exits 1 naming each document that no longer matches the code (CI runs the same comparison in
``tests/contract/test_api_docs.py``).

Why generated, and from what:

- Every service is built through its own ``bootstrap()`` (the composition root), so the
  documents describe what really runs: the subscribers ``bootstrap()`` registers and the
  routes it mounts. Nothing connects while a service is built; :func:`build` proves it by
  refusing every network connection while ``bootstrap()`` runs.
- The receiving side comes from FastStream itself (``faststream.specification.AsyncAPI``,
  what ``faststream docs gen`` calls). Our subscribers take raw batches (the processor parses
  and dead-letters), so FastStream sees no payload type; the payload of each received channel
  is filled in with the CloudEvent schema of the topic's event types (``shared.events``).
- Services publish through their outbox, not through FastStream publishers, so the sending
  side is found in the code (:func:`produced_topics`: calls that publish a ``topics.X``) and
  declared on the broker as documentation-only FastStream publishers with the same schemas.
- Each receive operation carries its Kafka consumer group (AsyncAPI Kafka operation binding
  ``groupId``), which the Kafka ACLs in ``deploy/k8s/strimzi`` are checked against.

Output is deterministic: settings are built from fixed values with every environment
variable the settings read hidden, and documents are written with stable key order, so a
difference always means the code changed.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared import topics
from shared.ops.apidocs_build import build
from shared.ops.apidocs_schemas import (
    RECEIVED_HEADERS_SCHEMA,
    STRUCTURED_HEADERS_SCHEMA,
    topic_schema,
)
from shared.ops.apidocs_sources import produced_topics

REPO = Path(__file__).resolve().parents[2]
SERVICES: tuple[str, ...] = (
    "registry",
    "referrals",
    "notifications",
    "consultation",
    "monitoring",
)
ASYNCAPI_DIR = REPO / "docs" / "asyncapi"
OPENAPI_DIR = REPO / "docs" / "openapi"

DOC_SERVER = "production"


# The offline build (apidocs_build), the message schemas (apidocs_schemas) and the scan of
# the code for published topics (apidocs_sources) are modules of their own.


# -- AsyncAPI -------------------------------------------------------------------------------


def _describe_publisher(service: str, topic: str) -> str:
    """What a documentation publisher says: the topic's event types and how they are sent."""
    if topic == topics.DEADLETTER:
        return (
            "Messages this service could not process (through its outbox, exactly once): "
            "deadletter.recorded CloudEvents keeping the original bytes and headers."
        )
    if topic == topics.INBOUND:
        return "Identifications accepted over HTTP (JSON and FHIR), sent before answering 202."
    spec = next(s for s in topics.TOPICS if s.name == topic)
    text = f"{', '.join(spec.event_types)}: through {service}'s transactional outbox."
    if spec.config.get("cleanup.policy") == "compact":
        text += " Compacted: the latest per key; a tombstone (null value) after erasure."
    return text


def asyncapi_document(service: str, built: Any) -> dict[str, Any]:
    """The service's AsyncAPI 3.0 document, as FastStream generates it, completed as the
    module docstring says (payloads, publishers found in code, consumer groups)."""
    broker: KafkaBroker = built.runtime.broker
    subscribers: list[Any] = list(broker.subscribers)  # Kafka subscribers: topics, group_id
    receivers = [
        Receiver(
            # FastStream names a many-topic subscriber "<title>:<first topic>"
            subscriber.specification.name.split(":", 1)[0].replace("/", "."),
            tuple(subscriber.topic_names),
            subscriber.group_id,
        )
        for subscriber in subscribers
    ]
    for topic in produced_topics(service):
        broker.publisher(
            topic,
            title=f"{service}/publish/{topic}",
            description=_describe_publisher(service, topic),
            schema=topic_schema(topic),
        )
    spec = AsyncAPI(
        broker,
        title=f"Carers Connect {service}",
        version="1.0.0",
        description=built.app.description,
        schema_version="3.0.0",
    ).to_specification()
    document: dict[str, Any] = json.loads(json.dumps(spec.to_jsonable()))
    _complete_receivers(document, receivers)
    _document_content_modes(document)
    return _stable_order(_rename_server(document))


@dataclass(frozen=True)
class Receiver:
    """One FastStream subscriber: its channel name prefix, topics and consumer group."""

    name: str
    topics: tuple[str, ...]
    group_id: str | None

    def receives(self, channel: str, topic: str) -> bool:
        return topic in self.topics and channel.startswith(self.name)


def _document_content_modes(document: dict[str, Any]) -> None:
    """Give each message its Kafka headers: what publishers send, what receivers read."""
    messages = document.get("components", {}).get("messages", {})
    for operation in document.get("operations", {}).values():
        channel = document["channels"][_ref_name(operation["channel"])]
        received = operation.get("action") == "receive"
        for message_ref in channel["messages"].values():
            message = messages[_ref_name(message_ref)]
            message["contentType"] = "application/cloudevents+json"
            message["headers"] = copy.deepcopy(
                RECEIVED_HEADERS_SCHEMA if received else STRUCTURED_HEADERS_SCHEMA
            )


def _ref_name(ref: Mapping[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def _complete_receivers(document: dict[str, Any], receivers: list[Receiver]) -> None:
    """Give each receive operation its topic's payload schema and its consumer group."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    messages = components.get("messages", {})
    for name, operation in document.get("operations", {}).items():
        if operation.get("action") != "receive":
            continue
        channel_name = _ref_name(operation["channel"])
        channel = document["channels"][channel_name]
        topic = channel["address"]
        owners = [r for r in receivers if r.receives(channel_name, topic)]
        if len(owners) != 1:
            raise LookupError(f"operation {name}: no single subscriber receives {topic}")
        model = topic_schema(topic)
        definitions = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for key, value in definitions.pop("$defs", {}).items():
            schemas.setdefault(key, value)
        schemas.setdefault(model.__name__, definitions)
        for message_ref in channel["messages"].values():
            messages[_ref_name(message_ref)]["payload"] = {
                "$ref": f"#/components/schemas/{model.__name__}"
            }
        if owners[0].group_id:
            operation["bindings"] = {
                "kafka": {
                    "groupId": {"type": "string", "enum": [owners[0].group_id]},
                    "bindingVersion": "0.4.0",
                }
            }
    if '"#/components/schemas/EmptyPayload"' not in json.dumps(document):
        schemas.pop("EmptyPayload", None)
    components["schemas"] = dict(sorted(schemas.items()))


def _stable_order(document: dict[str, Any]) -> dict[str, Any]:
    """Sort channels, operations and components by name: FastStream keeps publishers in a
    hash-ordered collection, so their order changes from one process to the next."""
    for key in ("servers", "channels", "operations"):
        if key in document:
            document[key] = dict(sorted(document[key].items()))
    components = document.get("components", {})
    for key in list(components):
        components[key] = dict(sorted(components[key].items()))
    return document


def _rename_server(document: dict[str, Any]) -> dict[str, Any]:
    """FastStream names a broker's only server "development"; ours is the production one."""
    text = json.dumps(document)
    text = text.replace('"#/servers/development"', f'"#/servers/{DOC_SERVER}"')
    renamed: dict[str, Any] = json.loads(text)
    servers = renamed.get("servers", {})
    if "development" in servers:
        servers[DOC_SERVER] = servers.pop("development")
    return renamed


# -- OpenAPI --------------------------------------------------------------------------------


def openapi_document(built: Any) -> dict[str, Any]:
    """The FastAPI app's own OpenAPI document."""
    return json.loads(json.dumps(built.app.openapi()))  # type: ignore[no-any-return]


# -- files ----------------------------------------------------------------------------------


def render_yaml(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def asyncapi_path(service: str) -> Path:
    return ASYNCAPI_DIR / f"{service}.yaml"


def openapi_path(service: str) -> Path:
    return OPENAPI_DIR / f"{service}.json"


def service_documents(service: str) -> dict[str, str]:
    """This service's documents as text, keyed ``asyncapi`` and ``openapi``."""
    built = build(service)
    return {
        "asyncapi": render_yaml(asyncapi_document(service, built)),
        "openapi": render_json(openapi_document(built)),
    }


def expected_documents(services: tuple[str, ...] = SERVICES) -> dict[Path, str]:
    """Every generated document's path and the text the code gives it now.

    Each service is built in a process of its own, as it runs (and in parallel): services
    share table metadata and library registries at import time, so one process per service
    keeps one service's imports out of another's documents.
    """
    children = {
        service: subprocess.Popen(
            [sys.executable, "-m", "shared.ops.apidocs", "dump", service],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for service in services
    }
    out: dict[Path, str] = {}
    for service, child in children.items():
        stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"building {service} failed:\n{stderr}")
        documents = json.loads(stdout)
        out[asyncapi_path(service)] = documents["asyncapi"]
        out[openapi_path(service)] = documents["openapi"]
    return out


def drifted(expected: Mapping[Path, str]) -> list[Path]:
    """Documents missing or different from what the code gives."""
    return [
        path
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def load_asyncapi(service: str) -> dict[str, Any]:
    """A committed AsyncAPI document, parsed (a fresh copy each call: callers may change it)."""
    path = asyncapi_path(service)
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


@cache
def _parsed(path: Path, _mtime_ns: int) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.ops.apidocs",
        description="Generate (or check) docs/asyncapi/*.yaml and docs/openapi/*.json.",
    )
    parser.add_argument("command", choices=["generate", "check", "dump"])
    parser.add_argument("service", nargs="?", choices=SERVICES, help="dump: one service")
    args = parser.parse_args(argv)
    if args.command == "dump":  # used by expected_documents: one service, as JSON
        if not args.service:
            parser.error("dump needs a service")
        print(json.dumps(service_documents(args.service)))
        return 0
    expected = expected_documents()
    if args.command == "generate":
        for path, text in expected.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(REPO)}")
        return 0
    stale = drifted(expected)
    for path in stale:
        print(f"drifted: {path.relative_to(REPO)}", file=sys.stderr)
    if stale:
        print("run: .venv/bin/python -m shared.ops.apidocs generate", file=sys.stderr)
        return 1
    print(f"{len(expected)} API documents match the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
