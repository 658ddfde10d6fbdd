"""Services killed (SIGKILL, by their own failpoints) at the worst moments lose nothing and
duplicate nothing.

Each service dies more than once mid-stream and is restarted by the suite's supervisor, as an
orchestrator would restart it; the checker then counts every effect across the chain.
"""

from __future__ import annotations

from pathlib import Path

from tests.faults.cluster import SERVICES, Infra
from tests.faults.scenario import HARD_TIMEOUT, run_scenario

pytestmark = HARD_TIMEOUT


async def test_each_service_killed_after_its_commit_and_before_its_offset_commit(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    # processor.after_commit: the batch's transaction (state, inbox, outbox) has committed,
    # the offsets have not: after the restart the whole batch is redelivered to the inbox.
    verdict, run = await run_scenario(
        infra,
        tmp_path,
        "after-commit",
        events,
        arm={service: ("processor.after_commit@4", 2) for service in SERVICES},
    )
    assert verdict.ok, verdict.details()
    for service in SERVICES:
        assert run.stack.deaths.codes.get(service, [])[:1] == [-9], f"{service} never died"


async def test_notifications_killed_after_the_provider_accepted_and_before_recording(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    # The provider has the message; the service's record still says "claimed". On restart
    # the record is looked up at the provider by its reference before any resend. Delivery
    # receipts are on, so a receipt may also overtake the dispatcher's own recording.
    verdict, run = await run_scenario(
        infra,
        tmp_path,
        "after-provider",
        events,
        arm={"notifications": ("notifications.after_provider_accepted@25", 3)},
        receipts=True,
    )
    assert verdict.ok, verdict.details()
    assert run.stack.deaths.count("notifications") >= 1, "the notifications service never died"


async def test_each_outbox_relay_killed_after_publishing_and_before_marking(
    infra: Infra, events: int, tmp_path: Path
) -> None:
    # relay.after_publish: the broker acknowledged the batch, the rows were not deleted; the
    # restarted relay publishes them again with the same ids, and the consumers' inboxes
    # drop the copies.
    verdict, run = await run_scenario(
        infra,
        tmp_path,
        "after-publish",
        events,
        arm={service: ("relay.after_publish@3", 2) for service in SERVICES},
    )
    assert verdict.ok, verdict.details()
    for service in SERVICES:
        assert run.stack.deaths.count(service) >= 1, f"{service}'s relay never died"
