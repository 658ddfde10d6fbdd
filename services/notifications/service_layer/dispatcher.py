"""The dispatcher: sends pending records, exactly once each, outside any consumer transaction.

One send, step by step, and what a crash at each step leads to:

1. claim: in one transaction, due ``pending`` records become ``claimed`` (attempts + 1).
   Crash after this (``notifications.before_provider``): on restart every ``claimed`` record
   becomes ``pending`` and ``uncertain``, and ...
2. look up, if ``uncertain``: ask the provider for our reference (``notification_id``). Found:
   it was sent; record it, do not send. Not found: send.
3. send. Crash after the provider accepted but before we recorded it
   (``notifications.after_provider_accepted``): step 2 finds it after the restart.
4. record ``sent`` (or the failure, or a retry time) and queue ``notification.sent`` in the
   outbox, in one transaction. Crash after that (``notifications.after_recording``): nothing
   is repeated; the relay publishes the queued event when the service is back.

Only one dispatcher runs per database (:mod:`shared.messaging.leadership`, the lock the outbox
relay takes: an advisory lock on PostgreSQL, a file lock on SQLite), because Notify's rate
limit is per API key: two dispatchers with a bucket each would send twice the limit.
Timeouts and 5xx are retried with backoff and jitter, always after a lookup;
429s drain the token bucket; 4xx and SMTP 5xx are permanent and published as
``notification.failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row

from services.notifications.adapters.providers.base import (
    Accepted,
    LookupUnavailable,
    OutgoingMessage,
    Provider,
    ProviderError,
)
from services.notifications.domain.quiet_hours import QuietHours
from services.notifications.domain.retry import RetryPolicy, SendFailure, scrub
from services.notifications.domain.secrets import withhold
from services.notifications.domain.send_record import SendRecord, Status
from services.notifications.service_layer.events import publish_owed, publish_sent
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.clock import Clock
from shared.faults import failpoint
from shared.messaging.leadership import Leadership

log = logging.getLogger(__name__)
# (subject, body, secret) a claimed record is sent with: a sign-in code is put back in here.
Reveal = Callable[[Row[Any]], tuple[str | None, str, str | None]]
UNKNOWN_OUTCOME = (
    "the send may or may not have reached the provider before a restart, and it cannot be "
    "asked; not sent again so the carer is not sent it twice"
)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed message."""

    notification_id: str
    accepted: Accepted | None = None
    failure: SendFailure | None = None
    final_status: str | None = None  # a failure that must not be retried whatever its kind


