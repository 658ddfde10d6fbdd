"""Helpers for tests that run services against the real broker and databases.

Each test gets its own topic namespace (``t1a2b3c.carers.inbound.v1`` ...) and consumer
groups, so tests share one broker without seeing each other's events.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.events import CloudEvent
from shared.kafka.admin import ensure_topics
from shared.topics import namespaced

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "examples" / "cloudevent-carer-identified.json"
T = TypeVar("T")


def new_namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


def create_topics(bootstrap: str, namespace: str) -> None:
    ensure_topics(bootstrap, namespaced(namespace))


def identification(**changes: Any) -> CloudEvent:
    """The contract's example identification as a fresh event; ``changes`` patch ``data``."""
    raw = json.loads(EXAMPLE.read_text())
    data = raw["data"]
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[part]
        target[leaf] = value
    source = raw["source"]
    return CloudEvent.new("carer.identified", source, data["person"].get("nhs_number"), data)


async def produce(
    bootstrap: str, topic: str, values: list[bytes], key: bytes | None = None
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str, *, idle_seconds: float = 0.5) -> list[Any]:
    """Every record now on ``topic``, from the beginning (no consumer group, nothing committed)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        partitions = list(consumer.assignment())
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= end[tp] for pos, tp in zip(positions, partitions, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=int(idle_seconds * 1000))
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()


async def events_on(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [_flat(json.loads(r.value)) for r in await read_topic(bootstrap, topic) if r.value]


def _flat(event: dict[str, Any]) -> dict[str, Any]:
    """A dead letter (a ``deadletter.recorded`` CloudEvent) with its data's fields ("reason",
    "topic", "offset" ...) beside the envelope's, as tests read them; other events as they are."""
    if event.get("type") == "deadletter.recorded" and isinstance(event.get("data"), dict):
        return {**event, **event["data"]}
    return event


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, timeout: float = 30, interval: float = 0.1
) -> T:
    """Poll ``check`` until it returns something truthy (and return it), or fail."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


class ServiceProcess:
    """A service run as its own OS process (``python -m services.<name>``), for kill tests."""

    def __init__(self, name: str, env: dict[str, str], port: int, log: Path) -> None:
        self.name, self.env, self.port, self.log_path = name, env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, extra_env: dict[str, str] | None = None) -> None:
        env = {**os.environ, **self.env, **(extra_env or {})}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    async def wait_healthy(self, timeout: float = 60) -> None:
        async def healthy() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.log_path.read_text()[-3000:]}")
            try:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"http://127.0.0.1:{self.port}/health")
                return response.status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(healthy, timeout=timeout, interval=0.2)

    async def wait_exit(self, timeout: float = 60) -> int:
        assert self.process is not None

        async def exited() -> bool:
            return self.process is not None and self.process.poll() is not None

        await eventually(exited, timeout=timeout)
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
