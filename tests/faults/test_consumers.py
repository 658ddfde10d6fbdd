"""Consumer groups misbehaving: a frozen member (zombie), a replay from offset zero, and a
service scaled from one consumer to three and back, all under load."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from shared.kafka.admin import admin_client
from shared.topics import namespaced
from tests.faults.checks import Verdict, verify
from tests.faults.cluster import SERVICES, SESSION_TIMEOUT_MS, Infra, Stack
from tests.faults.processes import OwnedProcess
from tests.faults.readback import provider_messages, settle
from tests.faults.scenario import (
    HARD_TIMEOUT,
    Run,
    expelled_members,
    fenced_commits,
    run_scenario,
    settle_seconds,
)

pytestmark = HARD_TIMEOUT


async def test_a_consumer_frozen_past_its_session_is_fenced_when_it_wakes(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    # Two registry and two referrals consumers; one of each is SIGSTOPped well past the
    # session timeout, so the group gives its partitions to the other. When it wakes it
    # may finish the batch it held (its transaction commits, or waits on the row locks the
    # other took), but its offset commit is refused: the inbox makes the batch's second
    # handling a no-op, whichever comes second.
    frozen = 2.5 * SESSION_TIMEOUT_MS / 1000

    async def freeze_when_busy(process: OwnedProcess) -> str:
        """SIGSTOP ``process`` while it is on the CPU (most likely inside a batch), so that
        it wakes with work, and an offset commit, that the group has given to another."""
        began = time.monotonic()
        last = process.usage()[0]
        while time.monotonic() - began < 30:
            await asyncio.sleep(0.02)
            now = process.usage()[0]
            if now - last >= 0.012:  # busy for more than half of the last 20 ms
                break
            last = now
        process.pause()
        return f"{process.label} frozen {time.monotonic() - began:.1f} s after it was due"

    async def freeze_two_consumers(run: Run) -> None:
        await run.sent_fraction(0.3)
        zombies = [run.stack.instances[s][0].process for s in ("registry", "referrals")]
        frozen_at = await asyncio.gather(*(freeze_when_busy(z) for z in zombies))
        await asyncio.sleep(frozen)
        for zombie in zombies:
            zombie.resume()
        run.note(f"SIGSTOP for {frozen:.0f} s from 30% sent: {'; '.join(frozen_at)}")

    async def evidence(run: Run, verdict: Verdict) -> None:
        fenced = {s: fenced_commits(run.stack, s) for s in ("registry", "referrals")}
        expelled = {s: expelled_members(run.stack, s) for s in ("registry", "referrals")}
        verdict.notes.append(
            f"late offset commits refused (fenced): {fenced}; "
            f"woken members told they were no longer in the group: {expelled}"
        )
        assert sum(fenced.values()) + sum(expelled.values()) > 0, "no zombie was fenced"

    verdict, run = await run_scenario(
        infra,
        tmp_path,
        "zombie",
        events,
        freeze_two_consumers,
        instances={"registry": 2, "referrals": 2, "notifications": 1},
        after_verdict=evidence,
    )
    assert verdict.ok, verdict.details()
    assert run.notes, "no consumer was frozen"


def _end_offsets(bootstrap: str, namespace: str) -> dict[tuple[str, int], int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(spec.name, p)
            for spec in namespaced(namespace)
            for p in range(spec.partitions)
        ]
        return {(tp.topic, tp.partition): n for tp, n in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def _rewind_groups(stack: Stack, timeout: float = 60) -> int:
    """Set every consumer group of the stack back to offset 0; the records to replay.

    The services were SIGKILLed, so the broker still counts them as members until their
    sessions expire; until then it refuses the reset (UNKNOWN_MEMBER_ID), so keep asking.
    """
    ends = _end_offsets(stack.infra.bootstrap, stack.namespace)
    replayed = 0
    with admin_client(stack.infra.bootstrap) as admin:
        for group, names in stack.groups().items():
            targets = {
                TopicPartition(topic, partition): 0 for (topic, partition) in ends if topic in names
            }
            deadline = time.monotonic() + timeout
            while True:
                # A copy: kafka-python pops the entries it resolves out of the dict it is given.
                result = admin.reset_group_offsets(group, dict(targets))
                failed = {tp: r for tp, r in result.items() if r["error"].__name__ != "NoError"}
                if not failed or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert not failed, f"could not reset {group}: {failed}"
            replayed += sum(ends[(tp.topic, tp.partition)] for tp in targets)
    return replayed


async def test_consumer_offsets_reset_to_zero_replay_with_no_new_effects(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    async def replay(run: Run, first: Verdict) -> None:
        assert first.ok, first.details()  # replay only means something after a clean run
        stack = run.stack
        before = await asyncio.to_thread(_end_offsets, infra.bootstrap, stack.namespace)
        messages_before = [len(m) for m in await provider_messages(stack)]
        stack.halt()
        replayed = await asyncio.to_thread(_rewind_groups, stack)
        await stack.relaunch()
        counts = await settle(stack, len(run.carers), run.total, timeout=settle_seconds())
        again = await verify(stack, "replay", run.carers, run.sent)
        after = await asyncio.to_thread(_end_offsets, infra.bootstrap, stack.namespace)
        messages_after = [len(m) for m in await provider_messages(stack)]
        grown = {k: after[k] - n for k, n in before.items() if after[k] != n}
        first.notes.append(
            f"offsets reset to 0 for {len(stack.groups())} groups: {replayed} records "
            f"replayed; new records on any topic: {sum(grown.values())}; messages at "
            f"providers before/after: {messages_before}/{messages_after}; settled {counts}"
        )
        for tally in again.tallies:
            tally.name = f"after replay: {tally.name}"
        first.tallies.extend(again.tallies)
        first.order_violations += again.order_violations
        assert replayed > 0
        assert not grown, f"the replay published new events: {grown}"
        assert messages_after == messages_before, "the replay sent messages again"

    verdict, _run = await run_scenario(infra, tmp_path, "replay", events, after_verdict=replay)
    assert verdict.ok, verdict.details()


async def test_each_service_scaled_from_one_consumer_to_three_and_back_under_load(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    async def scale(run: Run) -> None:
        await run.sent_fraction(0.2)
        await asyncio.gather(*(run.stack.scale(s, 3) for s in SERVICES))
        run.note("every service scaled 1 -> 3 at 20% sent")
        expected = 2 * len(run.carers)
        await run.recorded("referrals", "SELECT count(*) FROM referrals", int(0.6 * expected))
        await asyncio.gather(*(run.stack.scale(s, 1) for s in SERVICES))
        run.note("every service scaled 3 -> 1 (SIGTERM) at 60% of referrals made")

    verdict, run = await run_scenario(infra, tmp_path, "scale", events, scale)
    assert verdict.ok, verdict.details()
    assert all(len(run.stack.instances[s]) == 3 for s in SERVICES)
