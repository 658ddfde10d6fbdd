"""One fault scenario, start to finish: stack up, traffic and a fault together, settle, count.

A scenario is a coroutine ``fault(run)`` that does something nasty while :meth:`Run.load`
sends the traffic: it waits for a point in the stream (``await run.sent_fraction(0.4)``),
kills or pauses something, and puts it back. Everything is bounded: the load ends when every
event is acknowledged, the chain gets ``FAULT_SETTLE_SECONDS`` to settle, and the verdict
is printed and asserted whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import topics
from tests.faults.checks import Verdict, settle, verify
from tests.faults.cluster import Infra, Stack
from tests.faults.workload import Carer, Outgoing, ResilientProducer, make_carers, phases

log = logging.getLogger(__name__)


def rate() -> float:
    return float(os.environ.get("FAULT_RATE", "500"))


def settle_seconds() -> float:
    return float(os.environ.get("FAULT_SETTLE_SECONDS", "600"))


@dataclass
class Run:
    """The scenario in progress: its stack, its carers, and how far the traffic has got."""

    stack: Stack
    carers: list[Carer]
    phases: list[list[Outgoing]]
    producer: ResilientProducer
    poison: list[bytes] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def total(self) -> int:
        return sum(len(p) for p in self.phases)

    @property
    def sent(self) -> list[Outgoing]:
        return [m for p in self.phases for m in p]

    async def load(self) -> None:
        topic = self.stack.topic(topics.INBOUND)
        for phase in self.phases:
            await self.producer.send_all(topic, phase, rate())
        self.loaded.set()

    async def sent_fraction(self, fraction: float) -> None:
        """Return once this share of the traffic has been acknowledged by the broker."""
        while self.producer.stats.acknowledged < fraction * self.total:
            await asyncio.sleep(0.05)

    async def recorded(self, service: str, sql: str, at_least: int, timeout: float = 600) -> None:
        """Return once ``sql`` (a count on the service's database) reaches ``at_least``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if (await self.stack.scalar(service, sql) or 0) >= at_least:
                    return
            await asyncio.sleep(0.5)
        raise AssertionError(f"{service}: {sql} did not reach {at_least} in {timeout:.0f} s")

    def note(self, text: str) -> None:
        log.warning("%s: %s", self.stack.name, text)
        self.notes.append(text)


Fault = Callable[[Run], Coroutine[Any, Any, None]]
# aiokafka's group coordinator logs each offset commit the broker refused because the group
# has moved to a new generation without this member: the zombie's late commit, fenced.
FENCED = re.compile(
    r"OffsetCommit failed .*(IllegalGeneration|UnknownMemberId|RebalanceInProgress)"
)


EXPELLED = re.compile(r"member_id was not recognized")


def _log_lines(stack: Stack, service: str, pattern: re.Pattern[str]) -> int:
    count = 0
    for instance in stack.instances[service]:
        with contextlib.suppress(OSError), instance.process.log_path.open(errors="replace") as log:
            count += sum(1 for line in log if pattern.search(line))
    return count


def fenced_commits(stack: Stack, service: str) -> int:
    """How many of ``service``'s offset commits the broker refused as coming too late."""
    return _log_lines(stack, service, FENCED)


def expelled_members(stack: Stack, service: str) -> int:
    """How often a member of ``service`` woke to hear the group had dropped it."""
    return _log_lines(stack, service, EXPELLED)


async def run_scenario(
    infra: Infra,
    workdir: Path,
    name: str,
    events: int,
    fault: Fault | None = None,
    *,
    instances: dict[str, int] | None = None,
    arm: dict[str, tuple[str, int]] | None = None,
    before_settle: Fault | None = None,
    after_verdict: Callable[[Run, Verdict], Awaitable[None]] | None = None,
    **stack_options: object,
) -> tuple[Verdict, Run]:
    """Run one scenario; its verdict (the caller asserts) and the run (what happened)."""
    began = time.monotonic()
    infra.heal()
    carers = make_carers(max(events // 3, 1))
    stack = Stack(infra, name, workdir, **stack_options)  # type: ignore[arg-type]
    for service, (failpoint, times) in (arm or {}).items():
        stack.arm(service, failpoint, times)
    run = Run(
        stack,
        carers,
        phases(carers),
        ResilientProducer(infra.bootstrap, max_request_size=12 * 2**20),
    )
    try:
        await stack.start(instances)
        tasks = [asyncio.create_task(run.load(), name="load")]
        if fault is not None:
            tasks.append(asyncio.create_task(fault(run), name="fault"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await run.producer.close()
        if before_settle is not None:
            await before_settle(run)
        counts = await settle(stack, len(carers), run.total, timeout=settle_seconds())
        log.info("%s settled: %s", name, counts)
        verdict = await verify(stack, name, carers, run.sent, poison=len(run.poison))
        verdict.notes.extend(run.notes)
        if stack.deaths.count():
            verdict.notes.append(f"restarted after dying: {stack.deaths.summary()}")
        if run.producer.stats.resent:
            verdict.notes.append(
                f"partners re-sent {run.producer.stats.resent} unacknowledged messages"
            )
        usage = stack.usage()
        verdict.notes.append(
            "CPU seconds / peak resident MB: "
            + ", ".join(f"{s} {cpu:.0f} s / {rss:.0f} MB" for s, (cpu, rss) in usage.items())
        )
        if after_verdict is not None:
            await after_verdict(run, verdict)
        verdict.seconds = time.monotonic() - began
        print(verdict.details(), flush=True)
        return verdict, run
    finally:
        await stack.close()
        infra.heal()
