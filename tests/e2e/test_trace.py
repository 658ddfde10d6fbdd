"""One trace follows a GP's identification through registry, referrals and notifications.

The three services run as their own processes on the real broker, each exporting spans to a
JSON-lines file; the identification carries a W3C ``traceparent`` header, and every service's
spans for it must share that trace id, with no personal data in span attributes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.auth import mint_token
from shared.kafka.local_broker import free_ports
from shared.settings import DEV_TOKEN_SECRET
from tests.harness import EXAMPLE, ServiceProcess, create_topics, eventually, new_namespace

pytestmark = pytest.mark.kafka
SERVICES = ("registry", "referrals", "notifications")


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, ServiceProcess]]:
    namespace = new_namespace()
    create_topics(kafka_bootstrap, namespace)
    processes = {}
    for name, port in zip(SERVICES, free_ports(len(SERVICES)), strict=True):
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA_TOPIC_NAMESPACE": namespace,
            f"{name.upper()}_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{name}.db",
            f"{name.upper()}_HTTP_PORT": str(port),
            "OTEL_EXPORTER": "file",
            "OTEL_FILE": str(tmp_path / f"{name}.spans.jsonl"),
            "OUTBOX_POLL_SECONDS": "0.1",
        }
        processes[name] = ServiceProcess(name, env, port, tmp_path / f"{name}.log")
    for process in processes.values():
        process.start()
    yield processes
    for process in processes.values():
        process.stop()


def _spans(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_one_trace_holds_spans_from_every_service_for_an_identification(
    stack: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    for process in stack.values():
        await process.wait_healthy()
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    body = json.loads(EXAMPLE.read_text())["data"]
    token = mint_token(DEV_TOKEN_SECRET, "gp", "C82001")
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{stack['registry'].port}/identifications",
            json=body,
            headers={"Authorization": f"Bearer {token}", "traceparent": traceparent},
        )
    assert answer.status_code == 202

    async def traced() -> dict[str, list[dict]] | None:
        found = {
            name: [
                s
                for s in _spans(tmp_path / f"{name}.spans.jsonl")
                if s["context"]["trace_id"] == f"0x{trace_id}"
            ]
            for name in SERVICES
        }
        names = {name: {s["name"] for s in spans} for name, spans in found.items()}
        # Each service exports its spans in batches on its own schedule: the registry's HTTP
        # spans can reach the file before its consumer's span, so wait for the spans named.
        complete = all(expected[name] in names[name] for name in SERVICES)
        return found if complete else None

    expected = {
        "registry": "registry.identify_carer",
        "referrals": "referrals.carer.registered",
        "notifications": "notifications.referral.created",
    }
    found = await eventually(traced, timeout=60, interval=0.5)
    names = {name: {s["name"] for s in spans} for name, spans in found.items()}
    for name, span_name in expected.items():
        assert span_name in names[name]
    attributes = json.dumps([s.get("attributes") for spans in found.values() for s in spans])
    for personal in ("Siân", "O'Connor", "9434765919", "sian@example.org", "LE1 6ZG"):
        assert personal not in attributes
