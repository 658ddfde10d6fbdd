"""What every service process runs: database, broker, outbox relay and HTTP, one lifecycle.

Each service's ``bootstrap()`` builds a :class:`ServiceRuntime`, registers its subscribers on
``runtime.broker`` and its routes on the FastAPI app from :func:`http_app`. Nothing connects
at import time: :meth:`ServiceRuntime.start` connects, :meth:`ServiceRuntime.stop` drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import make_engine, make_session_factory
from shared.messaging.authorisation import KafkaDenials, denied_resources
from shared.messaging.broker import make_broker, make_producer
from shared.messaging.outbox import AfterPublishHook, OutboxRelay
from shared.messaging.uow import UnitOfWork
from shared.metrics import OUTBOX_PENDING, exposition, record_lag
from shared.settings import ServiceSettings
from shared.telemetry import setup_tracing
from shared.web.hardening import harden

log = logging.getLogger(__name__)
U = TypeVar("U", bound=UnitOfWork)


@dataclass
class ServiceRuntime:
    """The live parts of one service; ``start``/``stop`` bracket the process's work."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    relay: OutboxRelay
    consume: bool = True
    producer: AIOKafkaProducer | None = None
    denials: KafkaDenials = field(default_factory=KafkaDenials)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _subscribing: list[asyncio.Task[None]] = field(default_factory=list)
    _unquieten: Callable[[], None] | None = None
    _relay_task: asyncio.Task[None] | None = None
    _started: bool = False

    @classmethod
    def create(
        cls,
        settings: ServiceSettings,
        *,
        consume: bool = True,
        after_publish: AfterPublishHook | None = None,
    ) -> ServiceRuntime:
        setup_tracing(settings)
        engine = make_engine(
            settings.database_url,
            ssl_mode=settings.database_ssl_mode,
            ssl_root_cert=settings.database_ssl_root_cert,
        )
        sessions = make_session_factory(engine)
        denials = KafkaDenials(settings.kafka_sasl_username)
        relay = OutboxRelay(
            engine,
            sessions,
            lock_name=f"outbox-relay-{settings.service_name}",
            poll_seconds=settings.outbox_poll_seconds,
            after_publish=after_publish,
            denials=denials,  # one record per process: the relay's and the consumers'
        )
        broker = make_broker(settings)
        return cls(settings, engine, sessions, broker, relay, consume, denials=denials)

    def unit_of_work(self, kind: type[U]) -> U:
        """A fresh unit of work of the service's ``kind``, wired to this runtime."""
        return kind(
            self.sessions,
            self.relay.wake,
            self.settings.kafka_topic_namespace,
            self.settings.service_name,
        )

    async def start(self) -> None:
        if self._started:
            return
        self._unquieten = self.denials.quieten()
        self.producer = make_producer(self.settings)
        await self.producer.start()
        self.relay.attach(self.producer)
        self._relay_task = asyncio.create_task(self.relay.run(), name="outbox-relay")
        if self.consume:
            await self._start_subscribers()
        else:
            await self.broker.connect()
        self._started = True
        # Everything loaded so far (modules, models, compiled schemas and statements) lives
        # as long as the process. Frozen, the garbage collector stops re-scanning it on
        # every full collection: at thousands of events a second those scans had doubled
        # the cost of validating an event (bench: 98 -> 43 µs per identification).
        gc.collect()
        gc.freeze()
        log.info("%s started", self.settings.service_name)

    async def stop(self) -> None:
        if not self._started:
            return
        for waiting in self._subscribing:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
        self._subscribing.clear()
        await self.broker.stop()
        # The relay publishes what the last transactions queued, under its lock, and ends.
        if self._relay_task is not None:
            await self.relay.stop(self._relay_task)
            self._relay_task = None
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.producer is not None:
            await self.producer.stop()
        await self.engine.dispose()
        if self._unquieten is not None:
            self._unquieten()
            self._unquieten = None
        self._started = False

    async def _start_subscribers(self) -> None:
        """``broker.start()``, one subscriber at a time, so that one whose topic or group the
        ACLs deny waits in the background (retrying with back-off; granting the ACL heals
        it) while the others consume, instead of failing the start: a service that exits
        for a missing ACL is restarted for ever and never gets better."""
        await self.broker.connect()
        for subscriber in self.broker.subscribers:
            try:
                await subscriber.start()
            except Exception as error:
                if not self.denials.notice(error, "read"):
                    raise
                await _stop_quietly(subscriber)
                waiting = self._subscribe_when_allowed(subscriber, error)
                self._subscribing.append(asyncio.create_task(waiting, name="subscribe-denied"))
        for publisher in self.broker.publishers:
            await publisher.start()
        self.broker.running = True

    async def _subscribe_when_allowed(self, subscriber: Any, error: BaseException) -> None:
        """Retry a denied subscription until the brokers allow it; then it consumes."""
        while True:
            await asyncio.sleep(self.denials.retry_delay(error))
            try:
                await subscriber.start()
            except Exception as again:
                if not self.denials.notice(again, "read"):
                    log.warning("subscribing failed (%s); retrying", type(again).__name__)
                await _stop_quietly(subscriber)
                error = again
                continue
            for resource, name in denied_resources(error) or ():
                self.denials.allowed(resource, [name], "read")
            return

    async def health(self) -> dict[str, str]:
        """Whether Kafka and the database answer; every problem named."""
        problems: dict[str, str] = {}
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            problems["database"] = type(error).__name__
        try:
            if not await asyncio.wait_for(self.broker.ping(timeout=2), 3):
                problems["kafka"] = "no answer"
        except Exception as error:
            problems["kafka"] = type(error).__name__
        return problems


async def _stop_quietly(subscriber: Any) -> None:
    """Stop a subscriber whose start failed half-way (its consumer may be half started)."""
    try:
        await subscriber.stop()
    except Exception:
        log.debug("stopping a subscriber that failed to start", exc_info=True)


def http_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    on_startup: Callable[[], Any] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> FastAPI:
    """The service's FastAPI app; its lifespan starts and stops the runtime.

    ``background`` coroutines (periodic sweeps) run while the app runs, cancelled at stop.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        if on_startup is not None:
            await on_startup()
        tasks = [asyncio.create_task(job()) for job in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    harden(app, runtime.settings)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
    )
    async def metrics() -> PlainTextResponse:
        service = runtime.settings.service_name
        record_lag(service, runtime.broker)
        try:
            async with runtime.engine.connect() as connection:
                pending = await connection.scalar(text("SELECT count(*) FROM outbox"))
            OUTBOX_PENDING.labels(service).set(pending or 0)
        except Exception:
            pass
        return PlainTextResponse(exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"], summary="200 when Kafka and the database answer")
    async def health(response: Response) -> dict[str, Any]:
        # A denied Kafka operation is "degraded", still 200: a restart cannot grant an ACL,
        # and a 503 would make the liveness probe restart the pod for ever (see
        # shared/messaging/authorisation.py); what is denied is listed under kafka_denied.
        problems: dict[str, Any] = dict(await runtime.health())
        denied = runtime.denials.current()
        if denied:
            problems["kafka_denied"] = denied
        service = runtime.settings.service_name
        if set(problems) - {"kafka_denied"}:
            response.status_code = 503
            return {"status": "unhealthy", "service": service, **problems}
        if denied:
            return {"status": "degraded", "service": service, **problems}
        return {"status": "ok", "service": service}

    return app
