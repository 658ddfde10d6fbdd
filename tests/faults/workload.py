"""The traffic a fault scenario drives, and a producer that keeps sending through faults.

Each carer gets three inbound events, sent in three phases (every carer's first event, then
every carer's second, then every third), all keyed by the carer's NHS number:

1. ``carer.identified`` by a GP practice (``ods:C82001``);
2. ``carer.identified`` by the hospital trust (``ods:RWE``): the same person, a second source;
3. ``consent.updated``: the same consent again (share with GP, council and VASL; contact).

Why phases: a producer that retries a failed send (the broker was killed) could otherwise put
a carer's second event before its first, and the check of per-carer order would then blame
the platform for the test's own reordering. Within a phase each carer has one event, so a
retry can reorder nothing that matters; between phases every send is acknowledged first.

What the platform must then do is fixed, whatever the interleaving: one carer record with
two sources, one ``carer.registered``, referrals to VASL and to a carers assessment (adult
carer, consent to both, assessment asked for; see ``services/referrals/domain/rules.py``),
and one message per ``referral.created``, by email for even-numbered carers and by SMS for
odd ones, so both the SMTP sink and the Notify stub take traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from bench.common import nhs_numbers
from shared.events import CloudEvent

log = logging.getLogger(__name__)

GP = {"kind": "gp", "org_code": "C82001", "org_name": "Example Surgery"}
HOSPITAL = {"kind": "hospital", "org_code": "RWE", "org_name": "University Hospitals"}
SHARE_WITH = ["gp", "council", "vasl"]
EXPECTED_SERVICES = frozenset({"vasl", "carers_assessment"})
STORY = (
    "I look after my mum most evenings and weekends. She has dementia and needs help with "
    "washing, meals and her medicines. I work full time and I am tired; I would like someone "
    "to talk to and a break now and then. "
) * 2


@dataclass(frozen=True)
class Carer:
    """One person the workload identifies, and how the platform should reach them."""

    index: int
    nhs_number: str
    email: str
    mobile: str

    @property
    def channel(self) -> str:
        return "email" if self.index % 2 == 0 else "sms"


@dataclass(frozen=True)
class Outgoing:
    """One inbound message: its key, its bytes and its (source, id) for the inbox check."""

    key: bytes
    value: bytes
    source: str
    event_id: str


def make_carers(count: int, seed: int = 9) -> list[Carer]:
    return [
        Carer(i, nhs, f"carer{i}@example.org", f"07701{i:06d}")
        for i, nhs in enumerate(nhs_numbers(count, seed))
    ]


def _identified(carer: Carer, by: dict[str, str], source: str) -> CloudEvent:
    channels = ["email", "sms"] if carer.channel == "email" else ["sms", "email"]
    return CloudEvent.new(
        "carer.identified",
        source,
        carer.nhs_number,
        {
            "identified_by": by,
            "person": {
                "nhs_number": carer.nhs_number,
                "given_name": f"Carer{carer.index}",
                "family_name": "O'Connor-Smith",
                "date_of_birth": "1968-04-12",
                "postcode": "LE1 6ZG",
                "email": carer.email,
                "mobile": carer.mobile,
            },
            "caring_for": [
                {"relationship": "parent", "needs": ["dementia"], "lives_with_carer": False}
            ],
            "preferences": {"contact_channels": channels, "easy_read": False, "language": "en"},
            "consent": {
                "share_with": SHARE_WITH,
                "contact": True,
                "recorded_at": "2026-03-01T10:00:00Z",
            },
            "support_requested": ["carers_assessment", "vasl_support"],
            "story": STORY,
        },
    )


def _consent(carer: Carer) -> CloudEvent:
    return CloudEvent.new(
        "consent.updated",
        "ods:C82001",
        carer.nhs_number,
        {"nhs_number": carer.nhs_number, "share_with": SHARE_WITH, "contact": True},
    )


def phases(carers: Sequence[Carer]) -> list[list[Outgoing]]:
    """The three phases of inbound traffic (see the module docstring)."""
    makers = (
        lambda c: _identified(c, GP, "ods:C82001"),
        lambda c: _identified(c, HOSPITAL, "ods:RWE"),
        _consent,
    )
    out: list[list[Outgoing]] = []
    for make in makers:
        phase = []
        for carer in carers:
            event = make(carer)
            phase.append(
                Outgoing(carer.nhs_number.encode(), event.to_bytes(), event.source, event.id)
            )
        out.append(phase)
    return out


@dataclass
class SendStats:
    """What the producer achieved: acknowledged messages, and sends it had to repeat."""

    acknowledged: int = 0
    resent: int = 0
    errors: list[str] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)


class ResilientProducer:
    """An idempotent ``acks=all`` producer that re-sends whatever was not acknowledged.

    A partner's system does the same when the broker is down: it keeps the message and tries
    again. A re-sent message carries the same event id, so if the first copy did land after
    all, the registry's inbox drops the second; the check counts effects, not copies.
    """

    def __init__(self, bootstrap: str, *, max_request_size: int = 1_048_576) -> None:
        self._bootstrap = bootstrap
        self._max_request_size = max_request_size
        self._producer: AIOKafkaProducer | None = None
        self.stats = SendStats()

    async def _fresh(self) -> AIOKafkaProducer:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 10)
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                request_timeout_ms=15_000,
                max_request_size=self._max_request_size,
            )
            try:
                await asyncio.wait_for(producer.start(), 20)
            except (KafkaError, OSError, TimeoutError) as error:
                self.stats.errors.append(f"start: {type(error).__name__}")
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(1)
                continue
            self._producer = producer
            return producer

    async def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._producer.stop(), 10)
            self._producer = None

    async def send_all(self, topic: str, messages: Sequence[Outgoing], rate: float) -> None:
        """Send every message at about ``rate`` per second; return once all are acknowledged."""
        pending = list(messages)
        first_pass = True
        while pending:
            producer = self._producer or await self._fresh()
            failed: list[Outgoing] = []
            futures: list[tuple[Outgoing, asyncio.Future[object]]] = []
            started = time.monotonic()
            try:
                for n, message in enumerate(pending):
                    ahead = started + n / rate - time.monotonic()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                    futures.append(
                        (message, await producer.send(topic, message.value, key=message.key))
                    )
            except (KafkaError, OSError) as error:
                self.stats.errors.append(f"send: {type(error).__name__}")
                failed.extend(pending[len(futures) :])
            for message, future in futures:
                try:
                    await future
                    self.stats.acknowledged += 1
                    self.stats.acked_at.append(time.monotonic())
                except (KafkaError, OSError) as error:
                    self.stats.errors.append(f"ack: {type(error).__name__}")
                    failed.append(message)
            if failed:
                self.stats.resent += len(failed)
                log.warning("%d sends not acknowledged; sending them again", len(failed))
                await self._fresh()  # a producer that lost its broker may be wedged
            elif not first_pass:
                log.info("every re-sent message acknowledged")
            pending, first_pass = failed, False
