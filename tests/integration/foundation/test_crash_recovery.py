"""A service killed (SIGKILL) between two steps loses nothing and duplicates nothing.

The registry runs as its own process; a failpoint makes it kill itself at the exact step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from services.registry.__main__ import MIGRATIONS
from services.registry.adapters.orm import CarerRow
from shared import topics
from shared.db import make_engine, make_session_factory
from shared.kafka.local_broker import free_ports
from shared.messaging.tables import InboxRecord, OutboxRecord
from shared.migrations import upgrade_async
from tests.harness import ServiceProcess, events_on, eventually, identification, produce

pytestmark = pytest.mark.kafka


@pytest.fixture
def registry_process(
    kafka_bootstrap: str, namespace: str, database_url: str, tmp_path: Path
) -> Iterator[ServiceProcess]:
    port = free_ports(1)[0]
    process = ServiceProcess(
        "registry",
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "KAFKA_TOPIC_NAMESPACE": namespace,
            "REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_HTTP_PORT": str(port),
            "OUTBOX_POLL_SECONDS": "0.1",
            # The killed member's partitions are reassigned once its session times out.
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
        },
        port,
        tmp_path / "registry.log",
    )
    yield process
    process.kill()


async def _counts(database_url: str) -> tuple[int, int, int]:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            return tuple(  # type: ignore[return-value]
                [
                    (await session.exec(select(func.count()).select_from(model))).one()
                    for model in (CarerRow, InboxRecord, OutboxRecord)
                ]
            )
    finally:
        await engine.dispose()


async def test_a_service_killed_after_its_commit_but_before_the_offset_commit_does_not_duplicate(
    registry_process: ServiceProcess, kafka_bootstrap: str, namespace: str, database_url: str
) -> None:
    await upgrade_async(MIGRATIONS, database_url)
    registry_process.start(extra_env={"CARERS_FAILPOINTS": "processor.after_commit"})
    await registry_process.wait_healthy()
    event = identification()
    await produce(kafka_bootstrap, namespace + topics.INBOUND, [event.to_bytes()], b"9434765919")

    assert await registry_process.wait_exit() == -9  # died by its own SIGKILL, after commit
    carers, inbox, _ = await _counts(database_url)
    assert (carers, inbox) == (1, 1)  # the work was committed; the offset was not

    registry_process.start()  # no failpoint: the batch is redelivered and must be a no-op
    await registry_process.wait_healthy()

    async def outbox_drained() -> bool:
        return (await _counts(database_url))[2] == 0

    await eventually(outbox_drained)
    assert (await _counts(database_url))[:2] == (1, 1)
    registered = [
        e
        for e in await events_on(kafka_bootstrap, namespace + topics.REGISTRY)
        if e["type"] == "carer.registered"
    ]
    # The outbox row written just before the crash was published after the restart, once.
    assert len(registered) == 1


async def test_the_outbox_republishes_after_a_crash_between_publishing_and_marking(
    registry_process: ServiceProcess, kafka_bootstrap: str, namespace: str, database_url: str
) -> None:
    await upgrade_async(MIGRATIONS, database_url)
    registry_process.start(extra_env={"CARERS_FAILPOINTS": "relay.after_publish"})
    await registry_process.wait_healthy()
    await produce(
        kafka_bootstrap, namespace + topics.INBOUND, [identification().to_bytes()], b"9434765919"
    )
    assert await registry_process.wait_exit() == -9
    assert (await _counts(database_url))[2] == 2  # published, but still in the outbox

    registry_process.start()
    await registry_process.wait_healthy()

    async def outbox_drained() -> bool:
        return (await _counts(database_url))[2] == 0

    await eventually(outbox_drained)
    registered = [
        e
        for e in await events_on(kafka_bootstrap, namespace + topics.REGISTRY)
        if e["type"] == "carer.registered"
    ]
    # At least once on the wire, the same event id both times: consumers' inboxes drop the
    # repeat, so the effect is once.
    assert len(registered) == 2
    assert registered[0]["id"] == registered[1]["id"]
