"""Bad input in the stream, and a provider that refuses, fails or answers too late."""

from __future__ import annotations

from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.events import CloudEvent
from tests.faults.checks import Verdict
from tests.faults.cluster import Infra
from tests.faults.scenario import HARD_TIMEOUT, Run, run_scenario

pytestmark = HARD_TIMEOUT
TEN_MB = 10 * 2**20


def poison_messages() -> list[bytes]:
    """A 10 MB event (valid JSON, a story far over the limit), and three that are not events."""
    huge = CloudEvent.new(
        "carer.identified",
        "ods:C82001",
        "poison",
        {"identified_by": {"kind": "gp"}, "story": "x" * TEN_MB},
    ).to_bytes()
    return [huge, b'{"specversion": "1.0", "id": ', b"\xff\xfe\x00binary", b'{"hello": "world"}']


async def test_a_ten_megabyte_poison_message_and_invalid_json_are_dead_lettered_once(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    # The broker's default limit is 1 MB; the inbound topic of this scenario allows 12 MiB
    # (a topic-level max.message.bytes), so the 10 MB message really is in the stream.
    async def inject(run: Run) -> None:
        await run.sent_fraction(0.3)
        run.poison = poison_messages()
        producer = AIOKafkaProducer(
            bootstrap_servers=infra.bootstrap,
            acks="all",
            enable_idempotence=True,
            max_request_size=12 * 2**20,
        )
        await producer.start()
        try:
            key = run.carers[0].nhs_number.encode()  # in the middle of a real carer's stream
            for value in run.poison:
                await producer.send_and_wait(run.stack.topic(topics.INBOUND), value, key=key)
        finally:
            await producer.stop()
        run.note(f"{len(run.poison)} poison messages injected at 30% sent (largest {TEN_MB} B)")

    verdict, run = await run_scenario(
        infra,
        tmp_path,
        "poison",
        events,
        inject,
        topic_configs={topics.INBOUND: {"max.message.bytes": str(12 * 2**20)}},
    )
    assert verdict.ok, verdict.details()
    assert len(run.poison) == 4


NOTIFY_FAULTS = [
    {"status": 429, "count": 40},
    {"status": 500, "count": 40},
    {"status": 503, "count": 20, "after_accept": True},
    {"delay": 3, "count": 10},  # the service gives up after 2 s; the stub still accepts
]
SMTP_FAULTS = [{"code": 451, "count": 40}, {"code": 421, "count": 10}, {"drop": True, "count": 20}]


async def test_the_provider_answering_429_5xx_and_too_late_sends_each_message_once(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    async def arm(run: Run) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(2):  # once at the start, again in the thick of it
                for spec in NOTIFY_FAULTS:
                    await client.post(f"{run.stack.notify_url}/_stub/faults", json=spec)
                for spec in SMTP_FAULTS:
                    await client.post(f"{run.stack.smtp_url}/faults", json=spec)
                await run.recorded(
                    "notifications",
                    "SELECT count(*) FROM notifications WHERE status = 'sent'",
                    len(run.carers),
                )
        armed = 2 * (sum(s["count"] for s in NOTIFY_FAULTS) + sum(s["count"] for s in SMTP_FAULTS))
        run.note(f"{armed} provider faults armed (429, 500, 503 after accepting, 3 s delays; "
                 "SMTP 451, 421, connection dropped after accepting)")  # fmt: skip

    async def evidence(run: Run, verdict: Verdict) -> None:
        retried = await run.stack.scalar(
            "notifications", "SELECT count(*) FROM notifications WHERE attempts > 1"
        )
        verdict.notes.append(f"messages that needed more than one attempt: {retried}")
        assert retried > 0, "no send was ever retried: the faults did not bite"

    verdict, _run = await run_scenario(
        infra, tmp_path, "provider-faults", events, arm, after_verdict=evidence
    )
    assert verdict.ok, verdict.details()
