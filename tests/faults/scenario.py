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

import pytest

from shared import topics
from tests.faults.checks import VERDICTS, Verdict, verify
from tests.faults.cluster import Infra, Stack
from tests.faults.readback import settle
from tests.faults.workload import Carer, Outgoing, ResilientProducer, make_carers, phases

log = logging.getLogger(__name__)


def rate() -> float:
    return float(os.environ.get("FAULT_RATE", "500"))


def settle_seconds() -> float:
    return float(os.environ.get("FAULT_SETTLE_SECONDS", "300"))


def scenario_seconds() -> float:
    """The hard limit on one scenario, start to verdict (pytest-timeout backs it up)."""
    return float(os.environ.get("FAULT_SCENARIO_SECONDS", "900"))


# pytest-timeout's limit per test: the scenario's own deadline, plus time to stop its processes
# and to start the session's broker and PostgreSQL (the first test pays for that). It only
# fires if the deadline failed to (a hang outside the event loop's reach).
HARD_TIMEOUT = pytest.mark.timeout(scenario_seconds() + 420)


def carers_for(events: int) -> int:
    """Carers for at least ``events`` inbound events (three per carer)."""
    return max(-(-events // 3), 1)


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
    """Run one scenario; its verdict (recorded for the summary; the caller asserts) and the
    run (what happened).

    The whole scenario runs under a deadline (``FAULT_SCENARIO_SECONDS``): a hang anywhere
    (a producer that never reconnects, a chain that never settles, a stuck fault) fails the
    scenario with what was counted so far, and its processes are stopped all the same.
    """
    began = time.monotonic()
    infra.heal()
    carers = make_carers(carers_for(events))
    stack = Stack(infra, name, workdir, **stack_options)  # type: ignore[arg-type]
    for service, (failpoint, times) in (arm or {}).items():
        stack.arm(service, failpoint, times)
    run = Run(
        stack,
        carers,
        phases(carers),
        ResilientProducer(infra.bootstrap, max_request_size=12 * 2**20),
    )
    stage = ["starting the stack"]
    verdict: Verdict | None = None
    limit = scenario_seconds()
    try:
        try:
            async with asyncio.timeout(limit):
                verdict = await _drive(run, name, fault, instances, before_settle, stage)
                if after_verdict is not None:
                    stage[0] = "checking again (after_verdict)"
                    await after_verdict(run, verdict)
        except TimeoutError:
            failure = f"not finished within FAULT_SCENARIO_SECONDS={limit:.0f} while {stage[0]}"
            log.error("%s: %s", name, failure)
            if verdict is None:
                verdict = await _count_anyway(run, name)
            verdict.failure = failure
        except BaseException as error:  # counted all the same: the summary shows every run
            if verdict is None:
                verdict = await _count_anyway(run, name)
            verdict.failure = verdict.failure or f"{type(error).__name__}: {error}"[:500]
            raise
        finally:
            if verdict is not None:
                verdict.seconds = time.monotonic() - began
                VERDICTS.append(verdict)
                print("\n" + verdict.details(), flush=True)
        return verdict, run
    finally:
        async with asyncio.timeout(120):
            await stack.close()
        infra.heal()  # on this thread: the broker it may start is tied to it (PDEATHSIG)


async def _drive(
    run: Run,
    name: str,
    fault: Fault | None,
    instances: dict[str, int] | None,
    before_settle: Fault | None,
    stage: list[str],
) -> Verdict:
    """Stack up, traffic and the fault together, settle, count."""
    stack = run.stack
    await stack.start(instances)
    stage[0] = "sending the traffic" + (" and injecting the fault" if fault else "")
    tasks = [asyncio.create_task(run.load(), name="load")]
    if fault is not None:
        tasks.append(asyncio.create_task(fault(run), name="fault"))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await run.producer.close()
    if before_settle is not None:
        stage[0] = "before settling"
        await before_settle(run)
    stage[0] = "waiting for the chain to settle"
    counts = await settle(stack, len(run.carers), run.total, timeout=settle_seconds())
    log.info("%s settled: %s", name, counts)
    stage[0] = "counting"
    verdict = await verify(stack, name, run.carers, run.sent, poison=len(run.poison))
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
    return verdict


async def _count_anyway(run: Run, name: str) -> Verdict:
    """The scenario failed before its count: count what is there (bounded), for the report."""
    try:
        async with asyncio.timeout(120):
            verdict = await verify(run.stack, name, run.carers, run.sent, poison=len(run.poison))
    except Exception as error:  # the broker or PostgreSQL may be the thing that is down
        verdict = Verdict(name, run.total + len(run.poison), 0, [], 0, [])
        verdict.notes.append(f"could not count: {type(error).__name__}: {error}"[:300])
    verdict.notes.extend(run.notes)
    verdict.notes.append(f"partners' messages acknowledged: {run.producer.stats.acknowledged}")
    return verdict
