"""The demo's GP coding loop (issue 17): the hospital said Siân's GP is Example Surgery
(C82001), she agreed to share with her GP, and the surgery has not coded her as a carer; so
she is on the surgery's "carers to code" list (and a ``gp.coding_suggested`` went to the
surgery's own topic). The surgery's clinical system records the code and sends
``gp.carer_coded`` on its own Kafka topic, as a GP system would: the list is empty again.

On the secured cluster (``--cluster``) the surgery writes as its own principal
(``carers-partner-gp-c82001``), the only one allowed on its topic.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from shared import topics
from shared.events import CloudEvent
from shared.messaging.broker import make_producer
from shared.settings import ServiceSettings

PRACTICE = "C82001"


def _listed(registry: str, gp: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{registry}/gp/carers-to-code", headers=gp, timeout=10)
    return answer.json()["items"] if answer.status_code == 200 else []  # type: ignore[no-any-return]


def _wait(what: str, probe: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise SystemExit(f"demo failed: {what} did not happen within {timeout:.0f} s")


async def _send_coding(settings: ServiceSettings, nhs_number: str) -> None:
    body = {
        "nhs_number": nhs_number,
        "practice_ods_code": PRACTICE,
        "snomed_code": "224484003",
        "coded_at": datetime.now(UTC).isoformat(),
    }
    event = CloudEvent.new("gp.carer_coded", f"ods:{PRACTICE}", nhs_number, body)
    producer = make_producer(settings)
    await producer.start()
    try:
        topic = settings.topic(topics.partner_inbound("gp", PRACTICE))
        await producer.send_and_wait(topic, event.to_bytes(), key=nhs_number.encode())
    finally:
        await producer.stop()


def show_gp_coding(
    registry: str,
    gp_token: str,
    nhs_number: str,
    kafka_env: dict[str, str],
    say: Callable[[str], None] = print,
) -> None:
    """The surgery's list has her; the surgery codes her; the list is empty. ``kafka_env``:
    how the surgery's system reaches Kafka (``KAFKA_*`` settings, its own principal on the
    secured cluster)."""
    gp = {"Authorization": f"Bearer {gp_token}"}

    def hers() -> list[dict[str, Any]]:
        return [i for i in _listed(registry, gp) if i["nhs_number"] == nhs_number]

    [item] = _wait("the carer on the surgery's list", hers)
    say(
        f"   GET /gp/carers-to-code (GP {PRACTICE}) -> {item['given_name']} "
        f"{item['family_name']}, NHS {item['nhs_number']}: record SNOMED CT "
        f'{item["snomed_code"]} "{item["snomed_display"]}"'
    )
    say(f"   (the same suggestion went to the surgery's own topic, {topics.GP_OUTBOUND[PRACTICE]})")
    asyncio.run(_send_coding(ServiceSettings.model_validate(kafka_env), nhs_number))
    say(f"   The surgery's system sends gp.carer_coded on {topics.partner_inbound('gp', PRACTICE)}")
    _wait("the surgery's list to close the item", lambda: not hers())
    say(f"   GET /gp/carers-to-code (GP {PRACTICE}) -> no longer listed: coded, so closed")
    say(f"   The surgery's page: {registry}/staff/gp/carers-to-code (sign in at /staff/sign-in)")


def surgery_kafka_env(cluster: bool) -> dict[str, str]:
    """How the surgery's system connects: the local broker, or the cluster as its principal."""
    if cluster:
        from shared.kafka.principals import partner_principal
        from shared.ops.cluster_stack import cluster as running_cluster

        return running_cluster().client_env(partner_principal("gp", PRACTICE))
    from shared.ops.stack import broker

    return {
        "KAFKA_BOOTSTRAP_SERVERS": os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        or broker().bootstrap_servers
    }