class Dispatcher:
    """Claims due records, calls providers, records results. Start with :meth:`run`."""

    def __init__(
        self,
        uow_factory: Callable[[], NotificationsUnitOfWork],
        providers: Mapping[str, Provider],
        clock: Clock,
        *,
        quiet_hours: QuietHours,
        unsubscribe_url: Callable[[str], str],
        retry: RetryPolicy | None = None,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        leadership: Leadership | None = None,
        rand: Callable[[], float] = random.random,
        reveal: Reveal | None = None,
    ) -> None:
        self._uow = uow_factory
        self._providers = providers
        self._clock = clock
        self._quiet_hours = quiet_hours
        self._unsubscribe_url = unsubscribe_url
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._leadership = leadership
        self._rand = rand
        self._reveal = reveal
        self._secrets: dict[str, str] = {}  # notification id -> code, only while in flight
        self._provider_names = {channel: p.name for channel, p in providers.items()}
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        """A record became ready (or the clock moved): look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Dispatch until cancelled; after any failure, start again from recovery."""
        while True:
            try:
                async with self._leading():
                    await self.recover()
                    await self._loop()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher failed; recovering in 1 s")
                await asyncio.sleep(1)

    async def recover(self) -> int:
        """Claimed records from before a restart: the provider may have them (look up first)."""
        async with self._uow() as uow:
            released = await uow.sends.release_claimed()
            await uow.commit()
        if released:
            log.warning("%d sends were interrupted; each is looked up before any resend", released)
        return released

    async def _loop(self) -> None:
        while True:
            # Cleared before looking, not after: a record committed while we look sets it
            # again, so the wait below returns at once instead of a whole poll later.
            self._wake.clear()
            found, next_due = await self._dispatch()
            if found:
                continue
            timeout = self._idle_seconds(next_due)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _idle_seconds(self, due: datetime | None) -> float:
        if due is None:
            return self._poll_seconds
        until = (aware(due) - self._clock.now()).total_seconds()
        return min(self._poll_seconds, max(0.01, until))

    async def dispatch_once(self) -> int:
        """Claim one batch, send it, record the results; the number of records claimed."""
        return (await self._dispatch())[0]

    async def _dispatch(self) -> tuple[int, datetime | None]:
        """As :meth:`dispatch_once`; with nothing due, also when the next record will be."""
        now = self._clock.now()
        async with self._uow() as uow:
            rows, found = await uow.sends.claim_due(now, self._batch_size, self._provider_names)
            if not found:
                return 0, await uow.sends.next_due_time()
            await uow.commit()
        if not rows:
            return found, None
        claimed = [(self._claimed_message(row), bool(row.uncertain)) for row in rows]
        failpoint("notifications.before_provider")
        try:
            outcomes = await asyncio.gather(*(self._attempt(m, u) for m, u in claimed))
            await self._record(outcomes, {m.notification_id: m.recipient for m, _ in claimed})
        finally:
            for message, _ in claimed:
                self._secrets.pop(message.notification_id, None)
        failpoint("notifications.after_recording")
        return found, None

    def _claimed_message(self, row: Row[Any]) -> OutgoingMessage:
        subject, body, secret = (
            self._reveal(row) if self._reveal is not None else (row.subject, row.body, None)
        )
        if secret:
            self._secrets[row.notification_id] = secret
        return OutgoingMessage(
            notification_id=row.notification_id,
            channel=row.channel,
            recipient=row.recipient,
            subject=subject,
            body=body,
            unsubscribe_url=self._unsubscribe_url(row.carer_id) if row.channel == "email" else None,
        )

    async def _attempt(self, message: OutgoingMessage, uncertain: bool) -> Outcome:
        provider = self._providers[message.channel]
        try:
            if uncertain:
                try:
                    found = await provider.lookup(message)
                except LookupUnavailable:
                    if provider.unknown_outcome == "give-up":
                        failure = SendFailure(UNKNOWN_OUTCOME, retryable=False)
                        return Outcome(
                            message.notification_id,
                            failure=failure,
                            final_status=Status.TECHNICAL_FAILURE,
                        )
                    found = None  # "resend": at-least-once, same Message-ID (see adapters/smtp)
                if found is not None:
                    return Outcome(message.notification_id, accepted=found)
            accepted = await provider.send(message)
        except ProviderError as error:
            return Outcome(message.notification_id, failure=error.failure)
        except Exception as error:  # a fault of ours: this message waits, the others go on
            log.exception("sending %s failed unexpectedly", message.notification_id)
            failure = SendFailure(f"unexpected {type(error).__name__}", True, uncertain=True)
            return Outcome(message.notification_id, failure=failure)
        failpoint("notifications.after_provider_accepted")  # the provider has it; we do not yet
        return Outcome(message.notification_id, accepted=accepted)

    async def _record(self, outcomes: list[Outcome], recipients: dict[str, str]) -> None:
        now = self._clock.now()
        sent = [(o.notification_id, o.accepted.provider_id) for o in outcomes if o.accepted]
        failed = [o for o in outcomes if o.accepted is None and o.failure is not None]
        async with self._uow() as uow:
            # Only records still claimed are recorded: a delivery receipt (or an erasure) may
            # have overtaken us; it recorded the send and published its events, so recording
            # again would duplicate them.
            recorded = await uow.sends.mark_sent(sent, now)
            for row in recorded:
                publish_sent(uow, row)
            if failed:
                records = await uow.sends.claimed([o.notification_id for o in failed])
                by_id = {r.notification_id: r for r in records if r.status == Status.CLAIMED}
                for outcome in failed:
                    record = by_id.get(outcome.notification_id)
                    if record is None:
                        continue
                    assert outcome.failure is not None
                    reason = scrub(outcome.failure.reason, recipients[outcome.notification_id])
                    reason = withhold(reason, self._secrets.get(outcome.notification_id, ""))
                    self._record_failure(record, outcome, reason, now)
                    publish_owed(uow, record)
            await uow.commit()
        self.sent += len(recorded)

    def _record_failure(
        self, record: SendRecord, outcome: Outcome, reason: str, now: datetime
    ) -> None:
        """Retry later (with backoff, a text not in quiet hours), or fail it for good."""
        failure = outcome.failure
        assert failure is not None
        if outcome.final_status is None and failure.retryable:
            if not self._retry.gives_up_after(record.attempts):
                when = now + timedelta(seconds=self._retry.delay(record.attempts, self._rand))
                if record.channel == "sms":
                    when = self._quiet_hours.next_allowed(when)  # a retry is still a text
                record.retry(when, reason, uncertain=failure.uncertain, now=now)
                return
            reason = scrub(f"gave up after {record.attempts} attempts; last: {reason}")
        outcome_status = outcome.final_status or (
            Status.TECHNICAL_FAILURE if failure.retryable else Status.PERMANENT_FAILURE
        )
        record.fail(outcome_status, reason, now)

    def _leading(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Dispatch only while leading: one dispatcher per database (see module docstring)."""
        if self._leadership is None:
            return contextlib.nullcontext()
        return self._leadership.held()
